//! The Megaport half of the transactional port: products, VXCs, service keys as their
//! companies see them, API keys, approvals and notifications. One query each; the rules that
//! use them live in `control`.

use crate::Result;
use crosslink_domain::megaport::approval::{ApprovalStatus, Notification, OrderApproval};
use crosslink_domain::megaport::company::{Company, CompanyUid};
use crosslink_domain::megaport::product::Product;
use crosslink_domain::megaport::service_key::ServiceKey;
use crosslink_domain::megaport::vxc::Vxc;
use crosslink_domain::time::Millis;
use uuid::Uuid;

pub trait MegaportTx {
    fn company(&self, uid: &CompanyUid) -> Result<Option<Company>>;
    /// Writes the company unless it exists.
    fn insert_company(&self, c: &Company, now: Millis) -> Result<()>;
    /// `(secret hash, company)` of a minted API key.
    fn api_key(&self, access_key: &str) -> Result<Option<(String, CompanyUid)>>;
    fn insert_api_key(
        &self,
        access_key: &str,
        secret_hash: &str,
        company: &CompanyUid,
        now: Millis,
    ) -> Result<()>;
    fn setting(&self, name: &str) -> Result<Option<String>>;
    /// Stores `value` unless the setting exists; returns the value in force.
    fn setting_or_insert(&self, name: &str, value: &str) -> Result<String>;

    fn product(&self, uid: Uuid) -> Result<Option<Product>>;
    fn product_by_id(&self, id: i64) -> Result<Option<Product>>;
    /// The company's products that are not decommissioned, in order.
    fn products_of(&self, company: &CompanyUid) -> Result<Vec<Product>>;
    /// Writes a new product with its lifecycle (status from `p.status`, generation 1) and
    /// assigns its `productId`.
    fn insert_product(&self, p: &Product, due: Option<Millis>) -> Result<i64>;
    fn update_product_spec(&self, p: &Product) -> Result<()>;

    /// When a product or VXC last went `LIVE`, and when it ends: decommissioned, or, while
    /// `CANCELLED`, when it is due to be.
    fn service_dates(&self, uid: Uuid) -> Result<(Option<Millis>, Option<Millis>)>;

    fn vxc(&self, uid: Uuid) -> Result<Option<Vxc>>;
    /// VXCs with either end on the product, any status.
    fn vxcs_on_product(&self, product: Uuid) -> Result<Vec<Vxc>>;
    fn vxcs_of_attachment(&self, attachment: Uuid) -> Result<Vec<Vxc>>;
    /// The sum of the rate limits of the VXCs not terminated with an end on the product, but
    /// `except`'s (an MCR's speed is shared by all its VXCs).
    fn committed_rate(&self, product: Uuid, except: Option<Uuid>) -> Result<u64>;
    /// Every LIVE VXC: what the fabric may have to run.
    fn live_vxcs(&self) -> Result<Vec<Vxc>>;
    /// The VLAN of each end on the product of a VXC not terminated, but `except`'s (`None`:
    /// untagged). Cheaper than reading the VXCs, for every order's VLAN check.
    fn vlans_on_product(&self, product: Uuid, except: Option<Uuid>) -> Result<Vec<Option<u16>>>;
    fn insert_vxc(&self, v: &Vxc, due: Option<Millis>) -> Result<i64>;
    fn update_vxc_spec(&self, v: &Vxc) -> Result<()>;

    fn service_key_by_value(&self, key: Uuid) -> Result<Option<ServiceKey>>;
    /// The company's keys, optionally on one product, oldest first.
    fn service_keys_of(
        &self,
        company: &CompanyUid,
        product: Option<Uuid>,
    ) -> Result<Vec<ServiceKey>>;
    /// Writes what an update may change: active, single use, validity, used time.
    fn update_service_key(&self, k: &ServiceKey) -> Result<()>;

    fn approval(&self, uid: Uuid) -> Result<Option<OrderApproval>>;
    /// Approvals the company asked for or must decide, newest first.
    fn approvals_of(&self, company: &CompanyUid) -> Result<Vec<OrderApproval>>;
    fn insert_approval(&self, a: &OrderApproval) -> Result<()>;
    fn decide_approval(
        &self,
        uid: Uuid,
        status: ApprovalStatus,
        comment: Option<&str>,
        now: Millis,
    ) -> Result<()>;
    fn notify(&self, n: &Notification) -> Result<()>;
    fn notifications_of(&self, company: &CompanyUid, limit: u32) -> Result<Vec<Notification>>;
}
