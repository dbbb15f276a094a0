//! VXCs: ordering one (with or without a service key), the partnership's rights on update,
//! approvals of changes that need the other side, and how each side sees the VXC.

use super::orders::attachment_down;
use super::{company_name, no_service, own_product, vlans_in_use};
use crate::attachments::Schedule;
use crate::{Control, ControlError, Result};
use crosslink_domain::attachment::AttachmentState;
use crosslink_domain::megaport::approval::{ApprovalStatus, Notification, OrderApproval};
use crosslink_domain::megaport::company::CompanyUid;
use crosslink_domain::megaport::product::{self, Product, ProvisioningStatus};
use crosslink_domain::megaport::service_key::ServiceKey;
use crosslink_domain::megaport::vxc::{
    self, assign_vlan, parse_vlan, plan_update, PendingChange, Side, VlanRequest, Vxc, VxcEnd,
    VxcSpec, VxcUpdate,
};
use crosslink_domain::time::Millis;
use crosslink_domain::{DomainError, Kind, ResourceType};
use crosslink_store::{MegaportTx, Tx};
use std::collections::HashMap;
use uuid::Uuid;

/// A VXC as one company sees it: which end it holds, and both ends' products.
#[derive(Debug, Clone)]
pub struct VxcView {
    pub vxc: Vxc,
    pub viewer: Side,
    pub a_product: Option<Product>,
    pub b_product: Option<Product>,
    pub a_company: String,
    pub b_company: String,
    /// From its history: when it went LIVE, when it ends (or ended).
    pub live_at: Option<Millis>,
    pub terminate_at: Option<Millis>,
    /// For the MCR end's owner, on a single read: `UP` or `DOWN` per BGP connection, as the
    /// fabric sees them.
    pub bgp_status: Option<&'static str>,
}

