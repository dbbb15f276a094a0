//! The Megaport portal's pages: Services, Create MCR and Create Port, + Connection, a VXC's
//! details and the looking glass, and Service Keys.
//!
//! Orders are built as the JSON megaportgo sends and read by the API's own parser
//! (`crosslink_api_megaport::console`), so a form keeps the API's rules and error words.

mod connect;
mod keys;
mod vxc;

use crate::form::Fields;
use crate::page::{mp_message, render, Chrome, FieldErrors, PageError, Section};
use crate::session::Session;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use crosslink_api_megaport::ApiError;
use crosslink_control::megaport::{LinePrice, ProductView, VxcView};
use crosslink_control::Control;
use crosslink_domain::megaport::location::{self, LOCATIONS, MCR_SPEEDS, PORT_SPEEDS};
use crosslink_domain::megaport::product::{ProductType, ProvisioningStatus, DEFAULT_MCR_ASN};
use crosslink_domain::megaport::vxc::Side;
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

type S = State<Arc<Control>>;

const SERVICES: &str = "/megaport/services";

pub fn routes() -> Router<Arc<Control>> {
    Router::new()
        .route(SERVICES, get(services))
        .route("/megaport/create-mcr", get(new_mcr).post(create_mcr))
        .route("/megaport/create-port", get(new_port).post(create_port))
        .merge(connect::routes())
        .merge(vxc::routes())
        .merge(keys::routes())
}

/// The terms the portal offers, "No Minimum Term" being a one-month term.
pub const TERMS: &[(u32, &str)] = &[
    (1, "No Minimum Term"),
    (12, "12 Months"),
    (24, "24 Months"),
    (36, "36 Months"),
];

/// A status as a dot colour: green when LIVE.
pub fn tone(status: ProvisioningStatus) -> &'static str {
    match status {
        ProvisioningStatus::Live => "ok",
        ProvisioningStatus::Cancelled | ProvisioningStatus::Decommissioned => "bad",
        _ => "wait",
    }
}

pub fn location_name(id: u32) -> String {
    location::by_id(id).map_or_else(
        || format!("location {id}"),
        |l| format!("{} ({})", l.name, l.metro),
    )
}

/// `2.5 Gbps`, `500 Mbps`.
pub fn speed_label(mbps: u32) -> String {
    match mbps {
        m if m >= 1000 && m % 1000 == 0 => format!("{} Gbps", m / 1000),
        m if m >= 1000 => format!("{}.{} Gbps", m / 1000, m % 1000 / 100),
        m => format!("{m} Mbps"),
    }
}

pub fn kind_label(t: ProductType) -> &'static str {
    match t {
        ProductType::Port => "Port",
        ProductType::Mcr => "MCR",
        ProductType::Mve => "MVE",
    }
}

/// An error in the API's words beside the field its words name (the parser names no field
/// otherwise), else at the top of the form.
pub fn place_api(errors: &mut FieldErrors, e: ApiError, known: &[(&str, &str)]) {
    let field = known
        .iter()
        .find(|(api, _)| !api.is_empty() && e.message.contains(api))
        .map_or("", |(_, form)| *form);
    errors.set(field, e.message);
}

/// Reads `design` with the API's parser, then validates or buys it as the company.
pub async fn order(
    c: &Control,
    company: &crosslink_domain::megaport::company::CompanyUid,
    design: &Value,
    buy: bool,
    errors: &mut FieldErrors,
    known: &[(&str, &str)],
) -> Option<Vec<LinePrice>> {
    let lines = match crosslink_api_megaport::console::order_lines(design) {
        Ok(l) => l,
        Err(e) => {
            place_api(errors, e, known);
            return None;
        }
    };
    let done = if buy {
        c.buy(company, lines).await
    } else {
        c.validate_order(company, lines).await
    };
    match done {
        Ok(prices) => Some(prices),
        Err(e) => {
            errors.place(e, known, mp_message);
            None
        }
    }
}

