//! `crosslink network attachment`: doctl's Partner Network Connect commands against
//! `/v2/partner_network_connect/attachments`. Subcommands, aliases, flags, columns and `-o json`
//! shapes follow doctl; where this client differs (the BGP flags of `create` are sent, `update`
//! sends only what is given, `create --wait` exists) the help says so.

use super::table::{go_time, Column, View};
use super::{
    confirm_delete, wait_for_deletion, wait_for_state, Ctx, Global, ListFlags, Output, Wait,
};
use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand};
use crosslink_api_digitalocean::wire::{
    percent_encode, AttachmentBgpRequest, BgpAuthKeyRoot, PartnerAttachment,
    PartnerAttachmentCreateRequest, PartnerAttachmentRoot, PartnerAttachmentUpdateRequest,
    PartnerAttachmentsPage, RemoteRoute, RemoteRoutesPage, ServiceKey, ServiceKeyRoot,
};
use serde::Serialize;

const BASE: &str = "/v2/partner_network_connect/attachments";

#[derive(Args)]
pub struct NetworkArgs {
    #[command(flatten)]
    global: Global,
    /// Attachment type, as in doctl; only `partner` is supported. Accepted before or after
    /// `attachment` and its subcommand, as doctl's examples write it.
    #[arg(
        long = "type",
        value_name = "TYPE",
        default_value = "partner",
        global = true
    )]
    kind: String,
    #[command(subcommand)]
    command: NetworkCommand,
}

impl NetworkArgs {
    pub(super) fn output(&self) -> Output {
        self.global.output
    }
}

#[derive(Subcommand)]
enum NetworkCommand {
    /// Partner Network Connect: attachments joining your VPCs to a NaaS provider (Megaport).
    Attachment(AttachmentArgs),
}

#[derive(Args)]
struct AttachmentArgs {
    #[command(subcommand)]
    command: AttachmentCommand,
}

#[derive(Subcommand)]
enum AttachmentCommand {
    /// Create a partner attachment.
    ///
    /// It starts CREATING; --wait blocks until it is CREATED (and fails if it goes ERROR).
    /// Unlike doctl, the --bgp-* flags are sent: any of them adds a `bgp` object holding the
    /// BGP flags given.
    #[command(visible_alias = "c")]
    Create(CreateArgs),
    /// Show one partner attachment.
    #[command(visible_alias = "g")]
    Get {
        /// The partner attachment's ID.
        attachment_id: String,
        #[command(flatten)]
        list: ListFlags,
    },
    /// List every partner attachment of the team (all pages).
    #[command(visible_alias = "ls")]
    List {
        #[command(flatten)]
        list: ListFlags,
    },
    /// Rename a partner attachment or replace its VPCs.
    ///
    /// Unlike doctl, which always sends both, only the flags given are sent (PATCH); at least
    /// one is needed.
    #[command(visible_alias = "u")]
    Update {
        /// The partner attachment's ID.
        attachment_id: String,
        /// New name: letters, digits, `-` and `.`.
        #[arg(long)]
        name: Option<String>,
        /// The VPC IDs the attachment should hold, comma separated: replaces the whole list.
        #[arg(long, value_delimiter = ',')]
        vpc_ids: Option<Vec<String>>,
    },
    /// Delete a partner attachment.
    ///
    /// It goes DELETING, then away; --wait blocks until it is gone (a 404, or state DELETED).
    #[command(visible_alias = "rm")]
    Delete {
        /// The partner attachment's ID.
        attachment_id: String,
        /// Do not ask for confirmation.
        #[arg(short, long)]
        force: bool,
        #[command(flatten)]
        wait: Wait,
    },
    /// List the routes the partner side announces to the attachment (all pages).
    #[command(visible_alias = "ls-routes")]
    ListRoutes {
        /// The partner attachment's ID.
        attachment_id: String,
        #[command(flatten)]
        list: ListFlags,
    },
    /// Say why the attachment's BGP session is not Established (crosslink's addition: from
    /// what its session and the MCR's saw on the wire).
    Diagnose {
        /// The partner attachment's ID.
        attachment_id: String,
    },
    /// Show the attachment's service key (to order the connection at the NaaS provider).
    #[command(visible_alias = "g-service-key")]
    GetServiceKey {
        /// The partner attachment's ID.
        attachment_id: String,
        #[command(flatten)]
        list: ListFlags,
    },
    /// Ask for a new service key.
    ///
    /// Asynchronous: prints nothing (`{}` under -o json, as doctl); get-service-key shows the
    /// new key once it is issued.
    #[command(visible_alias = "regen-service-key")]
    RegenerateServiceKey {
        /// The partner attachment's ID.
        attachment_id: String,
    },
    /// Show the attachment's BGP auth key (the only command that prints it).
    #[command(visible_alias = "g-bgp-auth-key")]
    GetBgpAuthKey {
        /// The partner attachment's ID.
        attachment_id: String,
        #[command(flatten)]
        list: ListFlags,
    },
}

