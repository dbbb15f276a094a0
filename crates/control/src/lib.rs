//! Application services: each call validates with the domain's rules, writes through the
//! store, and wakes the reconciler when a lifecycle step became due. The API crates call only
//! this layer; they never see SQL.

mod attachments;
mod auth;
mod fabric;
pub mod megaport;
mod reconciler;

use crosslink_domain::peering::{self, VpcPeering};
use crosslink_domain::time::Millis;
use crosslink_domain::vpc::{self, DefaultVpcs, Vpc, VpcCreate, VpcUpdate};
use crosslink_domain::{region, DomainError, Kind, ResourceType, TeamId, TransitionPolicy};
use crosslink_store::{ApiToken, Store, StoreError};
use std::collections::BTreeMap;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use tokio::sync::Notify;
use uuid::Uuid;

pub use attachments::{AttachmentView, NewAttachment};
pub use auth::{account_of, Account, AdminToken, AuthMode, Principal, CONSOLE_SESSION_SECS};
pub use crosslink_bgp::speaker::State as BgpState;
pub use crosslink_domain::attachment::{AttachmentUpdate, BgpRequest};
pub use crosslink_store::{Event, PageRequest, PeeringFilter};
pub use fabric::Route;
pub use reconciler::Reconciler;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("authentication required")]
    Unauthenticated,
    #[error("the token lacks scope {0}")]
    MissingScope(String),
    /// Details go to the log; the client sees a generic server error.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for ControlError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => Self::Domain(d),
            StoreError::Backend(m) => Self::Internal(m),
        }
    }
}

pub type Result<T> = std::result::Result<T, ControlError>;

/// Wall-clock time, behind a trait so tests can drive lifecycles without sleeping.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Millis;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .unwrap_or_default()
    }
}

/// What a VPC create request carries, as the client wrote it.
#[derive(Debug, Clone, Default)]
pub struct NewVpc {
    pub name: String,
    pub region: String,
    pub description: Option<String>,
    pub ip_range: Option<String>,
}

pub struct Control {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    auth: AuthMode,
    default_vpcs: DefaultVpcs,
    policies: RwLock<BTreeMap<ResourceType, TransitionPolicy>>,
    wake: Notify,
    /// Signs Megaport API tokens; loaded from the database by `ensure_built_ins`.
    token_secret: OnceLock<Vec<u8>>,
    /// Megaport companies made on first use that are known to exist.
    known_companies: Mutex<HashSet<String>>,
    /// The running fabric (set by `serve`), for learned routes and sessions.
    fabric: OnceLock<crosslink_fabric::Fabric>,
    /// Fired after every write, so the fabric follows the database at once.
    changed: Notify,
}

