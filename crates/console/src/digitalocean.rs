//! Networking → VPC: the VPC networks with their Connections, create and destroy, a VPC's
//! page with its Peering Connections tab, and Create VPC Peering.

use crate::form::Fields;
use crate::page::{do_message, render, Chrome, FieldErrors, PageError, Section};
use crate::session::Session;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use crosslink_control::{Control, NewVpc, PageRequest, PeeringFilter};
use crosslink_domain::digitalocean::peering::{PeeringStatus, VpcPeering};
use crosslink_domain::digitalocean::region::REGIONS;
use crosslink_domain::digitalocean::vpc::Vpc;
use crosslink_domain::TeamId;
use serde::Deserialize;
use std::sync::Arc;
use uuid::Uuid;

type S = State<Arc<Control>>;

/// Everything a console list shows in one page (the API's own maximum).
pub const ALL: PageRequest = PageRequest {
    page: 1,
    per_page: 200,
};

pub fn routes() -> Router<Arc<Control>> {
    Router::new()
        .route("/networking/vpc", get(vpcs))
        .route("/networking/vpc/new", get(new_vpc).post(create_vpc))
        .route("/networking/vpc/{id}", get(vpc))
        .route("/networking/vpc/{id}/destroy", post(destroy_vpc))
        .route(
            "/networking/vpc/peerings/new",
            get(new_peering).post(create_peering),
        )
        .route(
            "/networking/vpc/peerings/{id}/destroy",
            post(destroy_peering),
        )
        .merge(crate::attachments::routes())
}

pub async fn team_vpcs(c: &Control, team: &TeamId) -> Result<Vec<Vpc>, PageError> {
    Ok(c.list_vpcs(team, ALL)
        .await
        .map_err(PageError::digitalocean)?
        .0)
}

/// The team's peerings (of one VPC); none shown to a token that may not read them.
async fn team_peerings(
    c: &Control,
    s: &Session,
    team: &TeamId,
    vpc: Option<Uuid>,
) -> Result<Vec<VpcPeering>, PageError> {
    if !s.may("vpc_peering:read") {
        return Ok(Vec::new());
    }
    let filter = PeeringFilter { vpc, region: None };
    Ok(c.list_peerings(team, filter, ALL)
        .await
        .map_err(PageError::digitalocean)?
        .0)
}

/// A peering as a row: its name, status and the VPC at the other end (by name).
pub struct PeeringRow {
    pub id: Uuid,
    pub name: String,
    pub status: &'static str,
    pub active: bool,
    pub other: String,
}

fn rows(peerings: &[VpcPeering], vpcs: &[Vpc], from: Option<Uuid>) -> Vec<PeeringRow> {
    let name = |id: &Uuid| {
        vpcs.iter()
            .find(|v| v.id == *id)
            .map_or_else(|| id.to_string(), |v| v.name.clone())
    };
    peerings
        .iter()
        .filter(|p| p.status != PeeringStatus::Deleting)
        .map(|p| PeeringRow {
            id: p.id,
            name: p.name.clone(),
            status: p.status.as_str(),
            active: p.status == PeeringStatus::Active,
            other: p
                .vpc_ids
                .iter()
                .find(|id| Some(**id) != from)
                .map(name)
                .unwrap_or_default(),
        })
        .collect()
}

pub struct VpcRow {
    pub vpc: Vpc,
    pub connections: Vec<PeeringRow>,
}

#[derive(Template)]
#[template(path = "vpcs.html")]
struct VpcList {
    chrome: Chrome,
    rows: Vec<VpcRow>,
    /// A fixed sentence chosen by code: a URL never puts its own words on the page.
    notice: &'static str,
}

#[derive(Deserialize, Default)]
struct Notice {
    #[serde(default)]
    notice: String,
}

