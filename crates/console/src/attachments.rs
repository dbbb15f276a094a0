//! Networking → Multi-cloud Integrations: partner attachments. Create (region, that region's
//! VPCs, a bandwidth plan, BGP settings prefilled and editable, diversity zone, name, and the
//! cost summary), the details page ("Your partner attachment is ready" → Continue → service
//! key and BGP details), the Settings tab, and the connection status, live.

use crate::digitalocean::{team_vpcs, ALL};
use crate::form::{Fields, QueryFields};
use crate::page::{do_message, render, Chrome, FieldErrors, PageError, Section};
use crate::session::Session;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use crosslink_control::{AttachmentUpdate, AttachmentView, BgpRequest, Control, NewAttachment};
use crosslink_domain::digitalocean::attachment::{
    in_metro, AttachmentState, PartnerAttachment, BANDWIDTHS_MBPS, DEFAULT_LOCAL_ASN,
    DEFAULT_LOCAL_ROUTER_IP, DEFAULT_PEER_ASN, DEFAULT_PEER_ROUTER_IP, MAX_VPCS, MONTHLY_USD,
};
use crosslink_domain::digitalocean::diagnosis::summary;
use crosslink_domain::digitalocean::vpc::Vpc;
use crosslink_domain::megaport::port::PARTNER_METROS;
use crosslink_domain::TeamId;
use serde::Deserialize;
use std::sync::Arc;
use uuid::Uuid;

type S = State<Arc<Control>>;

const BASE: &str = "/networking/multi-cloud-integrations";
/// The scope the official spec gives every attachment operation but create and key regeneration.
const READ: &str = "partner_network_connect:read";

pub fn routes() -> Router<Arc<Control>> {
    Router::new()
        .route(BASE, get(list))
        .route(
            "/networking/multi-cloud-integrations/new",
            get(new).post(create),
        )
        .route(
            "/networking/multi-cloud-integrations/new/vpcs",
            get(vpc_choices),
        )
        .route(
            "/networking/multi-cloud-integrations/new/summary",
            get(cost),
        )
        .route("/networking/multi-cloud-integrations/{id}", get(details))
        .route(
            "/networking/multi-cloud-integrations/{id}/status",
            get(status),
        )
        .route(
            "/networking/multi-cloud-integrations/{id}/settings",
            post(save_settings),
        )
        .route(
            "/networking/multi-cloud-integrations/{id}/destroy",
            post(destroy),
        )
}

/// The connection as the details page and the list say it: a word, a colour and the reason.
pub struct Connection {
    pub word: &'static str,
    pub tone: &'static str,
    pub said: String,
}

fn connection(v: &AttachmentView) -> Connection {
    let a = &v.attachment;
    let said = summary(a.state.as_str(), v.diagnosis.as_deref()).unwrap_or_default();
    let (word, tone) = match a.state {
        AttachmentState::Active => ("Established", "ok"),
        AttachmentState::Created => ("Not established", "bad"),
        AttachmentState::Creating => ("Creating", "wait"),
        _ => ("Deleting", "wait"),
    };
    Connection { word, tone, said }
}

fn metro_name(code: &str) -> &'static str {
    PARTNER_METROS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("", |(_, n)| n)
}

fn plan_label(mbps: u32) -> String {
    if mbps >= 1000 && mbps.is_multiple_of(1000) {
        format!("{} Gbps", mbps / 1000)
    } else {
        format!("{mbps} Mbps")
    }
}

fn monthly(mbps: u32) -> Option<u32> {
    MONTHLY_USD
        .iter()
        .find(|(m, _)| *m == mbps)
        .map(|(_, usd)| *usd)
}

pub struct Row {
    pub a: PartnerAttachment,
    pub region: &'static str,
    pub plan: String,
    pub connection: Connection,
}

#[derive(Template)]
#[template(path = "attachments.html")]
struct List {
    chrome: Chrome,
    rows: Vec<Row>,
}

