//! HTTP in, domain calls, HTTP out. No rules here: validation lives in the domain and control
//! layers; these functions only parse the request and shape the response.

use crate::error::{ApiError, ApiResult};
use crate::pagination::{links, page_request};
use crate::server::AppState;
use crate::wire;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use crosslink_control::{NewVpc, PageRequest, PeeringFilter, Principal};
use crosslink_domain::peering::{parse_vpc_ids, VpcPeering};
use crosslink_domain::time::rfc3339;
use crosslink_domain::vpc::{Vpc, VpcUpdate};
use crosslink_domain::{region, DomainError, Kind};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use uuid::Uuid;

/// The caller's team and the control layer: what every resource handler needs.
pub struct Ctx {
    pub(crate) control: std::sync::Arc<crosslink_control::Control>,
    pub(crate) team: crosslink_domain::TeamId,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let principal = parts
            .extensions
            .get::<Principal>()
            .ok_or_else(|| ApiError::from(crosslink_control::ControlError::Unauthenticated))?;
        Ok(Ctx {
            control: state.control.clone(),
            team: principal.team.clone(),
        })
    }
}

/// A collection request: its page, and what its `links` are built from.
pub struct Listing {
    page: PageRequest,
    base: std::sync::Arc<str>,
    path: String,
    query: HashMap<String, String>,
}

impl FromRequestParts<AppState> for Listing {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let Query(query) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        Ok(Listing {
            page: page_request(&query)?,
            base: state.public_url.clone(),
            path: parts.uri.path().to_owned(),
            query,
        })
    }
}

impl Listing {
    pub(crate) fn page(&self) -> PageRequest {
        self.page
    }

    pub(crate) fn links(&self, total: u64) -> (wire::Links, wire::Meta) {
        links(&self.base, &self.path, &self.query, self.page, total)
    }
}

fn vpc_wire(v: &Vpc) -> wire::Vpc {
    wire::Vpc {
        id: v.id.to_string(),
        urn: v.urn(),
        name: v.name.clone(),
        description: v.description.clone(),
        region: v.region.clone(),
        ip_range: v.ip_range.to_string(),
        default: v.default,
        created_at: rfc3339(v.created_at),
    }
}

fn peering_wire(p: &VpcPeering) -> wire::VpcPeering {
    wire::VpcPeering {
        id: p.id.to_string(),
        name: p.name.clone(),
        vpc_ids: p.vpc_ids.iter().map(Uuid::to_string).collect(),
        status: p.status.as_str().to_owned(),
        created_at: rfc3339(p.created_at),
    }
}

/// Ids are UUIDs; anything else cannot name a resource, so it is "not found", not a 400.
pub(crate) fn id(raw: &str, kind: Kind) -> ApiResult<Uuid> {
    crosslink_domain::parse_resource_id(raw).ok_or_else(|| ApiError::not_found(kind, raw))
}

/// Parses a JSON body: broken JSON is a 400, well-formed JSON of the wrong shape a 422.
pub(crate) fn body<T: DeserializeOwned>(bytes: &Bytes) -> ApiResult<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "the request body must be a JSON object",
        ));
    }
    // Syntax first: a document that is not JSON at all is a 400 whatever fields it lacks.
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON in request body: {e}")))?;
    let Some(fields) = value.as_object() else {
        return Err(ApiError::bad_request(
            "the request body must be a JSON object",
        ));
    };
    // Unknown fields are ignored whatever their value (clients send junk keys); a null in a
    // field the operation knows is a wrong type.
    let mut unknown = std::collections::HashSet::new();
    let parsed: T = serde_ignored::deserialize(&value, |path| {
        unknown.insert(path.to_string());
    })
    .map_err(|e| ApiError::unprocessable(format!("invalid request body: {e}")))?;
    if let Some((name, _)) = fields
        .iter()
        .find(|(k, v)| v.is_null() && !unknown.contains(k.as_str()))
    {
        return Err(ApiError::unprocessable(format!("{name} must not be null")));
    }
    Ok(parsed)
}

fn required(field: Option<String>, name: &str) -> ApiResult<String> {
    field.ok_or_else(|| ApiError::unprocessable(format!("{name} is required")))
}

pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "The resource you requested could not be found: not found.",
    )
}

pub(crate) fn created<T: serde::Serialize>(status: StatusCode, body: T) -> Response {
    (status, Json(body)).into_response()
}

// ---- account ---------------------------------------------------------------------------------

pub async fn get_account(c: Ctx) -> Json<wire::AccountRoot> {
    let a = crosslink_control::account_of(&c.team);
    Json(wire::AccountRoot {
        account: wire::Account {
            droplet_limit: 25,
            floating_ip_limit: 5,
            email: a.email,
            name: a.team_name.clone(),
            uuid: a.uuid.clone(),
            email_verified: true,
            status: "active".to_owned(),
            status_message: String::new(),
            team: Some(wire::AccountTeam {
                uuid: a.uuid,
                name: a.team_name,
            }),
        },
    })
}

