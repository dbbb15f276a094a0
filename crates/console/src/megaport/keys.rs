//! Service Keys of a port, MCR or MVE: the list (copy a key), Create Service Key with what
//! the product type takes (a port's VLAN, an MVE's preferred VLAN, an MCR's B-End
//! configuration), and Edit → Update Service Key. The seed: keys are never removed, only
//! deactivated. Keys travel in forms and pages only, never in a URL: rows go by the key's id.

use super::connect::Bgp;
use super::{place_api, speed_label};
use crate::form::Fields;
use crate::page::{mp_message, render, Chrome, FieldErrors, PageError, Section};
use crate::session::Session;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use crosslink_control::megaport::{AnyProduct, KeyLookup, KeyUpdate, NewServiceKey, ProductRef};
use crosslink_control::Control;
use crosslink_domain::megaport::company::CompanyUid;
use crosslink_domain::megaport::product::{Product, ProductType};
use crosslink_domain::megaport::service_key::KeyRequest;
use crosslink_domain::megaport::vxc::{parse_vlan, VlanRequest};
use crosslink_domain::time::{rfc3339, Millis};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

type S = State<Arc<Control>>;

const DAY_MS: Millis = 86_400_000;

pub fn routes() -> Router<Arc<Control>> {
    Router::new()
        .route("/megaport/product/{uid}/service-keys", get(list))
        .route(
            "/megaport/product/{uid}/service-keys/new",
            get(new).post(create),
        )
        .route(
            "/megaport/product/{uid}/service-keys/{id}/edit",
            get(edit).post(update),
        )
}

fn base(uid: Uuid) -> String {
    format!("/megaport/product/{uid}/service-keys")
}

async fn product(c: &Control, company: &CompanyUid, uid: Uuid) -> Result<Product, PageError> {
    match c
        .get_product(company, uid)
        .await
        .map_err(PageError::megaport)?
    {
        AnyProduct::Product(p) => Ok(p.product),
        AnyProduct::Vxc(_) => Err(PageError::BadRequest(
            "Service keys belong to a port, MCR or MVE, not a VXC".into(),
        )),
    }
}

/// A key as a row of the list.
pub struct KeyRow {
    pub id: Uuid,
    pub key: String,
    pub label: String,
    pub single_use: bool,
    pub rate: u32,
    pub detail: String,
    pub valid_until: String,
    pub active: bool,
    pub used: bool,
}

fn row(k: &KeyLookup) -> KeyRow {
    let key = &k.key;
    let detail = match (&key.vlan, &key.config) {
        (Some(v), _) => format!("VLAN {v}"),
        (None, Some(cfg)) => cfg
            .interfaces
            .iter()
            .map(|i| {
                let ips: Vec<String> = i.ip_addresses.iter().map(ToString::to_string).collect();
                format!("{} · {} BGP", ips.join(", "), i.bgp_connections.len())
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => String::new(),
    };
    KeyRow {
        id: key.id,
        key: key.key.to_string(),
        label: key.description.clone(),
        single_use: key.single_use,
        rate: key.max_speed,
        detail,
        valid_until: key
            .valid_until
            .map_or_else(|| "No expiry".to_owned(), rfc3339),
        active: key.active,
        used: key.used_at.is_some(),
    }
}

#[derive(Template)]
#[template(path = "mp_keys.html")]
struct List {
    chrome: Chrome,
    uid: Uuid,
    product: String,
    rows: Vec<KeyRow>,
}

async fn list(State(c): S, s: Session, Path(uid): Path<Uuid>) -> Result<Response, PageError> {
    let company = s.company(&base(uid))?;
    let p = product(&c, &company, uid).await?;
    let keys = c
        .list_service_keys(&company, Some(ProductRef::Uid(uid)))
        .await
        .map_err(PageError::megaport)?;
    Ok(render(&List {
        chrome: s.chrome(format!("Service Keys · {}", p.spec.name), Section::Services),
        uid,
        product: p.spec.name,
        rows: keys.iter().map(row).collect(),
    }))
}

/// The create form as typed.
#[derive(Default)]
pub struct KeyDraft {
    pub label: String,
    pub single_use: bool,
    pub rate: String,
    pub vlan: String,
    pub interface_ip: String,
    pub valid_days: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "mp_key_new.html")]
struct New {
    chrome: Chrome,
    uid: Uuid,
    product: String,
    kind: &'static str,
    speed: String,
    k: KeyDraft,
    /// The MCR B-End's optional BGP connection (`mp_bgp_fields.html`).
    n: Bgp,
    local_ips: Vec<String>,
    errors: FieldErrors,
}

fn kind(p: &Product) -> &'static str {
    match p.product_type {
        ProductType::Port => "port",
        ProductType::Mve => "mve",
        ProductType::Mcr => "mcr",
    }
}