#[derive(Args)]
struct CreateArgs {
    /// Name: letters, digits, `-` and `.`; unique in the team.
    #[arg(long)]
    name: String,
    /// Bandwidth in Mbps: 1000, 2000, 5000 or 10000.
    #[arg(long)]
    connection_bandwidth_in_mbps: u32,
    /// Metro: nyc, sfo, fra, ams or sgp (any case); the VPCs must be in its datacenters.
    #[arg(long)]
    region: String,
    /// Network-as-a-service provider, e.g. MEGAPORT (kept exactly as given).
    #[arg(long)]
    naas_provider: String,
    /// IDs of the VPCs to attach, comma separated (the flag may also be repeated).
    #[arg(long, value_delimiter = ',', required = true)]
    vpc_ids: Vec<String>,
    /// BGP: DigitalOcean's (the attachment's) ASN, default 64532 (sent as `local_router_asn`).
    #[arg(long)]
    bgp_local_asn: Option<u32>,
    /// BGP: DigitalOcean's (the attachment's) router IP with its /29, e.g. 169.254.0.1/29.
    #[arg(long)]
    bgp_local_router_ip: Option<String>,
    /// BGP: the partner's ASN (sent as `peer_router_asn`).
    #[arg(long)]
    bgp_peer_asn: Option<u32>,
    /// BGP: the partner's router IP, in CIDR notation, e.g. 169.254.0.6/29.
    #[arg(long)]
    bgp_peer_router_ip: Option<String>,
    /// BGP: the MD5 auth key. Never printed (not in errors nor --trace); read it back with
    /// get-bgp-auth-key.
    #[arg(long)]
    bgp_auth_key: Option<String>,
    /// Redundancy zone: MEGAPORT_RED or MEGAPORT_BLUE.
    #[arg(long)]
    redundancy_zone: Option<String>,
    /// HA: the ID of the existing attachment this one pairs with.
    #[arg(long)]
    parent_uuid: Option<String>,
    #[command(flatten)]
    wait: Wait,
}

impl CreateArgs {
    /// The POST body. Any BGP flag adds `bgp` with the BGP flags given (godo leaves empty ones
    /// out the same way); doctl reads these flags but never sends them.
    fn request(&self) -> Result<PartnerAttachmentCreateRequest> {
        check_ids(&self.vpc_ids)?;
        let bgp = AttachmentBgpRequest {
            local_router_ip: self.bgp_local_router_ip.clone(),
            peer_router_ip: self.bgp_peer_router_ip.clone(),
            peer_router_asn: self.bgp_peer_asn,
            auth_key: self.bgp_auth_key.clone(),
            local_router_asn: self.bgp_local_asn,
        };
        Ok(PartnerAttachmentCreateRequest {
            name: self.name.clone(),
            connection_bandwidth_in_mbps: i64::from(self.connection_bandwidth_in_mbps),
            region: self.region.clone(),
            naas_provider: self.naas_provider.clone(),
            vpc_ids: self.vpc_ids.clone(),
            parent_uuid: self.parent_uuid.clone(),
            redundancy_zone: self.redundancy_zone.clone(),
            bgp: (bgp != AttachmentBgpRequest::default()).then_some(bgp),
        })
    }
}