async fn vpcs(State(c): S, s: Session, Query(n): Query<Notice>) -> Result<Response, PageError> {
    let team = s.team("/networking/vpc", &["vpc:read"])?;
    let vpcs = team_vpcs(&c, &team).await?;
    let peerings = team_peerings(&c, &s, &team, None).await?;
    let rows = vpcs
        .iter()
        .map(|v| VpcRow {
            vpc: v.clone(),
            connections: rows(
                &peerings
                    .iter()
                    .filter(|p| p.vpc_ids.contains(&v.id))
                    .cloned()
                    .collect::<Vec<_>>(),
                &vpcs,
                Some(v.id),
            ),
        })
        .collect();
    Ok(render(&VpcList {
        chrome: s.chrome("VPC networks", Section::Vpc),
        rows,
        notice: match n.notice.as_str() {
            "destroyed" => "VPC network destroyed.",
            _ => "",
        },
    }))
}

#[derive(Template)]
#[template(path = "vpc_new.html")]
struct VpcNew {
    chrome: Chrome,
    regions: Vec<(&'static str, &'static str)>,
    region: String,
    name: String,
    description: String,
    ip_range: String,
    errors: FieldErrors,
}

fn available_regions() -> Vec<(&'static str, &'static str)> {
    REGIONS
        .iter()
        .filter(|r| r.available)
        .map(|r| (r.slug, r.name))
        .collect()
}

async fn new_vpc(s: Session) -> Result<Response, PageError> {
    s.team("/networking/vpc/new", &["vpc:create"])?;
    Ok(render(&VpcNew {
        chrome: s.chrome("Create VPC network", Section::Vpc),
        regions: available_regions(),
        region: "nyc3".into(),
        name: String::new(),
        description: String::new(),
        ip_range: String::new(),
        errors: FieldErrors::default(),
    }))
}

async fn create_vpc(State(c): S, s: Session, f: Fields) -> Result<Response, PageError> {
    let team = s.team("/networking/vpc/new", &["vpc:create"])?;
    let req = NewVpc {
        name: f.get("name").trim().to_owned(),
        region: f.get("region").to_owned(),
        description: f.opt("description"),
        ip_range: f.opt("ip_range"),
    };
    match c.create_vpc(&team, req).await {
        Ok(v) => Ok(Redirect::to(&format!("/networking/vpc/{}", v.id)).into_response()),
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.place(
                e,
                &[
                    ("name", "name"),
                    ("region", "region"),
                    ("ip_range", "ip_range"),
                    ("description", "description"),
                ],
                do_message,
            );
            Ok(render(&VpcNew {
                chrome: s.chrome("Create VPC network", Section::Vpc),
                regions: available_regions(),
                region: f.get("region").to_owned(),
                name: f.get("name").to_owned(),
                description: f.get("description").to_owned(),
                ip_range: f.get("ip_range").to_owned(),
                errors,
            }))
        }
    }
}

#[derive(Template)]
#[template(path = "vpc.html")]
struct VpcPage {
    chrome: Chrome,
    vpc: Vpc,
    tab: String,
    peerings: Vec<PeeringRow>,
    created: String,
    error: String,
}

#[derive(Deserialize, Default)]
struct VpcQuery {
    #[serde(default)]
    tab: String,
}

async fn vpc(
    State(c): S,
    s: Session,
    Path(id): Path<Uuid>,
    Query(q): Query<VpcQuery>,
) -> Result<Response, PageError> {
    vpc_page(&c, &s, id, &q.tab, String::new()).await
}

async fn vpc_page(
    c: &Control,
    s: &Session,
    id: Uuid,
    tab: &str,
    error: String,
) -> Result<Response, PageError> {
    let team = s.team(&format!("/networking/vpc/{id}"), &["vpc:read"])?;
    let vpc = c
        .get_vpc(&team, id)
        .await
        .map_err(PageError::digitalocean)?;
    let vpcs = team_vpcs(c, &team).await?;
    let peerings = rows(
        &team_peerings(c, s, &team, Some(id)).await?,
        &vpcs,
        Some(id),
    );
    Ok(render(&VpcPage {
        chrome: s.chrome(vpc.name.clone(), Section::Vpc),
        created: crosslink_domain::time::rfc3339(vpc.created_at),
        vpc,
        tab: if tab == "peerings" {
            tab.to_owned()
        } else {
            "overview".into()
        },
        peerings,
        error,
    }))
}

