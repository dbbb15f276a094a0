//! A VXC's Configuration Details: its own end as this company sees it (the other end's
//! settings stay private), Service Status and BGP live, the looking glass for an MCR end, and
//! the box to approve or deny a change the partner asked for.

use super::{kind_label, location_name, tone, vlan_words};
use crate::form::Fields;
use crate::page::{mp_message, render, Chrome, PageError, Section};
use crate::session::Session;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use crosslink_control::megaport::{ApprovalDecision, VxcView};
use crosslink_control::{BgpState, Control};
use crosslink_domain::megaport::approval::ApprovalStatus;
use crosslink_domain::megaport::company::CompanyUid;
use crosslink_domain::megaport::product::{Product, ProductType};
use crosslink_domain::megaport::vxc::{parse_vlan, Side, VxcUpdate};
use std::sync::Arc;
use uuid::Uuid;

type S = State<Arc<Control>>;

pub fn routes() -> Router<Arc<Control>> {
    Router::new()
        .route("/megaport/vxc/{uid}", get(details))
        .route("/megaport/vxc/{uid}/edit", post(edit))
        .route(
            "/megaport/vxc/{uid}/approvals/{approval}/{decision}",
            post(decide),
        )
}

/// One end as the page shows it: the viewer's own end in full, the partner's by location.
pub struct EndView {
    pub label: &'static str,
    pub own: bool,
    pub product: String,
    pub location: String,
    pub vlan: String,
}

fn end_view(
    label: &'static str,
    own: bool,
    p: Option<&Product>,
    vlan: Option<u16>,
    company: &str,
) -> EndView {
    EndView {
        label,
        own,
        product: match (own, p) {
            (true, Some(p)) => format!("{} {}", kind_label(p.product_type), p.spec.name),
            _ => format!("{company}'s service"),
        },
        location: p.map(|p| location_name(p.location_id)).unwrap_or_default(),
        vlan: if own { vlan_words(vlan) } else { String::new() },
    }
}

/// A looking-glass row: one BGP session and the prefixes each way.
pub struct SessionRow {
    pub neighbor: String,
    pub local: String,
    pub remote_asn: u32,
    pub state: String,
    pub up: bool,
    pub uptime: String,
    pub received: Vec<String>,
    pub advertised: Vec<String>,
    pub error: String,
}

pub struct Approval {
    pub uid: Uuid,
    pub detail: String,
    /// Asked of this company (Approve / Deny), or by it (waiting).
    pub mine_to_decide: bool,
}

#[derive(Template)]
#[template(path = "mp_vxc.html")]
struct Details {
    chrome: Chrome,
    uid: Uuid,
    name: String,
    rate: u32,
    term: u32,
    side: &'static str,
    status: &'static str,
    status_tone: &'static str,
    /// `Some(established)` for an MCR end with BGP connections.
    bgp: Option<bool>,
    ends: [EndView; 2],
    sessions: Option<Vec<SessionRow>>,
    approvals: Vec<Approval>,
    error: String,
    /// This company's own VLAN on the VXC, as a number for the edit form ("-1": untagged).
    own_vlan: String,
}

async fn looking_glass(c: &Control, s: &Session, v: &VxcView) -> Option<Vec<SessionRow>> {
    let (company, _) = s.company.as_ref()?;
    let (end, product) = match v.viewer {
        Side::A => (&v.vxc.spec.a_end, v.a_product.as_ref()),
        Side::B => (&v.vxc.spec.b_end, v.b_product.as_ref()),
    };
    if product.is_none_or(|p| p.product_type != ProductType::Mcr) {
        return None;
    }
    let sessions = c.mcr_sessions(company, end.product_uid).await.ok()?;
    let mut rows = Vec::new();
    for x in sessions.iter().filter(|x| x.vxc == v.vxc.uid) {
        let routes =
            |advertised| c.mcr_session_routes(company, end.product_uid, v.vxc.uid, advertised);
        let prefixes = |r: Vec<crosslink_control::Route>| -> Vec<String> {
            r.iter().map(|r| r.prefix.to_string()).collect()
        };
        rows.push(SessionRow {
            neighbor: x.neighbor.to_string(),
            local: x.local.to_string(),
            remote_asn: x.status.remote_asn,
            state: format!("{:?}", x.status.state),
            up: x.status.state == BgpState::Established,
            uptime: x
                .status
                .uptime
                .map(|u| format!("{} s", u.as_secs()))
                .unwrap_or_default(),
            received: routes(false).await.map(prefixes).unwrap_or_default(),
            advertised: routes(true).await.map(prefixes).unwrap_or_default(),
            error: x.status.last_error.clone().unwrap_or_default(),
        });
    }
    Some(rows)
}

async fn details(State(c): S, s: Session, Path(uid): Path<Uuid>) -> Result<Response, PageError> {
    details_page(&c, &s, uid, String::new()).await
}

/// The VXC as the signed-in company sees it.
async fn vxc_of(c: &Control, s: &Session, uid: Uuid) -> Result<(CompanyUid, VxcView), PageError> {
    let company = s.company(&format!("/megaport/vxc/{uid}"))?;
    let v = c
        .get_vxc(&company, uid)
        .await
        .map_err(PageError::megaport)?;
    Ok((company, v))
}

