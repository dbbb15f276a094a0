//! Megaport's wire types, byte for byte what the official clients decode: camelCase with
//! snake_case network resources, epoch-millisecond timestamps, `null` where Megaport says
//! null. The CLI decodes the same types the server encodes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every response: `{message, terms, data}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub message: String,
    pub terms: String,
    pub data: T,
}

pub const TERMS: &str =
    "This data is subject to the Acceptable Use Policy https://www.megaport.com/legal/acceptable-use-policy";

/// `POST /oauth2/token`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
}

/// `POST /v2/login`: megalib reads `token`, the Java client `session`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginData {
    pub token: String,
    pub session: String,
    pub company_uid: String,
    pub company_name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationDetail {
    pub name: String,
    pub city: String,
    pub metro: String,
    pub country: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub street: String,
    pub suburb: String,
    pub city: String,
    pub state: String,
    pub postcode: String,
    pub country: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ZoneOffer {
    pub mcr_speed_mbps: Vec<u32>,
    pub megaport_speed_mbps: Vec<u32>,
    pub mve_max_cpu_core_count: Option<u32>,
    pub mve_available: bool,
    pub nat_gateway_speed_mbps: Vec<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiversityZones {
    pub red: Option<ZoneOffer>,
    pub blue: Option<ZoneOffer>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdName {
    pub id: u32,
    pub name: String,
}

/// `GET /v3/locations`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationV3 {
    pub id: u32,
    pub name: String,
    pub metro: String,
    pub market: String,
    pub status: String,
    pub address: Address,
    pub latitude: f64,
    pub longitude: f64,
    pub data_centre: IdName,
    pub diversity_zones: DiversityZones,
    pub product_add_ons: Value,
    pub ordering_message: Option<String>,
}

/// `GET /v2/locations` (megalib, the Java client, megaport-cli's older paths).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationV2 {
    pub id: u32,
    pub name: String,
    pub country: String,
    pub metro: String,
    pub market: String,
    pub site_code: String,
    pub network_region: String,
    pub address: Address,
    pub campus: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    pub live_date: i64,
    pub status: String,
    pub v_router_available: bool,
    pub dc: IdName,
    pub products: Value,
    pub diversity_zones: DiversityZones,
}

/// `GET /v2/dropdowns/partner/megaports`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerPort {
    pub product_uid: String,
    pub title: String,
    pub company_uid: String,
    pub company_name: String,
    pub connect_type: String,
    pub location_id: u32,
    pub speed: u32,
    pub max_vxc_speed: u32,
    pub rank: u32,
    pub vxc_permitted: bool,
    pub diversity_zone: Option<String>,
}

/// One end of a VXC. The other company's end shows where it is, not how it is configured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VxcEnd {
    pub owner_uid: Option<String>,
    pub product_uid: String,
    pub product_name: String,
    pub location_id: Option<u32>,
    pub location: String,
    pub location_detail: LocationDetail,
    pub vlan: Option<u16>,
    pub inner_vlan: Option<u16>,
    #[serde(rename = "vNicIndex")]
    pub vnic_index: Option<u32>,
    pub secondary_name: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VxcApproval {
    pub status: Option<String>,
    pub message: Option<String>,
    pub uid: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub new_speed: Option<u32>,
}

/// A VXC: in `associatedVxcs`, and from `GET /v2/product/{uid}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vxc {
    pub product_id: i64,
    pub product_uid: String,
    pub n_service_id: i64,
    pub product_name: String,
    pub product_type: String,
    pub rate_limit: u32,
    pub distance_band: String,
    pub provisioning_status: String,
    pub a_end: VxcEnd,
    pub b_end: VxcEnd,
    pub resources: Value,
    pub vxc_approval: VxcApproval,
    pub shutdown: bool,
    pub up: bool,
    pub create_date: i64,
    pub created_by: String,
    pub live_date: Option<i64>,
    pub terminate_date: Option<i64>,
    pub contract_start_date: Option<i64>,
    pub contract_end_date: Option<i64>,
    pub contract_term_months: u32,
    pub company_uid: String,
    pub company_name: String,
    pub cost_centre: String,
    pub locked: bool,
    pub admin_locked: bool,
    pub attribute_tags: Value,
    pub cancelable: bool,
    pub usage_algorithm: String,
    /// crosslink's addition, on a single VXC read by its MCR end's owner: `UP` or `DOWN`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bgp_status: Option<String>,
}

