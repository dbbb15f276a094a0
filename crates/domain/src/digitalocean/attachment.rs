//! Partner Network Connect: a partner attachment joins a team's VPCs in one metro to a
//! Megaport partner port, through a service key the customer takes to Megaport, with BGP
//! between DigitalOcean's router and the customer's MCR.

use crate::lifecycle::{Observation, Step};
use crate::megaport::port::{DiversityZone, PARTNER_METROS};
use crate::time::Millis;
use crate::vpc::{validate_name, Vpc};
use crate::{DomainError, Kind, TeamId};
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerAttachment {
    pub id: Uuid,
    pub team: TeamId,
    pub name: String,
    pub state: AttachmentState,
    pub bandwidth_mbps: u32,
    /// Lower-case metro code (`nyc`).
    pub metro: String,
    /// Exactly as the client sent it: Terraform replaces an attachment whose value changes.
    pub naas_provider: String,
    pub vpc_ids: Vec<Uuid>,
    pub bgp: Bgp,
    pub redundancy_zone: RedundancyZone,
    pub parent: Option<Uuid>,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bgp {
    pub local_asn: u32,
    /// DigitalOcean's router address with its /29, e.g. `169.254.0.1/29`.
    pub local_router_ip: Ipv4Net,
    pub peer_asn: u32,
    /// The customer's (MCR's) address on the same /29.
    pub peer_router_ip: Ipv4Net,
    /// The TCP-MD5 password of the session. Shown only by the `bgp_auth_key` route.
    pub auth_key: String,
}

/// The states Terraform waits on (`CREATING → CREATED`, delete `DELETING →` 404), and `ACTIVE`
/// while the BGP session is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttachmentState {
    Creating,
    Created,
    Active,
    Deleting,
}

impl AttachmentState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "CREATING",
            Self::Created => "CREATED",
            Self::Active => "ACTIVE",
            Self::Deleting => "DELETING",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "CREATING" => Some(Self::Creating),
            "CREATED" => Some(Self::Created),
            "ACTIVE" => Some(Self::Active),
            "DELETING" => Some(Self::Deleting),
            _ => None,
        }
    }

    /// No state moves on a timer but deletion: the others wait for what they depend on.
    pub fn step(self) -> Step {
        match self {
            Self::Creating => Step::Await(Observation::ServiceKeyIssued),
            Self::Created => Step::Await(Observation::BgpEstablished),
            Self::Active => Step::Await(Observation::BgpDown),
            Self::Deleting => Step::Remove,
        }
    }

    pub fn observe(self, seen: Observation) -> Option<Self> {
        match (self, seen) {
            (Self::Creating, Observation::ServiceKeyIssued) => Some(Self::Created),
            (Self::Created, Observation::BgpEstablished) => Some(Self::Active),
            (Self::Active, Observation::BgpDown) => Some(Self::Created),
            _ => None,
        }
    }
}

/// Megaport's diversity zones in DigitalOcean's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RedundancyZone {
    Red,
    Blue,
}

impl RedundancyZone {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Red => "MEGAPORT_RED",
            Self::Blue => "MEGAPORT_BLUE",
        }
    }

    /// `MEGAPORT_RED` or `MEGAPORT_BLUE`, any case; absent is red.
    pub fn parse(s: Option<&str>) -> Result<Self, DomainError> {
        match s.map(|s| s.trim().to_ascii_uppercase()).as_deref() {
            None | Some("MEGAPORT_RED") => Ok(Self::Red),
            Some("MEGAPORT_BLUE") => Ok(Self::Blue),
            Some(_) => Err(DomainError::invalid_field(
                "redundancy_zone",
                format!(
                    "redundancy_zone '{}' is not valid; use MEGAPORT_RED or MEGAPORT_BLUE",
                    s.unwrap_or_default()
                ),
            )),
        }
    }

    pub fn diversity_zone(self) -> DiversityZone {
        match self {
            Self::Red => DiversityZone::Red,
            Self::Blue => DiversityZone::Blue,
        }
    }
}

