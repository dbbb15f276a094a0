//! SQLite's side of the Megaport port: plain queries, no rules.

use crate::sqlite::{parse_uuid, record_event};
use crate::sqlite_tx::{conversion, key_row, SqliteTx, Unknown, KEY_COLS};
use crate::tx_megaport::MegaportTx;
use crate::{Result, StoreError};
use crosslink_domain::megaport::approval::{ApprovalStatus, Notification, OrderApproval};
use crosslink_domain::megaport::company::{Company, CompanyUid};
use crosslink_domain::megaport::port::DiversityZone;
use crosslink_domain::megaport::product::{Product, ProductType, ProvisioningStatus};
use crosslink_domain::megaport::service_key::ServiceKey;
use crosslink_domain::megaport::vxc::Vxc;
use crosslink_domain::time::Millis;
use crosslink_domain::{ResourceType, TenantId};
use rusqlite::{params, OptionalExtension, Row};
use uuid::Uuid;

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(col: usize, s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| conversion(col, e))
}

fn status(col: usize, s: String) -> rusqlite::Result<ProvisioningStatus> {
    ProvisioningStatus::parse(&s).ok_or_else(|| conversion(col, Unknown(s)))
}

pub(crate) const PRODUCT_COLS: &str =
    "uid, seq, company_uid, product_type, location_id, diversity_zone, status, created_at, spec";

pub(crate) fn product_row(r: &Row<'_>) -> rusqlite::Result<Product> {
    let t: String = r.get(3)?;
    let zone: String = r.get(5)?;
    Ok(Product {
        uid: parse_uuid(r.get(0)?)?,
        product_id: r.get(1)?,
        company: CompanyUid(r.get(2)?),
        product_type: ProductType::parse(&t).ok_or_else(|| conversion(3, Unknown(t.clone())))?,
        location_id: r.get(4)?,
        diversity_zone: DiversityZone::parse(&zone)
            .ok_or_else(|| conversion(5, Unknown(zone.clone())))?,
        status: status(6, r.get(6)?)?,
        created_at: r.get(7)?,
        spec: from_json(8, &r.get::<_, String>(8)?)?,
    })
}

/// VXC `productId`s start here, apart from products' (one counter per table).
pub(crate) const VXC_ID_BASE: i64 = 1_000_000;

const VXC_COLS: &str = "uid, seq, status, service_key_id, attachment_id, created_at, spec";

fn vxc_row(r: &Row<'_>) -> rusqlite::Result<Vxc> {
    let key: Option<String> = r.get(3)?;
    let att: Option<String> = r.get(4)?;
    Ok(Vxc {
        uid: parse_uuid(r.get(0)?)?,
        product_id: VXC_ID_BASE + r.get::<_, i64>(1)?,
        status: status(2, r.get(2)?)?,
        service_key: key.map(parse_uuid).transpose()?,
        attachment: att.map(parse_uuid).transpose()?,
        created_at: r.get(5)?,
        spec: from_json(6, &r.get::<_, String>(6)?)?,
    })
}

const APPROVAL_COLS: &str = "uid, seq, vxc_uid, requester_company, approver_company, type, status, detail, comment, created_at, decided_at";

fn approval_row(r: &Row<'_>) -> rusqlite::Result<OrderApproval> {
    let s: String = r.get(6)?;
    Ok(OrderApproval {
        uid: parse_uuid(r.get(0)?)?,
        id: r.get(1)?,
        vxc: parse_uuid(r.get(2)?)?,
        requester: CompanyUid(r.get(3)?),
        approver: CompanyUid(r.get(4)?),
        kind: r.get(5)?,
        status: ApprovalStatus::parse(&s).ok_or_else(|| conversion(6, Unknown(s.clone())))?,
        detail: r.get(7)?,
        comment: r.get(8)?,
        created_at: r.get(9)?,
        decided_at: r.get(10)?,
    })
}

