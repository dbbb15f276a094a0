//! VXCs: virtual cross connects between two products. With a service key they join two
//! companies in a partnership: the key's consumer (A-End) owns and pays for the VXC, the key's
//! creator holds the B-End, each edits only its own end and never sees the other's details.

use super::company::CompanyUid;
use super::product::ProvisioningStatus;
use crate::time::Millis;
use crate::{DomainError, Kind};
use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;
use uuid::Uuid;

/// A VLAN as an order or update asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VlanRequest {
    /// `0` or absent: the lowest free VLAN is assigned.
    Auto,
    /// `-1`: untagged (the whole port).
    Untagged,
    Tagged(u16),
}

/// The VLANs Megaport assigns and accepts.
pub const VLAN_RANGE: std::ops::RangeInclusive<u16> = 2..=4093;

pub fn parse_vlan(field: &'static str, v: Option<i64>) -> Result<VlanRequest, DomainError> {
    match v {
        None | Some(0) => Ok(VlanRequest::Auto),
        Some(-1) => Ok(VlanRequest::Untagged),
        Some(n) if (2..=4093).contains(&n) => Ok(VlanRequest::Tagged(n as u16)),
        Some(n) => Err(DomainError::invalid_field(
            field,
            format!("Validation failed {field} {n} is not valid: use 2 to 4093, 0 to have one assigned, or -1 for untagged"),
        )),
    }
}

/// What holds VLANs on a product: its VXC ends and its unused single-use keys.
#[derive(Debug, Clone, Default)]
pub struct VlansInUse {
    pub tagged: Vec<u16>,
    pub untagged: bool,
}

/// The VLAN an end gets on `product_name`, given what is in use there.
pub fn assign_vlan(
    field: &'static str,
    req: VlanRequest,
    used: &VlansInUse,
    product_name: &str,
) -> Result<Option<u16>, DomainError> {
    if used.untagged {
        return Err(DomainError::conflict(
            Kind::Vxc,
            format!("{product_name} already has an untagged VXC: no other VXC can use it"),
        ));
    }
    match req {
        VlanRequest::Untagged if !used.tagged.is_empty() => Err(DomainError::conflict(
            Kind::Vxc,
            format!("{product_name} already carries VLANs: an untagged VXC needs the whole port"),
        )),
        VlanRequest::Untagged => Ok(None),
        VlanRequest::Tagged(v) if used.tagged.contains(&v) => {
            Err(vlan_taken(field, v, product_name))
        }
        VlanRequest::Tagged(v) => Ok(Some(v)),
        VlanRequest::Auto => VLAN_RANGE
            .into_iter()
            .find(|v| !used.tagged.contains(v))
            .map(Some)
            .ok_or_else(|| {
                DomainError::conflict(Kind::Vxc, format!("{product_name} has no free VLAN left"))
            }),
    }
}

pub fn vlan_taken(field: &'static str, v: u16, product_name: &str) -> DomainError {
    DomainError::Conflict {
        kind: Kind::Vlan,
        message: format!(
            "VLAN {v} is not available on {product_name}: a service key or VXC already uses it ({field})"
        ),
    }
}

/// A VXC's rate limit: at least 1 Mbps, at most each end's speed and the key's `maxSpeed`
/// (for a DigitalOcean key, the attachment's bandwidth).
pub fn check_rate(
    rate: i64,
    ends: [&super::product::Product; 2],
    key_max: Option<u32>,
) -> Result<u32, DomainError> {
    let bad = |m: String| DomainError::invalid_field("rateLimit", format!("Validation failed {m}"));
    let rate = u32::try_from(rate)
        .ok()
        .filter(|r| *r >= 1)
        .ok_or_else(|| bad(format!("rateLimit {rate} must be at least 1 Mbps")))?;
    if let Some(max) = key_max.filter(|max| rate > *max) {
        return Err(bad(format!(
            "rateLimit {rate} Mbps exceeds the service key's limit of {max} Mbps"
        )));
    }
    for (end, p) in ["A-End", "B-End"].iter().zip(ends) {
        if rate > p.spec.speed_mbps {
            return Err(bad(format!(
                "rateLimit {rate} Mbps exceeds the {end} {}'s speed of {} Mbps",
                p.spec.name, p.spec.speed_mbps
            )));
        }
    }
    Ok(rate)
}