pub const BANDWIDTHS_MBPS: &[u32] = &[1000, 2000, 5000, 10000];
pub const MAX_VPCS: usize = 5;
/// The console's monthly figure per plan, in US dollars. crosslink bills nothing; these are its
/// own round numbers so the cost summary behaves like the control panel's (DigitalOcean's
/// pricing page is the authority on real prices).
pub const MONTHLY_USD: &[(u32, u32)] = &[(1000, 250), (2000, 450), (5000, 950), (10000, 1650)];

pub const DEFAULT_LOCAL_ASN: u32 = 64532;
/// Megaport's ASN, an MCR's default.
pub const DEFAULT_PEER_ASN: u32 = 133937;
pub const DEFAULT_LOCAL_ROUTER_IP: &str = "169.254.0.1/29";
pub const DEFAULT_PEER_ROUTER_IP: &str = "169.254.0.6/29";
/// Linux's TCP_MD5SIG_MAXKEYLEN: a longer key could not be put on the session.
const MAX_AUTH_KEY: usize = 80;

/// The metro of a request's `region`, any case.
pub fn metro(region: &str) -> Result<&'static str, DomainError> {
    let lower = region.trim().to_ascii_lowercase();
    PARTNER_METROS
        .iter()
        .map(|(code, _)| *code)
        .find(|code| *code == lower)
        .ok_or_else(|| {
            DomainError::invalid_field(
                "region",
                format!(
                    "region '{region}' does not offer Partner Network Connect; use one of: {}",
                    PARTNER_METROS
                        .iter()
                        .map(|(c, _)| *c)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
}

/// Whether a datacenter slug (`nyc3`) lies in a metro (`nyc`).
pub fn in_metro(datacenter: &str, metro: &str) -> bool {
    datacenter
        .strip_prefix(metro)
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

pub fn validate_bandwidth(mbps: u32) -> Result<(), DomainError> {
    if BANDWIDTHS_MBPS.contains(&mbps) {
        Ok(())
    } else {
        Err(DomainError::invalid_field(
            "connection_bandwidth_in_mbps",
            "invalid connection bandwidth rate provided",
        ))
    }
}

pub fn validate_naas_provider(p: &str) -> Result<(), DomainError> {
    if p.trim().eq_ignore_ascii_case("MEGAPORT") {
        Ok(())
    } else {
        Err(DomainError::invalid_field(
            "naas_provider",
            format!("naas_provider '{p}' is not supported; the provider is MEGAPORT"),
        ))
    }
}

pub fn validate_attachment_name(name: &str) -> Result<(), DomainError> {
    validate_name(name, "partner attachment", true)
}

/// An attachment's VPC list: 1 to 5 distinct ids. Checked before any VPC is looked up.
pub fn check_vpc_ids(ids: &[Uuid]) -> Result<(), DomainError> {
    if ids.is_empty() || ids.len() > MAX_VPCS {
        return Err(DomainError::invalid_field(
            "vpc_ids",
            format!("vpc_ids must name 1 to {MAX_VPCS} VPCs, got {}", ids.len()),
        ));
    }
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(DomainError::invalid_field(
                "vpc_ids",
                format!("vpc_ids names VPC {id} twice"),
            ));
        }
    }
    Ok(())
}

/// The attachment's VPCs (the team's, as looked up) all lie in its metro.
pub fn check_vpcs_in_metro(metro: &str, vpcs: &[Vpc]) -> Result<(), DomainError> {
    match vpcs.iter().find(|v| !in_metro(&v.region, metro)) {
        Some(v) => Err(DomainError::invalid_field(
            "vpc_ids",
            format!(
                "VPC {} is in {}, not in the attachment's metro {}",
                v.id,
                v.region,
                metro.to_uppercase()
            ),
        )),
        None => Ok(()),
    }
}

/// What a request says about BGP: all four of the writable fields, or none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BgpRequest {
    pub local_router_ip: Option<String>,
    pub peer_router_ip: Option<String>,
    pub peer_router_asn: Option<u64>,
    pub auth_key: Option<String>,
    pub local_router_asn: Option<u64>,
}

fn asn(field: &'static str, v: u64) -> Result<u32, DomainError> {
    // 0 and 65535/4294967295 are reserved, 23456 is AS_TRANS (RFC 6793).
    match u32::try_from(v) {
        Ok(a) if a != 0 && a != 23456 && a != 65535 && a != u32::MAX => Ok(a),
        _ => Err(DomainError::invalid_field(
            field,
            format!("{field} {v} is not a usable ASN (1 to 4294967294, not 23456 or 65535)"),
        )),
    }
}

fn router_ip(field: &'static str, s: &str) -> Result<Ipv4Net, DomainError> {
    let net: Ipv4Net = s.trim().parse().map_err(|_| {
        DomainError::invalid_field(
            field,
            format!("{field} '{s}' must be an address with its /29, e.g. 169.254.0.1/29"),
        )
    })?;
    let link_local: Ipv4Net = "169.254.0.0/16".parse().expect("constant");
    if net.prefix_len() != 29 || !link_local.contains(&net.addr()) {
        return Err(DomainError::invalid_field(
            field,
            format!("{field} '{s}' must be a link-local /29 address (169.254.0.0/16)"),
        ));
    }
    if net.addr() == net.network() || net.addr() == net.broadcast() {
        return Err(DomainError::invalid_field(
            field,
            format!("{field} '{s}' is the /29's network or broadcast address"),
        ));
    }
    Ok(net)
}

fn auth_key(s: &str) -> Result<String, DomainError> {
    if s.is_empty() || s.len() > MAX_AUTH_KEY || s.chars().any(|c| c.is_control()) {
        return Err(DomainError::invalid_field(
            "bgp.auth_key",
            format!("bgp.auth_key must be 1 to {MAX_AUTH_KEY} bytes without control characters"),
        ));
    }
    Ok(s.to_owned())
}

/// The BGP settings of a new attachment: the request's (all four fields), or the defaults with
/// `generated_key`.
pub fn bgp_for_create(req: Option<&BgpRequest>, generated_key: String) -> Result<Bgp, DomainError> {
    match req {
        None => Ok(Bgp {
            local_asn: DEFAULT_LOCAL_ASN,
            local_router_ip: DEFAULT_LOCAL_ROUTER_IP.parse().expect("constant"),
            peer_asn: DEFAULT_PEER_ASN,
            peer_router_ip: DEFAULT_PEER_ROUTER_IP.parse().expect("constant"),
            auth_key: generated_key,
        }),
        Some(r) => bgp_from_request(r, DEFAULT_LOCAL_ASN),
    }
}

/// A full BGP block (create or PATCH): every writable field is required.
pub fn bgp_from_request(r: &BgpRequest, local_asn: u32) -> Result<Bgp, DomainError> {
    let missing: Vec<&str> = [
        ("local_router_ip", r.local_router_ip.is_none()),
        ("peer_router_ip", r.peer_router_ip.is_none()),
        ("peer_router_asn", r.peer_router_asn.is_none()),
        ("auth_key", r.auth_key.is_none()),
    ]
    .into_iter()
    .filter_map(|(f, m)| m.then_some(f))
    .collect();
    if !missing.is_empty() {
        return Err(DomainError::invalid_field(
            "bgp",
            format!(
                "bgp needs local_router_ip, peer_router_ip, peer_router_asn and auth_key; missing {}",
                missing.join(", ")
            ),
        ));
    }
    let local = router_ip(
        "bgp.local_router_ip",
        r.local_router_ip.as_deref().unwrap_or_default(),
    )?;
    let peer = router_ip(
        "bgp.peer_router_ip",
        r.peer_router_ip.as_deref().unwrap_or_default(),
    )?;
    if local.network() != peer.network() {
        return Err(DomainError::invalid_field(
            "bgp",
            format!(
                "bgp.local_router_ip {local} and bgp.peer_router_ip {peer} must be in the same /29"
            ),
        ));
    }
    if local.addr() == peer.addr() {
        return Err(DomainError::invalid_field(
            "bgp",
            format!(
                "bgp.local_router_ip and bgp.peer_router_ip are both {}",
                local.addr()
            ),
        ));
    }
    let local_asn = match r.local_router_asn {
        Some(a) => asn("bgp.local_router_asn", a)?,
        None => local_asn,
    };
    let peer_asn = asn("bgp.peer_router_asn", r.peer_router_asn.unwrap_or_default())?;
    if peer_asn == local_asn {
        return Err(DomainError::invalid_field(
            "bgp.peer_router_asn",
            format!(
                "bgp.peer_router_asn {peer_asn} is DigitalOcean's own ASN: the session with the MCR is eBGP, so the MCR needs an ASN of its own (Megaport's default is {DEFAULT_PEER_ASN})"
            ),
        ));
    }
    Ok(Bgp {
        local_asn,
        local_router_ip: local,
        peer_asn,
        peer_router_ip: peer,
        auth_key: auth_key(r.auth_key.as_deref().unwrap_or_default())?,
    })
}

/// An HA child joins a parent of the same team and metro that is not itself a child.
pub fn check_parent(parent: &PartnerAttachment, metro: &str) -> Result<(), DomainError> {
    if parent.parent.is_some() {
        return Err(DomainError::invalid_field(
            "parent_uuid",
            format!(
                "partner attachment {} is itself an HA child; name its parent {}",
                parent.id,
                parent.parent.unwrap_or_default()
            ),
        ));
    }
    if parent.state == AttachmentState::Deleting {
        return Err(DomainError::invalid_field(
            "parent_uuid",
            format!("partner attachment {} is being deleted", parent.id),
        ));
    }
    if parent.metro != metro {
        return Err(DomainError::invalid_field(
            "parent_uuid",
            format!(
                "an HA pair shares a metro: the parent is in {}, not {}",
                parent.metro.to_uppercase(),
                metro.to_uppercase()
            ),
        ));
    }
    Ok(())
}

pub fn check_name_free(
    name: &str,
    holder: Option<&PartnerAttachment>,
    except: Option<Uuid>,
) -> Result<(), DomainError> {
    match holder {
        Some(a) if Some(a.id) != except => Err(DomainError::conflict(
            Kind::PartnerAttachment,
            format!("a partner attachment named '{name}' already exists in this team"),
        )),
        _ => Ok(()),
    }
}

/// Deleting a parent would orphan its children; deleting twice changes nothing.
pub fn check_deletable(a: &PartnerAttachment, children: usize) -> Result<(), DomainError> {
    if children > 0 {
        return Err(DomainError::conflict(
            Kind::PartnerAttachment,
            format!(
                "partner attachment {} has {children} HA child attachment(s); delete them first",
                a.id
            ),
        ));
    }
    Ok(())
}

/// What a PATCH may change. `vpc_ids` replaces the list.
#[derive(Debug, Clone, Default)]
pub struct AttachmentUpdate {
    pub name: Option<String>,
    pub vpc_ids: Option<Vec<Uuid>>,
    pub bgp: Option<BgpRequest>,
}

/// The attachment after `update`; whether the new VPCs lie in the metro is checked by the
/// caller, who looks them up.
pub fn apply_update(
    a: &PartnerAttachment,
    update: &AttachmentUpdate,
) -> Result<PartnerAttachment, DomainError> {
    if a.state == AttachmentState::Deleting {
        return Err(DomainError::conflict(
            Kind::PartnerAttachment,
            format!("partner attachment {} is being deleted", a.id),
        ));
    }
    let mut next = a.clone();
    if let Some(name) = &update.name {
        validate_attachment_name(name)?;
        next.name = name.clone();
    }
    if let Some(ids) = &update.vpc_ids {
        check_vpc_ids(ids)?;
        next.vpc_ids = ids.clone();
    }
    if let Some(b) = &update.bgp {
        next.bgp = bgp_from_request(b, a.bgp.local_asn)?;
    }
    Ok(next)
}

/// A link-local address rendered without its prefix, for a router to bind.
pub fn address(net: &Ipv4Net) -> Ipv4Addr {
    net.addr()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> BgpRequest {
        BgpRequest {
            local_router_ip: Some("169.254.10.1/29".into()),
            peer_router_ip: Some("169.254.10.6/29".into()),
            peer_router_asn: Some(65001),
            auth_key: Some("s3cret".into()),
            local_router_asn: None,
        }
    }

    #[test]
    fn metros_and_datacenters() {
        assert_eq!(metro("NYC").unwrap(), "nyc");
        assert!(metro("nyc3").is_err());
        assert!(in_metro("nyc3", "nyc") && in_metro("ams2", "ams"));
        assert!(!in_metro("nyc", "nyc") && !in_metro("sfo2", "nyc") && !in_metro("nycx", "nyc"));
    }

    #[test]
    fn bgp_defaults_and_rules() {
        let d = bgp_for_create(None, "k".into()).unwrap();
        assert_eq!((d.local_asn, d.peer_asn), (64532, 133937));
        assert_eq!(d.local_router_ip.to_string(), "169.254.0.1/29");
        assert_eq!(d.peer_router_ip.to_string(), "169.254.0.6/29");
        assert_eq!(
            bgp_for_create(Some(&full()), "k".into()).unwrap().auth_key,
            "s3cret"
        );
        let bad = |f: fn(&mut BgpRequest)| {
            let mut r = full();
            f(&mut r);
            bgp_for_create(Some(&r), "k".into()).is_err()
        };
        assert!(bad(|r| r.auth_key = None));
        assert!(bad(|r| r.peer_router_asn = Some(0)));
        assert!(bad(|r| r.peer_router_asn = Some(1 << 32)));
        assert!(
            bad(|r| r.peer_router_ip = Some("169.254.10.1/29".into())),
            "same address"
        );
        assert!(
            bad(|r| r.peer_router_ip = Some("169.254.11.6/29".into())),
            "other /29"
        );
        assert!(
            bad(|r| r.peer_router_ip = Some("169.254.10.7/29".into())),
            "broadcast"
        );
        assert!(
            bad(|r| r.local_router_ip = Some("10.0.0.1/29".into())),
            "not link-local"
        );
        assert!(
            bad(|r| r.local_router_ip = Some("169.254.10.1/30".into())),
            "not a /29"
        );
        assert!(
            bad(|r| r.local_router_ip = Some("169.254.10.1".into())),
            "no prefix"
        );
    }

    #[test]
    fn state_machine() {
        use AttachmentState::*;
        assert_eq!(Creating.step(), Step::Await(Observation::ServiceKeyIssued));
        assert_eq!(
            Creating.observe(Observation::ServiceKeyIssued),
            Some(Created)
        );
        assert_eq!(Created.observe(Observation::BgpEstablished), Some(Active));
        assert_eq!(Active.observe(Observation::BgpDown), Some(Created));
        assert_eq!(Creating.observe(Observation::BgpEstablished), None);
        assert_eq!(Deleting.step(), Step::Remove);
        for s in [Creating, Created, Active, Deleting] {
            assert_eq!(AttachmentState::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn other_rules() {
        assert!(validate_bandwidth(1000).is_ok() && validate_bandwidth(50).is_err());
        assert!(
            validate_naas_provider("megaport").is_ok()
                && validate_naas_provider("equinix").is_err()
        );
        assert_eq!(RedundancyZone::parse(None).unwrap(), RedundancyZone::Red);
        assert_eq!(
            RedundancyZone::parse(Some("megaport_blue")).unwrap(),
            RedundancyZone::Blue
        );
        assert!(RedundancyZone::parse(Some("UNSPECIFIED")).is_err());
    }
}
