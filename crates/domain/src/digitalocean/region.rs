//! DigitalOcean datacenter regions. VPCs live in one; peerings may join two.

pub struct Region {
    pub slug: &'static str,
    pub name: &'static str,
    pub available: bool,
}

/// The datacenters DigitalOcean lists, including the ones closed to new resources, which the
/// API still returns with `available: false`.
pub const REGIONS: &[Region] = &[
    region("nyc1", "New York 1", true),
    region("nyc2", "New York 2", false),
    region("nyc3", "New York 3", true),
    region("sfo1", "San Francisco 1", false),
    region("sfo2", "San Francisco 2", true),
    region("sfo3", "San Francisco 3", true),
    region("ams1", "Amsterdam 1", false),
    region("ams2", "Amsterdam 2", false),
    region("ams3", "Amsterdam 3", true),
    region("sgp1", "Singapore 1", true),
    region("lon1", "London 1", true),
    region("fra1", "Frankfurt 1", true),
    region("tor1", "Toronto 1", true),
    region("blr1", "Bangalore 1", true),
    region("syd1", "Sydney 1", true),
    region("atl1", "Atlanta 1", true),
];

const fn region(slug: &'static str, name: &'static str, available: bool) -> Region {
    Region {
        slug,
        name,
        available,
    }
}

/// Features every region advertises; VPC-relevant ones first.
pub const FEATURES: &[&str] = &[
    "private_networking",
    "backups",
    "ipv6",
    "metadata",
    "install_agent",
    "storage",
    "image_transfer",
];

/// Droplet sizes offered everywhere; the API lists them and clients display them.
pub const SIZES: &[&str] = &[
    "s-1vcpu-512mb-10gb",
    "s-1vcpu-1gb",
    "s-1vcpu-2gb",
    "s-2vcpu-2gb",
    "s-2vcpu-4gb",
    "s-4vcpu-8gb",
    "s-8vcpu-16gb",
];

pub fn find(slug: &str) -> Option<&'static Region> {
    REGIONS.iter().find(|r| r.slug == slug)
}

/// Datacenter slugs are accepted case-insensitively and stored lower-case, as the API answers.
/// Every listed datacenter holds VPCs; `available` only says whether new Droplets may go there.
pub fn normalize(slug: &str) -> Result<&'static str, crate::DomainError> {
    let lower = slug.trim().to_ascii_lowercase();
    match find(&lower) {
        Some(r) => Ok(r.slug),
        None => Err(crate::DomainError::invalid(format!(
            "region '{slug}' is not a DigitalOcean datacenter; use one of: {}",
            REGIONS
                .iter()
                .map(|r| r.slug)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