/// What doctl's `auth init` reads to accept a token: only success matters to it, the rest
/// describes the token (an unscoped token reads as full access).
pub async fn get_token_info(
    c: Ctx,
    axum::Extension(principal): axum::Extension<Principal>,
) -> Json<wire::TokenInfo> {
    Json(wire::TokenInfo {
        resource_owner_id: crosslink_control::account_of(&c.team).owner_id,
        scopes: principal
            .scopes
            .unwrap_or_else(|| vec!["read".to_owned(), "write".to_owned()]),
        expires_in_seconds: 30 * 24 * 3600,
        application: wire::TokenApplication::default(),
        created_at: c.control.now() / 1000,
    })
}

// ---- regions ---------------------------------------------------------------------------------

pub async fn list_regions(l: Listing) -> ApiResult<Json<wire::RegionsPage>> {
    let all = region::REGIONS;
    let regions = all
        .iter()
        .skip(usize::try_from(l.page.offset()).unwrap_or(usize::MAX))
        .take(l.page.per_page as usize)
        .map(|r| wire::Region {
            name: r.name.to_owned(),
            slug: r.slug.to_owned(),
            features: region::FEATURES.iter().map(|f| (*f).to_owned()).collect(),
            available: r.available,
            sizes: if r.available {
                region::SIZES.iter().map(|s| (*s).to_owned()).collect()
            } else {
                Vec::new()
            },
        })
        .collect();
    let (links, meta) = l.links(all.len() as u64);
    Ok(Json(wire::RegionsPage {
        regions,
        links,
        meta,
    }))
}

// ---- VPCs ------------------------------------------------------------------------------------

pub async fn list_vpcs(c: Ctx, l: Listing) -> ApiResult<Json<wire::VpcsPage>> {
    let (vpcs, total) = c.control.list_vpcs(&c.team, l.page).await?;
    let (links, meta) = l.links(total);
    Ok(Json(wire::VpcsPage {
        vpcs: vpcs.iter().map(vpc_wire).collect(),
        links,
        meta,
    }))
}

pub async fn create_vpc(c: Ctx, raw: Bytes) -> ApiResult<Response> {
    let req: wire::VpcCreateRequest = body(&raw)?;
    let new = NewVpc {
        name: req.name,
        region: req.region,
        description: req.description,
        ip_range: req.ip_range,
    };
    let vpc = c.control.create_vpc(&c.team, new).await?;
    Ok(created(
        StatusCode::CREATED,
        wire::VpcRoot {
            vpc: vpc_wire(&vpc),
        },
    ))
}

pub async fn get_vpc(c: Ctx, Path(vpc_id): Path<String>) -> ApiResult<Json<wire::VpcRoot>> {
    let vpc = c.control.get_vpc(&c.team, id(&vpc_id, Kind::Vpc)?).await?;
    Ok(Json(wire::VpcRoot {
        vpc: vpc_wire(&vpc),
    }))
}

/// PUT and PATCH share a body; PUT requires `name`.
async fn update_vpc(
    c: Ctx,
    vpc_id: &str,
    raw: &Bytes,
    put: bool,
) -> ApiResult<Json<wire::VpcRoot>> {
    let vpc_id = id(vpc_id, Kind::Vpc)?;
    let req: wire::VpcUpdateRequest = body(raw)?;
    let update = if put {
        VpcUpdate::replacing(required(req.name, "name")?, req.description, req.default)
    } else {
        VpcUpdate {
            name: req.name,
            description: req.description,
            default: req.default,
        }
    };
    let vpc = c.control.update_vpc(&c.team, vpc_id, update).await?;
    Ok(Json(wire::VpcRoot {
        vpc: vpc_wire(&vpc),
    }))
}

pub async fn put_vpc(
    c: Ctx,
    Path(vpc_id): Path<String>,
    raw: Bytes,
) -> ApiResult<Json<wire::VpcRoot>> {
    update_vpc(c, &vpc_id, &raw, true).await
}

pub async fn patch_vpc(
    c: Ctx,
    Path(vpc_id): Path<String>,
    raw: Bytes,
) -> ApiResult<Json<wire::VpcRoot>> {
    update_vpc(c, &vpc_id, &raw, false).await
}

