//! Ordering and running products: validate and buy (ports, MCRs, MVEs and VXCs in one
//! network design), read, modify and cancel. A design is planned with reads only (validate
//! stops there) and written in the same transaction as its plan (buy), so two orders racing
//! for one VLAN or one single-use key cannot both win.

use super::vxcs::{self, PlannedVxc};
use super::{company_name, no_service, own_product, VxcView};
use crate::{Control, Result};
use crosslink_domain::megaport::company::CompanyUid;
use crosslink_domain::megaport::port::DiversityZone;
use crosslink_domain::megaport::product::{
    self, Product, ProductSpec, ProductType, ProvisioningStatus, DEFAULT_MCR_ASN,
};
use crosslink_domain::megaport::vxc::VrouterConfig;
use crosslink_domain::time::Millis;
use crosslink_domain::{DomainError, Kind, Observation, ResourceType};
use crosslink_store::{MegaportTx, Tx};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// A port, MCR or MVE as an order line carries it.
#[derive(Debug, Clone, Default)]
pub struct ProductOrder {
    pub product_type: Option<ProductType>,
    pub name: String,
    pub location_id: Option<i64>,
    pub speed: Option<i64>,
    pub term: Option<i64>,
    pub cost_centre: String,
    pub marketplace_visibility: Option<bool>,
    pub asn: Option<i64>,
    pub diversity_zone: Option<String>,
    pub vnics: Vec<String>,
    pub resource_tags: BTreeMap<String, String>,
}

/// A VXC as an order line carries it; the A-End is the line's product.
#[derive(Debug, Clone, Default)]
pub struct VxcOrder {
    pub a_end: Option<Uuid>,
    pub name: String,
    pub rate_limit: Option<i64>,
    pub term: Option<i64>,
    pub shutdown: bool,
    pub cost_centre: String,
    /// The key as the client typed it.
    pub service_key: Option<String>,
    pub a_vlan: Option<i64>,
    pub a_inner_vlan: Option<i64>,
    pub a_config: Option<VrouterConfig>,
    pub b_end: Option<Uuid>,
    pub b_vlan: Option<i64>,
    pub b_config: Option<VrouterConfig>,
    pub resource_tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub enum OrderLine {
    Product(ProductOrder),
    Vxc(VxcOrder),
}

/// One line's confirmation (buy) or price (validate).
#[derive(Debug, Clone)]
pub struct LinePrice {
    pub product_type: &'static str,
    pub name: String,
    pub uid: Uuid,
    pub product_id: i64,
    pub monthly_rate: f64,
    pub speed: u32,
    pub term: u32,
    pub location_id: Option<u32>,
}

/// A product with what its lists show beside it.
#[derive(Debug, Clone)]
pub struct ProductView {
    pub product: Product,
    pub company_name: String,
    pub vxcs: Vec<VxcView>,
    /// From its history: when it went LIVE, when it ends (or ended).
    pub live_at: Option<Millis>,
    pub terminate_at: Option<Millis>,
}

/// `action/{CANCEL|CANCEL_NOW|UN_CANCEL}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancel {
    /// At the end of the term: 30 days here.
    Later,
    Now,
    Undo,
}

/// `PUT /v2/product/{type}/{uid}`.
#[derive(Debug, Clone, Default)]
pub struct ProductChange {
    pub name: Option<String>,
    pub cost_centre: Option<String>,
    pub marketplace_visibility: Option<bool>,
    pub term: Option<i64>,
    pub asn: Option<i64>,
    pub speed: Option<i64>,
    pub vnics: Option<Vec<String>>,
}

/// How long `CANCEL` (not `CANCEL_NOW`) waits before the service goes.
const CANCEL_LATER_MS: Millis = 30 * 86_400_000;

fn required<T>(field: &'static str, v: Option<T>) -> Result<T> {
    v.ok_or_else(|| {
        DomainError::invalid_field(field, format!("Validation failed {field} is required")).into()
    })
}

fn to_u32(field: &'static str, v: i64) -> Result<u32> {
    u32::try_from(v).map_err(|_| {
        DomainError::invalid_field(
            field,
            format!("Validation failed {field} {v} is out of range"),
        )
        .into()
    })
}

