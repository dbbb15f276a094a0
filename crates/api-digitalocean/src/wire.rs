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

/// A page of a collection. `key` names the root key (`vpcs`, `vpc_peerings`, ...); clients
/// decode it with [`Page::items`].
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VpcsPage {
    pub vpcs: Vec<Vpc>,
    #[serde(default)]
    pub links: Links,
    #[serde(default)]
    pub meta: Meta,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VpcPeeringsPage {
    pub vpc_peerings: Vec<VpcPeering>,
    #[serde(default)]
    pub links: Links,
    #[serde(default)]
    pub meta: Meta,
}

/// `GET /v2/vpcs/{id}/peerings`: both the spec's `peerings` and godo's `vpc_peerings`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PerVpcPeeringsPage {
    pub peerings: Vec<VpcPeering>,
    pub vpc_peerings: Vec<VpcPeering>,
    #[serde(default)]
    pub links: Links,
    #[serde(default)]
    pub meta: Meta,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MembersPage {
    pub members: Vec<VpcMember>,
    #[serde(default)]
    pub links: Links,
    #[serde(default)]
    pub meta: Meta,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegionsPage {
    pub regions: Vec<Region>,
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