pub(crate) struct PlannedVxc {
    pub vxc: Vxc,
    pub key: Option<ServiceKey>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalDecision {
    Approve,
    Reject,
    Withdraw,
}

fn invalid(field: &'static str, m: impl Into<String>) -> ControlError {
    DomainError::invalid_field(field, m.into()).into()
}

fn notify(
    m: &dyn MegaportTx,
    company: &CompanyUid,
    kind: &str,
    message: String,
    product: Uuid,
    now: Millis,
) -> Result<()> {
    Ok(m.notify(&Notification {
        seq: 0,
        company: company.clone(),
        at: now,
        kind: kind.to_owned(),
        message,
        product_uid: Some(product),
    })?)
}

pub(crate) fn view_of(m: &dyn MegaportTx, v: Vxc, viewer: &CompanyUid) -> Result<VxcView> {
    let (live_at, terminate_at) = m.service_dates(v.uid)?;
    Ok(VxcView {
        live_at,
        terminate_at,
        bgp_status: None,
        viewer: v.side_of(viewer).unwrap_or(Side::A),
        a_product: m.product(v.spec.a_end.product_uid)?,
        b_product: m.product(v.spec.b_end.product_uid)?,
        a_company: company_name(m, &v.spec.a_end.owner)?,
        b_company: company_name(m, &v.spec.b_end.owner)?,
        vxc: v,
    })
}

/// The key a VXC order names, checked usable for this order.
fn order_key(
    m: &dyn MegaportTx,
    typed: &str,
    now: Millis,
    used_by_design: &[Uuid],
) -> Result<ServiceKey> {
    let value = Uuid::try_parse(typed.trim()).map_err(|_| {
        invalid(
            "serviceKey",
            "Invalid service key: a service key is a 36-character UUID",
        )
    })?;
    let key = m
        .service_key_by_value(value)?
        .ok_or_else(|| invalid("serviceKey", "Invalid service key: no such service key"))?;
    key.check_usable(now)?;
    if key.single_use && used_by_design.contains(&key.id) {
        return Err(invalid(
            "serviceKey",
            "Invalid service key: the service key is single-use and another VXC of this order uses it",
        ));
    }
    Ok(key)
}

pub(crate) fn plan_vxc(
    tx: &dyn Tx,
    company: &CompanyUid,
    o: &super::VxcOrder,
    now: Millis,
    taken: &mut HashMap<Uuid, Vec<u16>>,
    keys_used: &mut Vec<Uuid>,
    design_rates: &mut HashMap<Uuid, u64>,
) -> Result<PlannedVxc> {
    let m = tx.megaport();
    let a_uid = o
        .a_end
        .ok_or_else(|| invalid("productUid", "Validation failed Valid A-End is required"))?;
    let a = own_product(m, company, a_uid)?;
    product::check_active(&a)?;
    product::validate_name("productName", &o.name)?;
    product::validate_cost_centre(&o.cost_centre)?;
    let term = o.term.unwrap_or(12);
    let term = u32::try_from(term).map_err(|_| {
        invalid(
            "term",
            format!("Validation failed term {term} is not valid"),
        )
    })?;
    product::validate_term(term)?;
    let rate = o
        .rate_limit
        .ok_or_else(|| invalid("rateLimit", "Validation failed rateLimit is required"))?;

    let (b, key) = match o.service_key.as_deref().filter(|k| !k.trim().is_empty()) {
        Some(typed) => {
            let key = order_key(m, typed, now, keys_used)?;
            let b_uid = Uuid::try_parse(&key.product_uid).map_err(|_| {
                ControlError::Internal(format!("service key {} names no product", key.id))
            })?;
            let b = m
                .product(b_uid)?
                .filter(|p| p.status.is_active())
                .ok_or_else(|| {
                    invalid(
                        "serviceKey",
                        "Invalid service key: the service it connects to is no longer in service",
                    )
                })?;
            if o.b_end.is_some_and(|given| given != b.uid) {
                return Err(invalid(
                    "bEnd",
                    "Validation failed bEnd productUid is not the service key's service",
                ));
            }
            if let Some(att) = key.attachment {
                let deleting = tx
                    .lifecycle(ResourceType::PartnerAttachment, att)?
                    .is_none_or(|r| r.status == AttachmentState::Deleting.as_str());
                if deleting {
                    return Err(invalid(
                        "serviceKey",
                        "Invalid service key: the DigitalOcean partner attachment it was issued for is being deleted",
                    ));
                }
            }
            (b, Some(key))
        }
        None => {
            let b_uid = o
                .b_end
                .ok_or_else(|| invalid("bEnd", "Validation failed Valid B-End is required"))?;
            let b = m.product(b_uid)?.ok_or_else(|| no_service(b_uid))?;
            if &b.company == company {
                product::check_active(&b)?;
            }
            (b, None)
        }
    };
    let b_config = match &key {
        Some(k) => k.config.clone(),
        None => o.b_config.clone(),
    };
    vxc::check_ends(
        company,
        &a,
        &b,
        key.is_some(),
        o.a_config.as_ref(),
        if key.is_some() {
            None
        } else {
            b_config.as_ref()
        },
    )?;
    let rate = vxc::check_rate(rate, [&a, &b], key.as_ref().map(|k| k.max_speed))?;
    for p in [&a, &b] {
        let in_design = design_rates.get(&p.uid).copied().unwrap_or(0);
        vxc::check_mcr_capacity(p, m.committed_rate(p.uid, None)? + in_design, rate)?;
    }
    for p in [&a, &b] {
        *design_rates.entry(p.uid).or_default() += u64::from(rate);
    }

    let mut vlan_for = |field: &'static str,
                        p: &Product,
                        req: VlanRequest,
                        except: Option<Uuid>|
     -> Result<Option<u16>> {
        let mut used = vlans_in_use(m, p, now, except)?;
        used.tagged
            .extend(taken.get(&p.uid).into_iter().flatten().copied());
        let v = assign_vlan(field, req, &used, &p.spec.name)?;
        if let Some(v) = v {
            taken.entry(p.uid).or_default().push(v);
        }
        Ok(v)
    };
    let a_vlan = vlan_for("aEnd.vlan", &a, parse_vlan("aEnd.vlan", o.a_vlan)?, None)?;
    let b_req = match &key {
        Some(k) => k.vlan.map(VlanRequest::Tagged).unwrap_or(VlanRequest::Auto),
        None => parse_vlan("bEnd.vlan", o.b_vlan)?,
    };
    let b_vlan = vlan_for("bEnd.vlan", &b, b_req, key.as_ref().map(|k| k.id))?;

    let a_inner = match o.a_inner_vlan {
        None | Some(0) => None,
        Some(_) if a_vlan.is_none() => {
            return Err(invalid(
                "aEnd.innerVlan",
                "Validation failed an untagged end cannot have an inner VLAN",
            ))
        }
        Some(v) => match parse_vlan("aEnd.innerVlan", Some(v))? {
            VlanRequest::Tagged(v) => Some(v),
            _ => None,
        },
    };
    if let Some(k) = &key {
        if k.single_use {
            keys_used.push(k.id);
        }
    }
    let name = o.name.trim().to_owned();
    Ok(PlannedVxc {
        vxc: Vxc {
            uid: Uuid::new_v4(),
            product_id: 0,
            status: ProvisioningStatus::Deployable,
            service_key: key.as_ref().map(|k| k.id),
            attachment: key.as_ref().and_then(|k| k.attachment),
            created_at: now,
            spec: VxcSpec {
                rate_limit: rate,
                term_months: term,
                shutdown: o.shutdown,
                a_end: VxcEnd {
                    owner: company.clone(),
                    product_uid: a.uid,
                    name: name.clone(),
                    vlan: a_vlan,
                    inner_vlan: a_inner,
                    vnic_index: None,
                    partner_config: o.a_config.clone(),
                    cost_centre: o.cost_centre.clone(),
                },
                b_end: VxcEnd {
                    owner: b.company.clone(),
                    product_uid: b.uid,
                    name,
                    vlan: b_vlan,
                    inner_vlan: None,
                    vnic_index: None,
                    partner_config: b_config,
                    cost_centre: String::new(),
                },
                pending: None,
                locked: false,
                resource_tags: o.resource_tags.clone(),
            },
        },
        key,
    })
}

/// Writes a planned VXC, spends its key and tells the key's company (access is granted
/// automatically, as the seed describes).
pub(crate) fn write_vxc(
    tx: &dyn Tx,
    p: &mut PlannedVxc,
    due: Option<Millis>,
    now: Millis,
) -> Result<()> {
    let m = tx.megaport();
    p.vxc.product_id = m.insert_vxc(&p.vxc, due)?;
    if let Some(k) = &mut p.key {
        k.used_at = Some(now);
        m.update_service_key(k)?;
        if p.vxc.is_partnership() {
            let who = company_name(m, &p.vxc.spec.a_end.owner)?;
            notify(
                m,
                &p.vxc.spec.b_end.owner,
                "SERVICE_KEY_USED",
                format!(
                    "{who} connected the VXC '{}' ({} Mbps) with your service key '{}'; access was granted automatically",
                    p.vxc.spec.a_end.name, p.vxc.spec.rate_limit, k.description
                ),
                p.vxc.uid,
                now,
            )?;
        }
    }
    Ok(())
}

/// What a VXC's cancellation brings: its attachment loses its session, its partner is told.
pub(crate) fn after_cancel(c: &Schedule, tx: &dyn Tx, uid: Uuid, now: Millis) -> Result<()> {
    let m = tx.megaport();
    let Some(v) = m.vxc(uid)? else {
        return Ok(());
    };
    if let Some(att) = v.attachment {
        attachment_down(c, tx, att, now)?;
    }
    if v.is_partnership() {
        notify(
            m,
            &v.spec.b_end.owner,
            "VXC_CANCELLED",
            format!(
                "The VXC '{}' to your service was cancelled",
                v.spec.b_end.name
            ),
            v.uid,
            now,
        )?;
    }
    Ok(())
}

/// Applies an approved VLAN change, checking again that the VLAN is free.
fn apply_vlans(
    m: &dyn MegaportTx,
    v: &mut Vxc,
    a: Option<VlanRequest>,
    b: Option<VlanRequest>,
    now: Millis,
) -> Result<()> {
    for (side, req) in [(Side::A, a), (Side::B, b)] {
        let Some(req) = req else { continue };
        let (end, field) = match side {
            Side::A => (&mut v.spec.a_end, "aEndVlan"),
            Side::B => (&mut v.spec.b_end, "bEndVlan"),
        };
        let p = m
            .product(end.product_uid)?
            .ok_or_else(|| no_service(end.product_uid))?;
        let used = vlans_in_use(m, &p, now, Some(v.uid))?;
        end.vlan = assign_vlan(field, req, &used, &p.spec.name)?;
    }
    Ok(())
}

fn vlan_words(req: VlanRequest) -> String {
    match req {
        VlanRequest::Auto => "an assigned VLAN".into(),
        VlanRequest::Untagged => "untagged".into(),
        VlanRequest::Tagged(v) => format!("VLAN {v}"),
    }
}

fn to_request(v: Option<Option<u16>>) -> Option<VlanRequest> {
    v.map(|v| v.map(VlanRequest::Tagged).unwrap_or(VlanRequest::Untagged))
}

impl Control {
    /// `PUT /v3/product/vxc/{uid}`, by either partner within its rights.
    pub async fn update_vxc(
        &self,
        company: &CompanyUid,
        uid: Uuid,
        u: VxcUpdate,
        is_approved: Option<bool>,
    ) -> Result<VxcView> {
        let (c, now) = (company.clone(), self.now());
        self.rule(move |tx| {
            let m = tx.megaport();
            let mut v = m.vxc(uid)?.ok_or_else(|| no_service(uid))?;
            let side = v.side_of(&c).ok_or_else(|| no_service(uid))?;
            if let Some(ok) = is_approved {
                let pending = v.spec.pending.clone().ok_or_else(|| {
                    DomainError::conflict(
                        Kind::Vxc,
                        format!("VXC {uid} has no change waiting for approval"),
                    )
                })?;
                let d = if ok {
                    ApprovalDecision::Approve
                } else {
                    ApprovalDecision::Reject
                };
                return decide_in(tx, &c, pending.approval_uid, d, None, now);
            }
            let plan = plan_update(&v, side, &u)?;
            if let Some(r) = u.rate_limit {
                let (a, b) = (v.spec.a_end.product_uid, v.spec.b_end.product_uid);
                let a = m.product(a)?.ok_or_else(|| no_service(a))?;
                let b = m.product(b)?.ok_or_else(|| no_service(b))?;
                let key = v
                    .service_key
                    .map(|k| tx.service_key(k))
                    .transpose()?
                    .flatten();
                vxc::check_rate(i64::from(r), [&a, &b], key.map(|k| k.max_speed))?;
                for p in [&a, &b] {
                    vxc::check_mcr_capacity(p, m.committed_rate(p.uid, Some(v.uid))?, r)?;
                }
            }
            let (a_req, b_req) = (plan.a_vlan, plan.b_vlan);
            v.spec = plan.spec;
            if a_req.is_none() && b_req.is_none() {
                m.update_vxc_spec(&v)?;
                return Ok(());
            }
            if !v.is_partnership() {
                apply_vlans(m, &mut v, a_req, b_req, now)?;
                m.update_vxc_spec(&v)?;
                return Ok(());
            }
            // A partnership: check now that the VLAN could be had, apply once approved.
            let mut trial = v.clone();
            apply_vlans(m, &mut trial, a_req, b_req, now)?;
            let approver = match side {
                Side::A => v.spec.b_end.owner.clone(),
                Side::B => v.spec.a_end.owner.clone(),
            };
            let approval = OrderApproval {
                uid: Uuid::new_v4(),
                id: 0,
                vxc: uid,
                requester: c.clone(),
                approver: approver.clone(),
                kind: "VLAN_CHANGE".into(),
                status: ApprovalStatus::Pending,
                detail: [("A-End", a_req), ("B-End", b_req)]
                    .iter()
                    .filter_map(|(end, r)| r.map(|r| format!("{end} to {}", vlan_words(r))))
                    .collect::<Vec<_>>()
                    .join(", "),
                comment: None,
                created_at: now,
                decided_at: None,
            };
            let exact = |r: Option<VlanRequest>, got: Option<u16>| r.map(|_| got);
            v.spec.pending = Some(PendingChange {
                approval_uid: approval.uid,
                requested_by: c.clone(),
                a_vlan: exact(a_req, trial.spec.a_end.vlan),
                b_vlan: exact(b_req, trial.spec.b_end.vlan),
                requested_at: now,
            });
            m.insert_approval(&approval)?;
            let who = company_name(m, &c)?;
            let own_name = match side {
                Side::A => &v.spec.b_end.name,
                Side::B => &v.spec.a_end.name,
            };
            notify(
                m,
                &approver,
                "CHANGE_REQUESTED",
                format!(
                    "{who} asks to change the VXC '{own_name}': {}; approve or deny it",
                    approval.detail
                ),
                uid,
                now,
            )?;
            m.update_vxc_spec(&v)?;
            Ok(())
        })
        .await?;
        self.get_vxc(company, uid).await
    }