/// Monthly list price in USD: enough for a cost summary, not a price book.
fn monthly_rate(t: &str, speed: u32, term: u32) -> f64 {
    let base = match t {
        "MEGAPORT" => match speed {
            s if s <= 1000 => 550.0,
            s if s <= 10_000 => 1500.0,
            _ => 6000.0,
        },
        "MCR2" => 250.0 + f64::from(speed) * 0.1,
        "MVE" => 600.0,
        _ => 50.0 + f64::from(speed) * 0.05,
    };
    let discount = match term {
        1 => 1.0,
        12 => 0.9,
        24 => 0.85,
        _ => 0.8,
    };
    (base * discount * 100.0).round() / 100.0
}

/// What a design will write, decided with reads only.
enum Planned {
    Product(Box<Product>),
    Vxc(Box<PlannedVxc>),
}

fn plan_product(company: &CompanyUid, o: &ProductOrder, now: Millis) -> Result<Product> {
    let t = required("productType", o.product_type)?;
    product::validate_name("productName", &o.name)?;
    let term = to_u32("term", required("term", o.term)?)?;
    product::validate_term(term)?;
    product::validate_cost_centre(&o.cost_centre)?;
    let location_id = to_u32("locationId", required("locationId", o.location_id)?)?;
    let speed = match (t, o.speed) {
        (ProductType::Mve, s) => s
            .map(|s| to_u32("portSpeed", s))
            .transpose()?
            .unwrap_or(10_000),
        (_, s) => to_u32("portSpeed", required("portSpeed", s)?)?,
    };
    product::validate_location_speed(t, location_id, speed)?;
    let asn = match (t, o.asn) {
        (ProductType::Mcr, Some(a)) => Some(product::validate_asn("mcrAsn", a)?),
        (ProductType::Mcr, None) => Some(DEFAULT_MCR_ASN),
        _ => None,
    };
    let zone = match o.diversity_zone.as_deref().map(str::to_ascii_lowercase) {
        None => DiversityZone::Red,
        Some(z) if z.is_empty() => DiversityZone::Red,
        Some(z) => DiversityZone::parse(&z).ok_or_else(|| {
            DomainError::invalid_field(
                "diversityZone",
                format!("Validation failed diversityZone '{z}' is not valid: use red or blue"),
            )
        })?,
    };
    Ok(Product {
        uid: Uuid::new_v4(),
        product_id: 0,
        company: company.clone(),
        product_type: t,
        location_id,
        diversity_zone: zone,
        status: ProvisioningStatus::Deployable,
        created_at: now,
        spec: ProductSpec {
            name: o.name.trim().to_owned(),
            speed_mbps: speed,
            term_months: term,
            cost_centre: o.cost_centre.clone(),
            marketplace_visibility: o.marketplace_visibility.unwrap_or(t != ProductType::Mcr),
            asn,
            vnics: if t == ProductType::Mve && o.vnics.is_empty() {
                vec!["Data Plane".to_owned()]
            } else {
                o.vnics.clone()
            },
            locked: false,
            resource_tags: o.resource_tags.clone(),
        },
    })
}

fn plan(
    tx: &dyn Tx,
    company: &CompanyUid,
    lines: &[OrderLine],
    now: Millis,
) -> Result<Vec<Planned>> {
    if lines.is_empty() {
        return Err(DomainError::invalid("Validation failed the order has no services").into());
    }
    if lines.len() > 64 {
        return Err(DomainError::invalid("Validation failed at most 64 services per order").into());
    }
    // VLANs and keys taken by earlier lines of the same design.
    let mut taken: HashMap<Uuid, Vec<u16>> = HashMap::new();
    let mut keys_used: Vec<Uuid> = Vec::new();
    let mut rates: HashMap<Uuid, u64> = HashMap::new();
    lines
        .iter()
        .map(|l| match l {
            OrderLine::Product(o) => {
                plan_product(company, o, now).map(|p| Planned::Product(Box::new(p)))
            }
            OrderLine::Vxc(o) => {
                vxcs::plan_vxc(tx, company, o, now, &mut taken, &mut keys_used, &mut rates)
                    .map(|p| Planned::Vxc(Box::new(p)))
            }
        })
        .collect()
}