impl Control {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        auth: AuthMode,
        default_vpcs: DefaultVpcs,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            clock,
            auth,
            default_vpcs,
            policies: RwLock::new(
                ResourceType::ALL
                    .iter()
                    .map(|t| (*t, TransitionPolicy::default()))
                    .collect(),
            ),
            wake: Notify::new(),
            token_secret: OnceLock::new(),
            known_companies: Mutex::new(HashSet::new()),
            fabric: OnceLock::new(),
            changed: Notify::new(),
        })
    }

    pub fn now(&self) -> Millis {
        self.clock.now()
    }

    pub fn auth_mode(&self) -> AuthMode {
        self.auth
    }

    // ---- VPCs ---------------------------------------------------------------------------

    pub async fn create_vpc(&self, team: &TeamId, req: NewVpc) -> Result<Vpc> {
        let create = VpcCreate {
            region: region::normalize(&req.region)?.to_owned(),
            ip_range: req
                .ip_range
                .as_deref()
                .map(vpc::parse_ip_range)
                .transpose()?,
            name: req.name,
            description: req.description.unwrap_or_default(),
            seed_default: (self.default_vpcs == DefaultVpcs::Seeded).then(Uuid::new_v4),
        };
        Ok(self
            .store
            .create_vpc(team, create, Uuid::new_v4(), self.now())
            .await?)
    }

    pub async fn get_vpc(&self, team: &TeamId, id: Uuid) -> Result<Vpc> {
        Ok(self.store.get_vpc(team, id).await?)
    }

    pub async fn list_vpcs(&self, team: &TeamId, page: PageRequest) -> Result<(Vec<Vpc>, u64)> {
        Ok(self.store.list_vpcs(team, page).await?)
    }

    pub async fn update_vpc(&self, team: &TeamId, id: Uuid, update: VpcUpdate) -> Result<Vpc> {
        Ok(self.store.update_vpc(team, id, update).await?)
    }

    pub async fn delete_vpc(&self, team: &TeamId, id: Uuid) -> Result<()> {
        Ok(self.store.delete_vpc(team, id).await?)
    }

    /// Members arrive with droplets and clusters; the VPC must exist either way.
    pub async fn list_vpc_members(&self, team: &TeamId, id: Uuid) -> Result<u64> {
        self.store.get_vpc(team, id).await?;
        Ok(0)
    }

    // ---- VPC peerings -------------------------------------------------------------------

    pub async fn create_peering(
        &self,
        team: &TeamId,
        name: &str,
        vpc_ids: [Uuid; 2],
    ) -> Result<VpcPeering> {
        peering::validate_peering_name(name)?;
        let now = self.now();
        let due = self.policy(ResourceType::VpcPeering).next_due(now);
        let p = self
            .store
            .create_peering(team, name, vpc_ids, Uuid::new_v4(), now, due)
            .await
            .map_err(|e| match e {
                // The request addressed the collection (or a VPC already found); an unknown id
                // inside the body is a bad value, not a missing resource.
                StoreError::Domain(DomainError::NotFound {
                    kind: Kind::Vpc,
                    id,
                }) => ControlError::Domain(DomainError::invalid_field(
                    "vpc_ids",
                    format!(
                        "vpc_ids: VPC {} does not exist in this team",
                        id.unwrap_or_default()
                    ),
                )),
                other => other.into(),
            })?;
        self.wake.notify_one();
        Ok(p)
    }

    pub async fn get_peering(&self, team: &TeamId, id: Uuid) -> Result<VpcPeering> {
        Ok(self.store.get_peering(team, id).await?)
    }

    pub async fn list_peerings(
        &self,
        team: &TeamId,
        filter: PeeringFilter,
        page: PageRequest,
    ) -> Result<(Vec<VpcPeering>, u64)> {
        if let Some(vpc) = filter.vpc {
            self.store.get_vpc(team, vpc).await?;
        }
        Ok(self.store.list_peerings(team, &filter, page).await?)
    }

    pub async fn rename_peering(
        &self,
        team: &TeamId,
        id: Uuid,
        name: &str,
        vpc: Option<Uuid>,
    ) -> Result<VpcPeering> {
        Ok(self.store.rename_peering(team, id, name, vpc).await?)
    }

    pub async fn delete_peering(&self, team: &TeamId, id: Uuid) -> Result<VpcPeering> {
        let now = self.now();
        let due = self.policy(ResourceType::VpcPeering).next_due(now);
        let p = self.store.delete_peering(team, id, now, due).await?;
        self.wake.notify_one();
        Ok(p)
    }

    // ---- lifecycles (admin) -------------------------------------------------------------

    pub fn policy(&self, t: ResourceType) -> TransitionPolicy {
        self.policies
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&t)
            .copied()
            .unwrap_or_default()
    }

    pub fn policies(&self) -> BTreeMap<ResourceType, TransitionPolicy> {
        self.policies
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Reads the stored policies (the database is the truth for every process on this data);
    /// returns the types that have one stored, the rest run on the default.
    pub async fn load_policies(&self) -> Result<Vec<ResourceType>> {
        let stored = self.store.transition_policies().await?;
        let mut found = Vec::new();
        let mut policies = BTreeMap::new();
        for (t, p) in stored {
            match (t.parse::<ResourceType>(), p.parse::<TransitionPolicy>()) {
                (Ok(t), Ok(p)) => {
                    policies.insert(t, p);
                    found.push(t);
                }
                _ => {
                    tracing::warn!(resource_type = %t, policy = %p, "ignoring a stored transition policy this version does not know")
                }
            }
        }
        let mut cache = self.policies.write().unwrap_or_else(|p| p.into_inner());
        for t in ResourceType::ALL {
            cache.insert(*t, policies.get(t).copied().unwrap_or_default());
        }
        Ok(found)
    }

    /// Frees leases a previous process of this data left behind, so its rows move at once
    /// rather than when the leases expire. Call only while holding the data exclusively.
    pub async fn release_leases(&self) -> Result<u64> {
        let n = self.store.release_leases().await?;
        self.wake.notify_one();
        Ok(n)
    }

    /// Stores a policy and applies it to resources already in flight.
    pub async fn set_policy(&self, t: ResourceType, policy: TransitionPolicy) -> Result<u64> {
        self.store
            .set_transition_policy(t, &policy.to_string(), self.now())
            .await?;
        self.policies
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(t, policy);
        let n = self
            .store
            .schedule_all(t, &t.timed_statuses(), policy.next_due(self.now()))
            .await?;
        self.wake.notify_one();
        Ok(n)
    }

    /// Makes one resource's next step due now, whatever its policy.
    pub async fn advance(&self, t: ResourceType, id: Uuid) -> Result<()> {
        if !self
            .store
            .schedule(t, id, &t.timed_statuses(), Some(self.now()))
            .await?
        {
            return Err(DomainError::NotFound {
                kind: t.kind(),
                id: Some(format!("{id} (with a step on a timer still to come)")),
            }
            .into());
        }
        self.wake.notify_one();
        Ok(())
    }

    /// Writes the built-in company DigitalOcean and its partner ports if they are missing.
    pub async fn ensure_built_ins(&self) -> Result<()> {
        use crosslink_domain::megaport::{company, port};
        self.store
            .ensure_company(
                &company::digitalocean(),
                &port::digitalocean_partner_ports(),
                self.now(),
            )
            .await?;
        self.init_token_secret().await
    }

    pub async fn events(&self, after: i64, limit: u32) -> Result<Vec<Event>> {
        Ok(self.store.events(after, limit).await?)
    }

    pub async fn reset(&self) -> Result<()> {
        Ok(self.store.reset().await?)
    }

    // ---- tokens -------------------------------------------------------------------------

    /// Mints a token for `crosslink admin tokens create`; the value is returned once and only
    /// its hash is kept.
    pub async fn create_token(
        &self,
        team: &str,
        name: &str,
        scopes: Vec<String>,
    ) -> Result<(String, ApiToken)> {
        if team.is_empty() || name.is_empty() {
            return Err(DomainError::invalid("team and name must not be empty").into());
        }
        for s in &scopes {
            auth::validate_scope(s)?;
        }
        let value = auth::new_token_value()?;
        let token = ApiToken {
            name: name.to_owned(),
            team: TeamId(team.to_owned()),
            scopes,
            created_at: self.now(),
        };
        self.store
            .create_token(&auth::hash_token(&value), &token)
            .await?;
        Ok((value, token))
    }

    pub async fn authenticate(&self, bearer: Option<&str>) -> Result<Principal> {
        auth::authenticate(self, bearer).await
    }
}
