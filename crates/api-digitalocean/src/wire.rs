//! DigitalOcean's JSON shapes, byte for byte: field names, root keys and enum strings. The
//! server answers with these and the `crosslink vpcs` client decodes them, so the two cannot drift.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Vpc {
    pub id: String,
    pub urn: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub region: String,
    pub ip_range: String,
    pub default: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VpcPeering {
    pub id: String,
    pub name: String,
    pub vpc_ids: Vec<String>,
    pub status: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VpcMember {
    pub urn: String,
    pub name: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Region {
    pub name: String,
    pub slug: String,
    pub features: Vec<String>,
    pub available: bool,
    pub sizes: Vec<String>,
}

/// `GET /v2/account`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Account {
    pub droplet_limit: u32,
    pub floating_ip_limit: u32,
    pub email: String,
    pub name: String,
    pub uuid: String,
    pub email_verified: bool,
    pub status: String,
    pub status_message: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub team: Option<AccountTeam>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccountTeam {
    pub uuid: String,
    pub name: String,
}

/// `GET /v1/oauth/token/info`, doctl's token check.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenInfo {
    pub resource_owner_id: u64,
    pub scopes: Vec<String>,
    pub expires_in_seconds: u64,
    pub application: TokenApplication,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct TokenApplication {
    pub uid: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountRoot {
    pub account: Account,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VpcRoot {
    pub vpc: Vpc,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VpcPeeringRoot {
    pub vpc_peering: VpcPeering,
}

/// The per-VPC peering routes: the spec says `peering`, godo (so doctl and terraform) reads
/// `vpc_peering`. Answering both satisfies the schema and every client.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PerVpcPeeringRoot {
    pub peering: VpcPeering,
    pub vpc_peering: VpcPeering,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Links {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pages: Option<PageLinks>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct PageLinks {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub first: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub prev: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub next: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub last: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Meta {
    pub total: u64,
}

/// A page of a collection under its root key, with `links` and `meta` as every list has them.
macro_rules! page {
    ($(#[$doc:meta])* $page:ident { $key:ident: $item:ty }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Serialize, Deserialize)]
        pub struct $page {
            pub $key: Vec<$item>,
            #[serde(default)]
            pub links: Links,
            #[serde(default)]
            pub meta: Meta,
        }
    };
}

page!(VpcsPage { vpcs: Vpc });
page!(VpcPeeringsPage {
    vpc_peerings: VpcPeering
});
page!(MembersPage { members: VpcMember });
page!(RegionsPage { regions: Region });

/// `GET /v2/vpcs/{id}/peerings`: both the spec's `peerings` and godo's `vpc_peerings` (the
/// server sends both; a reader takes whichever the other side sent).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PerVpcPeeringsPage {
    #[serde(default)]
    pub peerings: Vec<VpcPeering>,
    #[serde(default)]
    pub vpc_peerings: Vec<VpcPeering>,
    #[serde(default)]
    pub links: Links,
    #[serde(default)]
    pub meta: Meta,
}

/// The error envelope: `id` is the snake-case name of the status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub id: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub request_id: Option<String>,
}

// ---- requests ----------------------------------------------------------------------------
// Unknown fields are ignored, as the real API does: the spec does not forbid extra properties.

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct VpcCreateRequest {
    pub name: String,
    pub region: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ip_range: Option<String>,
}

/// PUT requires `name`; PATCH sends any subset. One type serves both, the handler checks PUT's
/// required field.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct VpcUpdateRequest {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub default: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct VpcPeeringCreateRequest {
    pub name: String,
    pub vpc_ids: Vec<String>,
}

/// `POST /v2/vpcs/{id}/peerings`: the other VPC is `vpc_id`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct PerVpcPeeringCreateRequest {
    pub name: String,
    pub vpc_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct VpcPeeringUpdateRequest {
    pub name: String,
}

/// Percent-encodes everything but RFC 3986's unreserved characters: for a query value or a
/// path segment built from user input (the server's page links, the CLI's URLs).
pub fn percent_encode(s: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}
