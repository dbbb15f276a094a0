//! The portal's + Connection wizard on an MCR for a VXC by service key, server-side. Step 1
//! the key (checked as you type), name, rate limit and term; step 2 the MCR interface and its
//! BGP connections; step 3 the summary and Add VXC. Hidden fields carry earlier steps, so it
//! works without scripts; every step is checked by `networkdesign/validate`'s own rules.

use super::{order, TERMS};
use crate::form::Fields;
use crate::page::{mp_message, render, Chrome, FieldErrors, PageError, Section};
use crate::session::Session;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use crosslink_control::Control;
use crosslink_domain::megaport::company::CompanyUid;
use crosslink_domain::megaport::product::ProductType;
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

type S = State<Arc<Control>>;

pub fn routes() -> Router<Arc<Control>> {
    Router::new()
        .route("/megaport/mcr/{uid}/connect", get(start).post(step))
        // POST, so the key never sits in a URL (or a log of one).
        .route("/megaport/connect/key-check", post(key_check))
}

/// One BGP connection as typed.
#[derive(Default, Clone)]
pub struct Bgp {
    pub local: String,
    pub peer: String,
    pub asn: String,
    pub password: String,
}

/// Everything the wizard has been told so far.
#[derive(Default)]
pub struct Draft {
    pub service_key: String,
    pub name: String,
    pub rate_limit: String,
    pub term: String,
    pub interface_ip: String,
    pub bgps: Vec<Bgp>,
    /// The BGP connection being added (shown after Add BGP Connection).
    pub adding: Option<Bgp>,
}

impl Draft {
    fn from(f: &Fields) -> Self {
        let col = |k: &str| f.all(k).map(str::to_owned).collect::<Vec<_>>();
        let (locals, peers, asns, passwords) = (
            col("bgp_local"),
            col("bgp_peer"),
            col("bgp_asn"),
            col("bgp_password"),
        );
        let bgps = (0..locals.len())
            .map(|i| Bgp {
                local: locals[i].clone(),
                peer: peers.get(i).cloned().unwrap_or_default(),
                asn: asns.get(i).cloned().unwrap_or_default(),
                password: passwords.get(i).cloned().unwrap_or_default(),
            })
            .collect();
        Self {
            service_key: f.get("service_key").trim().to_owned(),
            name: f.get("name").to_owned(),
            rate_limit: f.get("rate_limit").to_owned(),
            term: f.get("term").to_owned(),
            interface_ip: f.get("interface_ip").trim().to_owned(),
            bgps,
            adding: f.has("new_peer").then(|| Bgp {
                local: f.get("new_local").to_owned(),
                peer: f.get("new_peer").to_owned(),
                asn: f.get("new_asn").to_owned(),
                password: f.get("new_password").to_owned(),
            }),
        }
    }

    /// The interface's address without its mask: what a BGP connection's local IP can be.
    pub fn local_ips(&self) -> Vec<String> {
        let ip = self.interface_ip.split('/').next().unwrap_or("").trim();
        if ip.is_empty() {
            Vec::new()
        } else {
            vec![ip.to_owned()]
        }
    }

    /// megaportgo's BuyVXC line on the MCR: the B-End by service key, the A-End's
    /// `partnerConfig` once step 2 is reached (with `extra`, a connection not yet added).
    fn design(&self, mcr: Uuid, with_config: bool, extra: Option<&Bgp>) -> Value {
        let mut vxc = json!({
            "productName": self.name,
            "rateLimit": self.rate_limit.trim(),
            "term": self.term,
            "shutdown": false,
            "serviceKey": self.service_key,
            "aEnd": {},
            "bEnd": {},
        });
        // No interface and no BGP: a plain VXC (to a partner's port, say).
        let empty = self.interface_ip.is_empty() && self.bgps.is_empty() && extra.is_none();
        if with_config && !empty {
            let bgps: Vec<Value> = self
                .bgps
                .iter()
                .chain(extra)
                .map(|b| {
                    json!({
                        "peerAsn": b.asn.trim(),
                        "localIpAddress": b.local.trim(),
                        "peerIpAddress": b.peer.trim(),
                        "password": b.password,
                        "shutdown": false,
                        "bfdEnabled": false,
                    })
                })
                .collect();
            vxc["aEnd"] = json!({"partnerConfig": {"interfaces": [{
                "ipAddresses": [self.interface_ip],
                "bgpConnections": bgps,
            }]}});
        }
        json!({"networkDesign": [{"productUid": mcr.to_string(), "associatedVxcs": [vxc]}]})
    }
}

/// The key as the field's live check says it.
pub struct KeyCheck {
    pub ok: bool,
    pub text: String,
}

/// "Valid Service Key" with its rate limit, or the API's reason.
async fn check_key(c: &Control, company: &CompanyUid, key: &str) -> Option<KeyCheck> {
    if key.trim().is_empty() {
        return None;
    }
    Some(match c.lookup_service_key(company, key).await {
        Ok(found) => match found.key.check_usable(found.now) {
            Ok(()) => KeyCheck {
                ok: true,
                text: format!(
                    "Valid Service Key: a rate limit of up to {} Mbps",
                    found.key.max_speed
                ),
            },
            Err(e) => KeyCheck {
                ok: false,
                text: mp_message(e.into()),
            },
        },
        Err(e) => KeyCheck {
            ok: false,
            text: mp_message(e),
        },
    })
}

#[derive(Template)]
#[template(path = "mp_key_status.html")]
struct KeyStatus {
    check: Option<KeyCheck>,
}