fn all<T>(rows: impl Iterator<Item = rusqlite::Result<T>>) -> Result<Vec<T>> {
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

impl MegaportTx for SqliteTx<'_> {
    fn company(&self, uid: &CompanyUid) -> Result<Option<Company>> {
        Ok(self
            .0
            .prepare_cached("SELECT uid, name FROM companies WHERE uid = ?1")?
            .query_row(params![uid.0], |r| {
                Ok(Company {
                    uid: CompanyUid(r.get(0)?),
                    name: r.get(1)?,
                })
            })
            .optional()?)
    }

    fn insert_company(&self, c: &Company, now: Millis) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT OR IGNORE INTO companies (uid, name, created_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![c.uid.0, c.name, now])?;
        Ok(())
    }

    fn api_key(&self, access_key: &str) -> Result<Option<(String, CompanyUid)>> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT secret_hash, company_uid FROM megaport_api_keys WHERE access_key = ?1",
            )?
            .query_row(params![access_key], |r| {
                Ok((r.get(0)?, CompanyUid(r.get(1)?)))
            })
            .optional()?)
    }

    fn insert_api_key(
        &self,
        access_key: &str,
        secret_hash: &str,
        company: &CompanyUid,
        now: Millis,
    ) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO megaport_api_keys (access_key, secret_hash, company_uid, created_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![access_key, secret_hash, company.0, now])?;
        Ok(())
    }

    fn setting(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .0
            .prepare_cached("SELECT value FROM settings WHERE name = ?1")?
            .query_row(params![name], |r| r.get(0))
            .optional()?)
    }

    fn setting_or_insert(&self, name: &str, value: &str) -> Result<String> {
        self.0
            .prepare_cached("INSERT OR IGNORE INTO settings (name, value) VALUES (?1, ?2)")?
            .execute(params![name, value])?;
        self.setting(name)?
            .ok_or_else(|| StoreError::Backend(format!("setting {name} vanished")))
    }

    fn product(&self, uid: Uuid) -> Result<Option<Product>> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {PRODUCT_COLS} FROM products WHERE uid = ?1"
            ))?
            .query_row(params![uid.to_string()], product_row)
            .optional()?)
    }

    fn product_by_id(&self, id: i64) -> Result<Option<Product>> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {PRODUCT_COLS} FROM products WHERE seq = ?1"
            ))?
            .query_row(params![id], product_row)
            .optional()?)
    }

    fn products_of(&self, company: &CompanyUid) -> Result<Vec<Product>> {
        let mut stmt = self.0.prepare_cached(&format!(
            "SELECT {PRODUCT_COLS} FROM products WHERE company_uid = ?1 AND status != 'DECOMMISSIONED' ORDER BY seq"
        ))?;
        let rows = stmt.query_map(params![company.0], product_row)?;
        all(rows)
    }

    fn insert_product(&self, p: &Product, due: Option<Millis>) -> Result<i64> {
        self.0
            .prepare_cached(
                "INSERT INTO products (uid, company_uid, product_type, location_id, diversity_zone, spec,
                     status, generation, next_transition_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9)",
            )?
            .execute(params![
                p.uid.to_string(),
                p.company.0,
                p.product_type.as_str(),
                p.location_id,
                p.diversity_zone.as_str(),
                json(&p.spec)?,
                p.status.as_str(),
                due,
                p.created_at
            ])?;
        let id = self.0.last_insert_rowid();
        record_event(
            self.0,
            p.created_at,
            &TenantId::Company(p.company.clone()),
            ResourceType::MegaportProduct.as_str(),
            p.uid,
            None,
            Some(p.status.as_str()),
        )?;
        Ok(id)
    }

    fn update_product_spec(&self, p: &Product) -> Result<()> {
        self.0
            .prepare_cached("UPDATE products SET spec = ?2 WHERE uid = ?1")?
            .execute(params![p.uid.to_string(), json(&p.spec)?])?;
        Ok(())
    }

    fn service_dates(&self, uid: Uuid) -> Result<(Option<Millis>, Option<Millis>)> {
        Ok(self.0.prepare_cached(
            "SELECT (SELECT at FROM events WHERE resource_id = ?1 AND to_status = 'LIVE' ORDER BY seq DESC LIMIT 1),
                    coalesce((SELECT at FROM events WHERE resource_id = ?1 AND to_status = 'DECOMMISSIONED' ORDER BY seq DESC LIMIT 1),
                             (SELECT next_transition_at FROM products WHERE uid = ?1 AND status = 'CANCELLED'),
                             (SELECT next_transition_at FROM vxcs WHERE uid = ?1 AND status = 'CANCELLED'))",
        )?
        .query_row(params![uid.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?)
    }

    fn vxc(&self, uid: Uuid) -> Result<Option<Vxc>> {
        Ok(self
            .0
            .prepare_cached(&format!("SELECT {VXC_COLS} FROM vxcs WHERE uid = ?1"))?
            .query_row(params![uid.to_string()], vxc_row)
            .optional()?)
    }

    fn vxcs_on_product(&self, product: Uuid) -> Result<Vec<Vxc>> {
        let mut stmt = self.0.prepare_cached(&format!(
            "SELECT {VXC_COLS} FROM vxcs WHERE a_product = ?1 UNION SELECT {VXC_COLS} FROM vxcs WHERE b_product = ?1 ORDER BY 2"
        ))?;
        let rows = stmt.query_map(params![product.to_string()], vxc_row)?;
        all(rows)
    }

    fn vxcs_of_attachment(&self, attachment: Uuid) -> Result<Vec<Vxc>> {
        let mut stmt = self.0.prepare_cached(&format!(
            "SELECT {VXC_COLS} FROM vxcs WHERE attachment_id = ?1 ORDER BY seq"
        ))?;
        let rows = stmt.query_map(params![attachment.to_string()], vxc_row)?;
        all(rows)
    }

    fn committed_rate(&self, product: Uuid, except: Option<Uuid>) -> Result<u64> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT coalesce(SUM(json_extract(spec, '$.rate_limit')), 0) FROM vxcs
                 WHERE (a_product = ?1 OR b_product = ?1) AND status NOT IN ('CANCELLED', 'DECOMMISSIONED')
                   AND uid IS NOT ?2",
            )?
            .query_row(params![product.to_string(), except.map(|e| e.to_string())], |r| {
                r.get::<_, i64>(0)
            })?
            .max(0) as u64)
    }

    fn live_vxcs(&self) -> Result<Vec<Vxc>> {
        let mut stmt = self.0.prepare_cached(&format!(
            "SELECT {VXC_COLS} FROM vxcs WHERE status = 'LIVE' ORDER BY seq"
        ))?;
        let rows = stmt.query_map([], vxc_row)?;
        all(rows)
    }

    fn vlans_on_product(&self, product: Uuid, except: Option<Uuid>) -> Result<Vec<Option<u16>>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT json_extract(spec, '$.a_end.vlan') FROM vxcs
               WHERE a_product = ?1 AND status NOT IN ('CANCELLED', 'DECOMMISSIONED') AND uid IS NOT ?2
             UNION ALL
             SELECT json_extract(spec, '$.b_end.vlan') FROM vxcs
               WHERE b_product = ?1 AND status NOT IN ('CANCELLED', 'DECOMMISSIONED') AND uid IS NOT ?2",
        )?;
        let rows = stmt.query_map(
            params![product.to_string(), except.map(|e| e.to_string())],
            |r| r.get::<_, Option<u16>>(0),
        )?;
        all(rows)
    }

    fn insert_vxc(&self, v: &Vxc, due: Option<Millis>) -> Result<i64> {
        self.0
            .prepare_cached(
                "INSERT INTO vxcs (uid, a_company, a_product, b_company, b_product, service_key_id, attachment_id,
                     spec, status, generation, next_transition_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11)",
            )?
            .execute(params![
                v.uid.to_string(),
                v.spec.a_end.owner.0,
                v.spec.a_end.product_uid.to_string(),
                v.spec.b_end.owner.0,
                v.spec.b_end.product_uid.to_string(),
                v.service_key.map(|k| k.to_string()),
                v.attachment.map(|a| a.to_string()),
                json(&v.spec)?,
                v.status.as_str(),
                due,
                v.created_at
            ])?;
        let id = VXC_ID_BASE + self.0.last_insert_rowid();
        record_event(
            self.0,
            v.created_at,
            &TenantId::Company(v.spec.a_end.owner.clone()),
            ResourceType::Vxc.as_str(),
            v.uid,
            None,
            Some(v.status.as_str()),
        )?;
        Ok(id)
    }

    fn update_vxc_spec(&self, v: &Vxc) -> Result<()> {
        self.0
            .prepare_cached("UPDATE vxcs SET spec = ?2 WHERE uid = ?1")?
            .execute(params![v.uid.to_string(), json(&v.spec)?])?;
        Ok(())
    }

    fn service_key_by_value(&self, key: Uuid) -> Result<Option<ServiceKey>> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {KEY_COLS} FROM service_keys WHERE key = ?1"
            ))?
            .query_row(params![key.to_string()], key_row)
            .optional()?)
    }

    fn service_keys_of(
        &self,
        company: &CompanyUid,
        product: Option<Uuid>,
    ) -> Result<Vec<ServiceKey>> {
        let mut stmt = self.0.prepare_cached(&format!(
            "SELECT {KEY_COLS} FROM service_keys WHERE company_uid = ?1 AND (?2 IS NULL OR product_uid = ?2) ORDER BY seq"
        ))?;
        let rows = stmt.query_map(params![company.0, product.map(|p| p.to_string())], key_row)?;
        all(rows)
    }

    fn update_service_key(&self, k: &ServiceKey) -> Result<()> {
        self.0
            .prepare_cached(
                "UPDATE service_keys SET active = ?2, single_use = ?3, valid_from = ?4, valid_until = ?5, used_at = ?6
                 WHERE id = ?1",
            )?
            .execute(params![
                k.id.to_string(),
                k.active,
                k.single_use,
                k.valid_from,
                k.valid_until,
                k.used_at
            ])?;
        Ok(())
    }

    fn approval(&self, uid: Uuid) -> Result<Option<OrderApproval>> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {APPROVAL_COLS} FROM order_approvals WHERE uid = ?1"
            ))?
            .query_row(params![uid.to_string()], approval_row)
            .optional()?)
    }

    fn approvals_of(&self, company: &CompanyUid) -> Result<Vec<OrderApproval>> {
        let mut stmt = self.0.prepare_cached(&format!(
            "SELECT {APPROVAL_COLS} FROM order_approvals WHERE approver_company = ?1
             UNION SELECT {APPROVAL_COLS} FROM order_approvals WHERE requester_company = ?1 ORDER BY 2 DESC LIMIT 1000"
        ))?;
        let rows = stmt.query_map(params![company.0], approval_row)?;
        all(rows)
    }

    fn insert_approval(&self, a: &OrderApproval) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO order_approvals (uid, vxc_uid, requester_company, approver_company, type, status, detail, comment, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                a.uid.to_string(),
                a.vxc.to_string(),
                a.requester.0,
                a.approver.0,
                a.kind,
                a.status.as_str(),
                a.detail,
                a.comment,
                a.created_at
            ])?;
        Ok(())
    }

    fn decide_approval(
        &self,
        uid: Uuid,
        status: ApprovalStatus,
        comment: Option<&str>,
        now: Millis,
    ) -> Result<()> {
        self.0
            .prepare_cached(
                "UPDATE order_approvals SET status = ?2, comment = coalesce(?3, comment), decided_at = ?4 WHERE uid = ?1",
            )?
            .execute(params![uid.to_string(), status.as_str(), comment, now])?;
        Ok(())
    }

    fn notify(&self, n: &Notification) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO notifications (company_uid, at, kind, message, product_uid) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                n.company.0,
                n.at,
                n.kind,
                n.message,
                n.product_uid.map(|p| p.to_string())
            ])?;
        Ok(())
    }

    fn notifications_of(&self, company: &CompanyUid, limit: u32) -> Result<Vec<Notification>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT seq, company_uid, at, kind, message, product_uid FROM notifications
             WHERE company_uid = ?1 ORDER BY seq DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![company.0, limit], |r| {
            let p: Option<String> = r.get(5)?;
            Ok(Notification {
                seq: r.get(0)?,
                company: CompanyUid(r.get(1)?),
                at: r.get(2)?,
                kind: r.get(3)?,
                message: r.get(4)?,
                product_uid: p.map(parse_uuid).transpose()?,
            })
        })?;
        all(rows)
    }
}