async fn list(State(c): S, s: Session) -> Result<Response, PageError> {
    let team = s.team(BASE, &[READ])?;
    let (views, _) = c
        .list_attachments(&team, ALL)
        .await
        .map_err(PageError::digitalocean)?;
    let rows = views
        .iter()
        .map(|v| Row {
            region: metro_name(&v.attachment.metro),
            plan: plan_label(v.attachment.bandwidth_mbps),
            connection: connection(v),
            a: v.attachment.clone(),
        })
        .collect();
    Ok(render(&List {
        chrome: s.chrome("Multi-cloud Integrations", Section::MultiCloud),
        rows,
    }))
}

/// What the create form holds, as typed (re-shown with errors).
struct Draft {
    region: String,
    vpc_ids: Vec<String>,
    bandwidth: u32,
    auth_key: String,
    peer_asn: String,
    local_router_ip: String,
    peer_router_ip: String,
    redundancy_zone: String,
    name: String,
}

impl Draft {
    fn fresh(region: &str) -> Self {
        let region = if PARTNER_METROS.iter().any(|(c, _)| *c == region) {
            region
        } else {
            "nyc"
        };
        Self {
            region: region.to_owned(),
            vpc_ids: Vec::new(),
            bandwidth: BANDWIDTHS_MBPS[0],
            auth_key: generated_key(),
            peer_asn: DEFAULT_PEER_ASN.to_string(),
            local_router_ip: DEFAULT_LOCAL_ROUTER_IP.into(),
            peer_router_ip: DEFAULT_PEER_ROUTER_IP.into(),
            redundancy_zone: String::new(),
            name: format!("{region}-partner-attachment-{}", &short_id()[..4]),
        }
    }

    fn from(f: &Fields) -> Self {
        Self {
            region: f.get("region").to_owned(),
            vpc_ids: f.all("vpc_ids").map(str::to_owned).collect(),
            bandwidth: f.get("bandwidth").parse().unwrap_or(0),
            auth_key: f.get("auth_key").to_owned(),
            peer_asn: f.get("peer_asn").to_owned(),
            local_router_ip: f.get("local_router_ip").to_owned(),
            peer_router_ip: f.get("peer_router_ip").to_owned(),
            redundancy_zone: f.get("redundancy_zone").to_owned(),
            name: f.get("name").to_owned(),
        }
    }

    /// The BGP block as the API takes it: all four fields.
    fn bgp(&self) -> Result<BgpRequest, (&'static str, String)> {
        let peer_asn = self.peer_asn.trim();
        let asn = peer_asn
            .parse::<u64>()
            .map_err(|_| ("peer_asn", format!("Peer ASN '{peer_asn}' is not a number")))?;
        Ok(BgpRequest {
            local_router_ip: Some(self.local_router_ip.trim().to_owned()),
            peer_router_ip: Some(self.peer_router_ip.trim().to_owned()),
            peer_router_asn: Some(asn),
            auth_key: Some(self.auth_key.clone()),
            local_router_asn: None,
        })
    }
}

impl Draft {
    /// What the form itself can tell before the API sees it: VPC ids that are ids, at least
    /// one of them, and a numeric ASN. `None` when `errors` got something.
    fn checked(&self, errors: &mut FieldErrors) -> Option<(Vec<Uuid>, BgpRequest)> {
        let vpc_ids = vpc_uuids(&self.vpc_ids, errors);
        if self.vpc_ids.is_empty() {
            errors.set("vpc_ids", "Choose at least one VPC network.");
        }
        match self.bgp() {
            Err((field, m)) => {
                errors.set(field, m);
                None
            }
            Ok(bgp) => errors.is_empty().then_some((vpc_ids, bgp)),
        }
    }
}

fn short_id() -> String {
    Uuid::new_v4().simple().to_string()
}

/// A fresh BGP password, as long as DigitalOcean's generated ones.
fn generated_key() -> String {
    format!("0x{}", &short_id()[..24])
}

/// The VPCs a region can attach, each with whether the draft picked it.
pub struct Choice {
    pub vpc: Vpc,
    pub checked: bool,
}

