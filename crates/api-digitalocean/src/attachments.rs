//! `/v2/partner_network_connect/attachments`: HTTP in, control calls, DigitalOcean's shapes
//! out. Create, PATCH and DELETE answer 202; the service key regeneration answers 202 with
//! `{}` (godo fails on an empty body).

use crate::error::{ApiError, ApiResult};
use crate::handlers::{body, created, id, Ctx, Listing};
use crate::wire;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use crosslink_control::{AttachmentUpdate, AttachmentView, BgpRequest, NewAttachment};
use crosslink_domain::time::rfc3339;
use crosslink_domain::Kind;
use uuid::Uuid;

fn attachment_wire(v: &AttachmentView) -> wire::PartnerAttachment {
    let a = &v.attachment;
    wire::PartnerAttachment {
        id: a.id.to_string(),
        name: a.name.clone(),
        state: a.state.as_str().to_owned(),
        connection_bandwidth_in_mbps: a.bandwidth_mbps,
        region: a.metro.to_uppercase(),
        naas_provider: a.naas_provider.clone(),
        vpc_ids: a.vpc_ids.iter().map(Uuid::to_string).collect(),
        bgp: wire::AttachmentBgp {
            local_asn: a.bgp.local_asn,
            local_router_ip: a.bgp.local_router_ip.to_string(),
            peer_asn: a.bgp.peer_asn,
            peer_router_ip: a.bgp.peer_router_ip.to_string(),
        },
        created_at: rfc3339(a.created_at),
        redundancy_zone: a.redundancy_zone.as_str().to_owned(),
        parent_uuid: a.parent.map(|p| p.to_string()),
        children: v.children.iter().map(Uuid::to_string).collect(),
        bgp_diagnosis: v.diagnosis.clone(),
    }
}

fn root(v: &AttachmentView) -> wire::PartnerAttachmentRoot {
    wire::PartnerAttachmentRoot {
        partner_attachment: attachment_wire(v),
    }
}

/// VPC ids in a body: a string that is not an id is a bad value (422), not a missing VPC.
fn vpc_ids(raw: &[String]) -> ApiResult<Vec<Uuid>> {
    raw.iter()
        .map(|s| {
            crosslink_domain::parse_resource_id(s)
                .ok_or_else(|| ApiError::unprocessable(format!("vpc_ids: '{s}' is not a VPC id")))
        })
        .collect()
}

fn bgp_request(b: wire::AttachmentBgpRequest) -> BgpRequest {
    BgpRequest {
        local_router_ip: b.local_router_ip,
        peer_router_ip: b.peer_router_ip,
        peer_router_asn: b.peer_router_asn.map(u64::from),
        auth_key: b.auth_key,
        local_router_asn: b.local_router_asn.map(u64::from),
    }
}

/// The spec does not mark these request bodies required, so an absent body is an empty
/// object: a create then lacks its fields (422), a PATCH changes nothing.
fn optional_body<T: serde::de::DeserializeOwned>(raw: &Bytes) -> ApiResult<T> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        body(&Bytes::from_static(b"{}"))
    } else {
        body(raw)
    }
}

fn attachment_id(raw: &str) -> ApiResult<Uuid> {
    id(raw, Kind::PartnerAttachment)
}

pub async fn list(c: Ctx, l: Listing) -> ApiResult<Json<wire::PartnerAttachmentsPage>> {
    let (items, total) = c.control.list_attachments(&c.team, l.page()).await?;
    let (links, meta) = l.links(total);
    Ok(Json(wire::PartnerAttachmentsPage {
        partner_attachments: items.iter().map(attachment_wire).collect(),
        links,
        meta,
    }))
}

