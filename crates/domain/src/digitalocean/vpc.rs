//! VPC networks: naming, address ranges, and the default-VPC rules.

use crate::time::Millis;
use crate::{DomainError, Kind, TeamId};
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vpc {
    pub id: Uuid,
    pub team: TeamId,
    pub name: String,
    pub description: String,
    pub region: String,
    pub ip_range: Ipv4Net,
    pub default: bool,
    pub created_at: Millis,
}

impl Vpc {
    pub fn urn(&self) -> String {
        format!("do:vpc:{}", self.id)
    }
}

/// What a create request asks for, already checked by [`validate_create`].
#[derive(Debug, Clone)]
pub struct VpcCreate {
    pub name: String,
    pub description: String,
    pub region: String,
    pub ip_range: Option<Ipv4Net>,
    /// Set under [`DefaultVpcs::Seeded`]: if the team has no VPC in the region yet, its default
    /// `default-<region>` is created first with this id, so the requested VPC is not the default.
    pub seed_default: Option<Uuid>,
}

/// Which VPC becomes a region's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DefaultVpcs {
    /// The first VPC the team creates in the region, as the API reference says (and as a
    /// brand-new account behaves): it then cannot be deleted.
    #[default]
    First,
    /// A `default-<region>` made when the team first creates a VPC in the region, as on a
    /// lived-in account where every region in use already has one: the VPCs a user creates can
    /// all be deleted (what `terraform destroy` expects).
    Seeded,
}

impl std::str::FromStr for DefaultVpcs {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "first" => Ok(Self::First),
            "seeded" => Ok(Self::Seeded),
            _ => Err(format!(
                "default VPCs must be 'first' or 'seeded', not '{s}'"
            )),
        }
    }
}

/// Which VPC becomes the region's default when `req` is created: whether a seeded
/// `default-<region>` is made first (under `DefaultVpcs::Seeded`, unless the request is for that
/// very name or a VPC elsewhere already holds it), and whether the new VPC itself is the default.
pub fn default_plan(req: &VpcCreate, first_in_region: bool, seed_name_taken: bool) -> (bool, bool) {
    let seed = first_in_region
        && req.seed_default.is_some()
        && region_default_name(&req.region) != req.name
        && !seed_name_taken;
    (seed, first_in_region && !seed)
}

/// The name DigitalOcean gives a region's default VPC.
pub fn region_default_name(region: &str) -> String {
    format!("default-{region}")
}

/// A change to an existing VPC; `None` leaves the field alone (PATCH).
#[derive(Debug, Clone, Default)]
pub struct VpcUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub default: Option<bool>,
}

impl VpcUpdate {
    /// PUT sets every field "regardless of their current values": an absent description is
    /// empty and an absent `default` is false, so a PUT without `default` on a region's default
    /// VPC is refused as the real API refuses it (terraform-provider-digitalocean #747).
    pub fn replacing(name: String, description: Option<String>, default: Option<bool>) -> Self {
        Self {
            name: Some(name),
            description: Some(description.unwrap_or_default()),
            default: Some(default.unwrap_or(false)),
        }
    }
}

pub const MAX_DESCRIPTION: usize = 255;
/// Longest prefix (smallest network) DigitalOcean accepts since January 2022.
pub const MIN_PREFIX: u8 = 16;
pub const MAX_PREFIX: u8 = 28;
/// The size picked when a create request omits `ip_range`.
pub const DEFAULT_PREFIX: u8 = 20;

const RFC1918: [(Ipv4Addr, u8); 3] = [
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
];

fn rfc1918() -> impl Iterator<Item = Ipv4Net> {
    RFC1918
        .iter()
        .map(|&(a, p)| Ipv4Net::new(a, p).expect("valid prefix"))
}

/// Names are `^[a-zA-Z0-9\-\.]+$` (spec), at most 255 characters.
pub fn validate_name(name: &str, what: &str, allow_periods: bool) -> Result<(), DomainError> {
    if name.is_empty() {
        return Err(DomainError::invalid_field(
            "name",
            format!("{what} name must not be empty"),
        ));
    }
    if name.len() > 255 {
        return Err(DomainError::invalid_field(
            "name",
            format!("{what} name must be at most 255 characters"),
        ));
    }
    let ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || (allow_periods && c == '.'));
    if !ok {
        let allowed = if allow_periods {
            "letters, digits, dashes and periods"
        } else {
            "letters, digits and dashes"
        };
        return Err(DomainError::invalid_field(
            "name",
            format!("{what} name '{name}' may only contain {allowed}"),
        ));
    }
    Ok(())
}

