//! SQLite's side of the transactional port: plain queries over the writer connection, inside
//! the transaction (and savepoint) the writer thread opened. No rules here.

use crate::sqlite::{
    count, insert_vpc, parse_uuid, peering_by_id_opt, peering_row, record_event, vpc_by_id_opt,
    vpc_by_name, vpc_overlap_candidate, PEERING_COLS,
};
use crate::sqlite_megaport::{product_row, PRODUCT_COLS};
use crate::tx::{LifecycleRow, Tx};
use crate::{Result, StoreError};
use crosslink_domain::attachment::{AttachmentState, Bgp, PartnerAttachment, RedundancyZone};
use crosslink_domain::megaport::company::{self, CompanyUid};
use crosslink_domain::megaport::location;
use crosslink_domain::megaport::port::{DiversityZone, Port};
use crosslink_domain::megaport::service_key::{KeyStatus, ServiceKey};
use crosslink_domain::peering::VpcPeering;
use crosslink_domain::time::Millis;
use crosslink_domain::{ResourceType, TeamId, TenantId, Vpc};
use ipnet::Ipv4Net;
use rusqlite::{params, Connection, OptionalExtension, Row};
use uuid::Uuid;

pub(crate) struct SqliteTx<'c>(pub &'c Connection);

/// Where each lifecycle lives: table, id column, and the SQL naming its tenant.
pub(crate) fn lifecycle_table(t: ResourceType) -> (&'static str, &'static str, &'static str) {
    match t {
        ResourceType::VpcPeering => ("vpc_peerings", "id", "'team:' || team"),
        ResourceType::PartnerAttachment => ("partner_attachments", "id", "'team:' || team"),
        ResourceType::ServiceKey => ("service_keys", "id", "'company:' || company_uid"),
        ResourceType::MegaportProduct => ("products", "uid", "'company:' || company_uid"),
        ResourceType::Vxc => ("vxcs", "uid", "'company:' || a_company"),
    }
}

pub(crate) fn conversion(
    col: usize,
    e: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
}

#[derive(Debug)]
pub(crate) struct Unknown(pub String);
impl std::fmt::Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown stored value '{}'", self.0)
    }
}
impl std::error::Error for Unknown {}

pub(crate) const ATTACHMENT_COLS: &str = "id, team, name, status, bandwidth_mbps, metro, naas_provider, \
     local_asn, local_router_ip, peer_asn, peer_router_ip, auth_key, redundancy_zone, parent_id, created_at";

/// An attachment row; its VPCs are read separately (`with_vpcs`).
pub(crate) fn attachment_row(r: &Row<'_>) -> rusqlite::Result<PartnerAttachment> {
    let status: String = r.get(3)?;
    let zone: String = r.get(12)?;
    let parent: Option<String> = r.get(13)?;
    Ok(PartnerAttachment {
        id: parse_uuid(r.get(0)?)?,
        team: TeamId(r.get(1)?),
        name: r.get(2)?,
        state: AttachmentState::parse(&status)
            .ok_or_else(|| conversion(3, Unknown(status.clone())))?,
        bandwidth_mbps: r.get(4)?,
        metro: r.get(5)?,
        naas_provider: r.get(6)?,
        vpc_ids: Vec::new(),
        bgp: Bgp {
            local_asn: r.get(7)?,
            local_router_ip: r
                .get::<_, String>(8)?
                .parse()
                .map_err(|e| conversion(8, e))?,
            peer_asn: r.get(9)?,
            peer_router_ip: r
                .get::<_, String>(10)?
                .parse()
                .map_err(|e| conversion(10, e))?,
            auth_key: r.get(11)?,
        },
        redundancy_zone: RedundancyZone::parse(Some(&zone))
            .map_err(|_| conversion(12, Unknown(zone.clone())))?,
        parent: parent.map(parse_uuid).transpose()?,
        created_at: r.get(14)?,
    })
}