/// An MCR's speed is the aggregate of all its VXCs: `committed` Mbps are already on it.
pub fn check_mcr_capacity(
    mcr: &super::product::Product,
    committed: u64,
    rate: u32,
) -> Result<(), DomainError> {
    let speed = u64::from(mcr.spec.speed_mbps);
    if mcr.product_type == super::product::ProductType::Mcr && committed + u64::from(rate) > speed {
        return Err(DomainError::invalid_field(
            "rateLimit",
            format!(
                "Validation failed rateLimit {rate} Mbps exceeds what {} has left: {} of its {speed} Mbps, shared by all its VXCs",
                mcr.spec.name,
                speed.saturating_sub(committed)
            ),
        ));
    }
    Ok(())
}

/// The two ends of a new VXC: different services; the B-End another company's only through
/// its service key; an MCR configuration only on an MCR end.
pub fn check_ends(
    company: &CompanyUid,
    a: &super::product::Product,
    b: &super::product::Product,
    with_key: bool,
    a_config: Option<&VrouterConfig>,
    b_config: Option<&VrouterConfig>,
) -> Result<(), DomainError> {
    use super::product::ProductType::Mcr;
    let bad = |field: &'static str, m: String| DomainError::invalid_field(field, m);
    if a.uid == b.uid {
        return Err(bad(
            "bEnd",
            "Validation failed the A-End and the B-End must be different services".into(),
        ));
    }
    if !with_key && &b.company != company {
        return Err(bad(
            "bEnd",
            format!(
                "A VXC to another company's service needs a service key from that company (B-End {})",
                b.uid
            ),
        ));
    }
    for (field, cfg, p) in [
        ("aEnd.partnerConfig", a_config, a),
        ("bEnd.partnerConfig", b_config, b),
    ] {
        if let Some(cfg) = cfg {
            if p.product_type != Mcr {
                return Err(bad(
                    field,
                    format!(
                        "Validation failed a partnerConfig with interfaces needs an MCR at {field}"
                    ),
                ));
            }
            validate_vrouter(cfg)?;
        }
    }
    Ok(())
}

/// A BGP session on an MCR interface (`bgpConnections[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BgpConnection {
    pub peer_asn: u32,
    pub local_asn: Option<u32>,
    pub local_ip_address: Ipv4Addr,
    pub peer_ip_address: Ipv4Addr,
    /// TCP-MD5 key: a secret.
    pub password: Option<String>,
    pub shutdown: bool,
    pub description: Option<String>,
    pub bfd_enabled: bool,
    pub med_in: Option<u32>,
    pub med_out: Option<u32>,
    pub as_path_prepend_count: Option<u8>,
    pub peer_type: Option<String>,
}

/// An MCR interface on a VXC end (`partnerConfig.interfaces[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface {
    pub ip_addresses: Vec<Ipv4Net>,
    pub bgp_connections: Vec<BgpConnection>,
    pub description: Option<String>,
}

/// The MCR end's configuration (a "vrouter" partner config).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VrouterConfig {
    pub interfaces: Vec<Interface>,
}

const MAX_PASSWORD: usize = 80;

/// Interface addresses are CIDRs on one link; each BGP session's local address is one of the
/// interface's and its peer lies on that interface's subnet, as a router would insist.
/// `addr` is a host on `net`: unicast, and on a subnet of four or more addresses neither its
/// network nor its broadcast address (a /31 or /32 has no such addresses).
fn host_on(net: &Ipv4Net, addr: Ipv4Addr) -> bool {
    let special = addr.is_unspecified()
        || addr.is_loopback()
        || addr.is_multicast()
        || addr.is_broadcast()
        || net.prefix_len() == 0;
    let edge = net.prefix_len() <= 30 && (addr == net.network() || addr == net.broadcast());
    net.contains(&addr) && !special && !edge
}