fn price_of(p: &Planned) -> LinePrice {
    match p {
        Planned::Product(p) => LinePrice {
            product_type: p.product_type.as_str(),
            name: p.spec.name.clone(),
            uid: p.uid,
            product_id: p.product_id,
            monthly_rate: monthly_rate(
                p.product_type.as_str(),
                p.spec.speed_mbps,
                p.spec.term_months,
            ),
            speed: p.spec.speed_mbps,
            term: p.spec.term_months,
            location_id: Some(p.location_id),
        },
        Planned::Vxc(v) => LinePrice {
            product_type: "VXC",
            name: v.vxc.spec.a_end.name.clone(),
            uid: v.vxc.uid,
            product_id: v.vxc.product_id,
            monthly_rate: monthly_rate("VXC", v.vxc.spec.rate_limit, v.vxc.spec.term_months),
            speed: v.vxc.spec.rate_limit,
            term: v.vxc.spec.term_months,
            location_id: None,
        },
    }
}

/// Cancels a product or VXC inside a rule, with what that brings down.
pub(crate) fn cancel_in(
    c: &crate::attachments::Schedule,
    tx: &dyn Tx,
    t: ResourceType,
    uid: Uuid,
    due: Option<Millis>,
    now: Millis,
) -> Result<()> {
    let row = tx.lifecycle(t, uid)?.ok_or_else(|| no_service(uid))?;
    if !ProvisioningStatus::parse(&row.status).is_some_and(ProvisioningStatus::is_active) {
        return Ok(());
    }
    tx.set_status(&row, ProvisioningStatus::Cancelled.as_str(), due, now)?;
    if t == ResourceType::Vxc {
        vxcs::after_cancel(c, tx, uid, now)?;
    }
    Ok(())
}

impl Control {
    /// `networkdesign/validate`: the design's prices, or the first reason it would be refused.
    pub async fn validate_order(
        &self,
        company: &CompanyUid,
        lines: Vec<OrderLine>,
    ) -> Result<Vec<LinePrice>> {
        let (company, now) = (company.clone(), self.now());
        self.read(move |tx| {
            Ok(plan(tx, &company, &lines, now)?
                .iter()
                .map(price_of)
                .collect())
        })
        .await
    }

    /// `networkdesign/buy`: every line is written, or none.
    pub async fn buy(&self, company: &CompanyUid, lines: Vec<OrderLine>) -> Result<Vec<LinePrice>> {
        let (company, now) = (company.clone(), self.now());
        let sched = self.schedule();
        let product_due = sched.due_after(ResourceType::MegaportProduct, "DEPLOYABLE", now);
        let vxc_due = sched.due_after(ResourceType::Vxc, "DEPLOYABLE", now);
        let out = self
            .rule(move |tx| {
                let m = tx.megaport();
                let planned = plan(tx, &company, &lines, now)?;
                let mut out = Vec::with_capacity(planned.len());
                for mut p in planned {
                    match &mut p {
                        Planned::Product(prod) => {
                            prod.product_id = m.insert_product(prod, product_due)?
                        }
                        Planned::Vxc(v) => vxcs::write_vxc(tx, v, vxc_due, now)?,
                    }
                    out.push(price_of(&p));
                }
                Ok(out)
            })
            .await?;
        self.wake.notify_one();
        Ok(out)
    }

    /// `GET /v2/products`: the company's ports, MCRs and MVEs with their VXCs.
    pub async fn list_products(&self, company: &CompanyUid) -> Result<Vec<ProductView>> {
        let company = company.clone();
        self.read(move |tx| {
            let m = tx.megaport();
            let name = company_name(m, &company)?;
            m.products_of(&company)?
                .into_iter()
                .map(|p| product_view(m, p, name.clone(), &company))
                .collect()
        })
        .await
    }