/// The PATCH body: only the flags given.
fn update_request(
    name: Option<String>,
    vpc_ids: Option<Vec<String>>,
) -> Result<PartnerAttachmentUpdateRequest> {
    if name.is_none() && vpc_ids.is_none() {
        bail!("nothing to update: give --name, --vpc-ids or both");
    }
    if let Some(ids) = &vpc_ids {
        check_ids(ids)?;
    }
    Ok(PartnerAttachmentUpdateRequest {
        name,
        vpc_ids,
        bgp: None,
    })
}

/// An empty entry (`--vpc-ids a,,b`) is a typo, not a VPC: refused before any request.
fn check_ids(ids: &[String]) -> Result<()> {
    if ids.is_empty() || ids.iter().any(|id| id.trim().is_empty()) {
        bail!("--vpc-ids needs VPC ids separated by commas, with none empty");
    }
    Ok(())
}

/// doctl's `--type` check, before anything is sent.
fn check_type(kind: &str) -> Result<()> {
    if kind != "partner" {
        bail!("unsupported attachment type: {kind}");
    }
    Ok(())
}

/// The create's errors with the BGP auth key blotted out, should the server quote it back.
fn redact(err: anyhow::Error, secret: Option<&str>) -> anyhow::Error {
    match secret {
        Some(s) if !s.is_empty() && format!("{err:#}").contains(s) => {
            anyhow!("{}", format!("{err:#}").replace(s, "[redacted]"))
        }
        _ => err,
    }
}

const COLUMNS: &[Column<PartnerAttachment>] = &[
    Column::new("ID", |a| a.id.clone()),
    Column::new("Name", |a| a.name.clone()),
    Column::new("State", |a| a.state.clone()),
    Column::titled(
        "ConnectionBandwidthInMbps",
        "Connection Bandwidth (MBPS)",
        |a| a.connection_bandwidth_in_mbps.to_string(),
    ),
    Column::new("Region", |a| a.region.clone()),
    Column::titled("NaaSProvider", "NaaS Provider", |a| a.naas_provider.clone()),
    Column::titled("VPCIDs", "VPC IDs", |a| a.vpc_ids.join(",")),
    Column::titled("CreatedAt", "Created At", |a| go_time(&a.created_at)),
    Column::titled("BGPLocalASN", "BGP Local ASN", |a| {
        a.bgp.local_asn.to_string()
    }),
    Column::titled("BGPLocalRouterIP", "BGP Local Router IP", |a| {
        a.bgp.local_router_ip.clone()
    }),
    Column::titled("BGPPeerASN", "BGP Peer ASN", |a| a.bgp.peer_asn.to_string()),
    Column::titled("BGPPeerRouterIP", "BGP Peer Router IP", |a| {
        a.bgp.peer_router_ip.clone()
    }),
    Column::titled("RedundancyZone", "Redundancy Zone", |a| {
        a.redundancy_zone.clone()
    }),
    Column::titled("ParentUUID", "Parent UUID", |a| {
        a.parent_uuid.clone().unwrap_or_default()
    }),
    Column::titled("Children", "Children UUIDs", |a| a.children.join(",")),
];

const ROUTE_COLUMNS: &[Column<RemoteRoute>] = &[Column::new("Cidr", |r| r.cidr.clone())];

const SERVICE_KEY_COLUMNS: &[Column<ServiceKey>] = &[
    Column::new("Value", |k| k.value.clone()),
    Column::new("State", |k| k.state.clone()),
    Column::new("CreatedAt", |k| go_time(&k.created_at)),
];

const BGP_KEY_COLUMNS: &[Column<String>] = &[Column::new("Value", |v| v.clone())];