fn new_page(s: &Session, p: Product, k: KeyDraft, n: Bgp, errors: FieldErrors) -> Response {
    render(&New {
        chrome: s.chrome("Create Service Key", Section::Services),
        uid: p.uid,
        kind: kind(&p),
        speed: speed_label(p.spec.speed_mbps),
        product: p.spec.name,
        k,
        n,
        local_ips: Vec::new(),
        errors,
    })
}

async fn new(State(c): S, s: Session, Path(uid): Path<Uuid>) -> Result<Response, PageError> {
    let company = s.company(&base(uid))?;
    let p = product(&c, &company, uid).await?;
    let k = KeyDraft {
        single_use: true,
        valid_days: "30".into(),
        active: true,
        ..KeyDraft::default()
    };
    Ok(new_page(&s, p, k, Bgp::default(), FieldErrors::default()))
}

/// The API's field names → the key form's.
const KEY_FIELDS: &[(&str, &str)] = &[
    ("maxSpeed", "rate"),
    ("description", "label"),
    ("singleUse", "single_use"),
    ("vlan", "vlan"),
    ("validFor", "valid_days"),
    ("localIpAddress", "new_local"),
    ("peerIpAddress", "new_peer"),
    ("peerAsn", "new_asn"),
    ("password", "new_password"),
    ("bEndConfig", "interface_ip"),
    ("partnerConfig", "interface_ip"),
    ("ipAddresses", "interface_ip"),
];

fn whole(field: &str, s: &str) -> Result<Option<i64>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| format!("Validation failed {field} must be a whole number"))
}

/// Validity in days from now, as `validFor.end`.
fn until(c: &Control, days: &str) -> Result<Option<Millis>, String> {
    match whole("validFor", days)? {
        None => Ok(None),
        Some(d) if (1..=3650).contains(&d) => Ok(Some(c.now() + d * DAY_MS)),
        Some(d) => Err(format!(
            "Validation failed validFor.end must be after validFor.start ({d} days)"
        )),
    }
}

/// The form as the API's `POST /v2/service/key` body would say it.
fn request(
    c: &Control,
    p: &Product,
    k: &KeyDraft,
    n: &Bgp,
) -> Result<KeyRequest, (&'static str, String)> {
    let max_speed = whole("maxSpeed", &k.rate)
        .map_err(|m| ("rate", m))?
        .ok_or(("rate", "Validation failed maxSpeed is required".to_owned()))?;
    let vlan = match whole("vlan", &k.vlan).map_err(|m| ("vlan", m))? {
        None | Some(0) => None,
        Some(v) => match parse_vlan("vlan", Some(v)) {
            Ok(VlanRequest::Tagged(v)) => Some(v),
            _ => {
                return Err((
                    "vlan",
                    "Validation failed a service key's vlan must be 2 to 4093".into(),
                ))
            }
        },
    };
    let config = if p.product_type == ProductType::Mcr && !k.interface_ip.trim().is_empty() {
        let bgps = if n.peer.trim().is_empty() {
            Vec::new()
        } else {
            vec![json!({
                "peerAsn": n.asn.trim(),
                "localIpAddress": n.local.trim(),
                "peerIpAddress": n.peer.trim(),
                "password": n.password,
            })]
        };
        let v = json!({"interfaces": [{"ipAddresses": [k.interface_ip.trim()], "bgpConnections": bgps}]});
        Some(
            crosslink_api_megaport::console::partner_config(&v).map_err(|e| {
                let mut errors = FieldErrors::default();
                place_api(&mut errors, e, KEY_FIELDS);
                let field = KEY_FIELDS
                    .iter()
                    .map(|(_, f)| *f)
                    .find(|f| !errors.get(f).is_empty())
                    .unwrap_or("interface_ip");
                (field, errors.get(field).to_owned())
            })?,
        )
    } else {
        None
    };
    Ok(KeyRequest {
        description: k.label.trim().to_owned(),
        max_speed: u32::try_from(max_speed).unwrap_or(0),
        single_use: k.single_use,
        active: k.active,
        pre_approved: false,
        vlan,
        valid_from: None,
        valid_until: until(c, &k.valid_days).map_err(|m| ("valid_days", m))?,
        config,
    })
}

