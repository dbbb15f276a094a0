//! VPC peerings: which pairs may be joined, and the status machine clients poll.

use crate::lifecycle::Step;
use crate::time::Millis;
use crate::vpc::{overlaps, validate_name, Vpc};
use crate::{DomainError, Kind, TeamId};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpcPeering {
    pub id: Uuid,
    pub team: TeamId,
    pub name: String,
    /// Stored in the order the request gave them, which is the order the API echoes.
    pub vpc_ids: [Uuid; 2],
    pub status: PeeringStatus,
    pub created_at: Millis,
}

/// The statuses terraform and doctl hard-code: create `PROVISIONING → ACTIVE`, delete
/// `DELETING →` gone (404).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeeringStatus {
    Provisioning,
    Active,
    Deleting,
}

impl PeeringStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provisioning => "PROVISIONING",
            Self::Active => "ACTIVE",
            Self::Deleting => "DELETING",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PROVISIONING" => Some(Self::Provisioning),
            "ACTIVE" => Some(Self::Active),
            "DELETING" => Some(Self::Deleting),
            _ => None,
        }
    }

    /// One reconciler step: provisioning becomes active, deleting is removed.
    pub fn step(self) -> Step {
        match self {
            Self::Provisioning => Step::To(Self::Active.as_str()),
            Self::Active => Step::Done,
            Self::Deleting => Step::Remove,
        }
    }

    /// Statuses with a step still to come.
    pub fn is_pending(self) -> bool {
        self.step() != Step::Done
    }
}

/// Peering names follow the model's pattern `^[a-zA-Z0-9\-]+$` on every route. The per-VPC
/// create route's inline schema also allows periods, but a peering so named would then break
/// the model every read returns, so periods are refused there too.
pub fn validate_peering_name(name: &str) -> Result<(), DomainError> {
    validate_name(name, "VPC peering", false)
}

/// A rename may not take another peering's name.
pub fn check_name_free(
    name: &str,
    holder: Option<&VpcPeering>,
    except: Uuid,
) -> Result<(), DomainError> {
    match holder {
        Some(p) if p.id != except => Err(DomainError::conflict(
            Kind::VpcPeering,
            format!("a VPC peering named '{name}' already exists in this team"),
        )),
        _ => Ok(()),
    }
}

/// The rules for joining two VPCs of one team. `existing` holds the team's peerings that involve
/// either VPC; `name_holder` the team's peering already using the name, if any.
pub fn check_create(
    name: &str,
    a: &Vpc,
    b: &Vpc,
    existing: &[VpcPeering],
    name_holder: Option<&VpcPeering>,
) -> Result<(), DomainError> {
    if a.id == b.id {
        return Err(DomainError::invalid_field(
            "vpc_ids",
            "a VPC cannot be peered with itself: vpc_ids must name two different VPCs",
        ));
    }
    if (a.region == "blr1" || b.region == "blr1") && a.region != b.region {
        return Err(DomainError::invalid(format!(
            "peering between datacenters is not available in BLR1 (VPC '{}' is in {}, VPC '{}' is in {})",
            a.name, a.region, b.name, b.region
        )));
    }
    if overlaps(&a.ip_range, &b.ip_range) {
        return Err(DomainError::conflict(
            Kind::VpcPeering,
            format!(
                "the ranges of VPC '{}' ({}) and VPC '{}' ({}) overlap",
                a.name, a.ip_range, b.name, b.ip_range
            ),
        ));
    }
    if let Some(p) = existing
        .iter()
        .find(|p| p.vpc_ids.contains(&a.id) && p.vpc_ids.contains(&b.id))
    {
        return Err(DomainError::conflict(
            Kind::VpcPeering,
            format!(
                "VPCs {} and {} are already peered by VPC peering '{}' ({})",
                a.id, b.id, p.name, p.id
            ),
        ));
    }
    if name_holder.is_some() {
        return Err(DomainError::conflict(
            Kind::VpcPeering,
            format!("a VPC peering named '{name}' already exists in this team"),
        ));
    }
    Ok(())
}

/// Two VPC ids, parsed; the API takes exactly two.
pub fn parse_vpc_ids(ids: &[String]) -> Result<[Uuid; 2], DomainError> {
    if ids.len() != 2 {
        return Err(DomainError::invalid(format!(
            "vpc_ids must hold exactly 2 VPC ids, got {}",
            ids.len()
        )));
    }
    let parse = |s: &String| {
        crate::parse_resource_id(s)
            .ok_or_else(|| DomainError::invalid(format!("vpc_ids: '{s}' is not a VPC id (UUID)")))
    };
    Ok([parse(&ids[0])?, parse(&ids[1])?])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vpc(name: &str, region: &str, range: &str) -> Vpc {
        Vpc {
            id: Uuid::new_v4(),
            team: TeamId("t".into()),
            name: name.into(),
            description: String::new(),
            region: region.into(),
            ip_range: range.parse().unwrap(),
            default: false,
            created_at: 0,
        }
    }

    #[test]
    fn pair_rules() {
        let a = vpc("a", "nyc1", "10.0.0.0/20");
        let b = vpc("b", "sfo3", "10.0.16.0/20");
        assert!(check_create("p", &a, &b, &[], None).is_ok());
        assert!(matches!(
            check_create("p", &a, &a, &[], None),
            Err(DomainError::Invalid { .. })
        ));
        let blr = vpc("c", "blr1", "10.0.32.0/20");
        assert!(matches!(
            check_create("p", &a, &blr, &[], None),
            Err(DomainError::Invalid { .. })
        ));
        let blr2 = vpc("d", "blr1", "10.0.48.0/20");
        assert!(check_create("p", &blr, &blr2, &[], None).is_ok());
        let existing = VpcPeering {
            id: Uuid::new_v4(),
            team: a.team.clone(),
            name: "x".into(),
            vpc_ids: [b.id, a.id],
            status: PeeringStatus::Active,
            created_at: 0,
        };
        assert!(matches!(
            check_create("p", &a, &b, std::slice::from_ref(&existing), None),
            Err(DomainError::Conflict { .. })
        ));
        assert!(matches!(
            check_create(
                "x",
                &a,
                &vpc("e", "ams3", "10.0.64.0/20"),
                &[],
                Some(&existing)
            ),
            Err(DomainError::Conflict { .. })
        ));
    }

    #[test]
    fn status_machine() {
        assert_eq!(PeeringStatus::Provisioning.step(), Step::To("ACTIVE"));
        assert_eq!(PeeringStatus::Active.step(), Step::Done);
        assert_eq!(PeeringStatus::Deleting.step(), Step::Remove);
        for s in [
            PeeringStatus::Provisioning,
            PeeringStatus::Active,
            PeeringStatus::Deleting,
        ] {
            assert_eq!(PeeringStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn vpc_ids_count() {
        assert!(parse_vpc_ids(&[]).is_err());
        assert!(parse_vpc_ids(&["x".into(), "y".into()]).is_err());
        let id = Uuid::new_v4().to_string();
        assert!(parse_vpc_ids(&[id.clone(), id.clone(), id]).is_err());
    }
}
