//! HTTP in, domain calls, HTTP out. No rules here: validation lives in the domain and control
//! layers; these functions only parse the request and shape the response.

use crate::error::{ApiError, ApiResult};
use crate::pagination::{base_url, links, page_request};
use crate::server::AppState;
use crate::wire;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use crosslink_control::{NewVpc, PeeringFilter, Principal};
use crosslink_domain::peering::{parse_vpc_ids, VpcPeering};
use crosslink_domain::time::rfc3339;
use crosslink_domain::vpc::{Vpc, VpcUpdate};
use crosslink_domain::{region, DomainError};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use uuid::Uuid;

type Q = Query<HashMap<String, String>>;

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
fn id(raw: &str, kind: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::not_found(kind))
}

/// Parses a JSON body: broken JSON is a 400, well-formed JSON of the wrong shape a 422.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> ApiResult<T> {
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
    if let Some((name, _)) = fields.iter().find(|(_, v)| v.is_null()) {
        return Err(ApiError::unprocessable(format!("{name} must not be null")));
    }
    serde_json::from_value(value)
        .map_err(|e| ApiError::unprocessable(format!("invalid request body: {e}")))
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

// ---- regions ---------------------------------------------------------------------------------

pub async fn list_regions(
    headers: HeaderMap,
    uri: Uri,
    Query(q): Q,
) -> ApiResult<Json<wire::RegionsPage>> {
    let page = page_request(&q)?;
    let all: Vec<wire::Region> = region::REGIONS
        .iter()
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
    let regions = all
        .iter()
        .skip(page.offset() as usize)
        .take(page.per_page as usize)
        .cloned()
        .collect();
    let (links, meta) = links(&base_url(&headers), uri.path(), &q, page, all.len() as u64);
    Ok(Json(wire::RegionsPage {
        regions,
        links,
        meta,
    }))
}

// ---- VPCs ------------------------------------------------------------------------------------

pub async fn list_vpcs(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Q,
) -> ApiResult<Json<wire::VpcsPage>> {
    let page = page_request(&q)?;
    let (vpcs, total) = s.control.list_vpcs(&p.team, page).await?;
    let (links, meta) = links(&base_url(&headers), uri.path(), &q, page, total);
    Ok(Json(wire::VpcsPage {
        vpcs: vpcs.iter().map(vpc_wire).collect(),
        links,
        meta,
    }))
}

pub async fn create_vpc(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    raw: Bytes,
) -> ApiResult<Response> {
    let req: wire::VpcCreateRequest = body(&raw)?;
    let vpc = s
        .control
        .create_vpc(
            &p.team,
            NewVpc {
                name: req.name,
                region: req.region,
                description: req.description,
                ip_range: req.ip_range,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(wire::VpcRoot {
            vpc: vpc_wire(&vpc),
        }),
    )
        .into_response())
}

pub async fn get_vpc(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(vpc_id): Path<String>,
) -> ApiResult<Json<wire::VpcRoot>> {
    let vpc = s.control.get_vpc(&p.team, id(&vpc_id, "vpc")?).await?;
    Ok(Json(wire::VpcRoot {
        vpc: vpc_wire(&vpc),
    }))
}

async fn update_vpc(
    s: AppState,
    p: Principal,
    vpc_id: &str,
    raw: &Bytes,
    put: bool,
) -> ApiResult<Json<wire::VpcRoot>> {
    let vpc_id = id(vpc_id, "vpc")?;
    let req: wire::VpcUpdateRequest = body(raw)?;
    let name = if put {
        Some(required(req.name, "name")?)
    } else {
        req.name
    };
    let update = VpcUpdate {
        name,
        description: req.description,
        default: req.default,
    };
    let vpc = s.control.update_vpc(&p.team, vpc_id, update).await?;
    Ok(Json(wire::VpcRoot {
        vpc: vpc_wire(&vpc),
    }))
}

pub async fn put_vpc(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(vpc_id): Path<String>,
    raw: Bytes,
) -> ApiResult<Json<wire::VpcRoot>> {
    update_vpc(s, p, &vpc_id, &raw, true).await
}

pub async fn patch_vpc(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(vpc_id): Path<String>,
    raw: Bytes,
) -> ApiResult<Json<wire::VpcRoot>> {
    update_vpc(s, p, &vpc_id, &raw, false).await
}