async fn create(
    State(c): S,
    s: Session,
    Path(uid): Path<Uuid>,
    f: Fields,
) -> Result<Response, PageError> {
    let company = s.company(&base(uid))?;
    let p = product(&c, &company, uid).await?;
    let k = KeyDraft {
        label: f.get("label").to_owned(),
        single_use: f.get("single_use") != "multi",
        rate: f.get("rate").to_owned(),
        vlan: f.get("vlan").to_owned(),
        interface_ip: f.get("interface_ip").to_owned(),
        valid_days: f.get("valid_days").to_owned(),
        active: f.has("active"),
    };
    let n = Bgp {
        local: f.get("new_local").to_owned(),
        peer: f.get("new_peer").to_owned(),
        asn: f.get("new_asn").to_owned(),
        password: f.get("new_password").to_owned(),
    };
    let mut errors = FieldErrors::default();
    match request(&c, &p, &k, &n) {
        Err((field, m)) => errors.set(field, m),
        Ok(request) => {
            let req = NewServiceKey {
                product: ProductRef::Uid(uid),
                request,
            };
            match c.create_service_key(&company, req).await {
                Ok(_) => return Ok(Redirect::to(&base(uid)).into_response()),
                Err(e) => errors.place(e, KEY_FIELDS, mp_message),
            }
        }
    }
    Ok(new_page(&s, p, k, n, errors))
}

#[derive(Template)]
#[template(path = "mp_key_edit.html")]
struct Edit {
    chrome: Chrome,
    uid: Uuid,
    r: KeyRow,
    single_use: bool,
    active: bool,
    valid_days: String,
    errors: FieldErrors,
}

async fn find(
    c: &Control,
    company: &CompanyUid,
    uid: Uuid,
    id: Uuid,
) -> Result<KeyLookup, PageError> {
    c.list_service_keys(company, Some(ProductRef::Uid(uid)))
        .await
        .map_err(PageError::megaport)?
        .into_iter()
        .find(|k| k.key.id == id)
        .ok_or_else(|| PageError::BadRequest("No such service key on this service".into()))
}

async fn edit(
    State(c): S,
    s: Session,
    Path((uid, id)): Path<(Uuid, Uuid)>,
) -> Result<Response, PageError> {
    let company = s.company(&base(uid))?;
    let k = find(&c, &company, uid, id).await?;
    Ok(render(&Edit {
        chrome: s.chrome("Edit Service Key", Section::Services),
        uid,
        single_use: k.key.single_use,
        active: k.key.active,
        valid_days: String::new(),
        r: row(&k),
        errors: FieldErrors::default(),
    }))
}

/// What may change after creation: active, single/multi-use and validity (`PUT
/// /v2/service/key`); clearing Active deactivates the key.
async fn update(
    State(c): S,
    s: Session,
    Path((uid, id)): Path<(Uuid, Uuid)>,
    f: Fields,
) -> Result<Response, PageError> {
    let company = s.company(&base(uid))?;
    let k = find(&c, &company, uid, id).await?;
    let single_use = f.get("single_use") != "multi";
    let active = f.has("active");
    let mut errors = FieldErrors::default();
    match until(&c, f.get("valid_days")) {
        Err(m) => errors.set("valid_days", m),
        Ok(end) => {
            let u = KeyUpdate {
                active: Some(active),
                single_use: Some(single_use),
                valid_from: None,
                valid_until: end.map(Some),
            };
            match c
                .update_service_key(&company, &k.key.key.to_string(), u)
                .await
            {
                Ok(_) => return Ok(Redirect::to(&base(uid)).into_response()),
                Err(e) => errors.place(e, KEY_FIELDS, mp_message),
            }
        }
    }
    Ok(render(&Edit {
        chrome: s.chrome("Edit Service Key", Section::Services),
        uid,
        single_use,
        active,
        valid_days: f.get("valid_days").to_owned(),
        r: row(&k),
        errors,
    }))
}