async fn destroy_vpc(State(c): S, s: Session, Path(id): Path<Uuid>) -> Result<Response, PageError> {
    let team = s.team("/networking/vpc", &["vpc:delete"])?;
    match c.delete_vpc(&team, id).await {
        Ok(()) => Ok(Redirect::to("/networking/vpc?notice=destroyed").into_response()),
        Err(e) => vpc_page(&c, &s, id, "overview", do_message(e)).await,
    }
}

#[derive(Template)]
#[template(path = "peering_new.html")]
struct PeeringNew {
    chrome: Chrome,
    vpcs: Vec<Vpc>,
    first: String,
    second: String,
    name: String,
    back: String,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
struct PeeringQuery {
    vpc: Option<Uuid>,
}

/// DigitalOcean offers a generated name; ours is random and valid.
fn generated_name() -> String {
    let id = Uuid::new_v4().simple().to_string();
    format!("vpc-peering-{}", &id[..8])
}

async fn new_peering(
    State(c): S,
    s: Session,
    Query(q): Query<PeeringQuery>,
) -> Result<Response, PageError> {
    let team = s.team(
        "/networking/vpc/peerings/new",
        &["vpc_peering:create", "vpc:read"],
    )?;
    let vpcs = team_vpcs(&c, &team).await?;
    let first = q
        .vpc
        .and_then(|id| vpcs.iter().find(|v| v.id == id))
        .map(|v| v.name.clone())
        .unwrap_or_default();
    Ok(render(&PeeringNew {
        chrome: s.chrome("Create VPC Peering", Section::Vpc),
        back: q.vpc.map_or_else(
            || "/networking/vpc".into(),
            |id| format!("/networking/vpc/{id}?tab=peerings"),
        ),
        vpcs,
        first,
        second: String::new(),
        name: generated_name(),
        errors: FieldErrors::default(),
    }))
}

/// A picked VPC: typed by name (the picker shows names) or pasted as an id.
fn pick(vpcs: &[Vpc], typed: &str) -> Option<Uuid> {
    let typed = typed.trim();
    vpcs.iter()
        .find(|v| v.name == typed || v.id.to_string() == typed)
        .map(|v| v.id)
}

async fn create_peering(State(c): S, s: Session, f: Fields) -> Result<Response, PageError> {
    let team = s.team(
        "/networking/vpc/peerings/new",
        &["vpc_peering:create", "vpc:read"],
    )?;
    let vpcs = team_vpcs(&c, &team).await?;
    let mut errors = FieldErrors::default();
    let first = pick(&vpcs, f.get("first"));
    let second = pick(&vpcs, f.get("second"));
    for (field, picked) in [("first", first), ("second", second)] {
        if picked.is_none() {
            let typed = f.get(field).trim();
            errors.set(
                field,
                if typed.is_empty() {
                    "Select a VPC network.".to_owned()
                } else {
                    format!("No VPC network named {typed} in this team.")
                },
            );
        }
    }
    let back = safe_back(f.get("back"));
    if let (Some(a), Some(b)) = (first, second) {
        match c.create_peering(&team, f.get("name").trim(), [a, b]).await {
            Ok(_) => return Ok(Redirect::to(&back).into_response()),
            Err(e) => errors.place(e, &[("name", "name"), ("vpc_ids", "second")], do_message),
        }
    }
    Ok(render(&PeeringNew {
        chrome: s.chrome("Create VPC Peering", Section::Vpc),
        vpcs,
        first: f.get("first").to_owned(),
        second: f.get("second").to_owned(),
        name: f.get("name").to_owned(),
        back,
        errors,
    }))
}

fn safe_back(back: &str) -> String {
    let back = crate::session::safe_next(back);
    if back.starts_with("/networking/") {
        back
    } else {
        "/networking/vpc".to_owned()
    }
}

async fn destroy_peering(
    State(c): S,
    s: Session,
    Path(id): Path<Uuid>,
    f: Fields,
) -> Result<Response, PageError> {
    let team = s.team("/networking/vpc", &["vpc_peering:delete"])?;
    c.delete_peering(&team, id)
        .await
        .map_err(PageError::digitalocean)?;
    Ok(Redirect::to(&safe_back(f.get("back"))).into_response())
}