pub async fn delete_vpc(c: Ctx, Path(vpc_id): Path<String>) -> ApiResult<StatusCode> {
    c.control
        .delete_vpc(&c.team, id(&vpc_id, Kind::Vpc)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_members(
    c: Ctx,
    Path(vpc_id): Path<String>,
    l: Listing,
) -> ApiResult<Json<wire::MembersPage>> {
    let total = c
        .control
        .list_vpc_members(&c.team, id(&vpc_id, Kind::Vpc)?)
        .await?;
    let (links, meta) = l.links(total);
    Ok(Json(wire::MembersPage {
        members: Vec::new(),
        links,
        meta,
    }))
}

// ---- VPC peerings ----------------------------------------------------------------------------

async fn peerings_page(
    c: &Ctx,
    filter: PeeringFilter,
    l: &Listing,
) -> ApiResult<(Vec<wire::VpcPeering>, wire::Links, wire::Meta)> {
    let (items, total) = c.control.list_peerings(&c.team, filter, l.page).await?;
    let (links, meta) = l.links(total);
    Ok((items.iter().map(peering_wire).collect(), links, meta))
}

pub async fn list_peerings(c: Ctx, l: Listing) -> ApiResult<Json<wire::VpcPeeringsPage>> {
    let region = l
        .query
        .get("region")
        .map(|r| {
            region::find(&r.to_ascii_lowercase())
                .map(|r| r.slug.to_owned())
                .ok_or_else(|| {
                    ApiError::bad_request("region is not a DigitalOcean datacenter slug")
                })
        })
        .transpose()?;
    let filter = PeeringFilter { vpc: None, region };
    let (vpc_peerings, links, meta) = peerings_page(&c, filter, &l).await?;
    Ok(Json(wire::VpcPeeringsPage {
        vpc_peerings,
        links,
        meta,
    }))
}

fn peering_root(p: &VpcPeering) -> wire::VpcPeeringRoot {
    wire::VpcPeeringRoot {
        vpc_peering: peering_wire(p),
    }
}

pub async fn create_peering(c: Ctx, raw: Bytes) -> ApiResult<Response> {
    let req: wire::VpcPeeringCreateRequest = body(&raw)?;
    let vpc_ids = parse_vpc_ids(&req.vpc_ids)?;
    let peering = c
        .control
        .create_peering(&c.team, &req.name, vpc_ids)
        .await?;
    Ok(created(StatusCode::ACCEPTED, peering_root(&peering)))
}

pub async fn get_peering(
    c: Ctx,
    Path(peering_id): Path<String>,
) -> ApiResult<Json<wire::VpcPeeringRoot>> {
    let peering = c
        .control
        .get_peering(&c.team, id(&peering_id, Kind::VpcPeering)?)
        .await?;
    Ok(Json(peering_root(&peering)))
}

pub async fn patch_peering(
    c: Ctx,
    Path(peering_id): Path<String>,
    raw: Bytes,
) -> ApiResult<Json<wire::VpcPeeringRoot>> {
    let peering_id = id(&peering_id, Kind::VpcPeering)?;
    let req: wire::VpcPeeringUpdateRequest = body(&raw)?;
    let peering = c
        .control
        .rename_peering(&c.team, peering_id, &req.name, None)
        .await?;
    Ok(Json(peering_root(&peering)))
}

pub async fn delete_peering(c: Ctx, Path(peering_id): Path<String>) -> ApiResult<Response> {
    let peering = c
        .control
        .delete_peering(&c.team, id(&peering_id, Kind::VpcPeering)?)
        .await?;
    Ok(created(StatusCode::ACCEPTED, peering_root(&peering)))
}

// ---- per-VPC peering routes (both root keys, see wire::PerVpcPeeringRoot) ---------------------

fn per_vpc(p: &VpcPeering) -> wire::PerVpcPeeringRoot {
    let w = peering_wire(p);
    wire::PerVpcPeeringRoot {
        peering: w.clone(),
        vpc_peering: w,
    }
}

pub async fn list_vpc_peerings(
    c: Ctx,
    Path(vpc_id): Path<String>,
    l: Listing,
) -> ApiResult<Json<wire::PerVpcPeeringsPage>> {
    let filter = PeeringFilter {
        vpc: Some(id(&vpc_id, Kind::Vpc)?),
        region: None,
    };
    let (peerings, links, meta) = peerings_page(&c, filter, &l).await?;
    Ok(Json(wire::PerVpcPeeringsPage {
        vpc_peerings: peerings.clone(),
        peerings,
        links,
        meta,
    }))
}

pub async fn create_vpc_peering(
    c: Ctx,
    Path(vpc_id): Path<String>,
    raw: Bytes,
) -> ApiResult<Response> {
    let this = id(&vpc_id, Kind::Vpc)?;
    let req: wire::PerVpcPeeringCreateRequest = body(&raw)?;
    c.control.get_vpc(&c.team, this).await?;
    let other = crosslink_domain::parse_resource_id(&req.vpc_id).ok_or_else(|| {
        DomainError::invalid(format!("vpc_id: '{}' is not a VPC id (UUID)", req.vpc_id))
    })?;
    let peering = c
        .control
        .create_peering(&c.team, &req.name, [this, other])
        .await?;
    Ok(created(StatusCode::ACCEPTED, per_vpc(&peering)))
}

pub async fn patch_vpc_peering(
    c: Ctx,
    Path((vpc_id, peering_id)): Path<(String, String)>,
    raw: Bytes,
) -> ApiResult<Json<wire::PerVpcPeeringRoot>> {
    let vpc = id(&vpc_id, Kind::Vpc)?;
    let peering_id = id(&peering_id, Kind::VpcPeering)?;
    let req: wire::VpcPeeringUpdateRequest = body(&raw)?;
    let peering = c
        .control
        .rename_peering(&c.team, peering_id, &req.name, Some(vpc))
        .await?;
    Ok(Json(per_vpc(&peering)))
}