// ---- doctl's -o json ------------------------------------------------------------------------
// doctl prints godo's structs, whose every field is `omitempty`: empty strings, zeros and empty
// lists are left out (a struct such as `bgp` stays, `created_at` is a time and always there).

fn blank(s: &&str) -> bool {
    s.is_empty()
}

fn zero(n: &u32) -> bool {
    *n == 0
}

fn none(list: &&[String]) -> bool {
    list.is_empty()
}

/// One attachment as doctl prints it: `{"PartnerAttachment": {...}}`, in godo's field order.
#[derive(Serialize)]
struct DoctlAttachment<'a> {
    #[serde(rename = "PartnerAttachment")]
    attachment: GoAttachment<'a>,
}

#[derive(Serialize)]
struct GoAttachment<'a> {
    #[serde(skip_serializing_if = "blank")]
    id: &'a str,
    #[serde(skip_serializing_if = "blank")]
    name: &'a str,
    #[serde(skip_serializing_if = "blank")]
    state: &'a str,
    #[serde(skip_serializing_if = "zero")]
    connection_bandwidth_in_mbps: u32,
    #[serde(skip_serializing_if = "blank")]
    region: &'a str,
    #[serde(skip_serializing_if = "blank")]
    naas_provider: &'a str,
    #[serde(skip_serializing_if = "none")]
    vpc_ids: &'a [String],
    bgp: GoBgp<'a>,
    #[serde(skip_serializing_if = "blank")]
    redundancy_zone: &'a str,
    created_at: &'a str,
    #[serde(skip_serializing_if = "blank")]
    parent_uuid: &'a str,
    #[serde(skip_serializing_if = "none")]
    children: &'a [String],
}

#[derive(Serialize)]
struct GoBgp<'a> {
    #[serde(skip_serializing_if = "zero")]
    local_asn: u32,
    #[serde(skip_serializing_if = "blank")]
    local_router_ip: &'a str,
    #[serde(skip_serializing_if = "zero")]
    peer_asn: u32,
    #[serde(skip_serializing_if = "blank")]
    peer_router_ip: &'a str,
}

impl<'a> From<&'a PartnerAttachment> for DoctlAttachment<'a> {
    fn from(a: &'a PartnerAttachment) -> Self {
        DoctlAttachment {
            attachment: GoAttachment {
                id: &a.id,
                name: &a.name,
                state: &a.state,
                connection_bandwidth_in_mbps: a.connection_bandwidth_in_mbps,
                region: &a.region,
                naas_provider: &a.naas_provider,
                vpc_ids: &a.vpc_ids,
                bgp: GoBgp {
                    local_asn: a.bgp.local_asn,
                    local_router_ip: &a.bgp.local_router_ip,
                    peer_asn: a.bgp.peer_asn,
                    peer_router_ip: &a.bgp.peer_router_ip,
                },
                redundancy_zone: &a.redundancy_zone,
                created_at: &a.created_at,
                parent_uuid: a.parent_uuid.as_deref().unwrap_or_default(),
                children: &a.children,
            },
        }
    }
}

/// The service key as doctl prints it: a bare object.
#[derive(Serialize)]
struct GoServiceKey<'a> {
    #[serde(skip_serializing_if = "blank")]
    value: &'a str,
    #[serde(skip_serializing_if = "blank")]
    state: &'a str,
    created_at: &'a str,
}

fn attachment_url(ctx: &Ctx, id: &str, rest: &str) -> String {
    ctx.api.url(&format!("{BASE}/{}{rest}", percent_encode(id)))
}

fn get(ctx: &Ctx, id: &str) -> Result<PartnerAttachment> {
    let url = attachment_url(ctx, id, "");
    let root: PartnerAttachmentRoot = ctx.api.json("GET", &url, None::<&()>)?;
    Ok(root.partner_attachment)
}

fn show(ctx: &Ctx, attachments: &[PartnerAttachment], view: &View) -> Result<()> {
    let json: Vec<DoctlAttachment> = attachments.iter().map(Into::into).collect();
    ctx.show_with(COLUMNS, attachments, view, &json)
}

