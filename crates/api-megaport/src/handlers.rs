//! HTTP to control calls and back, in Megaport's words.

use crate::body::{self, Obj};
use crate::error::ApiError;
use crate::middleware::Caller;
use crate::parse;
use crate::render;
use crate::server::AppState;
use crate::wire::{self, Envelope, TERMS};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use base64::Engine;
use crosslink_control::megaport::{
    AnyProduct, ApprovalDecision, Cancel, KeyUpdate, LinePrice, NewServiceKey, ProductChange,
    ProductRef,
};
use crosslink_domain::megaport::location::LOCATIONS;
use crosslink_domain::megaport::product::ProductType;
use crosslink_domain::megaport::service_key::KeyRequest;
use crosslink_domain::megaport::vxc::{parse_vlan, VxcUpdate};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;

type Result<T> = std::result::Result<T, ApiError>;

pub(crate) fn ok<T: Serialize>(message: impl Into<String>, data: T) -> Response {
    Json(Envelope {
        message: message.into(),
        terms: TERMS.to_owned(),
        data,
    })
    .into_response()
}

// ---- auth ----------------------------------------------------------------------------------

/// `POST /oauth2/token`: client credentials in Basic auth (megaportgo) or the form body;
/// `grant_type` in the query (megaportgo) or the body.
pub async fn token(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: HashMap<String, String> = url_form(&body);
    let grant = q.get("grant_type").or_else(|| form.get("grant_type"));
    if grant.map(String::as_str) != Some("client_credentials") {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, b)| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(a, b)| (a.to_owned(), b.to_owned())));
    let creds = basic.or_else(|| {
        Some((
            form.get("client_id")?.clone(),
            form.get("client_secret")?.clone(),
        ))
    });
    let Some((ak, sk)) = creds else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    };
    match s.control.megaport_token(&ak, &sk).await {
        Ok(t) => Json(wire::TokenResponse {
            access_token: t.token,
            token_type: "Bearer".into(),
            expires_in: t.expires_in,
        })
        .into_response(),
        Err(_) => oauth_error(StatusCode::UNAUTHORIZED, "invalid_client"),
    }
}

/// OAuth's own error shape, `{error}` (megaportgo reads it), in a non-2xx response.
fn oauth_error(status: StatusCode, error: &str) -> Response {
    let mut res = ApiError::new(status, format!("Authentication failed: {error}")).into_response();
    *res.body_mut() = axum::body::Body::from(
        json!({"error": error, "message": format!("Authentication failed: {error}"), "terms": TERMS, "data": error}).to_string(),
    );
    res
}

fn url_form(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            let d = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (d(k), d(v))
        })
        .collect()
}