pub fn validate_description(description: &str) -> Result<(), DomainError> {
    // A NUL or escape sequence stored here would reach every terminal and log that prints it.
    if let Some(c) = description.chars().find(|c| c.is_control()) {
        return Err(DomainError::invalid(format!(
            "description must not contain control characters (found U+{:04X})",
            c as u32
        )));
    }
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(DomainError::invalid(format!(
            "description must be at most {MAX_DESCRIPTION} characters"
        )));
    }
    Ok(())
}

/// Parses and checks a requested `ip_range`: an RFC 1918 network between /16 and /28, written
/// as its network address.
pub fn parse_ip_range(text: &str) -> Result<Ipv4Net, DomainError> {
    let net: Ipv4Net = text.trim().parse().map_err(|_| {
        DomainError::invalid(format!(
            "ip_range '{text}' is not an IPv4 CIDR block such as 10.10.10.0/24"
        ))
    })?;
    if net.network() != net.addr() {
        return Err(DomainError::invalid(format!(
            "ip_range '{text}' has host bits set; did you mean {}?",
            net.trunc()
        )));
    }
    if !(MIN_PREFIX..=MAX_PREFIX).contains(&net.prefix_len()) {
        return Err(DomainError::invalid(format!(
            "ip_range '{text}' must have a prefix length between /{MIN_PREFIX} and /{MAX_PREFIX}"
        )));
    }
    if !rfc1918().any(|private| private.contains(&net)) {
        return Err(DomainError::invalid(format!(
            "ip_range '{text}' must lie within a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)"
        )));
    }
    Ok(net)
}

pub fn validate_create(req: &VpcCreate) -> Result<(), DomainError> {
    validate_name(&req.name, "VPC", true)?;
    validate_description(&req.description)
}

pub fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Refuses a range that overlaps `existing`, the team's VPC whose range might (see the store's
/// lookup by range start), naming it so the user knows what to change.
pub fn check_no_overlap(range: &Ipv4Net, existing: Option<&Vpc>) -> Result<(), DomainError> {
    match existing {
        Some(v) if overlaps(range, &v.ip_range) => Err(DomainError::conflict(
            Kind::Vpc,
            format!(
                "ip_range {range} overlaps the range {} of VPC '{}' ({})",
                v.ip_range, v.name, v.id
            ),
        )),
        _ => Ok(()),
    }
}

pub fn check_name_free(
    name: &str,
    holder: Option<&Vpc>,
    except: Option<Uuid>,
) -> Result<(), DomainError> {
    match holder {
        Some(v) if Some(v.id) != except => Err(DomainError::conflict(
            Kind::Vpc,
            format!("a VPC named '{name}' already exists in this team"),
        )),
        _ => Ok(()),
    }
}

/// Picks the first /20 in RFC 1918 space that overlaps none of `taken`, a team's ranges (which
/// never overlap each other).
pub fn pick_free_range(taken: &[Ipv4Net]) -> Result<Ipv4Net, DomainError> {
    let mut sorted: Vec<Ipv4Net> = taken.to_vec();
    sorted.sort_by_key(|n| n.network());
    for block in rfc1918() {
        let Ok(candidates) = block.subnets(DEFAULT_PREFIX) else {
            continue;
        };
        for candidate in candidates {
            // A team's ranges never overlap each other, so only the last range starting at or
            // before the candidate's end can overlap it.
            let idx = sorted.partition_point(|n| n.network() <= candidate.broadcast());
            let clash = idx > 0 && sorted[idx - 1].broadcast() >= candidate.network();
            if !clash {
                return Ok(candidate);
            }
        }
    }
    Err(DomainError::conflict(
        Kind::Vpc,
        "no free /20 is left in private address space for this team; pass ip_range explicitly",
    ))
}

/// Applies an update to a VPC, enforcing the default rules. Returns the new VPC and whether the
/// region's previous default must be unset.
pub fn apply_update(vpc: &Vpc, update: &VpcUpdate) -> Result<(Vpc, bool), DomainError> {
    let mut next = vpc.clone();
    if let Some(name) = &update.name {
        validate_name(name, "VPC", true)?;
        next.name = name.clone();
    }
    if let Some(description) = &update.description {
        validate_description(description)?;
        next.description = description.clone();
    }
    let mut demote_previous = false;
    match update.default {
        Some(false) if vpc.default => {
            return Err(DomainError::forbidden("Can not unset default VPCs"));
        }
        Some(true) if !vpc.default => {
            next.default = true;
            demote_previous = true;
        }
        _ => {}
    }
    Ok((next, demote_previous))
}

