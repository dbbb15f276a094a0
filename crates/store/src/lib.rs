//! Persistence for crosslink. A backend implements [`Store`]'s queries (reads for the APIs, the
//! lifecycle machinery every asynchronous resource shares) and the narrow transactional port
//! [`Tx`]; every write that reads, decides and writes is a rule written once over `Tx` (VPCs
//! and peerings in [`rules`], partner attachments and service keys in `control`) and run as one
//! atomic write by [`transact`]. A new backend adds queries, never rules.

pub mod conformance;
pub mod rules;
mod sqlite;
mod sqlite_megaport;
mod sqlite_tx;
mod tx;
mod tx_megaport;

use async_trait::async_trait;
use crosslink_domain::attachment::PartnerAttachment;
use crosslink_domain::megaport::company::Company;
use crosslink_domain::megaport::port::Port;
use crosslink_domain::megaport::service_key::ServiceKey;
use crosslink_domain::peering::VpcPeering;
use crosslink_domain::time::Millis;
use crosslink_domain::vpc::{Vpc, VpcCreate, VpcUpdate};
use crosslink_domain::{DomainError, ResourceType, Step, TeamId, TenantId};
use std::any::Any;
use uuid::Uuid;

pub use sqlite::SqliteStore;
pub use tx::{LifecycleRow, Tx};
pub use tx_megaport::MegaportTx;

/// A rule run over the port, type-erased so `Store` stays object-safe (see `transact`).
pub type TxJob = Box<dyn FnOnce(&dyn Tx) -> Result<Box<dyn Any + Send>> + Send>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A rule refused the operation; the message is for the user.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The database failed; the message is for the operator's log, not the API response.
    #[error("storage failure: {0}")]
    Backend(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// One page of a collection: offset and size, 1-based page as the APIs count.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub page: u64,
    pub per_page: u32,
}

impl PageRequest {
    pub fn offset(&self) -> u64 {
        self.page
            .saturating_sub(1)
            .saturating_mul(u64::from(self.per_page))
    }
}

#[derive(Debug, Clone, Default)]
pub struct PeeringFilter {
    /// Only peerings that join this VPC.
    pub vpc: Option<Uuid>,
    /// Only peerings with at least one VPC in this region.
    pub region: Option<String>,
}

/// A resource whose next lifecycle step is due and now leased to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTransition {
    pub resource_type: ResourceType,
    pub id: Uuid,
    pub tenant: TenantId,
    pub status: String,
    pub generation: i64,
}

impl DueTransition {
    pub fn row(&self) -> LifecycleRow {
        LifecycleRow {
            resource_type: self.resource_type,
            id: self.id,
            tenant: self.tenant.clone(),
            status: self.status.clone(),
            generation: self.generation,
        }
    }
}

/// A recorded status change, for `/_crosslink/events` and the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub seq: i64,
    pub at: Millis,
    /// `team:<name>` or `company:<uid>`.
    pub tenant: String,
    pub resource_type: String,
    pub resource_id: Uuid,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
}