    pub async fn get_vxc(&self, company: &CompanyUid, uid: Uuid) -> Result<VxcView> {
        let c = company.clone();
        let view = self
            .read(move |tx| {
                let m = tx.megaport();
                match m.vxc(uid)? {
                    Some(v) if v.side_of(&c).is_some() => view_of(m, v, &c),
                    _ => Err(no_service(uid)),
                }
            })
            .await?;
        Ok(self.with_bgp_status(view).await)
    }

    /// The VXC's BGP status for the company holding its MCR end with a BGP connection.
    pub(crate) async fn with_bgp_status(&self, mut view: VxcView) -> VxcView {
        let mcr_end = view.viewer == Side::A
            && view
                .vxc
                .spec
                .a_end
                .partner_config
                .as_ref()
                .is_some_and(|c| c.interfaces.iter().any(|i| !i.bgp_connections.is_empty()));
        if let (true, Some(f)) = (mcr_end, self.fabric.get()) {
            let up = f
                .mcr_sessions(view.vxc.spec.a_end.product_uid)
                .await
                .iter()
                .any(|s| {
                    s.vxc == view.vxc.uid
                        && s.status.state == crosslink_bgp::speaker::State::Established
                });
            view.bgp_status = Some(if up { "UP" } else { "DOWN" });
        }
        view
    }