/// A VPC can go when it is not its region's default and nothing is attached to it.
pub fn check_deletable(
    vpc: &Vpc,
    members: u64,
    peerings: u64,
    attachments: u64,
) -> Result<(), DomainError> {
    if vpc.default {
        return Err(DomainError::forbidden(
            "Can not delete a default VPC; make another VPC of the region its default first",
        ));
    }
    if members > 0 {
        return Err(DomainError::conflict(
            Kind::Vpc,
            "Can not delete VPC with members",
        ));
    }
    if peerings > 0 {
        return Err(DomainError::conflict(
            Kind::Vpc,
            format!("Can not delete VPC with peerings: delete its {peerings} VPC peering(s) first"),
        ));
    }
    if attachments > 0 {
        return Err(DomainError::conflict(Kind::Vpc, format!(
            "Can not delete VPC with partner attachments: remove it from its {attachments} partner attachment(s) first"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn ip_range_rules() {
        assert!(parse_ip_range("10.10.10.0/24").is_ok());
        assert!(parse_ip_range("172.16.0.0/16").is_ok());
        assert!(parse_ip_range("192.168.5.16/28").is_ok());
        for bad in [
            "8.8.8.0/24",
            "10.0.0.0/8",
            "10.0.0.0/15",
            "10.0.0.0/29",
            "10.0.0.1/24",
            "172.32.0.0/16",
            "nonsense",
            "10.0.0.0",
        ] {
            assert!(parse_ip_range(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn names() {
        assert!(validate_name("my-vpc.1", "VPC", true).is_ok());
        assert!(validate_name("my.vpc", "VPC peering", false).is_err());
        assert!(validate_name("has space", "VPC", true).is_err());
        assert!(validate_name("", "VPC", true).is_err());
        assert!(validate_name("nul\0", "VPC", true).is_err());
        assert!(validate_description("tabs\tand\0nul").is_err());
        assert!(validate_description("ünïcode is fine").is_ok());
    }

    #[test]
    fn picks_first_free_slash20() {
        assert_eq!(pick_free_range(&[]).unwrap(), net("10.0.0.0/20"));
        assert_eq!(
            pick_free_range(&[net("10.0.0.0/20"), net("10.0.16.0/28")]).unwrap(),
            net("10.0.32.0/20")
        );
        // A /16 covering many /20s is skipped over as a whole.
        assert_eq!(
            pick_free_range(&[net("10.0.0.0/16")]).unwrap(),
            net("10.1.0.0/20")
        );
        // A small range in the middle of a /20 blocks that /20.
        assert_eq!(
            pick_free_range(&[net("10.0.5.0/24")]).unwrap(),
            net("10.0.16.0/20")
        );
    }

    #[test]
    fn exhausts_into_other_private_blocks() {
        let all10: Vec<Ipv4Net> = net("10.0.0.0/8").subnets(16).unwrap().collect();
        assert_eq!(pick_free_range(&all10).unwrap(), net("172.16.0.0/20"));
    }

    #[test]
    fn default_rules() {
        let vpc = Vpc {
            id: Uuid::nil(),
            team: TeamId("t".into()),
            name: "a".into(),
            description: String::new(),
            region: "nyc1".into(),
            ip_range: net("10.0.0.0/20"),
            default: true,
            created_at: 0,
        };
        let unset = VpcUpdate {
            default: Some(false),
            ..Default::default()
        };
        assert_eq!(
            apply_update(&vpc, &unset).unwrap_err(),
            DomainError::forbidden("Can not unset default VPCs")
        );
        assert!(check_deletable(&vpc, 0, 0, 0).is_err());
        let other = Vpc {
            default: false,
            ..vpc.clone()
        };
        let set = VpcUpdate {
            default: Some(true),
            ..Default::default()
        };
        let (next, demote) = apply_update(&other, &set).unwrap();
        assert!(next.default && demote);
        assert!(matches!(
            check_deletable(&other, 1, 0, 0),
            Err(DomainError::Conflict { .. })
        ));
        assert!(matches!(
            check_deletable(&other, 0, 2, 0),
            Err(DomainError::Conflict { .. })
        ));
        assert!(check_deletable(&other, 0, 0, 0).is_ok());
        assert!(matches!(
            check_deletable(&other, 0, 0, 1),
            Err(DomainError::Conflict { .. })
        ));
    }
}