/// An API token made with `crosslink admin tokens create`; only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub name: String,
    pub team: TeamId,
    pub scopes: Vec<String>,
    pub created_at: Millis,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // VPCs. Writes are provided: the rules in `rules` run over this backend's `Tx`.
    async fn create_vpc(
        &self,
        team: &TeamId,
        req: VpcCreate,
        id: Uuid,
        now: Millis,
    ) -> Result<Vpc> {
        let team = team.clone();
        transact(self, move |tx| rules::create_vpc(tx, &team, req, id, now)).await
    }
    async fn get_vpc(&self, team: &TeamId, id: Uuid) -> Result<Vpc>;
    async fn list_vpcs(&self, team: &TeamId, page: PageRequest) -> Result<(Vec<Vpc>, u64)>;
    async fn update_vpc(&self, team: &TeamId, id: Uuid, update: VpcUpdate) -> Result<Vpc> {
        let team = team.clone();
        transact(self, move |tx| rules::update_vpc(tx, &team, id, update)).await
    }
    async fn delete_vpc(&self, team: &TeamId, id: Uuid) -> Result<()> {
        let team = team.clone();
        transact(self, move |tx| rules::delete_vpc(tx, &team, id)).await
    }

    // VPC peerings
    /// Creates a peering in `PROVISIONING` with its first step due at `next_due`.
    async fn create_peering(
        &self,
        team: &TeamId,
        name: &str,
        vpc_ids: [Uuid; 2],
        id: Uuid,
        now: Millis,
        next_due: Option<Millis>,
    ) -> Result<VpcPeering> {
        let (team, name) = (team.clone(), name.to_owned());
        transact(self, move |tx| {
            rules::create_peering(tx, &team, &name, vpc_ids, id, now, next_due)
        })
        .await
    }
    async fn get_peering(&self, team: &TeamId, id: Uuid) -> Result<VpcPeering>;
    async fn list_peerings(
        &self,
        team: &TeamId,
        filter: &PeeringFilter,
        page: PageRequest,
    ) -> Result<(Vec<VpcPeering>, u64)>;
    /// Renames a peering; with `vpc` set, the peering must join that VPC (per-VPC route).
    async fn rename_peering(
        &self,
        team: &TeamId,
        id: Uuid,
        name: &str,
        vpc: Option<Uuid>,
    ) -> Result<VpcPeering> {
        let (team, name) = (team.clone(), name.to_owned());
        transact(self, move |tx| {
            rules::rename_peering(tx, &team, id, &name, vpc)
        })
        .await
    }
    /// Moves a peering to `DELETING`; idempotent for one already deleting.
    async fn delete_peering(
        &self,
        team: &TeamId,
        id: Uuid,
        now: Millis,
        next_due: Option<Millis>,
    ) -> Result<VpcPeering> {
        let team = team.clone();
        transact(self, move |tx| {
            rules::delete_peering(tx, &team, id, now, next_due)
        })
        .await
    }

    // Lifecycles
    /// Leases up to `limit` resources whose step is due at `now`, for `lease_ms`.
    async fn claim_due(
        &self,
        now: Millis,
        lease_ms: i64,
        owner: &str,
        limit: u32,
    ) -> Result<Vec<DueTransition>>;
    /// Applies one step (`To`, `Remove`, or, for `Await`/`Done`, clearing the due time) as a
    /// compare-and-swap on the generation; `false` when someone else won.
    async fn apply_step(
        &self,
        due: &DueTransition,
        step: Step,
        now: Millis,
        next_due: Option<Millis>,
    ) -> Result<bool>;
    /// Reschedules a resource's next step (admin advance) if its status is one of `timed`
    /// (the statuses whose step runs on a timer, as the domain decides).
    async fn schedule(
        &self,
        resource_type: ResourceType,
        id: Uuid,
        timed: &[&'static str],
        due: Option<Millis>,
    ) -> Result<bool>;
    /// Reschedules every resource of a type in one of the `timed` statuses (a policy change
    /// applies to what is in flight).
    async fn schedule_all(
        &self,
        resource_type: ResourceType,
        timed: &[&'static str],
        due: Option<Millis>,
    ) -> Result<u64>;
    /// The earliest due step, so the reconciler can sleep exactly until then.
    async fn next_due(&self) -> Result<Option<Millis>>;
    /// Per resource type and status: how many rows, and how many have a step due by `now`
    /// (the reconciler's queue), for `/metrics`.
    async fn lifecycle_counts(&self, now: Millis) -> Result<Vec<(ResourceType, String, u64, u64)>>;
    async fn events(&self, after_seq: i64, limit: u32) -> Result<Vec<Event>>;

    // Tokens
    async fn create_token(&self, hash: &str, token: &ApiToken) -> Result<()>;
    async fn find_token(&self, hash: &str) -> Result<Option<ApiToken>>;

    // Partner attachments and the keys issued for them (writes go through `transact`)
    async fn get_attachment(&self, team: &TeamId, id: Uuid) -> Result<PartnerAttachment>;
    async fn list_attachments(
        &self,
        team: &TeamId,
        page: PageRequest,
    ) -> Result<(Vec<PartnerAttachment>, u64)>;
    /// HA children of an attachment, oldest first.
    async fn attachment_children(&self, id: Uuid) -> Result<Vec<Uuid>>;
    /// The newest key issued or being issued for an attachment of `team`.
    async fn attachment_service_key(&self, team: &TeamId, id: Uuid) -> Result<Option<ServiceKey>>;
    /// Writes the built-in company and its ports if they are missing.
    async fn ensure_company(&self, company: &Company, ports: &[Port], now: Millis) -> Result<()>;

    /// Runs `job` over the transactional port as one atomic write (see [`transact`]).
    async fn transact_any(&self, job: TxJob) -> Result<Box<dyn Any + Send>>;
    /// Runs `job`'s reads over the port on a reader, beside the writer (see [`view`]).
    async fn view_any(&self, job: TxJob) -> Result<Box<dyn Any + Send>>;

    // Settings
    /// Stored transition policies, as (resource type, policy) in their string forms.
    async fn transition_policies(&self) -> Result<Vec<(String, String)>>;
    async fn set_transition_policy(
        &self,
        resource_type: ResourceType,
        policy: &str,
        now: Millis,
    ) -> Result<()>;
    /// Frees every lease at once. Only for a process that holds the data exclusively: a
    /// lease it finds can only be a dead process's.
    async fn release_leases(&self) -> Result<u64>;

    /// Drops every resource (admin reset); tokens, settings and built-in companies are kept.
    async fn reset(&self) -> Result<()>;
}

/// Runs a rule over the transactional port as one atomic write: everything it writes commits
/// together or not at all, and no other write interleaves.
pub async fn transact<S, T, E>(
    store: &S,
    rule: impl FnOnce(&dyn Tx) -> std::result::Result<T, E> + Send + 'static,
) -> std::result::Result<T, E>
where
    S: Store + ?Sized,
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let (job, refused) = carrying(rule);
    let out = store.transact_any(job).await;
    unbox(out, refused)
}