pub async fn delete_vpc(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(vpc_id): Path<String>,
) -> ApiResult<StatusCode> {
    s.control.delete_vpc(&p.team, id(&vpc_id, "vpc")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_members(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(vpc_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Q,
) -> ApiResult<Json<wire::MembersPage>> {
    let page = page_request(&q)?;
    let total = s
        .control
        .list_vpc_members(&p.team, id(&vpc_id, "vpc")?)
        .await?;
    let (links, meta) = links(&base_url(&headers), uri.path(), &q, page, total);
    Ok(Json(wire::MembersPage {
        members: Vec::new(),
        links,
        meta,
    }))
}

// ---- VPC peerings ----------------------------------------------------------------------------

async fn peerings_page(
    s: &AppState,
    p: &Principal,
    filter: PeeringFilter,
    headers: &HeaderMap,
    uri: &Uri,
    q: &HashMap<String, String>,
) -> ApiResult<(Vec<wire::VpcPeering>, wire::Links, wire::Meta)> {
    let page = page_request(q)?;
    let (items, total) = s.control.list_peerings(&p.team, filter, page).await?;
    let (links, meta) = links(&base_url(headers), uri.path(), q, page, total);
    Ok((items.iter().map(peering_wire).collect(), links, meta))
}

pub async fn list_peerings(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Q,
) -> ApiResult<Json<wire::VpcPeeringsPage>> {
    let region = q
        .get("region")
        .map(|r| region::find(&r.to_ascii_lowercase()).map(|r| r.slug.to_owned()))
        .map(|r| {
            r.ok_or_else(|| ApiError::bad_request("region is not a DigitalOcean datacenter slug"))
        })
        .transpose()?;
    let filter = PeeringFilter { vpc: None, region };
    let (vpc_peerings, links, meta) = peerings_page(&s, &p, filter, &headers, &uri, &q).await?;
    Ok(Json(wire::VpcPeeringsPage {
        vpc_peerings,
        links,
        meta,
    }))
}

pub async fn create_peering(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    raw: Bytes,
) -> ApiResult<Response> {
    let req: wire::VpcPeeringCreateRequest = body(&raw)?;
    let vpc_ids = parse_vpc_ids(&req.vpc_ids)?;
    let peering = s
        .control
        .create_peering(&p.team, &req.name, vpc_ids)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(wire::VpcPeeringRoot {
            vpc_peering: peering_wire(&peering),
        }),
    )
        .into_response())
}

pub async fn get_peering(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(peering_id): Path<String>,
) -> ApiResult<Json<wire::VpcPeeringRoot>> {
    let peering = s
        .control
        .get_peering(&p.team, id(&peering_id, "vpc_peering")?)
        .await?;
    Ok(Json(wire::VpcPeeringRoot {
        vpc_peering: peering_wire(&peering),
    }))
}

pub async fn patch_peering(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(peering_id): Path<String>,
    raw: Bytes,
) -> ApiResult<Json<wire::VpcPeeringRoot>> {
    let peering_id = id(&peering_id, "vpc_peering")?;
    let req: wire::VpcPeeringUpdateRequest = body(&raw)?;
    let peering = s
        .control
        .rename_peering(&p.team, peering_id, &req.name, None)
        .await?;
    Ok(Json(wire::VpcPeeringRoot {
        vpc_peering: peering_wire(&peering),
    }))
}

pub async fn delete_peering(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(peering_id): Path<String>,
) -> ApiResult<Response> {
    let peering = s
        .control
        .delete_peering(&p.team, id(&peering_id, "vpc_peering")?)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(wire::VpcPeeringRoot {
            vpc_peering: peering_wire(&peering),
        }),
    )
        .into_response())
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
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(vpc_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Q,
) -> ApiResult<Json<wire::PerVpcPeeringsPage>> {
    let filter = PeeringFilter {
        vpc: Some(id(&vpc_id, "vpc")?),
        region: None,
    };
    let (peerings, links, meta) = peerings_page(&s, &p, filter, &headers, &uri, &q).await?;
    Ok(Json(wire::PerVpcPeeringsPage {
        vpc_peerings: peerings.clone(),
        peerings,
        links,
        meta,
    }))
}

pub async fn create_vpc_peering(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(vpc_id): Path<String>,
    raw: Bytes,
) -> ApiResult<Response> {
    let this = id(&vpc_id, "vpc")?;
    let req: wire::PerVpcPeeringCreateRequest = body(&raw)?;
    s.control.get_vpc(&p.team, this).await?;
    let other = Uuid::parse_str(&req.vpc_id).map_err(|_| {
        DomainError::invalid(format!("vpc_id: '{}' is not a VPC id (UUID)", req.vpc_id))
    })?;
    let peering = s
        .control
        .create_peering(&p.team, &req.name, [this, other])
        .await?;
    Ok((StatusCode::ACCEPTED, Json(per_vpc(&peering))).into_response())
}

pub async fn patch_vpc_peering(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    Path((vpc_id, peering_id)): Path<(String, String)>,
    raw: Bytes,
) -> ApiResult<Json<wire::PerVpcPeeringRoot>> {
    let vpc = id(&vpc_id, "vpc")?;
    let peering_id = id(&peering_id, "vpc_peering")?;
    let req: wire::VpcPeeringUpdateRequest = body(&raw)?;
    let peering = s
        .control
        .rename_peering(&p.team, peering_id, &req.name, Some(vpc))
        .await?;
    Ok(Json(per_vpc(&peering)))
}
