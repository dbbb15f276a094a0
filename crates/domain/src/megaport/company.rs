//! Megaport companies: the tenant behind a Megaport API key. One is built in.

/// A company's uid, as Megaport writes it (a UUID string).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct CompanyUid(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    pub uid: CompanyUid,
    pub name: String,
}

/// The uid of the built-in company DigitalOcean, fixed so it is the same on every server.
pub const DIGITALOCEAN_UID: &str = "d1917a1e-0c0a-4d0e-8a1e-000000000001";

/// The company that owns the partner ports DigitalOcean's attachments are keyed on.
pub fn digitalocean() -> Company {
    Company {
        uid: CompanyUid(DIGITALOCEAN_UID.to_owned()),
        name: "DigitalOcean".to_owned(),
    }
}