    /// `POST /v3/order_approvals/{uid}/{approve|reject|withdraw}`.
    pub async fn decide_approval(
        &self,
        company: &CompanyUid,
        uid: Uuid,
        d: ApprovalDecision,
        comment: Option<String>,
    ) -> Result<OrderApproval> {
        let (c, now) = (company.clone(), self.now());
        self.rule(move |tx| {
            decide_in(tx, &c, uid, d, comment.as_deref(), now)?;
            tx.megaport()
                .approval(uid)?
                .ok_or_else(|| DomainError::not_found(Kind::OrderApproval, uid).into())
        })
        .await
    }

    pub async fn list_approvals(&self, company: &CompanyUid) -> Result<Vec<OrderApproval>> {
        let c = company.clone();
        self.read(move |tx| Ok(tx.megaport().approvals_of(&c)?))
            .await
    }

    pub async fn list_notifications(&self, company: &CompanyUid) -> Result<Vec<Notification>> {
        let c = company.clone();
        self.read(move |tx| Ok(tx.megaport().notifications_of(&c, 200)?))
            .await
    }

    /// The VXC ordered with one of an attachment's keys, still in service (for the fabric and
    /// for DigitalOcean's side of the join).
    pub async fn attachment_vxc(&self, attachment: Uuid) -> Result<Option<Vxc>> {
        self.read(move |tx| {
            Ok(tx
                .megaport()
                .vxcs_of_attachment(attachment)?
                .into_iter()
                .rfind(|v| v.status.is_active()))
        })
        .await
    }
}

fn decide_in(
    tx: &dyn Tx,
    c: &CompanyUid,
    uid: Uuid,
    d: ApprovalDecision,
    comment: Option<&str>,
    now: Millis,
) -> Result<()> {
    let m = tx.megaport();
    let a = m
        .approval(uid)?
        .filter(|a| &a.approver == c || &a.requester == c)
        .ok_or_else(|| DomainError::not_found(Kind::OrderApproval, uid))?;
    if a.status != ApprovalStatus::Pending {
        return Err(DomainError::conflict(
            Kind::OrderApproval,
            format!("Order approval {uid} is already {}", a.status.as_str()),
        )
        .into());
    }
    let allowed = match d {
        ApprovalDecision::Withdraw => &a.requester == c,
        _ => &a.approver == c,
    };
    if !allowed {
        return Err(DomainError::forbidden(match d {
            ApprovalDecision::Withdraw => {
                "Only the company that asked for the change can withdraw it"
            }
            _ => "Only the partner asked to approve the change can approve or reject it",
        })
        .into());
    }
    let mut v = m.vxc(a.vxc)?.ok_or_else(|| no_service(a.vxc))?;
    let pending = v.spec.pending.take().filter(|p| p.approval_uid == uid);
    let status = match d {
        ApprovalDecision::Approve => {
            if let Some(p) = pending {
                apply_vlans(m, &mut v, to_request(p.a_vlan), to_request(p.b_vlan), now)?;
            }
            ApprovalStatus::Approved
        }
        ApprovalDecision::Reject => ApprovalStatus::Rejected,
        ApprovalDecision::Withdraw => ApprovalStatus::Withdrawn,
    };
    m.update_vxc_spec(&v)?;
    m.decide_approval(uid, status, comment, now)?;
    let told = if d == ApprovalDecision::Withdraw {
        &a.approver
    } else {
        &a.requester
    };
    notify(
        m,
        told,
        "CHANGE_DECIDED",
        format!(
            "The change to VXC {} ({}) was {}",
            a.vxc,
            a.detail,
            status.as_str().to_lowercase()
        ),
        a.vxc,
        now,
    )?;
    Ok(())
}