    /// A product of the company, or a VXC it holds an end of.
    pub async fn get_product(&self, company: &CompanyUid, uid: Uuid) -> Result<AnyProduct> {
        let company = company.clone();
        let found = self
            .read(move |tx| {
                let m = tx.megaport();
                if let Some(p) = m.product(uid)? {
                    if p.company != company {
                        return Err(no_service(uid));
                    }
                    let name = company_name(m, &company)?;
                    return Ok(AnyProduct::Product(Box::new(product_view(
                        m, p, name, &company,
                    )?)));
                }
                match m.vxc(uid)? {
                    Some(v) if v.side_of(&company).is_some() => {
                        Ok(AnyProduct::Vxc(Box::new(vxcs::view_of(m, v, &company)?)))
                    }
                    _ => Err(no_service(uid)),
                }
            })
            .await?;
        Ok(match found {
            AnyProduct::Vxc(v) => AnyProduct::Vxc(Box::new(self.with_bgp_status(*v).await)),
            other => other,
        })
    }

    /// `PUT /v2/product/{megaport|mcr2|mve}/{uid}`.
    pub async fn update_product(
        &self,
        company: &CompanyUid,
        uid: Uuid,
        change: ProductChange,
    ) -> Result<ProductView> {
        let c = company.clone();
        self.rule(move |tx| {
            let m = tx.megaport();
            let mut p = own_product(m, &c, uid)?;
            product::check_active(&p)?;
            product::check_unlocked(p.uid, p.spec.locked)?;
            if let Some(n) = &change.name {
                product::validate_name("name", n)?;
                p.spec.name = n.trim().to_owned();
            }
            if let Some(cc) = &change.cost_centre {
                product::validate_cost_centre(cc)?;
                p.spec.cost_centre = cc.clone();
            }
            if let Some(v) = change.marketplace_visibility {
                p.spec.marketplace_visibility = v;
            }
            if let Some(t) = change.term {
                let t = to_u32("term", t)?;
                product::validate_term(t)?;
                p.spec.term_months = t;
            }
            if let Some(s) = change.speed {
                if s != i64::from(p.spec.speed_mbps) {
                    return Err(DomainError::invalid_field(
                        "rateLimit",
                        format!(
                            "The rate limit of {} is fixed when it is ordered ({} Mbps) and cannot be changed",
                            p.spec.name, p.spec.speed_mbps
                        ),
                    )
                    .into());
                }
            }
            if let Some(a) = change.asn {
                if p.product_type != ProductType::Mcr {
                    return Err(DomainError::invalid_field("asn", "Validation failed only an MCR has an ASN").into());
                }
                let a = product::validate_asn("asn", a)?;
                let attached = m.vxcs_on_product(uid)?.iter().any(|v| v.status.is_active());
                if attached && Some(a) != p.spec.asn {
                    return Err(DomainError::invalid_field(
                        "asn",
                        "Cannot update ASN while VXCs are attached to this MCR. Please remove all VXC connections before changing the ASN.",
                    )
                    .into());
                }
                p.spec.asn = Some(a);
            }
            if let Some(v) = &change.vnics {
                if p.product_type != ProductType::Mve {
                    return Err(DomainError::invalid_field("vnics", "Validation failed only an MVE has vNICs").into());
                }
                p.spec.vnics = v.clone();
            }
            m.update_product_spec(&p)?;
            Ok(())
        })
        .await?;
        match self.get_product(company, uid).await? {
            AnyProduct::Product(p) => Ok(*p),
            AnyProduct::Vxc(_) => Err(no_service(uid)),
        }
    }