/// Legacy `POST /v2/login?username=&password=` (or a form body): a session for
/// `X-Auth-Token`.
pub async fn login(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response> {
    let form = url_form(&body);
    let get = |k: &str| {
        q.get(k)
            .or_else(|| form.get(k))
            .cloned()
            .unwrap_or_default()
    };
    let session = s
        .control
        .megaport_login(&get("username"), &get("password"))
        .await?;
    Ok(ok(
        "Login successful",
        wire::LoginData {
            token: session.token.clone(),
            session: session.token,
            company_uid: session.company.uid.0,
            company_name: session.company.name,
        },
    ))
}

pub async fn logout() -> Response {
    ok("Logout successful", Value::Null)
}

// ---- catalogue -------------------------------------------------------------------------------

pub async fn locations_v3() -> Response {
    ok(
        "List all public locations",
        LOCATIONS
            .iter()
            .map(render::location_v3)
            .collect::<Vec<_>>(),
    )
}

pub async fn locations_v2(Query(q): Query<HashMap<String, String>>) -> Response {
    let metro = q.get("metro").map(|m| m.to_ascii_lowercase());
    let list: Vec<_> = LOCATIONS
        .iter()
        .filter(|l| {
            metro
                .as_ref()
                .is_none_or(|m| l.metro.to_ascii_lowercase() == *m)
        })
        .map(render::location_v2)
        .collect();
    ok("List all public locations", list)
}

pub async fn network_regions() -> Response {
    let mut countries: Vec<(String, String, usize)> = Vec::new();
    for l in LOCATIONS {
        match countries.iter_mut().find(|c| c.0 == l.market) {
            Some(c) => c.2 += 1,
            None => countries.push((l.market.into(), l.country.into(), 1)),
        }
    }
    ok(
        "Network regions",
        json!([{"networkRegion": "MP1", "countries": countries.iter().map(|(code, name, n)| json!({"code": code, "name": name, "prefix": code, "siteCount": n})).collect::<Vec<_>>()}]),
    )
}

pub async fn partner_ports(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response> {
    let ports = s.control.partner_ports().await?;
    let connect = q.get("connectType").map(|c| c.to_ascii_uppercase());
    let list: Vec<_> = ports
        .iter()
        .map(|(p, name)| render::partner_port(p, name))
        .filter(|p| connect.as_ref().is_none_or(|c| &p.connect_type == c))
        .collect();
    Ok(ok("All Partner Megaports", list))
}

// ---- orders ----------------------------------------------------------------------------------

fn confirmation(l: &LinePrice) -> Value {
    if l.product_type == "VXC" {
        serde_json::to_value(wire::VxcConfirmation {
            vxc_j_technical_service_uid: l.uid.to_string(),
            vxc_order_id: l.product_id,
            technical_service_uid: l.uid.to_string(),
            product_name: l.name.clone(),
            rate_limit: l.speed,
            speed: l.speed,
            payer_status: "APPROVED".into(),
            non_payer_status: "APPROVED".into(),
            fully_approved: true,
            distance_band: "METRO".into(),
            vxc: json!({"technicalServiceUid": l.uid.to_string(), "provisioningStatus": "DEPLOYABLE"}),
        })
    } else {
        serde_json::to_value(wire::ProductConfirmation {
            technical_service_uid: l.uid.to_string(),
            technical_service_id: l.product_id,
            product_name: l.name.clone(),
            product_type: l.product_type.into(),
            provisioning_status: "DEPLOYABLE".into(),
            location_id: l.location_id,
            speed: l.speed,
            term: l.term,
        })
    }
    .unwrap_or(Value::Null)
}

pub async fn validate(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> Result<Response> {
    let lines = parse::order_lines(&body::parse(&body)?)?;
    let priced = s.control.validate_order(&c.0, lines).await?;
    let data: Vec<_> = priced
        .iter()
        .map(|l| wire::ValidatedLine {
            product_type: l.product_type.into(),
            product_name: l.name.clone(),
            speed: l.speed,
            term: l.term,
            price: wire::Price {
                currency: "USD".into(),
                monthly_rate: l.monthly_rate,
                monthly_rack_rate: l.monthly_rate,
                hourly_rate: (l.monthly_rate / 730.0 * 10_000.0).round() / 10_000.0,
            },
        })
        .collect();
    Ok(ok("Validation passed", data))
}

pub async fn buy(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> Result<Response> {
    let lines = parse::order_lines(&body::parse(&body)?)?;
    let bought = s.control.buy(&c.0, lines).await?;
    Ok(ok(
        "Order placed",
        bought.iter().map(confirmation).collect::<Vec<_>>(),
    ))
}

// ---- products --------------------------------------------------------------------------------

pub async fn list_products(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
) -> Result<Response> {
    let list = s.control.list_products(&c.0).await?;
    Ok(ok(
        "Found products",
        list.iter().map(render::product).collect::<Vec<_>>(),
    ))
}

async fn any_product(s: &AppState, c: &Caller, uid: &str) -> Result<Response> {
    let uid = parse::uid("productUid", uid).map_err(|_| {
        ApiError::from(crosslink_domain::DomainError::not_found(
            crosslink_domain::Kind::Port,
            uid,
        ))
    })?;
    Ok(match s.control.get_product(&c.0, uid).await? {
        AnyProduct::Product(p) => ok(format!("Found Product {uid}"), render::product(&p)),
        AnyProduct::Vxc(v) => ok(format!("Found Product {uid}"), render::vxc(&v)),
    })
}

pub async fn get_product(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(a): Path<String>,
) -> Result<Response> {
    any_product(&s, &c, &a).await
}

pub async fn get_typed(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path((_, b)): Path<(String, String)>,
) -> Result<Response> {
    any_product(&s, &c, &b).await
}

fn product_change(o: Obj<'_>) -> Result<ProductChange> {
    let vnics = match o.get("vnics") {
        None => None,
        Some(_) => Some(
            o.arr("vnics")?
                .iter()
                .map(|v| {
                    Obj::of(v, "vnics").and_then(|n| Ok(n.str("description")?.unwrap_or_default()))
                })
                .collect::<Result<Vec<_>>>()?,
        ),
    };
    Ok(ProductChange {
        name: o.str("name")?.or(o.str("productName")?),
        cost_centre: o.str("costCentre")?,
        marketplace_visibility: o.bool("marketplaceVisibility")?,
        term: o.int("term")?.or(o.int("contractTermMonths")?),
        asn: o.int("asn")?.or(o.int("mcrAsn")?),
        speed: o.int("rateLimit")?.or(o.int("portSpeed")?),
        vnics,
    })
}

fn end_uid(o: Obj<'_>, field: &str) -> Result<Option<uuid::Uuid>> {
    o.str(field)?
        .filter(|s| !s.is_empty())
        .map(|s| parse::uid(field, &s))
        .transpose()
}

fn vxc_update(o: Obj<'_>) -> Result<(VxcUpdate, Option<bool>)> {
    let a_config = o.obj("aEndConfig")?.map(parse::vrouter).transpose()?;
    let b_config = o.obj("bEndConfig")?.map(parse::vrouter).transpose()?;
    let rate = o
        .int("rateLimit")?
        .map(|r| {
            u32::try_from(r).map_err(|_| {
                ApiError::bad_request(format!("Validation failed rateLimit {r} is out of range"))
            })
        })
        .transpose()?;
    let term = o
        .int("term")?
        .map(|t| {
            u32::try_from(t).map_err(|_| {
                ApiError::bad_request(format!("Validation failed term {t} is not valid"))
            })
        })
        .transpose()?;
    let vlan = |k: &'static str| -> Result<_> {
        Ok(o.int(k)?.map(|v| parse_vlan(k, Some(v))).transpose()?)
    };
    Ok((
        VxcUpdate {
            name: o.str("name")?.or(o.str("productName")?),
            rate_limit: rate,
            term,
            cost_centre: o.str("costCentre")?,
            shutdown: o.bool("shutdown")?,
            a_vlan: vlan("aEndVlan")?,
            b_vlan: vlan("bEndVlan")?,
            a_config,
            b_config,
            a_end_product: end_uid(o, "aEndProductUid")?,
            b_end_product: end_uid(o, "bEndProductUid")?,
        },
        o.bool("isApproved")?,
    ))
}

async fn update_vxc(s: &AppState, c: &Caller, uid: &str, body: &[u8]) -> Result<Response> {
    let uid = parse::uid("productUid", uid)?;
    let v = body::parse(body)?;
    let (u, approved) = vxc_update(Obj::of(&v, "body")?)?;
    let view = s.control.update_vxc(&c.0, uid, u, approved).await?;
    Ok(ok(
        format!("VXC [{uid}] has been updated"),
        render::vxc(&view),
    ))
}

/// `PUT /v2/product/{megaport|mcr2|mve|vxc}/{uid}`.
pub async fn put_typed(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path((a, b)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    if a.eq_ignore_ascii_case("vxc") {
        return update_vxc(&s, &c, &b, &body).await;
    }
    if ProductType::parse(&a).is_none() {
        return Err(ApiError::not_found());
    }
    put_product_inner(&s, &c, &b, &body).await
}

/// Legacy `PUT /v2/product/{uid}` (a port or MCR, or a VXC).
pub async fn put_product(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(a): Path<String>,
    body: Bytes,
) -> Result<Response> {
    put_product_inner(&s, &c, &a, &body).await
}

async fn put_product_inner(s: &AppState, c: &Caller, uid: &str, body: &[u8]) -> Result<Response> {
    let id = parse::uid("productUid", uid)?;
    if matches!(s.control.get_product(&c.0, id).await?, AnyProduct::Vxc(_)) {
        return update_vxc(s, c, uid, body).await;
    }
    let v = body::parse(body)?;
    let change = product_change(Obj::of(&v, "body")?)?;
    let p = s.control.update_product(&c.0, id, change).await?;
    Ok(ok(
        format!("Product [{id}] has been updated"),
        render::product(&p),
    ))
}

pub async fn put_vxc_v3(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(b): Path<String>,
    body: Bytes,
) -> Result<Response> {
    update_vxc(&s, &c, &b, &body).await
}

pub async fn action(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path((a, b)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response> {
    let uid = parse::uid("productUid", &a)?;
    let act = match b.to_ascii_uppercase().as_str() {
        "CANCEL" => Cancel::Later,
        "CANCEL_NOW" => Cancel::Now,
        "UN_CANCEL" => Cancel::Undo,
        other => {
            return Err(ApiError::bad_request(format!(
            "Validation failed action '{other}' is not valid: use CANCEL, CANCEL_NOW or UN_CANCEL"
        )))
        }
    };
    let safe = q.get("safeDelete").is_some_and(|v| v == "true");
    s.control.cancel(&c.0, uid, act, safe).await?;
    Ok(ok(
        format!(
            "Action [{} Service {uid}] has been done.",
            b.to_ascii_uppercase()
        ),
        Value::Null,
    ))
}

pub async fn lock(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(a): Path<String>,
    method: axum::http::Method,
) -> Result<Response> {
    let uid = parse::uid("productUid", &a)?;
    let locked = method == axum::http::Method::POST;
    s.control.set_locked(&c.0, uid, locked).await?;
    Ok(ok(
        format!(
            "Service {uid} {}",
            if locked { "locked" } else { "unlocked" }
        ),
        Value::Null,
    ))
}

pub async fn vlan_available(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(b): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response> {
    let uid = parse::uid("productUid", &b)?;
    let vlan: i64 = q
        .get("vlan")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ApiError::bad_request("Validation failed vlan is required"))?;
    let free = s.control.vlan_free(&c.0, uid, vlan).await?;
    Ok(ok(
        format!("VLAN {vlan} on {uid}"),
        if free { vec![vlan] } else { vec![] },
    ))
}

fn tag_list(tags: &std::collections::BTreeMap<String, String>) -> Value {
    json!({"resourceTags": tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>()})
}

pub async fn get_tags(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(a): Path<String>,
) -> Result<Response> {
    let uid = parse::uid("productUid", &a)?;
    let tags = s.control.tags(&c.0, uid).await?;
    Ok(ok("Resource tags", tag_list(&tags)))
}

pub async fn put_tags(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(a): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let uid = parse::uid("productUid", &a)?;
    let v = body::parse(&body)?;
    let o = Obj::of(&v, "body")?;
    if o.get("resourceTags").is_none() {
        return Err(ApiError::bad_request(
            "Validation failed resourceTags is required (an empty list removes every tag)",
        ));
    }
    let tags = parse::tags(o)?;
    s.control.set_tags(&c.0, uid, tags.clone()).await?;
    Ok(ok("Resource tags updated", tag_list(&tags)))
}

// ---- looking glass ----------------------------------------------------------------------------

/// `sessionId`: the VXC and the neighbour, so it survives restarts and names one session.
fn session_id(vxc: uuid::Uuid, neighbor: std::net::Ipv4Addr) -> String {
    format!("{vxc}_{neighbor}")
}

fn route_json(r: &crosslink_control::Route) -> Value {
    json!({
        "prefix": r.prefix.to_string(),
        "nextHop": r.next_hop.map(|n| n.to_string()),
        "asPath": r.as_path,
        "localPref": r.local_pref,
        "med": r.med,
        "origin": format!("{:?}", r.origin).to_uppercase(),
        "communities": r.communities.iter().map(|c| format!("{}:{}", c >> 16, c & 0xffff)).collect::<Vec<_>>(),
        "valid": true,
        "best": r.best,
    })
}

pub async fn lg_sessions(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(b): Path<String>,
) -> Result<Response> {
    let mcr = parse::uid("productUid", &b)?;
    let sessions = s.control.mcr_sessions(&c.0, mcr).await?;
    let data: Vec<Value> = sessions
        .iter()
        .map(|v| {
            let up = v.status.state == crosslink_control::BgpState::Established;
            json!({
                "sessionId": session_id(v.vxc, v.neighbor),
                "neighborAddress": v.neighbor.to_string(),
                "neighborAsn": v.status.remote_asn,
                "localAsn": v.local_asn,
                "localAddress": v.local.to_string(),
                "status": if up { "UP" } else { "DOWN" },
                "state": format!("{:?}", v.status.state),
                "uptime": v.status.uptime.map(|u| u.as_secs()),
                "prefixesIn": v.status.prefixes_accepted,
                "prefixesOut": v.status.prefixes_advertised,
                "vxcId": v.vxc_id,
                "vxcUid": v.vxc.to_string(),
                "vxcName": v.vxc_name,
                "description": v.status.last_error,
            })
        })
        .collect();
    Ok(ok("BGP sessions", data))
}

pub async fn lg_session_routes(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path((b, session, dir)): Path<(String, String, String)>,
) -> Result<Response> {
    let mcr = parse::uid("productUid", &b)?;
    let vxc = session
        .split_once('_')
        .and_then(|(v, _)| uuid::Uuid::try_parse(v).ok())
        .ok_or_else(ApiError::not_found)?;
    let advertised = match dir.as_str() {
        "advertised" => true,
        "received" => false,
        _ => return Err(ApiError::not_found()),
    };
    let routes = s
        .control
        .mcr_session_routes(&c.0, mcr, vxc, advertised)
        .await?;
    Ok(ok(
        format!("BGP routes {dir}"),
        routes.iter().map(route_json).collect::<Vec<_>>(),
    ))
}

pub async fn lg_routes(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(b): Path<String>,
) -> Result<Response> {
    let mcr = parse::uid("productUid", &b)?;
    let routes = s.control.mcr_routes(&c.0, mcr).await?;
    let data: Vec<Value> = routes
        .iter()
        .map(|r| {
            let mut v = route_json(r);
            v["protocol"] = json!("BGP");
            v["interface"] = json!(r.from_peer.map(|p| p.to_string()));
            v
        })
        .collect();
    Ok(ok("IP routes", data))
}

// ---- service keys ----------------------------------------------------------------------------

fn key_request(o: Obj<'_>) -> Result<KeyRequest> {
    let valid = o.obj("validFor")?;
    let vlan = o.int("vlan")?.filter(|v| *v != 0);
    let vlan = vlan
        .map(|v| match parse_vlan("vlan", Some(v))? {
            crosslink_domain::megaport::vxc::VlanRequest::Tagged(v) => Ok(v),
            _ => Err(ApiError::bad_request(
                "Validation failed a service key's vlan must be 2 to 4093",
            )),
        })
        .transpose()?;
    let config = match o.obj("bEndConfig")?.or(o.obj("mcrConfig")?) {
        Some(c) => Some(parse::vrouter(c.obj("partnerConfig")?.unwrap_or(c))?),
        None => None,
    };
    Ok(KeyRequest {
        description: o.str("description")?.unwrap_or_default(),
        max_speed: o
            .int("maxSpeed")?
            .map(|m| u32::try_from(m).unwrap_or(0))
            .ok_or_else(|| ApiError::bad_request("Validation failed maxSpeed is required"))?,
        single_use: o.bool("singleUse")?.unwrap_or(false),
        active: o.bool("active")?.unwrap_or(false),
        pre_approved: o.bool("preApproved")?.unwrap_or(false),
        vlan,
        valid_from: valid.map(|v| v.time("start")).transpose()?.flatten(),
        valid_until: valid.map(|v| v.time("end")).transpose()?.flatten(),
        config,
    })
}

fn product_ref(o: Obj<'_>) -> Result<ProductRef> {
    match (
        o.str("productUid")?.filter(|s| !s.is_empty()),
        o.int("productId")?.filter(|i| *i != 0),
    ) {
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            "Validation failed give productUid or productId, not both",
        )),
        (Some(u), None) => Ok(ProductRef::Uid(parse::uid("productUid", &u)?)),
        (None, Some(i)) => Ok(ProductRef::Id(i)),
        (None, None) => Err(ApiError::bad_request(
            "Validation failed productUid or productId is required",
        )),
    }
}

pub async fn create_key(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> Result<Response> {
    let v = body::parse(&body)?;
    let o = Obj::of(&v, "body")?;
    let req = NewServiceKey {
        product: product_ref(o)?,
        request: key_request(o)?,
    };
    let k = s.control.create_service_key(&c.0, req).await?;
    Ok(ok(
        format!("New service key [{}] generated", k.key.key),
        render::service_key(&k),
    ))
}

pub async fn get_keys(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response> {
    if let Some(k) = q.get("key") {
        let found = s.control.lookup_service_key(&c.0, k).await?;
        return Ok(ok(
            format!("Service key [{}]", found.key.key),
            render::service_key(&found),
        ));
    }
    let product = match q
        .get("productIdOrUid")
        .or(q.get("productUid"))
        .or(q.get("productId"))
    {
        Some(p) => Some(ProductRef::parse(p).ok_or_else(|| {
            ApiError::bad_request(format!(
                "Validation failed productIdOrUid '{p}' is not a product id or UID"
            ))
        })?),
        None => None,
    };
    let keys = s.control.list_service_keys(&c.0, product).await?;
    Ok(ok(
        "Service keys",
        keys.iter().map(render::service_key).collect::<Vec<_>>(),
    ))
}

pub async fn validate_key(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response> {
    let k = q.get("key").cloned().unwrap_or_default();
    let valid = match s.control.lookup_service_key(&c.0, &k).await {
        Ok(found) => found.key.valid(found.now),
        Err(_) => false,
    };
    Ok(ok("Service key validation", valid))
}

pub async fn update_key(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> Result<Response> {
    let v = body::parse(&body)?;
    let o = Obj::of(&v, "body")?;
    let key = o
        .str("key")?
        .ok_or_else(|| ApiError::bad_request("Validation failed key is required"))?;
    let valid = o.obj("validFor")?;
    let u = KeyUpdate {
        active: o.bool("active")?,
        single_use: o.bool("singleUse")?,
        valid_from: valid.map(|v| v.time("start")).transpose()?.flatten(),
        valid_until: match valid {
            Some(v) if v.get("end").is_some() => Some(v.time("end")?),
            _ => None,
        },
    };
    let k = s.control.update_service_key(&c.0, &key, u).await?;
    Ok(ok(
        format!("Service key [{}] updated", k.key.key),
        render::service_key(&k),
    ))
}

// ---- partnerships ----------------------------------------------------------------------------

pub async fn list_approvals(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response> {
    let status = q.get("status").map(|v| v.to_ascii_uppercase());
    let services: Vec<&str> = q
        .get("serviceIds")
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let number = |k: &str, d: usize| q.get(k).and_then(|v| v.parse::<usize>().ok()).unwrap_or(d);
    let (page, size) = (
        number("pageNumber", 1).max(1),
        number("pageSize", 100).clamp(1, 1000),
    );
    let list: Vec<_> = s
        .control
        .list_approvals(&c.0)
        .await?
        .into_iter()
        .filter(|a| status.as_deref().is_none_or(|st| a.status.as_str() == st))
        .filter(|a| services.is_empty() || services.contains(&a.vxc.to_string().as_str()))
        .collect();
    let total = list.len();
    let shown: Vec<_> = list
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(render::approval)
        .collect();
    let mut res = ok("Order approvals", shown);
    let h = res.headers_mut();
    h.insert("pagination-total-count", total.into());
    h.insert("pagination-page", page.into());
    h.insert("pagination-limit", size.into());
    h.insert("pagination-total-page", total.div_ceil(size).max(1).into());
    Ok(res)
}

pub async fn decide(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path((a, b)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let uid = parse::uid("uid", &a)?;
    let d = match b.as_str() {
        "approve" => ApprovalDecision::Approve,
        "reject" => ApprovalDecision::Reject,
        "withdraw" => ApprovalDecision::Withdraw,
        _ => return Err(ApiError::not_found()),
    };
    let v = body::parse(&body)?;
    let comment = Obj::of(&v, "body")?.str("comments")?;
    let a = s.control.decide_approval(&c.0, uid, d, comment).await?;
    Ok(ok(
        format!("Order approval {uid} {}", a.status.as_str().to_lowercase()),
        render::approval(&a),
    ))
}

pub async fn notifications(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
) -> Result<Response> {
    let list = s.control.list_notifications(&c.0).await?;
    Ok(ok(
        "Notifications",
        list.iter().map(render::notification).collect::<Vec<_>>(),
    ))
}

pub async fn not_found() -> ApiError {
    ApiError::not_found()
}