/// The page, with what a decision posted from it was refused for (never words from the URL).
async fn details_page(
    c: &Control,
    s: &Session,
    uid: Uuid,
    error: String,
) -> Result<Response, PageError> {
    let (company, v) = vxc_of(c, s, uid).await?;
    let own = v.vxc.spec.end(v.viewer);
    let both = !v.vxc.is_partnership();
    let ends = [
        end_view(
            "A-End",
            v.viewer == Side::A || both,
            v.a_product.as_ref(),
            v.vxc.spec.a_end.vlan,
            &v.a_company,
        ),
        end_view(
            "B-End",
            v.viewer == Side::B || both,
            v.b_product.as_ref(),
            v.vxc.spec.b_end.vlan,
            &v.b_company,
        ),
    ];
    let approvals = c
        .list_approvals(&company)
        .await
        .map_err(PageError::megaport)?
        .into_iter()
        .filter(|a| a.vxc == uid && a.status == ApprovalStatus::Pending)
        .map(|a| Approval {
            uid: a.uid,
            detail: a.detail.clone(),
            mine_to_decide: a.approver == company,
        })
        .collect();
    let sessions = looking_glass(c, s, &v).await;
    Ok(render(&Details {
        chrome: s.chrome(own.name.clone(), Section::Services),
        uid,
        name: own.name.clone(),
        rate: v.vxc.spec.rate_limit,
        term: v.vxc.spec.term_months,
        side: if v.viewer == Side::A {
            "A-End"
        } else {
            "B-End"
        },
        status: v.vxc.status.as_str(),
        status_tone: tone(v.vxc.status),
        bgp: v.bgp_status.map(|b| b == "UP"),
        own_vlan: own.vlan.map_or_else(|| "-1".to_owned(), |n| n.to_string()),
        ends,
        sessions,
        approvals,
        error,
    }))
}

async fn decide(
    State(c): S,
    s: Session,
    Path((uid, approval, decision)): Path<(Uuid, Uuid, String)>,
) -> Result<Response, PageError> {
    let company = s.company(&format!("/megaport/vxc/{uid}"))?;
    let d = match decision.as_str() {
        "approve" => ApprovalDecision::Approve,
        "deny" => ApprovalDecision::Reject,
        _ => return Err(PageError::BadRequest("approve or deny".into())),
    };
    // Decided only from the page of the VXC it concerns.
    let here = c
        .list_approvals(&company)
        .await
        .map_err(PageError::megaport)?
        .iter()
        .any(|a| a.uid == approval && a.vxc == uid);
    if !here {
        return details_page(
            &c,
            &s,
            uid,
            format!("Could not find an order approval with UID {approval} on this VXC"),
        )
        .await;
    }
    match c.decide_approval(&company, approval, d, None).await {
        Ok(_) => Ok(Redirect::to(&format!("/megaport/vxc/{uid}")).into_response()),
        Err(e) => details_page(&c, &s, uid, mp_message(e)).await,
    }
}

/// Edit connection: this end's name and VLAN, and (the A-End only) the rate limit. Only what
/// changed is sent; on a partnership a VLAN change waits for the partner's approval.
async fn edit(
    State(c): S,
    s: Session,
    Path(uid): Path<Uuid>,
    f: Fields,
) -> Result<Response, PageError> {
    let (company, v) = vxc_of(&c, &s, uid).await?;
    let own = v.vxc.spec.end(v.viewer);
    let mut u = VxcUpdate::default();
    let name = f.get("name").trim();
    if !name.is_empty() && name != own.name {
        u.name = Some(name.to_owned());
    }
    let vlan = f.get("vlan").trim();
    let current = own.vlan.map_or(-1, i64::from);
    match vlan.parse::<i64>() {
        Ok(n) if n != current => {
            let req = parse_vlan("vlan", Some(n)).map_err(|e| PageError::megaport(e.into()));
            match (req, v.viewer) {
                (Ok(r), Side::A) => u.a_vlan = Some(r),
                (Ok(r), Side::B) => u.b_vlan = Some(r),
                (Err(PageError::Api(_, m)), _) => return details_page(&c, &s, uid, m).await,
                (Err(e), _) => return Err(e),
            }
        }
        Ok(_) => {}
        Err(_) if vlan.is_empty() => {}
        Err(_) => return details_page(&c, &s, uid, format!("VLAN '{vlan}' is not a number")).await,
    }
    let rate = f.get("rate_limit").trim();
    if !rate.is_empty() && v.viewer == Side::A {
        match rate.parse::<u32>() {
            Ok(r) if r != v.vxc.spec.rate_limit => u.rate_limit = Some(r),
            Ok(_) => {}
            Err(_) => {
                return details_page(
                    &c,
                    &s,
                    uid,
                    format!("Rate limit '{rate}' is not a number of Mbps"),
                )
                .await
            }
        }
    }
    match c.update_vxc(&company, uid, u, None).await {
        Ok(_) => Ok(Redirect::to(&format!("/megaport/vxc/{uid}")).into_response()),
        Err(e) => details_page(&c, &s, uid, mp_message(e)).await,
    }
}