/// One VXC as a row under a product: the viewer's own end only.
pub struct VxcRow {
    pub uid: Uuid,
    pub name: String,
    pub rate: u32,
    pub status: &'static str,
    pub tone: &'static str,
    pub end: &'static str,
    pub vlan: String,
    /// `Some(up)` when the viewer's MCR end runs BGP on it.
    pub bgp: Option<bool>,
}

pub fn vlan_words(v: Option<u16>) -> String {
    v.map_or_else(|| "Untagged".to_owned(), |v| v.to_string())
}

fn vxc_row(v: &VxcView, bgp: Option<bool>) -> VxcRow {
    let end = v.vxc.spec.end(v.viewer);
    VxcRow {
        uid: v.vxc.uid,
        name: end.name.clone(),
        rate: v.vxc.spec.rate_limit,
        status: v.vxc.status.as_str(),
        tone: tone(v.vxc.status),
        end: if v.viewer == Side::A {
            "A-End"
        } else {
            "B-End"
        },
        vlan: vlan_words(end.vlan),
        bgp,
    }
}

pub struct ServiceRow {
    pub uid: Uuid,
    pub name: String,
    pub kind: &'static str,
    pub mcr: bool,
    pub location: String,
    pub speed: u32,
    pub status: &'static str,
    pub tone: &'static str,
    /// The seed: the Service Keys icon shows only for a service in service without an
    /// untagged VXC.
    pub keys: bool,
    pub vxcs: Vec<VxcRow>,
}

async fn service_row(c: &Control, s: &Session, p: &ProductView) -> ServiceRow {
    let prod = &p.product;
    let mcr = prod.product_type == ProductType::Mcr;
    // One looking-glass read per MCR gives every VXC's BGP dot.
    let sessions = match (mcr, &s.company) {
        (true, Some((company, _))) => c.mcr_sessions(company, prod.uid).await.unwrap_or_default(),
        _ => Vec::new(),
    };
    let untagged = p.vxcs.iter().any(|v| {
        let end = if v.vxc.spec.a_end.product_uid == prod.uid {
            &v.vxc.spec.a_end
        } else {
            &v.vxc.spec.b_end
        };
        v.vxc.status.is_active() && end.vlan.is_none()
    });
    let vxcs =
        p.vxcs
            .iter()
            .map(|v| {
                let own = v.vxc.spec.end(v.viewer);
                let runs_bgp = own.product_uid == prod.uid
                    && own.partner_config.as_ref().is_some_and(|c| {
                        c.interfaces.iter().any(|i| !i.bgp_connections.is_empty())
                    });
                let up = sessions.iter().any(|s| {
                    s.vxc == v.vxc.uid && s.status.state == crosslink_control::BgpState::Established
                });
                vxc_row(v, runs_bgp.then_some(up))
            })
            .collect();
    ServiceRow {
        uid: prod.uid,
        name: prod.spec.name.clone(),
        kind: kind_label(prod.product_type),
        mcr,
        location: location_name(prod.location_id),
        speed: prod.spec.speed_mbps,
        status: prod.status.as_str(),
        tone: tone(prod.status),
        keys: prod.status.is_active() && !untagged,
        vxcs,
    }
}

#[derive(Template)]
#[template(path = "mp_services.html")]
struct Services {
    chrome: Chrome,
    rows: Vec<ServiceRow>,
}

async fn services(State(c): S, s: Session) -> Result<Response, PageError> {
    let company = s.company(SERVICES)?;
    let products = c
        .list_products(&company)
        .await
        .map_err(PageError::megaport)?;
    let mut rows = Vec::new();
    for p in products
        .iter()
        .filter(|p| p.product.status != ProvisioningStatus::Decommissioned)
    {
        rows.push(service_row(&c, &s, p).await);
    }
    Ok(render(&Services {
        chrome: s.chrome("Services", Section::Services),
        rows,
    }))
}