/// A port, MCR or MVE.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub product_id: i64,
    pub product_uid: String,
    pub product_name: String,
    pub product_type: String,
    pub provisioning_status: String,
    pub create_date: i64,
    pub created_by: String,
    pub terminate_date: Option<i64>,
    pub live_date: Option<i64>,
    pub contract_start_date: Option<i64>,
    pub contract_end_date: Option<i64>,
    pub contract_term_months: u32,
    pub market: String,
    pub location_id: u32,
    pub location_detail: LocationDetail,
    pub port_speed: u32,
    pub max_vxc_speed: u32,
    pub usage_algorithm: String,
    pub marketplace_visibility: bool,
    pub vxc_permitted: bool,
    pub vxc_auto_approval: bool,
    pub secondary_name: Option<String>,
    pub lag_primary: bool,
    pub lag_id: Option<i64>,
    pub aggregation_id: Option<i64>,
    pub company_uid: String,
    pub company_name: String,
    pub cost_centre: String,
    pub attribute_tags: Value,
    #[serde(rename = "virtual")]
    pub is_virtual: bool,
    pub buyout_port: bool,
    pub locked: bool,
    pub admin_locked: bool,
    pub cancelable: bool,
    pub diversity_zone: String,
    pub up: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub connect_type: Option<String>,
    pub associated_vxcs: Vec<Vxc>,
    pub associated_ixs: Vec<Value>,
    pub resources: Value,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub vnics: Option<Vec<Value>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidFor {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

/// A service key. Fields only its company may see are `None` for anyone else.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceKey {
    pub key: String,
    pub create_date: Option<i64>,
    pub company_id: Option<i64>,
    pub company_uid: String,
    pub company_name: String,
    pub description: Option<String>,
    pub product_id: Option<i64>,
    pub product_uid: String,
    pub product_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub product_dto: Option<Value>,
    pub vlan: Option<u16>,
    pub max_speed: u32,
    pub pre_approved: Option<bool>,
    pub single_use: bool,
    pub last_used: Option<i64>,
    pub active: bool,
    pub valid_for: ValidFor,
    pub expired: bool,
    pub valid: bool,
    pub promo_code: Option<String>,
    /// Why the key cannot be used now; crosslink's addition for the portal's "Enter Service
    /// Key" check (clients ignore it).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub invalid_reason: Option<String>,
}

/// One line of `networkdesign/validate`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidatedLine {
    pub product_type: String,
    pub product_name: String,
    pub speed: u32,
    pub term: u32,
    pub price: Price,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    pub currency: String,
    pub monthly_rate: f64,
    pub monthly_rack_rate: f64,
    pub hourly_rate: f64,
}

/// One line of `networkdesign/buy` for a port, MCR or MVE.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductConfirmation {
    pub technical_service_uid: String,
    pub technical_service_id: i64,
    pub product_name: String,
    pub product_type: String,
    pub provisioning_status: String,
    pub location_id: Option<u32>,
    pub speed: u32,
    pub term: u32,
}

/// One line of `networkdesign/buy` for a VXC.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VxcConfirmation {
    pub vxc_j_technical_service_uid: String,
    pub vxc_order_id: i64,
    pub technical_service_uid: String,
    pub product_name: String,
    pub rate_limit: u32,
    pub speed: u32,
    pub payer_status: String,
    pub non_payer_status: String,
    pub fully_approved: bool,
    pub distance_band: String,
    pub vxc: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderApproval {
    pub uid: String,
    pub id: i64,
    pub reference_id: String,
    pub status: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub active: bool,
    pub approver_company_id: String,
    pub requester_company_id: String,
    pub service_id: String,
    pub comment: Option<String>,
    pub create_date: i64,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub id: i64,
    pub create_date: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
    pub service_uid: Option<String>,
}