pub(crate) fn with_vpcs(c: &Connection, mut a: PartnerAttachment) -> Result<PartnerAttachment> {
    a.vpc_ids = c
        .prepare_cached(
            "SELECT vpc_id FROM attachment_vpcs WHERE attachment_id = ?1 ORDER BY position",
        )?
        .query_map(params![a.id.to_string()], |r| parse_uuid(r.get(0)?))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(a)
}

pub(crate) fn attachment_by_id(
    c: &Connection,
    team: &TeamId,
    id: Uuid,
) -> Result<Option<PartnerAttachment>> {
    let a = c
        .prepare_cached(&format!(
            "SELECT {ATTACHMENT_COLS} FROM partner_attachments WHERE team = ?1 AND id = ?2"
        ))?
        .query_row(params![team.0, id.to_string()], attachment_row)
        .optional()?;
    a.map(|a| with_vpcs(c, a)).transpose()
}

pub(crate) fn children(c: &Connection, id: Uuid) -> Result<Vec<Uuid>> {
    Ok(
        c.prepare_cached("SELECT id FROM partner_attachments WHERE parent_id = ?1 ORDER BY seq")?
            .query_map(params![id.to_string()], |r| parse_uuid(r.get(0)?))?
            .collect::<rusqlite::Result<Vec<_>>>()?,
    )
}

pub(crate) const KEY_COLS: &str =
    "id, key, company_uid, product_uid, description, max_speed, single_use, active, \
     valid_from, valid_until, attachment_id, used_at, status, created_at, vlan, pre_approved, config";

pub(crate) fn key_row(r: &Row<'_>) -> rusqlite::Result<ServiceKey> {
    let status: String = r.get(12)?;
    let attachment: Option<String> = r.get(10)?;
    Ok(ServiceKey {
        id: parse_uuid(r.get(0)?)?,
        key: parse_uuid(r.get(1)?)?,
        company: CompanyUid(r.get(2)?),
        product_uid: r.get(3)?,
        description: r.get(4)?,
        max_speed: r.get(5)?,
        single_use: r.get(6)?,
        active: r.get(7)?,
        valid_from: r.get(8)?,
        valid_until: r.get(9)?,
        attachment: attachment.map(parse_uuid).transpose()?,
        used_at: r.get(11)?,
        status: KeyStatus::parse(&status).ok_or_else(|| conversion(12, Unknown(status.clone())))?,
        created_at: r.get(13)?,
        vlan: r.get(14)?,
        pre_approved: r.get(15)?,
        config: r
            .get::<_, Option<String>>(16)?
            .map(|c| serde_json::from_str(&c).map_err(|e| conversion(16, e)))
            .transpose()?,
    })
}

fn write_vpcs(c: &Connection, a: &PartnerAttachment) -> Result<()> {
    c.prepare_cached("DELETE FROM attachment_vpcs WHERE attachment_id = ?1")?
        .execute(params![a.id.to_string()])?;
    let mut insert = c.prepare_cached(
        "INSERT INTO attachment_vpcs (attachment_id, team, vpc_id, position) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (i, v) in a.vpc_ids.iter().enumerate() {
        insert.execute(params![a.id.to_string(), a.team.0, v.to_string(), i as i64])?;
    }
    Ok(())
}