/// Create MCR and Create Port share one form; an MCR adds its ASN.
#[derive(Template)]
#[template(path = "mp_order.html")]
struct OrderForm {
    chrome: Chrome,
    mcr: bool,
    action: &'static str,
    locations: Vec<(u32, String)>,
    speeds: Vec<(u32, String)>,
    terms: &'static [(u32, &'static str)],
    location: String,
    speed: String,
    name: String,
    term: String,
    asn: String,
    errors: FieldErrors,
}

impl OrderForm {
    fn new(s: &Session, mcr: bool, f: Option<&Fields>, errors: FieldErrors) -> Self {
        let get = |k: &str, d: String| f.map_or(d, |f| f.get(k).to_owned());
        Self {
            chrome: s.chrome(
                if mcr { "Create MCR" } else { "Create Port" },
                Section::Services,
            ),
            mcr,
            action: if mcr {
                "/megaport/create-mcr"
            } else {
                "/megaport/create-port"
            },
            locations: LOCATIONS
                .iter()
                .map(|l| (l.id, format!("{} ({})", l.name, l.metro)))
                .collect(),
            speeds: (if mcr { MCR_SPEEDS } else { PORT_SPEEDS })
                .iter()
                .map(|&m| (m, speed_label(m)))
                .collect(),
            terms: TERMS,
            location: get("location", LOCATIONS[0].id.to_string()),
            speed: get("speed", "1000".into()),
            name: get("name", String::new()),
            term: get("term", "12".into()),
            asn: get("asn", DEFAULT_MCR_ASN.to_string()),
            errors,
        }
    }
}

/// The API's field names → the order form's.
const ORDER_FIELDS: &[(&str, &str)] = &[
    ("productName", "name"),
    ("locationId", "location"),
    ("portSpeed", "speed"),
    ("mcrAsn", "asn"),
    ("term", "term"),
];

async fn new_mcr(s: Session) -> Result<Response, PageError> {
    s.company("/megaport/create-mcr")?;
    Ok(render(&OrderForm::new(
        &s,
        true,
        None,
        FieldErrors::default(),
    )))
}

async fn new_port(s: Session) -> Result<Response, PageError> {
    s.company("/megaport/create-port")?;
    Ok(render(&OrderForm::new(
        &s,
        false,
        None,
        FieldErrors::default(),
    )))
}

async fn create_mcr(State(c): S, s: Session, f: Fields) -> Result<Response, PageError> {
    place_order(&c, &s, true, f).await
}

async fn create_port(State(c): S, s: Session, f: Fields) -> Result<Response, PageError> {
    place_order(&c, &s, false, f).await
}

/// megaportgo's BuyMCR / BuyPort line, the form's text passed as typed (the API's reader
/// takes numbers as strings and words the errors).
async fn place_order(
    c: &Control,
    s: &Session,
    mcr: bool,
    f: Fields,
) -> Result<Response, PageError> {
    let company = s.company(if mcr {
        "/megaport/create-mcr"
    } else {
        "/megaport/create-port"
    })?;
    let mut line = json!({
        "productName": f.get("name"),
        "term": f.get("term"),
        "portSpeed": f.get("speed"),
        "locationId": f.get("location"),
    });
    if mcr {
        line["productType"] = json!("MCR2");
        line["config"] = json!({ "mcrAsn": f.get("asn").trim() });
    } else {
        line["productType"] = json!("MEGAPORT");
        line["virtual"] = json!(false);
        line["marketplaceVisibility"] = json!(false);
    }
    let mut errors = FieldErrors::default();
    let design = json!({ "networkDesign": [line] });
    if order(c, &company, &design, true, &mut errors, ORDER_FIELDS)
        .await
        .is_some()
    {
        return Ok(Redirect::to(SERVICES).into_response());
    }
    Ok(render(&OrderForm::new(s, mcr, Some(&f), errors)))
}
