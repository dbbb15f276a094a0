//! VPC and VPC-peering writes, written once over the transactional port: each reads what the
//! domain rule needs through [`Tx`], lets the domain decide, and writes what it decided. A
//! backend supplies the queries; these run inside its transaction, so two concurrent requests
//! cannot both pass a check only one of them may pass.

use crate::tx::Tx;
use crate::Result;
use crosslink_domain::peering::{self, PeeringStatus, VpcPeering};
use crosslink_domain::time::Millis;
use crosslink_domain::vpc::{self, Vpc, VpcCreate, VpcUpdate};
use crosslink_domain::{DomainError, Kind, ResourceType, TeamId};
use uuid::Uuid;

fn vpc_of(tx: &dyn Tx, team: &TeamId, id: Uuid) -> Result<Vpc> {
    tx.vpc(team, id)?
        .ok_or_else(|| DomainError::not_found(Kind::Vpc, id).into())
}

fn peering_of(tx: &dyn Tx, team: &TeamId, id: Uuid) -> Result<VpcPeering> {
    tx.peering(team, id)?
        .ok_or_else(|| DomainError::not_found(Kind::VpcPeering, id).into())
}

/// A /20 that overlaps none of the team's VPCs, nor `reserved` (a range about to be taken).
fn free_range(
    tx: &dyn Tx,
    team: &TeamId,
    reserved: Option<ipnet::Ipv4Net>,
) -> Result<ipnet::Ipv4Net> {
    let mut taken = tx.vpc_ranges(team)?;
    taken.extend(reserved);
    Ok(vpc::pick_free_range(&taken)?)
}

pub fn create_vpc(
    tx: &dyn Tx,
    team: &TeamId,
    req: VpcCreate,
    id: Uuid,
    now: Millis,
) -> Result<Vpc> {
    vpc::validate_create(&req)?;
    vpc::check_name_free(&req.name, tx.vpc_by_name(team, &req.name)?.as_ref(), None)?;
    if let Some(net) = &req.ip_range {
        vpc::check_no_overlap(net, tx.vpc_overlap_candidate(team, net)?.as_ref())?;
    }
    let first_in_region = !tx.region_has_vpc(team, &req.region)?;
    let seed_name = vpc::region_default_name(&req.region);
    let seed_name_taken = first_in_region
        && req.seed_default.is_some()
        && tx.vpc_by_name(team, &seed_name)?.is_some();
    let (seed, default) = vpc::default_plan(&req, first_in_region, seed_name_taken);
    if let (true, Some(seed_id)) = (seed, req.seed_default) {
        tx.insert_vpc(&Vpc {
            id: seed_id,
            team: team.clone(),
            name: seed_name,
            description: String::new(),
            region: req.region.clone(),
            ip_range: free_range(tx, team, req.ip_range)?,
            default: true,
            created_at: now,
        })?;
    }
    let v = Vpc {
        id,
        team: team.clone(),
        ip_range: match req.ip_range {
            Some(net) => net,
            None => free_range(tx, team, None)?,
        },
        name: req.name,
        description: req.description,
        region: req.region,
        default,
        created_at: now,
    };
    tx.insert_vpc(&v)?;
    Ok(v)
}

pub fn update_vpc(tx: &dyn Tx, team: &TeamId, id: Uuid, update: VpcUpdate) -> Result<Vpc> {
    let current = vpc_of(tx, team, id)?;
    let (next, demote_previous) = vpc::apply_update(&current, &update)?;
    if next.name != current.name {
        vpc::check_name_free(
            &next.name,
            tx.vpc_by_name(team, &next.name)?.as_ref(),
            Some(id),
        )?;
    }
    if demote_previous {
        tx.clear_region_default(team, &next.region)?;
    }
    tx.update_vpc(&next)?;
    Ok(next)
}

pub fn delete_vpc(tx: &dyn Tx, team: &TeamId, id: Uuid) -> Result<()> {
    let v = vpc_of(tx, team, id)?;
    let (peerings, attachments) = tx.vpc_usage(team, id)?;
    // Members (droplets, clusters) arrive with later features; none can exist yet.
    vpc::check_deletable(&v, 0, peerings, attachments)?;
    tx.delete_vpc(team, id)
}

pub fn create_peering(
    tx: &dyn Tx,
    team: &TeamId,
    name: &str,
    vpc_ids: [Uuid; 2],
    id: Uuid,
    now: Millis,
    due: Option<Millis>,
) -> Result<VpcPeering> {
    let a = vpc_of(tx, team, vpc_ids[0])?;
    let b = vpc_of(tx, team, vpc_ids[1])?;
    let existing = tx.peerings_of(team, &vpc_ids)?;
    let holder = tx.peering_by_name(team, name)?;
    peering::check_create(name, &a, &b, &existing, holder.as_ref())?;
    let p = VpcPeering {
        id,
        team: team.clone(),
        name: name.to_owned(),
        vpc_ids,
        status: PeeringStatus::Provisioning,
        created_at: now,
    };
    tx.insert_peering(&p, due)?;
    Ok(p)
}

/// Renames a peering; through the per-VPC route, `vpc` must be one of its two VPCs.
pub fn rename_peering(
    tx: &dyn Tx,
    team: &TeamId,
    id: Uuid,
    name: &str,
    vpc: Option<Uuid>,
) -> Result<VpcPeering> {
    peering::validate_peering_name(name)?;
    if let Some(vpc) = vpc {
        vpc_of(tx, team, vpc)?;
    }
    let mut p = peering_of(tx, team, id)?;
    if vpc.is_some_and(|v| !p.vpc_ids.contains(&v)) {
        return Err(DomainError::not_found(Kind::VpcPeering, id).into());
    }
    if p.name != name {
        peering::check_name_free(name, tx.peering_by_name(team, name)?.as_ref(), id)?;
        tx.rename_peering(team, id, name)?;
        p.name = name.to_owned();
    }
    Ok(p)
}

/// Marks a peering `DELETING` (once); the reconciler removes it when the step is due.
pub fn delete_peering(
    tx: &dyn Tx,
    team: &TeamId,
    id: Uuid,
    now: Millis,
    due: Option<Millis>,
) -> Result<VpcPeering> {
    let mut p = peering_of(tx, team, id)?;
    if p.status == PeeringStatus::Deleting {
        return Ok(p);
    }
    let row = tx
        .lifecycle(ResourceType::VpcPeering, id)?
        .ok_or_else(|| DomainError::not_found(Kind::VpcPeering, id))?;
    tx.set_status(&row, PeeringStatus::Deleting.as_str(), due, now)?;
    p.status = PeeringStatus::Deleting;
    Ok(p)
}