pub fn validate_vrouter(cfg: &VrouterConfig) -> Result<(), DomainError> {
    let bad =
        |m: String| DomainError::invalid_field("partnerConfig", format!("Validation failed {m}"));
    if cfg.interfaces.len() > 8 {
        return Err(bad("at most 8 interfaces per VXC end".into()));
    }
    for (i, itf) in cfg.interfaces.iter().enumerate() {
        if itf.ip_addresses.len() > 16 || itf.bgp_connections.len() > 16 {
            return Err(bad(format!(
                "interface {i}: at most 16 addresses and 16 BGP connections"
            )));
        }
        for net in &itf.ip_addresses {
            if !host_on(net, net.addr()) {
                return Err(bad(format!(
                    "interface {i}: {net} is not a usable interface address (a unicast host address of its subnet)"
                )));
            }
        }
        for (j, b) in itf.bgp_connections.iter().enumerate() {
            let here = format!("interface {i} bgpConnections {j}");
            let Some(net) = itf
                .ip_addresses
                .iter()
                .find(|n| n.addr() == b.local_ip_address)
            else {
                return Err(bad(format!(
                    "{here}: localIpAddress {} is not one of the interface's ipAddresses",
                    b.local_ip_address
                )));
            };
            if !host_on(net, b.peer_ip_address) || b.peer_ip_address == b.local_ip_address {
                return Err(bad(format!(
                    "{here}: peerIpAddress {} must be another address on {}",
                    b.peer_ip_address,
                    net.trunc()
                )));
            }
            if b.peer_asn == 0 || b.peer_asn == u32::MAX || b.peer_asn == 23_456 {
                return Err(bad(format!(
                    "{here}: peerAsn {} is not a valid ASN",
                    b.peer_asn
                )));
            }
            if let Some(l) = b
                .local_asn
                .filter(|l| *l == 0 || *l == u32::MAX || *l == 23_456)
            {
                return Err(bad(format!("{here}: localAsn {l} is not a valid ASN")));
            }
            if let Some(p) = &b.password {
                if p.is_empty() || p.len() > MAX_PASSWORD || p.chars().any(|c| c.is_control()) {
                    return Err(bad(format!(
                        "{here}: password must be 1 to {MAX_PASSWORD} printable characters"
                    )));
                }
            }
            if b.as_path_prepend_count.is_some_and(|n| n > 10) {
                return Err(bad(format!("{here}: asPathPrependCount must be 0 to 10")));
            }
        }
    }
    Ok(())
}

/// One end of a VXC as its owner sees and configures it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VxcEnd {
    pub owner: CompanyUid,
    pub product_uid: Uuid,
    /// What this end's owner calls the VXC.
    pub name: String,
    /// `None`: untagged.
    pub vlan: Option<u16>,
    pub inner_vlan: Option<u16>,
    pub vnic_index: Option<u32>,
    pub partner_config: Option<VrouterConfig>,
    #[serde(default)]
    pub cost_centre: String,
}

/// Which end of a VXC a company holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

/// A change one partner asked for that waits for the other's approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingChange {
    pub approval_uid: Uuid,
    pub requested_by: CompanyUid,
    pub a_vlan: Option<Option<u16>>,
    pub b_vlan: Option<Option<u16>>,
    pub requested_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VxcSpec {
    pub rate_limit: u32,
    pub term_months: u32,
    pub shutdown: bool,
    pub a_end: VxcEnd,
    pub b_end: VxcEnd,
    #[serde(default)]
    pub pending: Option<PendingChange>,
    #[serde(default)]
    pub locked: bool,
    /// Resource tags (`/v2/product/{uid}/tags`), the owner's.
    #[serde(default)]
    pub resource_tags: std::collections::BTreeMap<String, String>,
}

