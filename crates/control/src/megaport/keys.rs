//! Service keys made by Megaport companies (DigitalOcean's are issued for attachments): the
//! seed page's rules for creating, listing, looking up, updating and deactivating them.

use super::{company_name, no_service, own_product, vlans_in_use};
use crate::{Control, Result};
use crosslink_domain::megaport::company::CompanyUid;
use crosslink_domain::megaport::product::{self, Product};
use crosslink_domain::megaport::service_key::{self, KeyRequest, KeyStatus, ServiceKey};
use crosslink_domain::megaport::vxc::{assign_vlan, VlanRequest};
use crosslink_domain::time::Millis;
use crosslink_domain::{DomainError, Kind};
use crosslink_store::MegaportTx;
use uuid::Uuid;

/// A product named by uid or by integer id (`productUid` / `productId` / `productIdOrUid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductRef {
    Uid(Uuid),
    Id(i64),
}

impl ProductRef {
    /// As `productIdOrUid` carries it.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        s.parse::<i64>()
            .ok()
            .map(Self::Id)
            .or_else(|| Uuid::try_parse(s).ok().map(Self::Uid))
    }
}

#[derive(Debug, Clone)]
pub struct NewServiceKey {
    pub product: ProductRef,
    pub request: KeyRequest,
}

/// `PUT /v2/service/key`: what may change after creation.
#[derive(Debug, Clone, Default)]
pub struct KeyUpdate {
    pub active: Option<bool>,
    pub single_use: Option<bool>,
    pub valid_from: Option<Millis>,
    pub valid_until: Option<Option<Millis>>,
}

/// A key found by its value. The key's company sees it whole; anyone else sees only what
/// ordering with it needs (the seed: "they do not know what kind of service they are
/// connecting to").
#[derive(Debug, Clone)]
pub struct KeyLookup {
    pub key: ServiceKey,
    pub owned: bool,
    pub product: Option<Product>,
    pub company_name: String,
    pub now: Millis,
}

fn resolve(m: &dyn MegaportTx, company: &CompanyUid, r: &ProductRef) -> Result<Product> {
    match r {
        ProductRef::Uid(u) => own_product(m, company, *u),
        ProductRef::Id(id) => match m.product_by_id(*id)? {
            Some(p) if &p.company == company => Ok(p),
            _ => Err(no_service(id)),
        },
    }
}

fn lookup_in(
    m: &dyn MegaportTx,
    company: &CompanyUid,
    k: ServiceKey,
    now: Millis,
) -> Result<KeyLookup> {
    let product = Uuid::try_parse(&k.product_uid)
        .ok()
        .map(|u| m.product(u))
        .transpose()?
        .flatten();
    Ok(KeyLookup {
        owned: &k.company == company,
        company_name: company_name(m, &k.company)?,
        product,
        key: k,
        now,
    })
}

fn unknown_key() -> crate::ControlError {
    DomainError::NotFound {
        kind: Kind::ServiceKey,
        id: None,
    }
    .into()
}

impl Control {
    pub async fn create_service_key(
        &self,
        company: &CompanyUid,
        req: NewServiceKey,
    ) -> Result<KeyLookup> {
        let (c, now) = (company.clone(), self.now());
        self.rule(move |tx| {
            let m = tx.megaport();
            let p = resolve(m, &c, &req.product)?;
            product::check_active(&p)?;
            let r = &req.request;
            service_key::validate_request(r, p.product_type, p.spec.speed_mbps)?;
            let used = vlans_in_use(m, &p, now, None)?;
            if used.untagged {
                return Err(DomainError::conflict(
                    Kind::ServiceKey,
                    format!("{} has an untagged VXC: it takes no new connections, so no service key can be made on it", p.spec.name),
                )
                .into());
            }
            if let Some(v) = r.vlan {
                assign_vlan("vlan", VlanRequest::Tagged(v), &used, &p.spec.name)?;
            }
            let key = ServiceKey {
                id: Uuid::new_v4(),
                key: Uuid::new_v4(),
                company: c.clone(),
                product_uid: p.uid.to_string(),
                description: r.description.clone(),
                max_speed: r.max_speed,
                single_use: r.single_use,
                active: r.active,
                valid_from: r.valid_from.unwrap_or(now),
                valid_until: r.valid_until,
                attachment: None,
                used_at: None,
                status: KeyStatus::Created,
                created_at: now,
                vlan: r.vlan,
                pre_approved: r.pre_approved,
                config: r.config.clone(),
            };
            tx.insert_service_key(&key, None)?;
            lookup_in(m, &c, key, now)
        })
        .await
    }

    /// The company's keys, all or one product's; deactivated and expired ones too.
    pub async fn list_service_keys(
        &self,
        company: &CompanyUid,
        product: Option<ProductRef>,
    ) -> Result<Vec<KeyLookup>> {
        let (c, now) = (company.clone(), self.now());
        self.read(move |tx| {
            let m = tx.megaport();
            let product = product.map(|r| resolve(m, &c, &r)).transpose()?;
            m.service_keys_of(&c, product.map(|p| p.uid))?
                .into_iter()
                .map(|k| lookup_in(m, &c, k, now))
                .collect()
        })
        .await
    }

    /// A key by its value, for its company or for one about to order with it.
    pub async fn lookup_service_key(&self, company: &CompanyUid, value: &str) -> Result<KeyLookup> {
        let value = Uuid::try_parse(value.trim()).map_err(|_| unknown_key())?;
        let (c, now) = (company.clone(), self.now());
        self.read(move |tx| {
            let m = tx.megaport();
            let k = m.service_key_by_value(value)?.ok_or_else(unknown_key)?;
            lookup_in(m, &c, k, now)
        })
        .await
    }

    /// Only the key's company changes it; a key is never deleted, only deactivated.
    pub async fn update_service_key(
        &self,
        company: &CompanyUid,
        value: &str,
        u: KeyUpdate,
    ) -> Result<KeyLookup> {
        let value = Uuid::try_parse(value.trim()).map_err(|_| unknown_key())?;
        let (c, now) = (company.clone(), self.now());
        self.rule(move |tx| {
            let m = tx.megaport();
            let mut k = m
                .service_key_by_value(value)?
                .filter(|k| k.company == c)
                .ok_or_else(unknown_key)?;
            if let Some(a) = u.active {
                k.active = a;
            }
            if let Some(s) = u.single_use {
                if s != k.single_use && k.used_at.is_some() {
                    return Err(DomainError::invalid_field("singleUse", "Validation failed a key that has been used cannot change between single-use and multi-use").into());
                }
                if !s && k.vlan.is_some() {
                    return Err(DomainError::invalid_field("singleUse", "Validation failed a key with a VLAN must stay single-use").into());
                }
                k.single_use = s;
            }
            if let Some(f) = u.valid_from {
                k.valid_from = f;
            }
            if let Some(e) = u.valid_until {
                k.valid_until = e;
            }
            if k.valid_until.is_some_and(|e| e <= k.valid_from) {
                return Err(DomainError::invalid_field("validFor", "Validation failed validFor.end must be after validFor.start").into());
            }
            m.update_service_key(&k)?;
            lookup_in(m, &c, k, now)
        })
        .await
    }
}
