//! `crosslink megaport vxc list|get|buy|update|delete` and `vxc approvals list|approve|reject`.

use super::{deleted, done, inactive, rfc3339, Ctx};
use crate::cli::confirm_delete;
use crate::cli::table::Column;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use crosslink_api_digitalocean::wire::percent_encode;
use crosslink_api_megaport::wire::{OrderApproval, ServiceKey, Vxc, VxcConfirmation};
use ipnet::Ipv4Net;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::net::Ipv4Addr;

#[derive(Args)]
pub struct VxcArgs {
    #[command(subcommand)]
    command: VxcCommand,
}

#[derive(Subcommand)]
enum VxcCommand {
    /// List the VXCs on the company's products (either end).
    #[command(visible_alias = "ls")]
    List {
        /// Include CANCELLED, DECOMMISSIONING and DECOMMISSIONED VXCs.
        #[arg(long)]
        include_inactive: bool,
    },
    /// Show one VXC.
    #[command(visible_alias = "show")]
    Get {
        /// The VXC's product UID.
        uid: String,
    },
    /// Order a VXC from one of the company's products (`POST /v4/networkdesign/buy`).
    Buy(BuyArgs),
    /// Change a VXC; a VLAN change on a VXC to another company waits for its approval.
    Update {
        /// The VXC's product UID.
        uid: String,
        /// New name (of your end, on a VXC to another company).
        #[arg(long)]
        name: Option<String>,
        /// New bandwidth in Mbps (A-End owner only).
        #[arg(long)]
        rate_limit: Option<u32>,
        /// New A-End VLAN: 2-4093, 0 to have one assigned, -1 for untagged.
        #[arg(long, allow_hyphen_values = true)]
        a_end_vlan: Option<i32>,
        /// New B-End VLAN: 2-4093, 0 to have one assigned, -1 for untagged.
        #[arg(long, allow_hyphen_values = true)]
        b_end_vlan: Option<i32>,
        /// New contract term in months (A-End owner only; it cannot be shortened).
        #[arg(long)]
        term: Option<u32>,
    },
    /// Cancel a VXC (A-End owner only): at once, or with --later at the end of the term.
    #[command(visible_alias = "rm")]
    Delete {
        /// The VXC's product UID.
        uid: String,
        /// Delete at the end of the billing period instead of at once.
        #[arg(long)]
        later: bool,
        /// Do not ask for confirmation.
        #[arg(short, long)]
        force: bool,
    },
    /// Changes to VXCs that wait for a company's approval.
    Approvals {
        #[command(subcommand)]
        command: ApprovalsCommand,
    },
}

#[derive(Args)]
struct BuyArgs {
    /// The A-End: one of the company's ports or MCRs.
    #[arg(long)]
    a_end_uid: String,
    /// Name, 1 to 64 characters.
    #[arg(long)]
    name: String,
    /// Bandwidth in Mbps.
    #[arg(long)]
    rate_limit: u32,
    /// Contract term in months: 1, 12, 24, 36, 48 or 60.
    #[arg(long)]
    term: u32,
    /// Another company's service key; its product becomes the B-End.
    #[arg(long)]
    service_key: Option<String>,
    /// The B-End (one of the company's products; with --service-key, looked up if omitted).
    #[arg(long, required_unless_present = "service_key")]
    b_end_uid: Option<String>,
    /// A-End VLAN: 2-4093, -1 for untagged (default: one is assigned).
    #[arg(long, allow_hyphen_values = true)]
    a_end_vlan: Option<i32>,
    /// B-End VLAN: 2-4093, -1 for untagged (default: one is assigned).
    #[arg(long, allow_hyphen_values = true)]
    b_end_vlan: Option<i32>,
    /// The MCR A-End's interface address with its mask, e.g. 169.254.0.6/29.
    #[arg(long)]
    interface_ip: Option<Ipv4Net>,
    /// The BGP peer's address, e.g. 169.254.0.1 (needs --interface-ip and --peer-asn).
    #[arg(long, requires_all = ["interface_ip", "peer_asn"])]
    peer_ip: Option<Ipv4Addr>,
    /// The BGP peer's ASN, e.g. 64532.
    #[arg(long, requires = "peer_ip")]
    peer_asn: Option<u32>,
    /// The BGP session's MD5 password.
    #[arg(long, requires = "peer_ip")]
    bgp_password: Option<String>,
}