    /// `action/CANCEL|CANCEL_NOW|UN_CANCEL` on a product (with its VXCs) or a VXC.
    pub async fn cancel(
        &self,
        company: &CompanyUid,
        uid: Uuid,
        action: Cancel,
        safe: bool,
    ) -> Result<()> {
        let (c, now) = (company.clone(), self.now());
        let sched = self.schedule();
        self.rule(move |tx| {
            let m = tx.megaport();
            let (t, status) = if let Some(p) = m.product(uid)? {
                if p.company != c {
                    return Err(no_service(uid));
                }
                product::check_unlocked(uid, p.spec.locked)?;
                (ResourceType::MegaportProduct, p.status)
            } else {
                match m.vxc(uid)? {
                    Some(v) => match v.side_of(&c) {
                        Some(crosslink_domain::megaport::vxc::Side::A) => {
                            product::check_unlocked(uid, v.spec.locked)?;
                            (ResourceType::Vxc, v.status)
                        }
                        Some(_) => {
                            return Err(DomainError::forbidden(
                                "Only the owner of the VXC (the A-End, who ordered it with the service key) can cancel it",
                            )
                            .into())
                        }
                        None => return Err(no_service(uid)),
                    },
                    None => return Err(no_service(uid)),
                }
            };
            let row = tx.lifecycle(t, uid)?.ok_or_else(|| no_service(uid))?;
            match action {
                Cancel::Undo => {
                    if status != ProvisioningStatus::Cancelled {
                        return Err(DomainError::conflict(
                            t.kind(),
                            format!("Service {uid} is {} and only a CANCELLED service can be restored", status.as_str()),
                        )
                        .into());
                    }
                    tx.set_status(&row, ProvisioningStatus::Live.as_str(), None, now)?;
                    if t == ResourceType::MegaportProduct {
                        // The VXCs cancelled with it come back, where their other end still stands.
                        for v in m.vxcs_on_product(uid)? {
                            let other = if v.spec.a_end.product_uid == uid { v.spec.b_end.product_uid } else { v.spec.a_end.product_uid };
                            let other_up = m.product(other)?.is_some_and(|p| p.status.is_active());
                            if v.status == ProvisioningStatus::Cancelled && other_up {
                                if let Some(r) = tx.lifecycle(ResourceType::Vxc, v.uid)? {
                                    tx.set_status(&r, ProvisioningStatus::Live.as_str(), None, now)?;
                                }
                            }
                        }
                    }
                    Ok(())
                }
                Cancel::Now | Cancel::Later => {
                    if !status.is_active() {
                        return Ok(());
                    }
                    let due = match action {
                        Cancel::Later => Some(now + CANCEL_LATER_MS),
                        _ => sched.due_after(t, ProvisioningStatus::Cancelled.as_str(), now),
                    };
                    if t == ResourceType::MegaportProduct {
                        let attached: Vec<_> = m
                            .vxcs_on_product(uid)?
                            .into_iter()
                            .filter(|v| v.status.is_active())
                            .collect();
                        if safe && !attached.is_empty() {
                            return Err(DomainError::conflict(
                                Kind::Vxc,
                                format!("Service {uid} has {} attached VXC(s); cancel them first or cancel without safeDelete", attached.len()),
                            )
                            .into());
                        }
                        for v in attached {
                            cancel_in(&sched, tx, ResourceType::Vxc, v.uid, due, now)?;
                        }
                    }
                    cancel_in(&sched, tx, t, uid, due, now)
                }
            }
        })
        .await?;
        self.wake.notify_one();
        Ok(())
    }

    /// A product's or VXC's resource tags, as its owner set them.
    pub async fn tags(&self, company: &CompanyUid, uid: Uuid) -> Result<BTreeMap<String, String>> {
        let c = company.clone();
        self.read(move |tx| {
            let m = tx.megaport();
            if let Some(p) = m.product(uid)?.filter(|p| p.company == c) {
                return Ok(p.spec.resource_tags);
            }
            match m.vxc(uid)? {
                Some(v) if v.spec.a_end.owner == c => Ok(v.spec.resource_tags),
                _ => Err(no_service(uid)),
            }
        })
        .await
    }