impl Tx for SqliteTx<'_> {
    fn vpc(&self, team: &TeamId, id: Uuid) -> Result<Option<Vpc>> {
        vpc_by_id_opt(self.0, team, id)
    }

    fn vpc_by_name(&self, team: &TeamId, name: &str) -> Result<Option<Vpc>> {
        vpc_by_name(self.0, team, name)
    }

    fn vpc_overlap_candidate(&self, team: &TeamId, net: &Ipv4Net) -> Result<Option<Vpc>> {
        vpc_overlap_candidate(self.0, team, net)
    }

    fn region_has_vpc(&self, team: &TeamId, region: &str) -> Result<bool> {
        Ok(count(
            self.0,
            "SELECT EXISTS (SELECT 1 FROM vpcs WHERE team = ?1 AND region = ?2)",
            params![team.0, region],
        )? > 0)
    }

    fn vpc_ranges(&self, team: &TeamId) -> Result<Vec<Ipv4Net>> {
        Ok(self
            .0
            .prepare_cached("SELECT ip_range FROM vpcs WHERE team = ?1")?
            .query_map(params![team.0], |r| r.get::<_, String>(0))?
            .filter_map(|r| r.ok().and_then(|s| s.parse().ok()))
            .collect())
    }

    fn insert_vpc(&self, v: &Vpc) -> Result<()> {
        insert_vpc(self.0, v)
    }

    fn update_vpc(&self, v: &Vpc) -> Result<()> {
        self.0
            .prepare_cached(
                "UPDATE vpcs SET name = ?3, description = ?4, is_default = ?5 WHERE team = ?1 AND id = ?2",
            )?
            .execute(params![v.team.0, v.id.to_string(), v.name, v.description, v.default])?;
        Ok(())
    }

    fn clear_region_default(&self, team: &TeamId, region: &str) -> Result<()> {
        self.0
            .prepare_cached(
                "UPDATE vpcs SET is_default = 0 WHERE team = ?1 AND region = ?2 AND is_default = 1",
            )?
            .execute(params![team.0, region])?;
        Ok(())
    }

    fn delete_vpc(&self, team: &TeamId, id: Uuid) -> Result<()> {
        self.0
            .prepare_cached("DELETE FROM vpcs WHERE team = ?1 AND id = ?2")?
            .execute(params![team.0, id.to_string()])?;
        Ok(())
    }

    fn vpc_usage(&self, team: &TeamId, id: Uuid) -> Result<(u64, u64)> {
        let id = id.to_string();
        Ok((
            count(
                self.0,
                "SELECT COUNT(*) FROM vpc_peerings WHERE team = ?1 AND (vpc_a = ?2 OR vpc_b = ?2)",
                params![team.0, id],
            )?,
            count(
                self.0,
                "SELECT COUNT(*) FROM attachment_vpcs WHERE team = ?1 AND vpc_id = ?2",
                params![team.0, id],
            )?,
        ))
    }

    fn peering(&self, team: &TeamId, id: Uuid) -> Result<Option<VpcPeering>> {
        peering_by_id_opt(self.0, team, id)
    }

    fn peering_by_name(&self, team: &TeamId, name: &str) -> Result<Option<VpcPeering>> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {PEERING_COLS} FROM vpc_peerings WHERE team = ?1 AND name = ?2"
            ))?
            .query_row(params![team.0, name], peering_row)
            .optional()?)
    }

    fn peerings_of(&self, team: &TeamId, vpcs: &[Uuid; 2]) -> Result<Vec<VpcPeering>> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {PEERING_COLS} FROM vpc_peerings WHERE team = ?1 AND (vpc_a IN (?2, ?3) OR vpc_b IN (?2, ?3))"
            ))?
            .query_map(
                params![team.0, vpcs[0].to_string(), vpcs[1].to_string()],
                peering_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn insert_peering(&self, p: &VpcPeering, due: Option<Millis>) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO vpc_peerings (id, team, name, vpc_a, vpc_b, status, generation, next_transition_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8)",
            )?
            .execute(params![
                p.id.to_string(),
                p.team.0,
                p.name,
                p.vpc_ids[0].to_string(),
                p.vpc_ids[1].to_string(),
                p.status.as_str(),
                due,
                p.created_at
            ])?;
        record_event(
            self.0,
            p.created_at,
            &TenantId::from(&p.team),
            ResourceType::VpcPeering.as_str(),
            p.id,
            None,
            Some(p.status.as_str()),
        )
    }

    fn rename_peering(&self, team: &TeamId, id: Uuid, name: &str) -> Result<()> {
        self.0
            .prepare_cached("UPDATE vpc_peerings SET name = ?3 WHERE team = ?1 AND id = ?2")?
            .execute(params![team.0, id.to_string(), name])?;
        Ok(())
    }

    fn attachment(&self, team: &TeamId, id: Uuid) -> Result<Option<PartnerAttachment>> {
        attachment_by_id(self.0, team, id)
    }

    fn attachment_by_name(&self, team: &TeamId, name: &str) -> Result<Option<PartnerAttachment>> {
        let a = self
            .0
            .prepare_cached(&format!(
                "SELECT {ATTACHMENT_COLS} FROM partner_attachments WHERE team = ?1 AND name = ?2"
            ))?
            .query_row(params![team.0, name], attachment_row)
            .optional()?;
        a.map(|a| with_vpcs(self.0, a)).transpose()
    }

    fn attachment_children(&self, id: Uuid) -> Result<Vec<Uuid>> {
        children(self.0, id)
    }

    fn insert_attachment(&self, a: &PartnerAttachment, due: Option<Millis>) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO partner_attachments (id, team, name, metro, naas_provider, bandwidth_mbps, redundancy_zone,
                     parent_id, local_asn, local_router_ip, peer_asn, peer_router_ip, auth_key, status, generation,
                     next_transition_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 1, ?15, ?16)",
            )?
            .execute(params![
                a.id.to_string(),
                a.team.0,
                a.name,
                a.metro,
                a.naas_provider,
                a.bandwidth_mbps,
                a.redundancy_zone.as_str(),
                a.parent.map(|p| p.to_string()),
                a.bgp.local_asn,
                a.bgp.local_router_ip.to_string(),
                a.bgp.peer_asn,
                a.bgp.peer_router_ip.to_string(),
                a.bgp.auth_key,
                a.state.as_str(),
                due,
                a.created_at
            ])?;
        write_vpcs(self.0, a)?;
        record_event(
            self.0,
            a.created_at,
            &TenantId::from(&a.team),
            ResourceType::PartnerAttachment.as_str(),
            a.id,
            None,
            Some(a.state.as_str()),
        )
    }

    fn update_attachment(&self, a: &PartnerAttachment) -> Result<()> {
        self.0
            .prepare_cached(
                "UPDATE partner_attachments SET name = ?3, local_asn = ?4, local_router_ip = ?5, peer_asn = ?6,
                     peer_router_ip = ?7, auth_key = ?8
                 WHERE team = ?1 AND id = ?2",
            )?
            .execute(params![
                a.team.0,
                a.id.to_string(),
                a.name,
                a.bgp.local_asn,
                a.bgp.local_router_ip.to_string(),
                a.bgp.peer_asn,
                a.bgp.peer_router_ip.to_string(),
                a.bgp.auth_key
            ])?;
        write_vpcs(self.0, a)
    }

    fn partner_port(&self, metro: &str, zone: DiversityZone) -> Result<Option<Port>> {
        let Some(loc) = location::partner_location(metro) else {
            return Ok(None);
        };
        let p = self
            .0
            .prepare_cached(&format!(
                "SELECT {PRODUCT_COLS} FROM products
                 WHERE company_uid = ?1 AND location_id = ?2 AND diversity_zone = ?3 AND product_type = 'MEGAPORT'
                 ORDER BY seq LIMIT 1"
            ))?
            .query_row(
                params![company::DIGITALOCEAN_UID, loc.id, zone.as_str()],
                product_row,
            )
            .optional()?;
        Ok(p.map(|p| Port {
            uid: p.uid.to_string(),
            company: p.company,
            name: p.spec.name,
            metro: metro.to_owned(),
            diversity_zone: p.diversity_zone,
            speed_mbps: p.spec.speed_mbps,
        }))
    }

    fn service_key(&self, id: Uuid) -> Result<Option<ServiceKey>> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {KEY_COLS} FROM service_keys WHERE id = ?1"
            ))?
            .query_row(params![id.to_string()], key_row)
            .optional()?)
    }

    fn active_service_keys(&self, attachment: Uuid) -> Result<Vec<ServiceKey>> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {KEY_COLS} FROM service_keys WHERE attachment_id = ?1 AND active = 1 ORDER BY seq"
            ))?
            .query_map(params![attachment.to_string()], key_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn insert_service_key(&self, k: &ServiceKey, due: Option<Millis>) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO service_keys (id, key, company_uid, product_uid, description, max_speed, single_use, active,
                     valid_from, valid_until, attachment_id, used_at, status, generation, next_transition_at, created_at,
                     vlan, pre_approved, config)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1, ?14, ?15, ?16, ?17, ?18)",
            )?
            .execute(params![
                k.id.to_string(),
                k.key.to_string(),
                k.company.0,
                k.product_uid,
                k.description,
                k.max_speed,
                k.single_use,
                k.active,
                k.valid_from,
                k.valid_until,
                k.attachment.map(|a| a.to_string()),
                k.used_at,
                k.status.as_str(),
                due,
                k.created_at,
                k.vlan,
                k.pre_approved,
                k.config
                    .as_ref()
                    .map(serde_json::to_string)
                    .transpose()
                    .map_err(|e| StoreError::Backend(e.to_string()))?
            ])?;
        record_event(
            self.0,
            k.created_at,
            &TenantId::Company(k.company.clone()),
            ResourceType::ServiceKey.as_str(),
            k.id,
            None,
            Some(k.status.as_str()),
        )
    }

    fn set_service_key_active(&self, id: Uuid, active: bool) -> Result<()> {
        self.0
            .prepare_cached("UPDATE service_keys SET active = ?2 WHERE id = ?1")?
            .execute(params![id.to_string(), active])?;
        Ok(())
    }

    fn megaport(&self) -> &dyn crate::tx_megaport::MegaportTx {
        self
    }

    fn lifecycle(&self, t: ResourceType, id: Uuid) -> Result<Option<LifecycleRow>> {
        let (table, id_col, tenant) = lifecycle_table(t);
        let row = self
            .0
            .prepare_cached(&format!(
                "SELECT {tenant}, status, generation FROM {table} WHERE {id_col} = ?1"
            ))?
            .query_row(params![id.to_string()], |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        row.map(|(tenant, status, generation)| {
            Ok(LifecycleRow {
                resource_type: t,
                id,
                tenant: tenant.parse().map_err(StoreError::Backend)?,
                status,
                generation,
            })
        })
        .transpose()
    }

    fn set_status(
        &self,
        row: &LifecycleRow,
        status: &str,
        due: Option<Millis>,
        now: Millis,
    ) -> Result<bool> {
        set_status(self.0, row, status, due, now)
    }
}

/// The generic compare-and-swap every lifecycle step goes through.
pub(crate) fn set_status(
    c: &Connection,
    row: &LifecycleRow,
    status: &str,
    due: Option<Millis>,
    now: Millis,
) -> Result<bool> {
    let (table, id_col, _) = lifecycle_table(row.resource_type);
    let changed = c
        .prepare_cached(&format!(
            "UPDATE {table} SET status = ?3, generation = generation + 1, next_transition_at = ?4,
                 lease_owner = NULL, lease_until = NULL, last_error = NULL
             WHERE {id_col} = ?1 AND generation = ?2"
        ))?
        .execute(params![row.id.to_string(), row.generation, status, due])?
        == 1;
    if changed && status != row.status {
        record_event(
            c,
            now,
            &row.tenant,
            row.resource_type.as_str(),
            row.id,
            Some(&row.status),
            Some(status),
        )?;
    }
    Ok(changed)
}