#[derive(Subcommand)]
enum ApprovalsCommand {
    /// List the order approvals the company asked for or is asked for.
    #[command(visible_alias = "ls")]
    List,
    /// Approve a change another company asked for.
    Approve {
        /// The order approval's UID.
        uid: String,
        /// A comment for the requester.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Reject a change another company asked for.
    Reject {
        /// The order approval's UID.
        uid: String,
        /// A comment for the requester.
        #[arg(long)]
        comment: Option<String>,
    },
}

/// megaport-cli's `vxcOutput` (an unset VLAN is 0, as there).
#[derive(Serialize)]
struct VxcOut {
    uid: String,
    name: String,
    a_end_uid: String,
    b_end_uid: String,
    a_end_vlan: u16,
    b_end_vlan: u16,
    rate_limit: u32,
    status: String,
}

impl From<Vxc> for VxcOut {
    fn from(v: Vxc) -> Self {
        VxcOut {
            uid: v.product_uid,
            name: v.product_name,
            a_end_uid: v.a_end.product_uid,
            b_end_uid: v.b_end.product_uid,
            a_end_vlan: v.a_end.vlan.unwrap_or(0),
            b_end_vlan: v.b_end.vlan.unwrap_or(0),
            rate_limit: v.rate_limit,
            status: v.provisioning_status,
        }
    }
}

const COLUMNS: &[Column<VxcOut>] = &[
    Column::new("UID", |v| v.uid.clone()),
    Column::new("Name", |v| v.name.clone()),
    Column::new("A End UID", |v| v.a_end_uid.clone()),
    Column::new("B End UID", |v| v.b_end_uid.clone()),
    Column::new("A End VLAN", |v| v.a_end_vlan.to_string()),
    Column::new("B End VLAN", |v| v.b_end_vlan.to_string()),
    Column::new("Rate Limit", |v| v.rate_limit.to_string()),
    Column::new("Status", |v| v.status.clone()),
];

#[derive(Serialize)]
struct ApprovalOut {
    uid: String,
    #[serde(rename = "type")]
    kind: String,
    status: String,
    vxc_uid: String,
    detail: String,
    requester_company_uid: String,
    approver_company_uid: String,
    comment: String,
    create_date: String,
}

impl From<OrderApproval> for ApprovalOut {
    fn from(a: OrderApproval) -> Self {
        ApprovalOut {
            uid: a.uid,
            kind: a.kind,
            status: a.status,
            vxc_uid: a.service_id,
            detail: a.detail,
            requester_company_uid: a.requester_company_id,
            approver_company_uid: a.approver_company_id,
            comment: a.comment.unwrap_or_default(),
            create_date: rfc3339(a.create_date),
        }
    }
}

const APPROVAL_COLUMNS: &[Column<ApprovalOut>] = &[
    Column::new("UID", |a| a.uid.clone()),
    Column::new("Type", |a| a.kind.clone()),
    Column::new("Status", |a| a.status.clone()),
    Column::new("VXC UID", |a| a.vxc_uid.clone()),
    Column::new("Detail", |a| a.detail.clone()),
    Column::new("Create Date", |a| a.create_date.clone()),
];

/// megaportgo's `ListVXCs`: VXCs are not top-level in `/v2/products`, so they are collected
/// from each product's `associatedVxcs`, once each (a VXC between two of the company's own
/// products is listed under both).
fn list(ctx: &Ctx) -> Result<Vec<Vxc>> {
    let mut seen = HashSet::new();
    Ok(ctx
        .products()?
        .into_iter()
        .flat_map(|p| p.associated_vxcs)
        .filter(|v| seen.insert(v.product_uid.clone()))
        .collect())
}

/// The A-End's `partnerConfig` from the interface and BGP flags, as megaportgo sends it:
/// one interface with an empty `bfd`, one BGP connection whose local address is the
/// interface's without its mask.
fn partner_config(b: &BuyArgs) -> Option<Value> {
    let ip = b.interface_ip?;
    let mut interface = json!({"ipAddresses": [ip.to_string()], "bfd": {}});
    if let (Some(peer), Some(asn)) = (b.peer_ip, b.peer_asn) {
        let mut bgp = json!({
            "peerAsn": asn,
            "localIpAddress": ip.addr().to_string(),
            "peerIpAddress": peer.to_string(),
            "shutdown": false,
            "bfdEnabled": false,
        });
        if let Some(p) = &b.bgp_password {
            bgp["password"] = json!(p);
        }
        interface["bgpConnections"] = json!([bgp]);
    }
    Some(json!({"interfaces": [interface]}))
}

fn buy(ctx: &Ctx, b: BuyArgs) -> Result<()> {
    // As Terraform does: a service key's product is the B-End, looked up by the key.
    let b_end = match (&b.b_end_uid, &b.service_key) {
        (Some(uid), _) => uid.clone(),
        (None, Some(key)) => {
            let found: ServiceKey =
                ctx.get(&format!("/v2/service/key?key={}", percent_encode(key)))?;
            if found.product_uid.is_empty() {
                anyhow::bail!("service key {key} names no product");
            }
            found.product_uid
        }
        (None, None) => unreachable!("clap requires --b-end-uid or --service-key"),
    };
    let mut a_end = Map::new();
    if let Some(v) = b.a_end_vlan {
        a_end.insert("vlan".into(), json!(v));
    }
    if let Some(pc) = partner_config(&b) {
        a_end.insert("partnerConfig".into(), pc);
    }
    let mut b_end_obj = json!({"productUid": b_end});
    if let Some(v) = b.b_end_vlan {
        b_end_obj["vlan"] = json!(v);
    }
    let mut vxc = json!({
        "productName": b.name,
        "rateLimit": b.rate_limit,
        "term": b.term,
        "shutdown": false,
        "aEnd": a_end,
        "bEnd": b_end_obj,
    });
    if let Some(k) = &b.service_key {
        vxc["serviceKey"] = json!(k);
    }
    let order = json!({"productUid": b.a_end_uid, "associatedVxcs": [vxc]});
    let confirmed: Vec<VxcConfirmation> = ctx.buy(order)?;
    let uid = confirmed
        .first()
        .map(|c| c.vxc_j_technical_service_uid.clone())
        .context("the order was accepted but confirmed no VXC")?;
    done(&format!("VXC created {uid}"));
    ctx.show(COLUMNS, &[ctx.vxc(&uid)?.into()])
}

fn decide(ctx: &Ctx, uid: &str, decision: &str, comment: Option<String>) -> Result<()> {
    let body = match comment {
        Some(c) => json!({"comments": c}),
        None => json!({}),
    };
    let path = format!("/v3/order_approvals/{}/{decision}", percent_encode(uid));
    let a: OrderApproval = ctx.call("POST", &path, Some(&body))?;
    done(&format!("Order approval {uid} {}", a.status.to_lowercase()));
    ctx.show(APPROVAL_COLUMNS, &[a.into()])
}

pub fn run(ctx: &Ctx, args: VxcArgs) -> Result<()> {
    match args.command {
        VxcCommand::List { include_inactive } => {
            let rows: Vec<VxcOut> = list(ctx)?
                .into_iter()
                .filter(|v| include_inactive || !inactive(&v.provisioning_status))
                .map(VxcOut::from)
                .collect();
            ctx.show(COLUMNS, &rows)
        }
        VxcCommand::Get { uid } => ctx.show(COLUMNS, &[ctx.vxc(&uid)?.into()]),
        VxcCommand::Buy(b) => buy(ctx, b),
        VxcCommand::Update {
            uid,
            name,
            rate_limit,
            a_end_vlan,
            b_end_vlan,
            term,
        } => {
            let mut body = Map::new();
            let fields = [
                ("name", name.map(Value::from)),
                ("rateLimit", rate_limit.map(Value::from)),
                ("aEndVlan", a_end_vlan.map(Value::from)),
                ("bEndVlan", b_end_vlan.map(Value::from)),
                ("term", term.map(Value::from)),
            ];
            for (k, v) in fields {
                if let Some(v) = v {
                    body.insert(k.into(), v);
                }
            }
            if body.is_empty() {
                anyhow::bail!(
                    "nothing to update: give --name, --rate-limit, --a-end-vlan, --b-end-vlan or --term"
                );
            }
            let path = format!("/v3/product/vxc/{}", percent_encode(&uid));
            let v: Vxc = ctx.call("PUT", &path, Some(&Value::Object(body)))?;
            done(&format!("VXC updated {uid}"));
            if let Some(m) = &v.vxc_approval.message {
                eprintln!("  {m}");
            }
            ctx.show(COLUMNS, &[v.into()])
        }
        VxcCommand::Delete { uid, later, force } => {
            ctx.vxc(&uid)?;
            confirm_delete("VXC", force)?;
            ctx.action(&uid, if later { "CANCEL" } else { "CANCEL_NOW" })?;
            deleted("VXC", &uid, !later);
            Ok(())
        }
        VxcCommand::Approvals { command } => match command {
            ApprovalsCommand::List => {
                let list: Vec<OrderApproval> = ctx.get("/v3/order_approvals")?;
                let rows: Vec<ApprovalOut> = list.into_iter().map(ApprovalOut::from).collect();
                ctx.show(APPROVAL_COLUMNS, &rows)
            }
            ApprovalsCommand::Approve { uid, comment } => decide(ctx, &uid, "approve", comment),
            ApprovalsCommand::Reject { uid, comment } => decide(ctx, &uid, "reject", comment),
        },
    }
}