fn choices(vpcs: Vec<Vpc>, region: &str, picked: &[String]) -> Vec<Choice> {
    vpcs.into_iter()
        .filter(|v| in_metro(&v.region, region))
        .map(|v| Choice {
            checked: picked.iter().any(|p| *p == v.id.to_string()),
            vpc: v,
        })
        .collect()
}

pub struct Plan {
    pub mbps: u32,
    pub label: String,
    pub usd: u32,
}

fn plans() -> Vec<Plan> {
    BANDWIDTHS_MBPS
        .iter()
        .map(|&mbps| Plan {
            mbps,
            label: plan_label(mbps),
            usd: monthly(mbps).unwrap_or_default(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "attachment_new.html")]
struct New {
    chrome: Chrome,
    metros: &'static [(&'static str, &'static str)],
    draft: Draft,
    choices: Vec<Choice>,
    plans: Vec<Plan>,
    max_vpcs: usize,
    local_asn: u32,
    cost: Cost,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
struct RegionQuery {
    #[serde(default)]
    region: String,
}

async fn new(State(c): S, s: Session, Query(q): Query<RegionQuery>) -> Result<Response, PageError> {
    let team = s.team(
        &format!("{BASE}/new"),
        &["partner_network_connect:create", "vpc:read"],
    )?;
    let draft = Draft::fresh(&q.region.to_ascii_lowercase());
    create_form(&c, &s, &team, draft, FieldErrors::default()).await
}

/// The create form, fresh or as typed with its errors.
async fn create_form(
    c: &Control,
    s: &Session,
    team: &TeamId,
    draft: Draft,
    errors: FieldErrors,
) -> Result<Response, PageError> {
    let choices = choices(team_vpcs(c, team).await?, &draft.region, &draft.vpc_ids);
    Ok(render(&New {
        chrome: s.chrome("Create Partner Attachment", Section::MultiCloud),
        metros: PARTNER_METROS,
        cost: Cost::of(&draft.region, draft.bandwidth),
        draft,
        choices,
        plans: plans(),
        max_vpcs: MAX_VPCS,
        local_asn: DEFAULT_LOCAL_ASN,
        errors,
    }))
}

#[derive(Template)]
#[template(path = "attachment_vpcs.html")]
struct VpcChoices {
    choices: Vec<Choice>,
    region_name: &'static str,
    max_vpcs: usize,
    error: String,
}

/// The VPC list for the region picked (htmx swaps it in when the region changes).
async fn vpc_choices(
    State(c): S,
    s: Session,
    QueryFields(f): QueryFields,
) -> Result<Response, PageError> {
    let team = s.team(
        &format!("{BASE}/new"),
        &["partner_network_connect:create", "vpc:read"],
    )?;
    let region = f.get("region").to_owned();
    let picked: Vec<String> = f.all("vpc_ids").map(str::to_owned).collect();
    Ok(render(&VpcChoices {
        choices: choices(team_vpcs(&c, &team).await?, &region, &picked),
        region_name: Some(metro_name(&region))
            .filter(|n| !n.is_empty())
            .unwrap_or("that region"),
        max_vpcs: MAX_VPCS,
        error: String::new(),
    }))
}

/// The summary in the corner: the plan, the region and the monthly figure.
pub struct Cost {
    pub plan: String,
    pub region: &'static str,
    pub usd: u32,
}

impl Cost {
    fn of(region: &str, mbps: u32) -> Self {
        Self {
            plan: plan_label(mbps),
            region: metro_name(region),
            usd: monthly(mbps).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "attachment_cost.html")]
struct CostBox {
    cost: Cost,
}

async fn cost(QueryFields(f): QueryFields) -> Response {
    render(&CostBox {
        cost: Cost::of(f.get("region"), f.get("bandwidth").parse().unwrap_or(0)),
    })
}

/// The API's field names → the form's.
const FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("region", "region"),
    ("vpc_ids", "vpc_ids"),
    ("connection_bandwidth_in_mbps", "bandwidth"),
    ("redundancy_zone", "redundancy_zone"),
    ("bgp.auth_key", "auth_key"),
    ("bgp.local_router_ip", "local_router_ip"),
    ("bgp.peer_router_ip", "peer_router_ip"),
    ("bgp.peer_router_asn", "peer_asn"),
    ("bgp", "bgp"),
];

fn vpc_uuids(ids: &[String], errors: &mut FieldErrors) -> Vec<Uuid> {
    ids.iter()
        .filter_map(|id| match id.parse() {
            Ok(u) => Some(u),
            Err(_) => {
                errors.set("vpc_ids", format!("'{id}' is not a VPC id"));
                None
            }
        })
        .collect()
}

async fn create(State(c): S, s: Session, f: Fields) -> Result<Response, PageError> {
    let team = s.team(
        &format!("{BASE}/new"),
        &["partner_network_connect:create", "vpc:read"],
    )?;
    let mut draft = Draft::from(&f);
    // The seed makes the name optional, and the BGP key has a usable default: left empty,
    // both are generated, as the control panel does.
    let fresh = Draft::fresh(&draft.region);
    if draft.name.trim().is_empty() {
        draft.name = fresh.name;
    }
    if draft.auth_key.is_empty() {
        draft.auth_key = fresh.auth_key;
    }
    let mut errors = FieldErrors::default();
    if let Some((vpc_ids, bgp)) = draft.checked(&mut errors) {
        let req = NewAttachment {
            name: draft.name.trim().to_owned(),
            bandwidth_mbps: draft.bandwidth,
            region: draft.region.clone(),
            naas_provider: "MEGAPORT".into(),
            vpc_ids,
            parent: None,
            redundancy_zone: Some(draft.redundancy_zone.clone()).filter(|z| !z.is_empty()),
            bgp: Some(bgp),
        };
        match c.create_attachment(&team, req).await {
            Ok(a) => return Ok(Redirect::to(&format!("{BASE}/{}?created=1", a.id)).into_response()),
            Err(e) => errors.place(e, FIELDS, do_message),
        }
    }
    create_form(&c, &s, &team, draft, errors).await
}

#[derive(Template)]
#[template(path = "attachment.html")]
struct Details {
    chrome: Chrome,
    a: PartnerAttachment,
    region: &'static str,
    plan: String,
    tab: String,
    created: bool,
    setup: bool,
    service_key: String,
    connection: Connection,
    vpcs: Vec<Vpc>,
    /// The Settings tab's form.
    draft: Draft,
    choices: Vec<Choice>,
    max_vpcs: usize,
    errors: FieldErrors,
    saved: bool,
}

#[derive(Deserialize, Default)]
struct DetailsQuery {
    #[serde(default)]
    tab: String,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    setup: Option<String>,
    #[serde(default)]
    saved: Option<String>,
}

impl Draft {
    fn of(a: &PartnerAttachment) -> Self {
        Self {
            region: a.metro.clone(),
            vpc_ids: a.vpc_ids.iter().map(Uuid::to_string).collect(),
            bandwidth: a.bandwidth_mbps,
            auth_key: a.bgp.auth_key.clone(),
            peer_asn: a.bgp.peer_asn.to_string(),
            local_router_ip: a.bgp.local_router_ip.to_string(),
            peer_router_ip: a.bgp.peer_router_ip.to_string(),
            redundancy_zone: a.redundancy_zone.as_str().into(),
            name: a.name.clone(),
        }
    }
}

async fn details_page(
    c: &Control,
    s: &Session,
    id: Uuid,
    q: DetailsQuery,
    form: Option<(Draft, FieldErrors)>,
) -> Result<Response, PageError> {
    let team = s.team(&format!("{BASE}/{id}"), &[READ])?;
    let v = c
        .get_attachment(&team, id)
        .await
        .map_err(PageError::digitalocean)?;
    let all = team_vpcs(c, &team).await?;
    let a = v.attachment.clone();
    let setup = q.setup.is_some();
    // The key is shown only after Continue, as the control panel does.
    let service_key = if setup {
        c.attachment_service_key(&team, id)
            .await
            .ok()
            .filter(|k| k.status.as_str() == "CREATED")
            .map(|k| k.key.to_string())
            .unwrap_or_default()
    } else {
        String::new()
    };
    let (draft, errors) = form.unwrap_or_else(|| (Draft::of(&a), FieldErrors::default()));
    let choices = choices(all.clone(), &a.metro, &draft.vpc_ids);
    let tab = if q.tab == "settings" || !errors.is_empty() {
        "settings".to_owned()
    } else {
        "overview".to_owned()
    };
    Ok(render(&Details {
        chrome: s.chrome(a.name.clone(), Section::MultiCloud),
        region: metro_name(&a.metro),
        plan: plan_label(a.bandwidth_mbps),
        tab,
        created: q.created.is_some(),
        setup,
        service_key,
        connection: connection(&v),
        vpcs: all
            .into_iter()
            .filter(|vpc| a.vpc_ids.contains(&vpc.id))
            .collect(),
        a,
        draft,
        choices,
        max_vpcs: MAX_VPCS,
        errors,
        saved: q.saved.is_some(),
    }))
}

async fn details(
    State(c): S,
    s: Session,
    Path(id): Path<Uuid>,
    Query(q): Query<DetailsQuery>,
) -> Result<Response, PageError> {
    details_page(&c, &s, id, q, None).await
}

#[derive(Template)]
#[template(path = "attachment_status.html")]
struct Status {
    id: Uuid,
    state: &'static str,
    connection: Connection,
}

/// The status box alone, which the details page polls.
async fn status(State(c): S, s: Session, Path(id): Path<Uuid>) -> Result<Response, PageError> {
    let team = s.team(&format!("{BASE}/{id}"), &[READ])?;
    let v = c
        .get_attachment(&team, id)
        .await
        .map_err(PageError::digitalocean)?;
    Ok(render(&Status {
        id,
        state: v.attachment.state.as_str(),
        connection: connection(&v),
    }))
}

async fn save_settings(
    State(c): S,
    s: Session,
    Path(id): Path<Uuid>,
    f: Fields,
) -> Result<Response, PageError> {
    let team = s.team(&format!("{BASE}/{id}"), &[READ])?;
    let current = c
        .get_attachment(&team, id)
        .await
        .map_err(PageError::digitalocean)?
        .attachment;
    let mut draft = Draft::from(&f);
    draft.region = current.metro.clone();
    draft.bandwidth = current.bandwidth_mbps;
    let mut errors = FieldErrors::default();
    if let Some((vpc_ids, bgp)) = draft.checked(&mut errors) {
        let update = AttachmentUpdate {
            name: Some(draft.name.trim().to_owned()),
            vpc_ids: Some(vpc_ids),
            bgp: Some(bgp),
        };
        match c.update_attachment(&team, id, update).await {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("{BASE}/{id}?tab=settings&saved=1")).into_response()
                )
            }
            Err(e) => errors.place(e, FIELDS, do_message),
        }
    }
    let q = DetailsQuery {
        tab: "settings".into(),
        ..DetailsQuery::default()
    };
    details_page(&c, &s, id, q, Some((draft, errors))).await
}

async fn destroy(State(c): S, s: Session, Path(id): Path<Uuid>) -> Result<Response, PageError> {
    let team = s.team(&format!("{BASE}/{id}"), &[READ])?;
    match c.delete_attachment(&team, id).await {
        Ok(_) => Ok(Redirect::to(BASE).into_response()),
        Err(e) => {
            let q = DetailsQuery {
                tab: "settings".into(),
                ..DetailsQuery::default()
            };
            let mut errors = FieldErrors::default();
            errors.set("", do_message(e));
            let a = c
                .get_attachment(&team, id)
                .await
                .map_err(PageError::digitalocean)?;
            details_page(&c, &s, id, q, Some((Draft::of(&a.attachment), errors))).await
        }
    }
}