async fn key_check(State(c): S, s: Session, f: Fields) -> Result<Response, PageError> {
    let company = s.company("/megaport/services")?;
    Ok(render(&KeyStatus {
        check: check_key(&c, &company, f.get("service_key")).await,
    }))
}

#[derive(Template)]
#[template(path = "mp_connect.html")]
struct Wizard {
    chrome: Chrome,
    mcr: Uuid,
    mcr_name: String,
    step: u8,
    d: Draft,
    check: Option<KeyCheck>,
    terms: &'static [(u32, &'static str)],
    errors: FieldErrors,
}

/// Step 1's fields, as the API names them.
const STEP1: &[(&str, &str)] = &[
    ("serviceKey", "service_key"),
    ("productName", "name"),
    ("rateLimit", "rate_limit"),
    ("term", "term"),
];

/// A connection being added: its errors go beside its fields.
const ADD: &[(&str, &str)] = &[
    ("serviceKey", "service_key"),
    ("rateLimit", "rate_limit"),
    ("localIpAddress", "new_local"),
    ("peerIpAddress", "new_peer"),
    ("peerAsn", "new_asn"),
    ("password", "new_password"),
    ("ipAddresses", "interface_ip"),
    ("interface", "interface_ip"),
];

/// Next from step 2: the connections already added take their errors as a group.
const STEP2: &[(&str, &str)] = &[
    ("serviceKey", "service_key"),
    ("rateLimit", "rate_limit"),
    ("localIpAddress", "bgp"),
    ("peerIpAddress", "bgp"),
    ("peerAsn", "bgp"),
    ("password", "bgp"),
    ("ipAddresses", "interface_ip"),
    ("interface", "interface_ip"),
];

async fn own_mcr(c: &Control, company: &CompanyUid, uid: Uuid) -> Result<String, PageError> {
    match c
        .get_product(company, uid)
        .await
        .map_err(PageError::megaport)?
    {
        crosslink_control::megaport::AnyProduct::Product(p)
            if p.product.product_type == ProductType::Mcr =>
        {
            Ok(p.product.spec.name)
        }
        _ => Err(PageError::BadRequest(
            "+ Connection starts from one of your MCRs".into(),
        )),
    }
}

async fn start(State(c): S, s: Session, Path(uid): Path<Uuid>) -> Result<Response, PageError> {
    let company = s.company(&format!("/megaport/mcr/{uid}/connect"))?;
    let mcr_name = own_mcr(&c, &company, uid).await?;
    Ok(render(&Wizard {
        chrome: s.chrome("+ Connection", Section::Services),
        mcr: uid,
        mcr_name,
        step: 1,
        d: Draft {
            term: "12".into(),
            ..Draft::default()
        },
        check: None,
        terms: TERMS,
        errors: FieldErrors::default(),
    }))
}

async fn step(
    State(c): S,
    s: Session,
    Path(uid): Path<Uuid>,
    f: Fields,
) -> Result<Response, PageError> {
    let company = s.company(&format!("/megaport/mcr/{uid}/connect"))?;
    let mcr_name = own_mcr(&c, &company, uid).await?;
    let mut d = Draft::from(&f);
    let mut errors = FieldErrors::default();
    let here: u8 = f.get("step").parse().unwrap_or(1);
    let go = f.get("go");
    let step = match go {
        "next1" => {
            let ok = order(
                &c,
                &company,
                &d.design(uid, false, None),
                false,
                &mut errors,
                STEP1,
            )
            .await;
            if ok.is_some() {
                2
            } else {
                1
            }
        }
        "back" => here.saturating_sub(1).max(1),
        "add_bgp" => {
            d.adding = Some(Bgp {
                local: d.local_ips().into_iter().next().unwrap_or_default(),
                ..Bgp::default()
            });
            2
        }
        "add" => {
            if let Some(new) = d.adding.clone() {
                let design = d.design(uid, true, Some(&new));
                if order(&c, &company, &design, false, &mut errors, ADD)
                    .await
                    .is_some()
                {
                    d.bgps.push(new);
                    d.adding = None;
                }
            }
            2
        }
        "next2" => {
            d.adding = None;
            let ok = order(
                &c,
                &company,
                &d.design(uid, true, None),
                false,
                &mut errors,
                STEP2,
            )
            .await;
            if ok.is_some() {
                3
            } else {
                2
            }
        }
        "buy" => {
            let design = d.design(uid, true, None);
            if let Some(lines) = order(&c, &company, &design, true, &mut errors, STEP2).await {
                let vxc = lines.iter().find(|l| l.product_type == "VXC");
                let to = vxc.map_or_else(
                    || "/megaport/services".to_owned(),
                    |l| format!("/megaport/vxc/{}", l.uid),
                );
                return Ok(Redirect::to(&to).into_response());
            }
            3
        }
        other => match other
            .strip_prefix("remove-")
            .and_then(|i| i.parse::<usize>().ok())
        {
            Some(i) if i < d.bgps.len() => {
                d.bgps.remove(i);
                2
            }
            _ => here.clamp(1, 3),
        },
    };
    // An error about step 1's fields sends the user back there.
    let step = if ["service_key", "name", "rate_limit", "term"]
        .iter()
        .any(|k| !errors.get(k).is_empty())
    {
        1
    } else {
        step
    };
    let check = if step == 1 {
        check_key(&c, &company, &d.service_key).await
    } else {
        None
    };
    Ok(render(&Wizard {
        chrome: s.chrome("+ Connection", Section::Services),
        mcr: uid,
        mcr_name,
        step,
        d,
        check,
        terms: TERMS,
        errors,
    }))
}
