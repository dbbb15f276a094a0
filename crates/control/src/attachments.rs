//! Partner Network Connect: partner attachments, the Megaport service keys issued for them,
//! and the observation entry point every lifecycle shares. Each write is one rule run over the
//! store's transactional port: read what the rule needs, decide with the domain, write.

use crate::{Control, ControlError, Result};
use crosslink_domain::attachment::{
    self, AttachmentState, AttachmentUpdate, BgpRequest, PartnerAttachment, RedundancyZone,
};
use crosslink_domain::megaport::service_key::{self, KeyStatus, ServiceKey};
use crosslink_domain::time::Millis;
use crosslink_domain::{DomainError, Kind, Observation, ResourceType, TeamId, TransitionPolicy};
use crosslink_store::{transact, DueTransition, LifecycleRow, PageRequest, Tx};
use std::collections::BTreeMap;
use uuid::Uuid;

/// What a create request carries, as the client wrote it.
#[derive(Debug, Clone, Default)]
pub struct NewAttachment {
    pub name: String,
    pub bandwidth_mbps: u32,
    pub region: String,
    pub naas_provider: String,
    pub vpc_ids: Vec<Uuid>,
    pub parent: Option<Uuid>,
    pub redundancy_zone: Option<String>,
    pub bgp: Option<BgpRequest>,
}

/// An attachment as the API shows it: with its HA children.
#[derive(Debug, Clone)]
pub struct AttachmentView {
    pub attachment: PartnerAttachment,
    pub children: Vec<Uuid>,
    /// Why its BGP session is not Established (`CREATED` only), in words.
    pub diagnosis: Option<String>,
}

/// The VPCs of `ids`, each the team's, as a rule about the request body (a missing one is a
/// bad value, not a missing resource).
fn team_vpcs(tx: &dyn Tx, team: &TeamId, ids: &[Uuid]) -> Result<Vec<crosslink_domain::Vpc>> {
    ids.iter()
        .map(|id| {
            tx.vpc(team, *id)?.ok_or_else(|| {
                ControlError::Domain(DomainError::invalid_field(
                    "vpc_ids",
                    format!("VPC {id} does not exist in this team"),
                ))
            })
        })
        .collect()
}

/// The transition policies as a rule inside a transaction sees them.
#[derive(Clone)]
pub(crate) struct Schedule(BTreeMap<ResourceType, TransitionPolicy>);

impl Schedule {
    /// When a resource that just reached `status` should take its next step.
    pub(crate) fn due_after(&self, t: ResourceType, status: &str, now: Millis) -> Option<Millis> {
        match t.step(status) {
            Some(step) if step.is_timed() => {
                self.0.get(&t).copied().unwrap_or_default().next_due(now)
            }
            _ => None,
        }
    }
}

/// Requests a key on the DigitalOcean partner port of the attachment's metro and zone.
fn request_key(tx: &dyn Tx, a: &PartnerAttachment, now: Millis, due: Option<Millis>) -> Result<()> {
    let zone = a.redundancy_zone.diversity_zone();
    let port = tx.partner_port(&a.metro, zone)?.ok_or_else(|| {
        ControlError::Internal(format!(
            "no DigitalOcean partner port in {} ({})",
            a.metro,
            zone.as_str()
        ))
    })?;
    tx.insert_service_key(&ServiceKey::for_attachment(a, port.uid, now), due)?;
    Ok(())
}

/// Applies an observation to a lifecycle row inside a rule's transaction.
pub(crate) fn observe_in(
    c: &Schedule,
    tx: &dyn Tx,
    row: &LifecycleRow,
    seen: Observation,
    now: Millis,
) -> Result<bool> {
    let Some(next) = row.resource_type.observe(&row.status, seen) else {
        return Ok(false);
    };
    let due = c.due_after(row.resource_type, next, now);
    Ok(tx.set_status(row, next, due, now)?)
}