/// Runs reads over the transactional port on a reader connection: a consistent snapshot that
/// never waits for the writer. A write attempted here fails.
pub async fn view<S, T, E>(
    store: &S,
    read: impl FnOnce(&dyn Tx) -> std::result::Result<T, E> + Send + 'static,
) -> std::result::Result<T, E>
where
    S: Store + ?Sized,
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let (job, refused) = carrying(read);
    let out = store.view_any(job).await;
    unbox(out, refused)
}

/// Where a rule's own error waits while the backend rolls its savepoint back.
type Refused<E> = std::sync::Arc<std::sync::Mutex<Option<E>>>;

/// The rule as a backend job. A rule's error (any type: a caller's rules fail in the caller's
/// words) is kept aside whole, and the backend is handed a stand-in so it rolls back; the
/// caller gets the rule's error, not a string of it.
fn carrying<T: Send + 'static, E: Send + 'static>(
    rule: impl FnOnce(&dyn Tx) -> std::result::Result<T, E> + Send + 'static,
) -> (TxJob, Refused<E>) {
    let refused: Refused<E> = Default::default();
    let slot = refused.clone();
    let job: TxJob = Box::new(move |tx| match rule(tx) {
        Ok(v) => Ok(Box::new(v) as Box<dyn Any + Send>),
        Err(e) => {
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
            Err(StoreError::Backend("the rule refused the write".into()))
        }
    });
    (job, refused)
}

fn unbox<T: 'static, E: From<StoreError>>(
    out: Result<Box<dyn Any + Send>>,
    refused: Refused<E>,
) -> std::result::Result<T, E> {
    if let Some(e) = refused.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(e);
    }
    Ok(*out?
        .downcast::<T>()
        .expect("a backend returns what its job returned"))
}
