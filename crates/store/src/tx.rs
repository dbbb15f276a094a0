//! The narrow transactional port: what a rule may read and write inside one transaction.
//! Backends implement [`Tx`] with plain queries; the "read what the rule needs, decide, write"
//! orchestration is written once above it (in `control`), so a new backend adds queries, not
//! rules. [`crate::Store::transact`] runs a closure over a `Tx` as one atomic write.

use crate::Result;
use crosslink_domain::attachment::PartnerAttachment;
use crosslink_domain::megaport::port::{DiversityZone, Port};
use crosslink_domain::megaport::service_key::ServiceKey;
use crosslink_domain::peering::VpcPeering;
use crosslink_domain::time::Millis;
use crosslink_domain::{ResourceType, TeamId, TenantId, Vpc};
use ipnet::Ipv4Net;
use uuid::Uuid;

/// The lifecycle columns of any asynchronous resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleRow {
    pub resource_type: ResourceType,
    pub id: Uuid,
    pub tenant: TenantId,
    pub status: String,
    pub generation: i64,
}

pub trait Tx {
    fn vpc(&self, team: &TeamId, id: Uuid) -> Result<Option<Vpc>>;
    fn vpc_by_name(&self, team: &TeamId, name: &str) -> Result<Option<Vpc>>;
    /// The team's VPC with the highest range start at or before `net`'s end: since a team's
    /// ranges never overlap, the only one that can overlap `net`.
    fn vpc_overlap_candidate(&self, team: &TeamId, net: &Ipv4Net) -> Result<Option<Vpc>>;
    fn region_has_vpc(&self, team: &TeamId, region: &str) -> Result<bool>;
    fn vpc_ranges(&self, team: &TeamId) -> Result<Vec<Ipv4Net>>;
    fn insert_vpc(&self, v: &Vpc) -> Result<()>;
    /// Writes name, description and the default flag.
    fn update_vpc(&self, v: &Vpc) -> Result<()>;
    fn clear_region_default(&self, team: &TeamId, region: &str) -> Result<()>;
    fn delete_vpc(&self, team: &TeamId, id: Uuid) -> Result<()>;
    /// How many peerings and partner attachments use the VPC.
    fn vpc_usage(&self, team: &TeamId, id: Uuid) -> Result<(u64, u64)>;

    fn peering(&self, team: &TeamId, id: Uuid) -> Result<Option<VpcPeering>>;
    fn peering_by_name(&self, team: &TeamId, name: &str) -> Result<Option<VpcPeering>>;
    /// The team's peerings that involve either VPC.
    fn peerings_of(&self, team: &TeamId, vpcs: &[Uuid; 2]) -> Result<Vec<VpcPeering>>;
    /// Writes a new peering with its lifecycle (generation 0) and records its creation.
    fn insert_peering(&self, p: &VpcPeering, due: Option<Millis>) -> Result<()>;
    fn rename_peering(&self, team: &TeamId, id: Uuid, name: &str) -> Result<()>;

    fn attachment(&self, team: &TeamId, id: Uuid) -> Result<Option<PartnerAttachment>>;
    fn attachment_by_name(&self, team: &TeamId, name: &str) -> Result<Option<PartnerAttachment>>;
    fn attachment_children(&self, id: Uuid) -> Result<Vec<Uuid>>;
    /// Writes a new attachment with its lifecycle: status from `a.state`, generation 1.
    fn insert_attachment(&self, a: &PartnerAttachment, due: Option<Millis>) -> Result<()>;
    /// Writes name, VPCs and BGP settings (not the lifecycle).
    fn update_attachment(&self, a: &PartnerAttachment) -> Result<()>;

    fn partner_port(&self, metro: &str, zone: DiversityZone) -> Result<Option<Port>>;
    fn service_key(&self, id: Uuid) -> Result<Option<ServiceKey>>;
    /// The attachment's keys that still work, oldest first.
    fn active_service_keys(&self, attachment: Uuid) -> Result<Vec<ServiceKey>>;
    /// Writes a new key with its lifecycle: status from `k.status`, generation 1.
    fn insert_service_key(&self, k: &ServiceKey, due: Option<Millis>) -> Result<()>;
    fn set_service_key_active(&self, id: Uuid, active: bool) -> Result<()>;

    /// The Megaport half of the port.
    fn megaport(&self) -> &dyn crate::tx_megaport::MegaportTx;

    fn lifecycle(&self, t: ResourceType, id: Uuid) -> Result<Option<LifecycleRow>>;
    /// Compare-and-swap on the generation: moves to `status`, bumps the generation, sets the
    /// next due time, frees the lease, records the change. `false` when the row moved on.
    fn set_status(
        &self,
        row: &LifecycleRow,
        status: &str,
        due: Option<Millis>,
        now: Millis,
    ) -> Result<bool>;
}