pub fn run(args: NetworkArgs) -> Result<()> {
    let NetworkCommand::Attachment(attachments) = args.command;
    check_type(&args.kind)?;
    let ctx = Ctx::new(args.global)?;
    attachment(&ctx, attachments.command)
}

fn attachment(ctx: &Ctx, command: AttachmentCommand) -> Result<()> {
    match command {
        AttachmentCommand::Create(create) => {
            let key = create.bgp_auth_key.clone();
            let attachment = self::create(ctx, create).map_err(|e| redact(e, key.as_deref()))?;
            show(ctx, &[attachment], &View::default())
        }
        AttachmentCommand::Get {
            attachment_id,
            list,
        } => show(ctx, &[get(ctx, &attachment_id)?], &list.into()),
        AttachmentCommand::List { list } => {
            let all = ctx.all_pages(BASE, |p: PartnerAttachmentsPage| {
                (p.partner_attachments, p.links)
            })?;
            show(ctx, &all, &list.into())
        }
        AttachmentCommand::Update {
            attachment_id,
            name,
            vpc_ids,
        } => {
            let body = update_request(name, vpc_ids)?;
            let url = attachment_url(ctx, &attachment_id, "");
            let root: PartnerAttachmentRoot = ctx.api.json("PATCH", &url, Some(&body))?;
            show(ctx, &[root.partner_attachment], &View::default())
        }
        AttachmentCommand::Delete {
            attachment_id,
            force,
            wait,
        } => {
            confirm_delete("Partner Attachment", force)?;
            let url = attachment_url(ctx, &attachment_id, "");
            ctx.api.call("DELETE", &url, None)?;
            if wait.wait {
                wait_for_deletion(
                    "partner attachment",
                    wait.wait_interval,
                    || get(ctx, &attachment_id),
                    |a| &a.state,
                )?;
            }
            Ok(())
        }
        AttachmentCommand::ListRoutes {
            attachment_id,
            list,
        } => {
            let path = format!("{BASE}/{}/remote_routes", percent_encode(&attachment_id));
            let routes = ctx.all_pages(&path, |p: RemoteRoutesPage| (p.remote_routes, p.links))?;
            ctx.show(ROUTE_COLUMNS, &routes, &list.into())
        }
        AttachmentCommand::GetServiceKey {
            attachment_id,
            list,
        } => {
            let url = attachment_url(ctx, &attachment_id, "/service_key");
            let key = ctx
                .api
                .json::<ServiceKeyRoot>("GET", &url, None::<&()>)?
                .service_key;
            let json = GoServiceKey {
                value: &key.value,
                state: &key.state,
                created_at: &key.created_at,
            };
            ctx.show_with(
                SERVICE_KEY_COLUMNS,
                std::slice::from_ref(&key),
                &list.into(),
                &json,
            )
        }
        AttachmentCommand::Diagnose { attachment_id } => {
            let url = attachment_url(ctx, &attachment_id, "");
            let a = ctx
                .api
                .json::<PartnerAttachmentRoot>("GET", &url, None::<&()>)?
                .partner_attachment;
            let words = crosslink_domain::digitalocean::diagnosis::summary(
                &a.state,
                a.bgp_diagnosis.as_deref(),
            )
            .unwrap_or_else(|| format!("The attachment is {}: no BGP session yet", a.state));
            if ctx.output == Output::Json {
                println!(
                    "{}",
                    serde_json::json!({"id": a.id, "state": a.state, "diagnosis": words})
                );
            } else {
                println!("{words}");
            }
            Ok(())
        }
        AttachmentCommand::RegenerateServiceKey { attachment_id } => {
            let url = attachment_url(ctx, &attachment_id, "/service_key");
            ctx.api.call("POST", &url, None)?;
            // godo's answer to this call is an empty struct, which doctl prints as `{}`.
            if ctx.output == Output::Json {
                println!("{{}}");
            }
            Ok(())
        }
        AttachmentCommand::GetBgpAuthKey {
            attachment_id,
            list,
        } => {
            let url = attachment_url(ctx, &attachment_id, "/bgp_auth_key");
            let key = ctx
                .api
                .json::<BgpAuthKeyRoot>("GET", &url, None::<&()>)?
                .bgp_auth_key;
            let value = [key.value.clone()];
            ctx.show_with(BGP_KEY_COLUMNS, &value, &list.into(), &key)
        }
    }
}