impl VxcSpec {
    /// One side's end (each company sees and edits its own).
    pub fn end(&self, side: Side) -> &VxcEnd {
        match side {
            Side::A => &self.a_end,
            Side::B => &self.b_end,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Vxc {
    pub uid: Uuid,
    pub product_id: i64,
    pub status: ProvisioningStatus,
    /// The key it was ordered with (its id, never its value).
    pub service_key: Option<Uuid>,
    /// The DigitalOcean partner attachment whose key it consumed.
    pub attachment: Option<Uuid>,
    pub created_at: Millis,
    pub spec: VxcSpec,
}

impl Vxc {
    /// The end `company` holds; the A-End when it holds both.
    pub fn side_of(&self, company: &CompanyUid) -> Option<Side> {
        if &self.spec.a_end.owner == company {
            Some(Side::A)
        } else if &self.spec.b_end.owner == company {
            Some(Side::B)
        } else {
            None
        }
    }

    /// Two companies, one at each end.
    pub fn is_partnership(&self) -> bool {
        self.spec.a_end.owner != self.spec.b_end.owner
    }
}

/// A VXC update as a client sends it: every field optional.
#[derive(Debug, Clone, Default)]
pub struct VxcUpdate {
    pub name: Option<String>,
    pub rate_limit: Option<u32>,
    pub term: Option<u32>,
    pub cost_centre: Option<String>,
    pub shutdown: Option<bool>,
    pub a_vlan: Option<VlanRequest>,
    pub b_vlan: Option<VlanRequest>,
    pub a_config: Option<VrouterConfig>,
    pub b_config: Option<VrouterConfig>,
    /// `aEndProductUid` / `bEndProductUid`: moving an end, which crosslink does not offer.
    pub a_end_product: Option<Uuid>,
    pub b_end_product: Option<Uuid>,
}

/// What an update does: applied at once, and what waits for the partner's approval.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdatePlan {
    pub spec: VxcSpec,
    /// VLAN changes the other company must approve first.
    pub a_vlan: Option<VlanRequest>,
    pub b_vlan: Option<VlanRequest>,
}

/// The seed's rights table: each side edits its own end; only the owner (A-End) changes the
/// rate limit and the term; a VLAN change on a partnership waits for the other side.
pub fn plan_update(v: &Vxc, side: Side, u: &VxcUpdate) -> Result<UpdatePlan, DomainError> {
    let mut spec = v.spec.clone();
    if side == Side::A {
        super::product::check_unlocked(v.uid, v.spec.locked)?;
    }
    let moved = |to: Option<Uuid>, end: &VxcEnd| to.is_some_and(|to| to != end.product_uid);
    if moved(u.a_end_product, &v.spec.a_end) || moved(u.b_end_product, &v.spec.b_end) {
        return Err(DomainError::invalid_field(
            "bEndProductUid",
            "Validation failed moving a VXC end to another service is not offered here: order a new VXC and cancel this one",
        ));
    }
    if !v.status.is_active() {
        return Err(DomainError::conflict(
            Kind::Vxc,
            format!(
                "Service {} is {} and cannot be changed",
                v.uid,
                v.status.as_str()
            ),
        ));
    }
    if side == Side::B {
        if u.rate_limit.is_some() {
            return Err(DomainError::forbidden(
                "Only the owner of the VXC (the A-End) can change the rate limit",
            ));
        }
        if u.term.is_some() {
            return Err(DomainError::forbidden(
                "Only the owner of the VXC (the A-End) can change the term",
            ));
        }
        if u.a_vlan.is_some() || u.a_config.is_some() {
            return Err(DomainError::forbidden(
                "Only A end owner can change A end details",
            ));
        }
        if u.cost_centre.is_some() || u.shutdown.is_some() {
            return Err(DomainError::forbidden(
                "Only the owner of the VXC (the A-End) can change the service level reference or shut it down",
            ));
        }
    } else if v.is_partnership() && (u.b_vlan.is_some() || u.b_config.is_some()) {
        return Err(DomainError::forbidden("Only B end owner can change B VLAN"));
    }
    let own = match side {
        Side::A => &mut spec.a_end,
        Side::B => &mut spec.b_end,
    };
    if let Some(n) = &u.name {
        super::product::validate_name("name", n)?;
        own.name = n.trim().to_owned();
        if !v.is_partnership() {
            spec.b_end.name = n.trim().to_owned();
            spec.a_end.name = n.trim().to_owned();
        }
    }
    if let Some(c) = &u.cost_centre {
        super::product::validate_cost_centre(c)?;
        spec.a_end.cost_centre = c.clone();
    }
    if let Some(r) = u.rate_limit {
        spec.rate_limit = r;
    }
    if let Some(t) = u.term {
        super::product::validate_term(t)?;
        if t < spec.term_months {
            return Err(DomainError::Conflict {
                kind: Kind::Vxc,
                message: "Service term cannot be shortened before the current term ends".into(),
            });
        }
        spec.term_months = t;
    }
    if let Some(s) = u.shutdown {
        spec.shutdown = s;
    }
    if let Some(c) = &u.a_config {
        validate_vrouter(c)?;
        spec.a_end.partner_config = Some(c.clone());
    }
    if let Some(c) = &u.b_config {
        validate_vrouter(c)?;
        spec.b_end.partner_config = Some(c.clone());
    }
    if (u.a_vlan.is_some() || u.b_vlan.is_some()) && spec.pending.is_some() {
        return Err(DomainError::conflict(
            Kind::Vxc,
            format!(
                "VXC {} already has a change waiting for the partner's approval",
                v.uid
            ),
        ));
    }
    Ok(UpdatePlan {
        spec,
        a_vlan: u.a_vlan,
        b_vlan: u.b_vlan,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bgp(local: &str, peer: &str) -> BgpConnection {
        BgpConnection {
            peer_asn: 64532,
            local_asn: None,
            local_ip_address: local.parse().unwrap(),
            peer_ip_address: peer.parse().unwrap(),
            password: Some("secret".into()),
            shutdown: false,
            description: None,
            bfd_enabled: false,
            med_in: None,
            med_out: None,
            as_path_prepend_count: None,
            peer_type: None,
        }
    }

    #[test]
    fn vlan_rules() {
        assert_eq!(parse_vlan("vlan", None), Ok(VlanRequest::Auto));
        assert_eq!(parse_vlan("vlan", Some(-1)), Ok(VlanRequest::Untagged));
        assert!(parse_vlan("vlan", Some(1)).is_err());
        assert!(parse_vlan("vlan", Some(4094)).is_err());
        let used = VlansInUse {
            tagged: vec![2, 3],
            untagged: false,
        };
        assert_eq!(
            assign_vlan("vlan", VlanRequest::Auto, &used, "p"),
            Ok(Some(4))
        );
        assert!(assign_vlan("vlan", VlanRequest::Tagged(3), &used, "p").is_err());
        assert!(assign_vlan("vlan", VlanRequest::Untagged, &used, "p").is_err());
        let whole = VlansInUse {
            tagged: vec![],
            untagged: true,
        };
        assert!(assign_vlan("vlan", VlanRequest::Tagged(9), &whole, "p").is_err());
    }

    #[test]
    fn bgp_sessions_must_sit_on_the_interface() {
        let ok = VrouterConfig {
            interfaces: vec![Interface {
                ip_addresses: vec!["169.254.0.6/29".parse().unwrap()],
                bgp_connections: vec![bgp("169.254.0.6", "169.254.0.1")],
                description: None,
            }],
        };
        assert!(validate_vrouter(&ok).is_ok());
        let mut flipped = ok.clone();
        flipped.interfaces[0].bgp_connections[0] = bgp("169.254.0.1", "169.254.0.6");
        assert!(validate_vrouter(&flipped).is_err());
        let mut off = ok.clone();
        off.interfaces[0].bgp_connections[0] = bgp("169.254.0.6", "169.254.1.1");
        assert!(validate_vrouter(&off).is_err());
        // A peer on the subnet's network or broadcast address is no host.
        for edge in ["169.254.0.0", "169.254.0.7"] {
            let mut e = ok.clone();
            e.interfaces[0].bgp_connections[0] = bgp("169.254.0.6", edge);
            assert!(validate_vrouter(&e).is_err(), "{edge}");
        }
        // Nor is an interface address that is not a unicast host of its subnet.
        for itf in [
            "0.0.0.0/0",
            "224.0.0.1/29",
            "127.0.0.1/29",
            "169.254.0.7/29",
            "169.254.0.0/29",
        ] {
            let mut e = ok.clone();
            e.interfaces[0].ip_addresses = vec![itf.parse().unwrap()];
            e.interfaces[0].bgp_connections.clear();
            assert!(validate_vrouter(&e).is_err(), "{itf}");
        }
        // A /31 (RFC 3021) uses both its addresses.
        let mut p2p = ok;
        p2p.interfaces[0].ip_addresses = vec!["10.0.0.0/31".parse().unwrap()];
        p2p.interfaces[0].bgp_connections[0] = bgp("10.0.0.0", "10.0.0.1");
        assert!(validate_vrouter(&p2p).is_ok());
    }
}