impl Control {
    /// Runs a rule over the store's transactional port as one atomic write.
    pub(crate) async fn rule<T: Send + 'static>(
        &self,
        rule: impl FnOnce(&dyn Tx) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let out = transact(self.store.as_ref(), rule).await?;
        self.changed.notify_one();
        Ok(out)
    }

    pub(crate) fn schedule(&self) -> Schedule {
        Schedule(self.policies())
    }

    /// When a resource that just reached `status` should take its next step.
    pub(crate) fn due_after(&self, t: ResourceType, status: &str, now: Millis) -> Option<Millis> {
        self.schedule().due_after(t, status, now)
    }

    pub async fn create_attachment(
        &self,
        team: &TeamId,
        req: NewAttachment,
    ) -> Result<PartnerAttachment> {
        attachment::validate_attachment_name(&req.name)?;
        attachment::validate_bandwidth(req.bandwidth_mbps)?;
        attachment::validate_naas_provider(&req.naas_provider)?;
        let metro = attachment::metro(&req.region)?;
        let zone = RedundancyZone::parse(req.redundancy_zone.as_deref())?;
        let bgp = attachment::bgp_for_create(req.bgp.as_ref(), crate::auth::new_secret(16)?)?;
        attachment::check_vpc_ids(&req.vpc_ids)?;
        let now = self.now();
        let a = PartnerAttachment {
            id: Uuid::new_v4(),
            team: team.clone(),
            name: req.name,
            state: AttachmentState::Creating,
            bandwidth_mbps: req.bandwidth_mbps,
            metro: metro.to_owned(),
            naas_provider: req.naas_provider,
            vpc_ids: req.vpc_ids,
            bgp,
            redundancy_zone: zone,
            parent: req.parent,
            created_at: now,
        };
        let key_due = self.due_after(ResourceType::ServiceKey, KeyStatus::Creating.as_str(), now);
        let created = self
            .rule(move |tx| {
                attachment::check_name_free(
                    &a.name,
                    tx.attachment_by_name(&a.team, &a.name)?.as_ref(),
                    None,
                )?;
                let vpcs = team_vpcs(tx, &a.team, &a.vpc_ids)?;
                attachment::check_vpcs_in_metro(&a.metro, &vpcs)?;
                if let Some(parent) = a.parent {
                    let p = tx.attachment(&a.team, parent)?.ok_or_else(|| {
                        DomainError::invalid_field(
                            "parent_uuid",
                            format!("partner attachment {parent} does not exist in this team"),
                        )
                    })?;
                    attachment::check_parent(&p, &a.metro)?;
                }
                // The attachment waits for its key, which the reconciler issues.
                tx.insert_attachment(&a, None)?;
                request_key(tx, &a, now, key_due)?;
                Ok(a)
            })
            .await?;
        self.wake.notify_one();
        Ok(created)
    }

    pub async fn get_attachment(&self, team: &TeamId, id: Uuid) -> Result<AttachmentView> {
        let attachment = self.store.get_attachment(team, id).await?;
        let children = self.store.attachment_children(id).await?;
        let diagnosis = self.attachment_diagnosis(&attachment).await?;
        Ok(AttachmentView {
            attachment,
            children,
            diagnosis,
        })
    }

    pub async fn list_attachments(
        &self,
        team: &TeamId,
        page: PageRequest,
    ) -> Result<(Vec<AttachmentView>, u64)> {
        let (items, total) = self.store.list_attachments(team, page).await?;
        let mut views = Vec::with_capacity(items.len());
        for attachment in items {
            let children = self.store.attachment_children(attachment.id).await?;
            let diagnosis = self.attachment_diagnosis(&attachment).await?;
            views.push(AttachmentView {
                attachment,
                children,
                diagnosis,
            });
        }
        Ok((views, total))
    }

    pub async fn update_attachment(
        &self,
        team: &TeamId,
        id: Uuid,
        update: AttachmentUpdate,
    ) -> Result<AttachmentView> {
        let team_ = team.clone();
        self.rule(move |tx| {
            let a = tx
                .attachment(&team_, id)?
                .ok_or_else(|| DomainError::not_found(Kind::PartnerAttachment, id))?;
            let next = attachment::apply_update(&a, &update)?;
            if next.name != a.name {
                attachment::check_name_free(
                    &next.name,
                    tx.attachment_by_name(&team_, &next.name)?.as_ref(),
                    Some(id),
                )?;
            }
            if update.vpc_ids.is_some() {
                let vpcs = team_vpcs(tx, &team_, &next.vpc_ids)?;
                attachment::check_vpcs_in_metro(&next.metro, &vpcs)?;
            }
            tx.update_attachment(&next)?;
            Ok(())
        })
        .await?;
        self.get_attachment(team, id).await
    }

    /// Marks the attachment `DELETING` and deactivates its keys; the reconciler removes it.
    pub async fn delete_attachment(&self, team: &TeamId, id: Uuid) -> Result<AttachmentView> {
        let now = self.now();
        let due = self.due_after(
            ResourceType::PartnerAttachment,
            AttachmentState::Deleting.as_str(),
            now,
        );
        let team_ = team.clone();
        let sched = self.schedule();
        let deleted = self
            .rule(move |tx| {
                let mut a = tx
                    .attachment(&team_, id)?
                    .ok_or_else(|| DomainError::not_found(Kind::PartnerAttachment, id))?;
                if a.state == AttachmentState::Deleting {
                    return Ok(a);
                }
                attachment::check_deletable(&a, tx.attachment_children(id)?.len())?;
                let row = tx
                    .lifecycle(ResourceType::PartnerAttachment, id)?
                    .ok_or_else(|| DomainError::not_found(Kind::PartnerAttachment, id))?;
                tx.set_status(&row, AttachmentState::Deleting.as_str(), due, now)?;
                for k in tx.active_service_keys(id)? {
                    tx.set_service_key_active(k.id, false)?;
                }
                // DigitalOcean's end of the VXC goes: the VXC is cancelled, its owner told.
                for v in tx.megaport().vxcs_of_attachment(id)? {
                    if v.status.is_active() {
                        crate::megaport::cancel_vxc_of_attachment(&sched, tx, &v, now)?;
                    }
                }
                a.state = AttachmentState::Deleting;
                Ok(a)
            })
            .await?;
        self.wake.notify_one();
        let children = self.store.attachment_children(id).await?;
        Ok(AttachmentView {
            attachment: deleted,
            children,
            diagnosis: None,
        })
    }

    pub async fn attachment_service_key(&self, team: &TeamId, id: Uuid) -> Result<ServiceKey> {
        self.store
            .attachment_service_key(team, id)
            .await?
            .ok_or_else(|| DomainError::not_found(Kind::ServiceKey, id).into())
    }

    /// Requests a new key; once issued, the previous one stops working unless a VXC used it.
    pub async fn regenerate_service_key(&self, team: &TeamId, id: Uuid) -> Result<()> {
        let now = self.now();
        let due = self.due_after(ResourceType::ServiceKey, KeyStatus::Creating.as_str(), now);
        let team_ = team.clone();
        self.rule(move |tx| {
            let a = tx
                .attachment(&team_, id)?
                .ok_or_else(|| DomainError::not_found(Kind::PartnerAttachment, id))?;
            if a.state == AttachmentState::Deleting {
                return Err(DomainError::conflict(
                    Kind::PartnerAttachment,
                    format!("partner attachment {id} is being deleted"),
                )
                .into());
            }
            request_key(tx, &a, now, due)
        })
        .await?;
        self.wake.notify_one();
        Ok(())
    }

    /// The reconciler's effect for a due service key: make it usable, retire the attachment's
    /// unused earlier keys, and tell the attachment, all in one transaction.
    pub(crate) async fn issue_service_key(&self, due: &DueTransition) -> Result<bool> {
        let now = self.now();
        let row = due.row();
        let sched = self.schedule();
        self.rule(move |tx| {
            let Some(key) = tx.service_key(row.id)? else {
                return Ok(false);
            };
            if !tx.set_status(&row, KeyStatus::Created.as_str(), None, now)? {
                return Ok(false);
            }
            let Some(att) = key.attachment else {
                tx.set_service_key_active(key.id, true)?;
                return Ok(true);
            };
            // A key requested before its attachment was deleted is issued dead.
            let a_row = tx
                .lifecycle(ResourceType::PartnerAttachment, att)?
                .filter(|r| r.status != AttachmentState::Deleting.as_str());
            let Some(a_row) = a_row else {
                return Ok(true);
            };
            for old in service_key::superseded(&key, &tx.active_service_keys(att)?) {
                tx.set_service_key_active(old, false)?;
            }
            tx.set_service_key_active(key.id, true)?;
            observe_in(&sched, tx, &a_row, Observation::ServiceKeyIssued, now)?;
            Ok(true)
        })
        .await
    }

    /// The one entry point through which observations (a BGP session up or down) reach a
    /// lifecycle: a compare-and-swap on the row's generation. `false` if nothing moved.
    pub async fn observe(&self, t: ResourceType, id: Uuid, seen: Observation) -> Result<bool> {
        let now = self.now();
        let sched = self.schedule();
        let moved = self
            .rule(move |tx| match tx.lifecycle(t, id)? {
                Some(row) => observe_in(&sched, tx, &row, seen, now),
                None => Ok(false),
            })
            .await?;
        self.wake.notify_one();
        Ok(moved)
    }
}