fn create(ctx: &Ctx, args: CreateArgs) -> Result<PartnerAttachment> {
    let body = args.request()?;
    let root: PartnerAttachmentRoot = ctx.api.json("POST", &ctx.api.url(BASE), Some(&body))?;
    let attachment = root.partner_attachment;
    if !args.wait.wait {
        return Ok(attachment);
    }
    let id = attachment.id;
    wait_for_state(
        "partner attachment",
        &id,
        "CREATED",
        args.wait.wait_interval,
        || get(ctx, &id),
        |a| &a.state,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use serde_json::json;

    #[derive(Parser)]
    struct Create {
        #[command(flatten)]
        args: CreateArgs,
    }

    /// `create` with the required flags, `vpc_ids` as given, then `extra`.
    fn create_argv<'a>(vpc_ids: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut argv = vec![
            "create",
            "--name",
            "pa1",
            "--connection-bandwidth-in-mbps",
            "1000",
            "--region",
            "nyc",
            "--naas-provider",
            "MEGAPORT",
            "--vpc-ids",
            vpc_ids,
        ];
        argv.extend_from_slice(extra);
        argv
    }

    fn create_body(extra: &[&str]) -> serde_json::Value {
        let parsed = Create::try_parse_from(create_argv("v1,v2", extra)).unwrap();
        serde_json::to_value(parsed.args.request().unwrap()).unwrap()
    }

    #[test]
    fn create_without_bgp_flags_sends_no_bgp() {
        assert_eq!(
            create_body(&[]),
            json!({
                "name": "pa1",
                "connection_bandwidth_in_mbps": 1000,
                "region": "nyc",
                "naas_provider": "MEGAPORT",
                "vpc_ids": ["v1", "v2"],
            })
        );
    }

    #[test]
    fn bgp_flags_make_the_bgp_object() {
        let body = create_body(&[
            "--bgp-local-router-ip",
            "169.254.0.1/29",
            "--bgp-peer-router-ip",
            "169.254.0.6/29",
            "--bgp-peer-asn",
            "64532",
            "--bgp-auth-key",
            "s3cret",
            "--redundancy-zone",
            "MEGAPORT_BLUE",
            "--parent-uuid",
            "p-1",
            "--vpc-ids",
            "v3",
        ]);
        assert_eq!(
            body["bgp"],
            json!({
                "local_router_ip": "169.254.0.1/29",
                "peer_router_ip": "169.254.0.6/29",
                "peer_router_asn": 64532,
                "auth_key": "s3cret",
            })
        );
        assert_eq!(body["redundancy_zone"], "MEGAPORT_BLUE");
        assert_eq!(body["parent_uuid"], "p-1");
        assert_eq!(body["vpc_ids"], json!(["v1", "v2", "v3"]), "repeatable");
        // The local ASN goes as godo sends it, and alone is enough for a bgp object.
        let body = create_body(&["--bgp-local-asn", "64512"]);
        assert_eq!(body["bgp"], json!({"local_router_asn": 64512}));
    }

    #[test]
    fn empty_vpc_ids_are_refused() {
        let parsed = Create::try_parse_from(create_argv("v1,,v2", &[])).unwrap();
        assert!(parsed.args.request().is_err());
    }

    #[test]
    fn update_sends_only_what_is_given() {
        let body = |name: Option<&str>, ids: Option<&[&str]>| {
            let ids = ids.map(|i| i.iter().map(|s| s.to_string()).collect());
            serde_json::to_value(update_request(name.map(Into::into), ids).unwrap()).unwrap()
        };
        assert_eq!(body(Some("n"), None), json!({"name": "n"}));
        assert_eq!(
            body(None, Some(&["a", "b"])),
            json!({"vpc_ids": ["a", "b"]})
        );
        assert_eq!(
            body(Some("n"), Some(&["a"])),
            json!({"name": "n", "vpc_ids": ["a"]})
        );
        assert!(update_request(None, None).is_err());
        assert!(update_request(None, Some(vec![" ".into()])).is_err());
    }

    #[test]
    fn only_partner_type() {
        assert!(check_type("partner").is_ok());
        let err = check_type("Partner").unwrap_err().to_string();
        assert_eq!(err, "unsupported attachment type: Partner");
    }

    #[test]
    fn redacts_the_auth_key() {
        let err = anyhow!("POST /x: 422 auth_key \"s3cret\" is too short");
        let out = redact(err, Some("s3cret")).to_string();
        assert!(
            !out.contains("s3cret") && out.contains("[redacted]"),
            "{out}"
        );
        let err = anyhow!("no secret here");
        assert_eq!(redact(err, Some("s3cret")).to_string(), "no secret here");
    }

    fn sample() -> PartnerAttachment {
        serde_json::from_value(json!({
            "id": "a1",
            "name": "pa1",
            "state": "CREATED",
            "connection_bandwidth_in_mbps": 1000,
            "region": "NYC",
            "naas_provider": "MEGAPORT",
            "vpc_ids": ["v1", "v2"],
            "bgp": {"local_asn": 64512, "local_router_ip": "169.254.0.1/29",
                    "peer_asn": 0, "peer_router_ip": ""},
            "created_at": "2026-12-01T07:43:37Z",
            "redundancy_zone": "MEGAPORT_RED",
            "children": []
        }))
        .unwrap()
    }

    #[test]
    fn json_is_doctls_shape() {
        let a = sample();
        let got = serde_json::to_value([DoctlAttachment::from(&a)]).unwrap();
        assert_eq!(
            got,
            json!([{"PartnerAttachment": {
                "id": "a1",
                "name": "pa1",
                "state": "CREATED",
                "connection_bandwidth_in_mbps": 1000,
                "region": "NYC",
                "naas_provider": "MEGAPORT",
                "vpc_ids": ["v1", "v2"],
                "bgp": {"local_asn": 64512, "local_router_ip": "169.254.0.1/29"},
                "redundancy_zone": "MEGAPORT_RED",
                "created_at": "2026-12-01T07:43:37Z",
            }}])
        );
        let mut child = a.clone();
        child.parent_uuid = Some("p".into());
        let got = serde_json::to_value(DoctlAttachment::from(&child)).unwrap();
        assert_eq!(got["PartnerAttachment"]["parent_uuid"], "p");
        // Field order is godo's.
        let text = serde_json::to_string(&DoctlAttachment::from(&a)).unwrap();
        let pos = |k: &str| text.find(&format!("\"{k}\"")).unwrap();
        assert!(pos("bgp") < pos("redundancy_zone") && pos("redundancy_zone") < pos("created_at"));
    }

    #[test]
    fn table_headers_are_doctls() {
        let out = super::super::table::render(COLUMNS, &[sample()], &View::default()).unwrap();
        let header: Vec<&str> = out
            .lines()
            .next()
            .unwrap()
            .split("    ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(
            header,
            [
                "ID",
                "Name",
                "State",
                "Connection Bandwidth (MBPS)",
                "Region",
                "NaaS Provider",
                "VPC IDs",
                "Created At",
                "BGP Local ASN",
                "BGP Local Router IP",
                "BGP Peer ASN",
                "BGP Peer Router IP",
                "Redundancy Zone",
                "Parent UUID",
                "Children UUIDs",
            ]
        );
        assert!(out.contains("2026-12-01 07:43:37 +0000 UTC"), "{out}");
        assert!(out.contains("v1,v2"), "{out}");
    }
}
