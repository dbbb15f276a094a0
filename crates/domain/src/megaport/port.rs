//! Megaport ports. The built-in partner ports are DigitalOcean's: one per metro DigitalOcean
//! offers Partner Network Connect in, in each of Megaport's two diversity zones.

use super::company::{digitalocean, CompanyUid};

/// Megaport's two physically separate device groups in a metro.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiversityZone {
    Red,
    Blue,
}

impl DiversityZone {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Red => "red",
            Self::Blue => "blue",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "red" => Some(Self::Red),
            "blue" => Some(Self::Blue),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    pub uid: String,
    pub company: CompanyUid,
    pub name: String,
    /// DigitalOcean's metro code (`nyc`), which names the Megaport metro the port is in.
    pub metro: String,
    pub diversity_zone: DiversityZone,
    pub speed_mbps: u32,
}

/// DigitalOcean's metros, each with the Megaport metro its partner ports sit in.
pub const PARTNER_METROS: &[(&str, &str)] = &[
    ("nyc", "New York"),
    ("sfo", "San Francisco"),
    ("fra", "Frankfurt"),
    ("ams", "Amsterdam"),
    ("sgp", "Singapore"),
];

/// The partner port of `metro` in `zone`; uids are fixed so keys and links survive restarts.
pub fn digitalocean_partner_port(metro: &str, zone: DiversityZone) -> Option<Port> {
    let (i, (code, city)) = PARTNER_METROS
        .iter()
        .enumerate()
        .find(|(_, (code, _))| *code == metro)?;
    let z = match zone {
        DiversityZone::Red => 1,
        DiversityZone::Blue => 2,
    };
    Some(Port {
        uid: format!("d1917a1e-9a27-4e00-8000-0000000{:02}{:03}", i + 1, z),
        company: digitalocean().uid,
        name: format!(
            "DigitalOcean {city} ({}) {}",
            code.to_uppercase(),
            zone.as_str()
        ),
        metro: (*code).to_owned(),
        diversity_zone: zone,
        speed_mbps: 100_000,
    })
}

/// Every built-in partner port.
pub fn digitalocean_partner_ports() -> Vec<Port> {
    PARTNER_METROS
        .iter()
        .flat_map(|(m, _)| {
            [DiversityZone::Red, DiversityZone::Blue]
                .into_iter()
                .filter_map(|z| digitalocean_partner_port(m, z))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_partner_ports_with_distinct_canonical_uids() {
        let ports = digitalocean_partner_ports();
        assert_eq!(ports.len(), 10);
        let mut uids: Vec<_> = ports.iter().map(|p| p.uid.clone()).collect();
        uids.sort();
        uids.dedup();
        assert_eq!(uids.len(), 10);
        for u in &uids {
            assert!(crate::parse_resource_id(u).is_some(), "{u}");
        }
    }
}