    /// Replaces a product's or VXC's resource tags (its owner only).
    pub async fn set_tags(
        &self,
        company: &CompanyUid,
        uid: Uuid,
        tags: BTreeMap<String, String>,
    ) -> Result<()> {
        if tags.len() > 50
            || tags.iter().any(|(k, v)| {
                k.is_empty()
                    || k.len() > 128
                    || v.len() > 256
                    || k.chars().chain(v.chars()).any(char::is_control)
            })
        {
            return Err(DomainError::invalid_field(
                "resourceTags",
                "Validation failed at most 50 tags, keys 1 to 128 and values up to 256 characters, no control characters",
            )
            .into());
        }
        let c = company.clone();
        self.rule(move |tx| {
            let m = tx.megaport();
            if let Some(mut p) = m.product(uid)?.filter(|p| p.company == c) {
                p.spec.resource_tags = tags;
                return Ok(m.update_product_spec(&p)?);
            }
            match m.vxc(uid)? {
                Some(mut v) if v.spec.a_end.owner == c => {
                    v.spec.resource_tags = tags;
                    Ok(m.update_vxc_spec(&v)?)
                }
                _ => Err(no_service(uid)),
            }
        })
        .await
    }

    /// DigitalOcean's partner ports (what `/v2/dropdowns/partner/megaports` lists), with their
    /// company's name.
    pub async fn partner_ports(&self) -> Result<Vec<(Product, String)>> {
        self.read(move |tx| {
            let m = tx.megaport();
            let owner = crosslink_domain::megaport::company::digitalocean();
            Ok(m.products_of(&owner.uid)?
                .into_iter()
                .filter(|p| p.status.is_active())
                .map(|p| (p, owner.name.clone()))
                .collect())
        })
        .await
    }

    /// `POST|DELETE /v2/product/{uid}/lock`.
    pub async fn set_locked(&self, company: &CompanyUid, uid: Uuid, locked: bool) -> Result<()> {
        let c = company.clone();
        self.rule(move |tx| {
            let m = tx.megaport();
            if let Some(mut p) = m.product(uid)?.filter(|p| p.company == c) {
                p.spec.locked = locked;
                return Ok(m.update_product_spec(&p)?);
            }
            match m.vxc(uid)? {
                Some(mut v) if v.spec.a_end.owner == c => {
                    v.spec.locked = locked;
                    Ok(m.update_vxc_spec(&v)?)
                }
                _ => Err(no_service(uid)),
            }
        })
        .await
    }

    /// Whether `vlan` is free on the company's product (`GET /v2/product/port/{uid}/vlan`).
    pub async fn vlan_free(&self, company: &CompanyUid, uid: Uuid, vlan: i64) -> Result<bool> {
        let (c, now) = (company.clone(), self.now());
        self.read(move |tx| {
            let m = tx.megaport();
            let p = own_product(m, &c, uid)?;
            let req = crosslink_domain::megaport::vxc::parse_vlan("vlan", Some(vlan))?;
            let used = super::vlans_in_use(m, &p, now, None)?;
            Ok(
                crosslink_domain::megaport::vxc::assign_vlan("vlan", req, &used, &p.spec.name)
                    .is_ok(),
            )
        })
        .await
    }
}

/// A product or a VXC, as `GET /v2/product/{uid}` finds it.
#[derive(Debug, Clone)]
pub enum AnyProduct {
    Product(Box<ProductView>),
    Vxc(Box<VxcView>),
}

fn product_view(
    m: &dyn MegaportTx,
    p: Product,
    company_name: String,
    viewer: &CompanyUid,
) -> Result<ProductView> {
    let vxcs = m
        .vxcs_on_product(p.uid)?
        .into_iter()
        .filter(|v| v.status != ProvisioningStatus::Decommissioned)
        .map(|v| vxcs::view_of(m, v, viewer))
        .collect::<Result<Vec<_>>>()?;
    let (live_at, terminate_at) = m.service_dates(p.uid)?;
    Ok(ProductView {
        product: p,
        company_name,
        vxcs,
        live_at,
        terminate_at,
    })
}

/// The attachment a VXC served goes back to waiting for a session.
pub(crate) fn attachment_down(
    c: &crate::attachments::Schedule,
    tx: &dyn Tx,
    attachment: Uuid,
    now: Millis,
) -> Result<()> {
    if let Some(row) = tx.lifecycle(ResourceType::PartnerAttachment, attachment)? {
        crate::attachments::observe_in(c, tx, &row, Observation::BgpDown, now)?;
    }
    Ok(())
}