pub async fn create(c: Ctx, raw: Bytes) -> ApiResult<Response> {
    let req: wire::PartnerAttachmentCreateRequest = optional_body(&raw)?;
    let parent = match req.parent_uuid.as_deref().filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Some(crosslink_domain::parse_resource_id(p).ok_or_else(|| {
            ApiError::unprocessable(format!("parent_uuid: '{p}' is not a partner attachment id"))
        })?),
    };
    let a = c
        .control
        .create_attachment(
            &c.team,
            NewAttachment {
                name: req.name,
                // Out of range is simply not one of the plans.
                bandwidth_mbps: u32::try_from(req.connection_bandwidth_in_mbps).unwrap_or(0),
                region: req.region,
                naas_provider: req.naas_provider,
                vpc_ids: vpc_ids(&req.vpc_ids)?,
                parent,
                redundancy_zone: req.redundancy_zone,
                bgp: req.bgp.map(bgp_request),
            },
        )
        .await?;
    let view = AttachmentView {
        attachment: a,
        children: Vec::new(),
        diagnosis: None,
    };
    Ok(created(StatusCode::ACCEPTED, root(&view)))
}

pub async fn get(
    c: Ctx,
    Path(pa_id): Path<String>,
) -> ApiResult<Json<wire::PartnerAttachmentRoot>> {
    let v = c
        .control
        .get_attachment(&c.team, attachment_id(&pa_id)?)
        .await?;
    Ok(Json(root(&v)))
}

pub async fn patch(c: Ctx, Path(pa_id): Path<String>, raw: Bytes) -> ApiResult<Response> {
    let id = attachment_id(&pa_id)?;
    let req: wire::PartnerAttachmentUpdateRequest = optional_body(&raw)?;
    let update = AttachmentUpdate {
        name: req.name,
        vpc_ids: req.vpc_ids.as_deref().map(vpc_ids).transpose()?,
        bgp: req.bgp.map(bgp_request),
    };
    let v = c.control.update_attachment(&c.team, id, update).await?;
    Ok(created(StatusCode::ACCEPTED, root(&v)))
}

pub async fn delete(c: Ctx, Path(pa_id): Path<String>) -> ApiResult<Response> {
    let v = c
        .control
        .delete_attachment(&c.team, attachment_id(&pa_id)?)
        .await?;
    Ok(created(StatusCode::ACCEPTED, root(&v)))
}

pub async fn bgp_auth_key(
    c: Ctx,
    Path(pa_id): Path<String>,
) -> ApiResult<Json<wire::BgpAuthKeyRoot>> {
    let v = c
        .control
        .get_attachment(&c.team, attachment_id(&pa_id)?)
        .await?;
    Ok(Json(wire::BgpAuthKeyRoot {
        bgp_auth_key: wire::BgpAuthKey {
            value: v.attachment.bgp.auth_key,
        },
    }))
}

/// What the attachment learned over BGP; the fabric fills it, until then it is empty.
pub async fn remote_routes(
    c: Ctx,
    Path(pa_id): Path<String>,
    l: Listing,
) -> ApiResult<Json<wire::RemoteRoutesPage>> {
    let routes = c
        .control
        .remote_routes(&c.team, attachment_id(&pa_id)?)
        .await?;
    let page = l.page();
    let (links, meta) = l.links(routes.len() as u64);
    Ok(Json(wire::RemoteRoutesPage {
        remote_routes: routes
            .iter()
            .skip(page.offset() as usize)
            .take(page.per_page as usize)
            .map(|r| wire::RemoteRoute {
                cidr: r.prefix.to_string(),
            })
            .collect(),
        links,
        meta,
    }))
}

pub async fn service_key(
    c: Ctx,
    Path(pa_id): Path<String>,
) -> ApiResult<Json<wire::ServiceKeyRoot>> {
    let k = c
        .control
        .attachment_service_key(&c.team, attachment_id(&pa_id)?)
        .await?;
    let issued = k.status == crosslink_domain::megaport::service_key::KeyStatus::Created;
    Ok(Json(wire::ServiceKeyRoot {
        service_key: wire::ServiceKey {
            // Not usable (nor shown) until the reconciler has issued it.
            value: if issued {
                k.key.to_string()
            } else {
                String::new()
            },
            state: k.status.as_str().to_owned(),
            created_at: rfc3339(k.created_at),
        },
    }))
}

pub async fn regenerate_service_key(c: Ctx, Path(pa_id): Path<String>) -> ApiResult<Response> {
    c.control
        .regenerate_service_key(&c.team, attachment_id(&pa_id)?)
        .await?;
    Ok(created(StatusCode::ACCEPTED, serde_json::json!({})))
}
