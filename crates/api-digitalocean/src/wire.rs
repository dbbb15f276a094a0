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

// ---- Partner Network Connect (partner attachments) ------------------------------------------

/// The BGP side of an attachment as the API shows it (no auth key: that has its own route).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct AttachmentBgp {
    pub local_asn: u32,
    pub local_router_ip: String,
    pub peer_asn: u32,
    pub peer_router_ip: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PartnerAttachment {
    pub id: String,
    pub name: String,
    pub state: String,
    pub connection_bandwidth_in_mbps: u32,
    /// The metro, upper case (`NYC`), as the API answers it.
    pub region: String,
    /// Exactly as the client sent it (Terraform replaces the attachment if it changes).
    pub naas_provider: String,
    pub vpc_ids: Vec<String>,
    pub bgp: AttachmentBgp,
    pub created_at: String,
    /// `MEGAPORT_RED` or `MEGAPORT_BLUE`.
    pub redundancy_zone: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub parent_uuid: Option<String>,
    /// The spec gives it `minItems: 1`, so it is left out when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub children: Vec<String>,
    /// crosslink's addition: why the BGP session is not Established, in words (official
    /// clients ignore it).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bgp_diagnosis: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartnerAttachmentRoot {
    pub partner_attachment: PartnerAttachment,
}

page!(PartnerAttachmentsPage {
    partner_attachments: PartnerAttachment
});

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RemoteRoute {
    pub cidr: String,
}

page!(RemoteRoutesPage {
    remote_routes: RemoteRoute
});

/// The Megaport service key the attachment was issued; `value` is empty while a new one is
/// being issued (`state` `CREATING`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServiceKey {
    pub value: String,
    pub state: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceKeyRoot {
    pub service_key: ServiceKey,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BgpAuthKey {
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BgpAuthKeyRoot {
    pub bgp_auth_key: BgpAuthKey,
}

/// The BGP block of a create or PATCH: all four fields when present (godo adds
/// `local_router_asn` when a local ASN is set).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct AttachmentBgpRequest {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub local_router_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub peer_router_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub peer_router_asn: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auth_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub local_router_asn: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct PartnerAttachmentCreateRequest {
    pub name: String,
    /// Signed, so a negative value gets the bandwidth rule's message, not a type error.
    pub connection_bandwidth_in_mbps: i64,
    pub region: String,
    pub naas_provider: String,
    pub vpc_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub parent_uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub redundancy_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bgp: Option<AttachmentBgpRequest>,
}

/// PATCH: any of `name`, `vpc_ids` (replaces the list), `bgp`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct PartnerAttachmentUpdateRequest {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub vpc_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bgp: Option<AttachmentBgpRequest>,
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
