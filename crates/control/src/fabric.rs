//! The desired state of the fabric, read from the database, and what the fabric knows that
//! the APIs show (learned routes, sessions). The fabric reports back through `observe`.

use crate::{Control, Result};
use crosslink_bgp::speaker::State as BgpState;
use crosslink_domain::attachment::{AttachmentState, PartnerAttachment};
use crosslink_domain::digitalocean::diagnosis::{diagnose, summary, McrFacts, SessionFacts};
use crosslink_domain::megaport::company::CompanyUid;
use crosslink_domain::megaport::product::{ProductType, ProvisioningStatus};
use crosslink_domain::megaport::vxc::{VrouterConfig, Vxc};
use crosslink_domain::{DomainError, Observation, ResourceType, TeamId, TenantId};
use crosslink_fabric::{
    AttachmentEnd, Desired, Fabric, Link, McrSession, PortLink, Report, SessionView,
};
use uuid::Uuid;

pub use crosslink_bgp::speaker::Route;

impl Control {
    /// Hands the control layer the running fabric (once, at start-up).
    pub fn set_fabric(&self, fabric: Fabric) {
        let _ = self.fabric.set(fabric);
    }

    /// Wakes whoever keeps the fabric in step (after any write).
    pub fn changes(&self) -> &tokio::sync::Notify {
        &self.changed
    }

    /// Every LIVE VXC that joins an MCR's BGP connection to a partner attachment, with both
    /// ends' settings: what the fabric should be running.
    pub async fn fabric_links(&self) -> Result<Desired> {
        self.read(|tx| {
            let m = tx.megaport();
            let mut links = Vec::new();
            let mut ports = Vec::new();
            for v in m.live_vxcs()? {
                let Some(att_id) = v.attachment else {
                    if let Some(p) = port_link(m, &v)? {
                        ports.push(p);
                    }
                    continue;
                };
                if v.status != ProvisioningStatus::Live || v.spec.shutdown {
                    continue;
                }
                let Some(row) = tx.lifecycle(ResourceType::PartnerAttachment, att_id)? else {
                    continue;
                };
                let TenantId::Team(team) = &row.tenant else {
                    continue;
                };
                let Some(a) = tx.attachment(team, att_id)? else {
                    continue;
                };
                let Some(mcr) = m.product(v.spec.a_end.product_uid)? else {
                    continue;
                };
                if mcr.product_type != ProductType::Mcr || !mcr.status.is_active() {
                    continue;
                }
                let Some(cfg) = &v.spec.a_end.partner_config else {
                    continue;
                };
                let mcr_asn = mcr
                    .spec
                    .asn
                    .unwrap_or(crosslink_domain::megaport::product::DEFAULT_MCR_ASN);
                let mut announce = Vec::new();
                for id in &a.vpc_ids {
                    if let Some(vpc) = tx.vpc(team, *id)? {
                        announce.push(vpc.ip_range);
                    }
                }
                links.push(Link {
                    vxc: v.uid,
                    vxc_id: v.product_id,
                    vxc_name: v.spec.a_end.name.clone(),
                    mcr: mcr.uid,
                    mcr_asn,
                    attachment: AttachmentEnd {
                        attachment: a.id,
                        local_asn: a.bgp.local_asn,
                        local_router_ip: a.bgp.local_router_ip,
                        peer_asn: a.bgp.peer_asn,
                        peer_router_ip: a.bgp.peer_router_ip.addr(),
                        auth_key: a.bgp.auth_key.clone(),
                        announce,
                    },
                    interface: cfg
                        .interfaces
                        .iter()
                        .flat_map(|i| i.ip_addresses.clone())
                        .collect(),
                    sessions: sessions(cfg, mcr_asn),
                });
            }
            Ok(Desired {
                attachments: links,
                ports,
            })
        })
        .await
    }

    /// A fabric report, as the attachment's lifecycle hears it.
    pub async fn fabric_report(&self, r: Report) -> Result<bool> {
        let (id, seen) = match r {
            Report::Established { attachment } => (attachment, Observation::BgpEstablished),
            Report::Down { attachment, .. } => (attachment, Observation::BgpDown),
        };
        self.observe(ResourceType::PartnerAttachment, id, seen)
            .await
    }

    /// Why a `CREATED` attachment's session is not up, from both ends' sessions as the fabric
    /// saw them on the wire.
    pub async fn attachment_diagnosis(&self, a: &PartnerAttachment) -> Result<Option<String>> {
        if a.state != AttachmentState::Created {
            return Ok(None);
        }
        let mut facts = SessionFacts::default();
        // Nothing ordered on the Megaport side: the attachment reads as DigitalOcean's does.
        let Some(v) = self.attachment_vxc(a.id).await? else {
            return Ok(None);
        };
        {
            let v = &v;
            let status = if v.spec.shutdown && v.status == ProvisioningStatus::Live {
                "SHUTDOWN"
            } else {
                v.status.as_str()
            };
            facts.vxc = Some(status.to_owned());
            let bgp = v.spec.a_end.partner_config.as_ref().and_then(|c| {
                c.interfaces
                    .iter()
                    .flat_map(|i| i.bgp_connections.iter())
                    .next()
                    .cloned()
            });
            if let (Some(b), Some(f)) = (bgp, self.fabric.get()) {
                facts.established = f
                    .attachment_session(a.id)
                    .await
                    .is_some_and(|p| p.state == BgpState::Established);
                let session = f
                    .mcr_sessions(v.spec.a_end.product_uid)
                    .await
                    .into_iter()
                    .find(|s| s.vxc == v.uid);
                facts.mcr = Some(McrFacts {
                    local_ip: b.local_ip_address,
                    peer_ip: b.peer_ip_address,
                    peer_asn: b.peer_asn,
                    local_asn: session
                        .as_ref()
                        .map_or(crosslink_domain::megaport::product::DEFAULT_MCR_ASN, |s| {
                            s.local_asn
                        }),
                    shutdown: b.shutdown,
                    state: session
                        .as_ref()
                        .map_or_else(|| "not started".into(), |s| format!("{:?}", s.status.state)),
                    last_error: session.and_then(|s| s.status.last_error),
                });
            }
        }
        Ok(diagnose(&a.bgp, &facts))
    }

    /// Prometheus's text format: lifecycle rows by type and status, the reconciler's queue,
    /// and the fabric's sessions. Written by hand: a handful of gauges read at scrape time,
    /// where a metrics registry would keep a second copy of numbers the database has.
    pub async fn metrics(&self) -> Result<String> {
        use std::fmt::Write;
        let mut out = String::new();
        let rows = self.store.lifecycle_counts(self.now()).await?;
        out.push_str("# HELP crosslink_resources Resources by type and status.\n# TYPE crosslink_resources gauge\n");
        for (t, status, n, _) in &rows {
            let _ = writeln!(
                out,
                "crosslink_resources{{type=\"{t}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP crosslink_reconciler_due Lifecycle steps due now and not yet taken.\n# TYPE crosslink_reconciler_due gauge\n");
        let mut due: std::collections::BTreeMap<String, u64> = Default::default();
        for (t, _, _, d) in &rows {
            *due.entry(t.to_string()).or_default() += d;
        }
        for (t, d) in due {
            let _ = writeln!(out, "crosslink_reconciler_due{{type=\"{t}\"}} {d}");
        }
        if let Some(f) = self.fabric.get() {
            let s = f.stats().await;
            out.push_str("# HELP crosslink_bgp_sessions Attachment BGP sessions by state.\n# TYPE crosslink_bgp_sessions gauge\n");
            for state in [
                "Idle",
                "Connect",
                "Active",
                "OpenSent",
                "OpenConfirm",
                "Established",
            ] {
                let n = s.sessions.get(state).copied().unwrap_or(0);
                let _ = writeln!(out, "crosslink_bgp_sessions{{state=\"{state}\"}} {n}");
            }
            let _ = writeln!(out, "# HELP crosslink_bgp_prefixes_received Prefixes the attachments learned.\n# TYPE crosslink_bgp_prefixes_received gauge\ncrosslink_bgp_prefixes_received {}", s.prefixes_received);
            let _ = writeln!(out, "# HELP crosslink_bgp_prefixes_advertised Prefixes the attachments announce.\n# TYPE crosslink_bgp_prefixes_advertised gauge\ncrosslink_bgp_prefixes_advertised {}", s.prefixes_advertised);
            let _ = writeln!(out, "# HELP crosslink_bgp_established_total Times an attachment session reached Established (flaps count again).\n# TYPE crosslink_bgp_established_total counter\ncrosslink_bgp_established_total {}", s.established_total);
            let _ = writeln!(out, "# HELP crosslink_bgp_flaps_total Times an Established attachment session went down.\n# TYPE crosslink_bgp_flaps_total counter\ncrosslink_bgp_flaps_total {}", s.flaps_total);
        }
        Ok(out)
    }

    /// The admin's view of any attachment's session: its team, state and diagnosis.
    pub async fn admin_attachment_diagnosis(
        &self,
        id: Uuid,
    ) -> Result<(TeamId, String, Option<String>)> {
        let row = self
            .read(move |tx| Ok(tx.lifecycle(ResourceType::PartnerAttachment, id)?))
            .await?
            .ok_or_else(|| DomainError::not_found(crosslink_domain::Kind::PartnerAttachment, id))?;
        let TenantId::Team(team) = row.tenant else {
            return Err(
                DomainError::not_found(crosslink_domain::Kind::PartnerAttachment, id).into(),
            );
        };
        let view = self.get_attachment(&team, id).await?;
        let state = view.attachment.state.as_str();
        let words = summary(state, view.diagnosis.as_deref());
        Ok((team, state.to_owned(), words))
    }

    /// What the attachment learned over its session (`remote_routes`).
    pub async fn remote_routes(&self, team: &TeamId, id: Uuid) -> Result<Vec<Route>> {
        self.store.get_attachment(team, id).await?;
        Ok(match self.fabric.get() {
            Some(f) => f.remote_routes(id).await,
            None => Vec::new(),
        })
    }

    /// The company's MCR's BGP sessions (the looking glass).
    pub async fn mcr_sessions(&self, company: &CompanyUid, mcr: Uuid) -> Result<Vec<SessionView>> {
        self.own_mcr(company, mcr).await?;
        Ok(match self.fabric.get() {
            Some(f) => f.mcr_sessions(mcr).await,
            None => Vec::new(),
        })
    }

    /// Routes one of the MCR's sessions received or advertised.
    pub async fn mcr_session_routes(
        &self,
        company: &CompanyUid,
        mcr: Uuid,
        vxc: Uuid,
        advertised: bool,
    ) -> Result<Vec<Route>> {
        self.own_mcr(company, mcr).await?;
        Ok(match self.fabric.get() {
            Some(f) => f.mcr_routes(mcr, vxc, advertised).await,
            None => Vec::new(),
        })
    }

    /// The MCR's routing table.
    pub async fn mcr_routes(&self, company: &CompanyUid, mcr: Uuid) -> Result<Vec<Route>> {
        self.own_mcr(company, mcr).await?;
        Ok(match self.fabric.get() {
            Some(f) => f.mcr_rib(mcr).await,
            None => Vec::new(),
        })
    }

    async fn own_mcr(&self, company: &CompanyUid, mcr: Uuid) -> Result<()> {
        let c = company.clone();
        self.read(move |tx| {
            let p = crate::megaport::own_product(tx.megaport(), &c, mcr)?;
            if p.product_type != ProductType::Mcr {
                return Err(
                    DomainError::invalid_field("productUid", "Not supported service type").into(),
                );
            }
            Ok(())
        })
        .await
    }
}

/// The MCR end's BGP connections as the fabric runs them.
fn sessions(cfg: &VrouterConfig, mcr_asn: u32) -> Vec<McrSession> {
    cfg.interfaces
        .iter()
        .flat_map(|i| i.bgp_connections.iter())
        .map(|b| McrSession {
            // A connection's localAsn overrides the MCR's own ASN on that session alone.
            local_asn: b.local_asn.unwrap_or(mcr_asn),
            local_ip: b.local_ip_address,
            peer_ip: b.peer_ip_address,
            peer_asn: b.peer_asn,
            password: b.password.clone(),
            shutdown: b.shutdown,
        })
        .collect()
}

/// A LIVE VXC between a customer's port and an MCR with a BGP connection on its end.
fn port_link(m: &dyn crosslink_store::MegaportTx, v: &Vxc) -> Result<Option<PortLink>> {
    if v.spec.shutdown {
        return Ok(None);
    }
    let ends = [
        (&v.spec.a_end, &v.spec.b_end),
        (&v.spec.b_end, &v.spec.a_end),
    ];
    for (mcr_end, port_end) in ends {
        let Some(cfg) = &mcr_end.partner_config else {
            continue;
        };
        let (Some(mcr), Some(port)) = (
            m.product(mcr_end.product_uid)?,
            m.product(port_end.product_uid)?,
        ) else {
            continue;
        };
        let customer_port = port.product_type == ProductType::Port
            && port.company.0 != crosslink_domain::megaport::company::DIGITALOCEAN_UID;
        if mcr.product_type != ProductType::Mcr || !customer_port || !mcr.status.is_active() {
            continue;
        }
        let mcr_asn = mcr
            .spec
            .asn
            .unwrap_or(crosslink_domain::megaport::product::DEFAULT_MCR_ASN);
        return Ok(Some(PortLink {
            vxc: v.uid,
            vxc_id: v.product_id,
            vxc_name: mcr_end.name.clone(),
            mcr: mcr.uid,
            mcr_asn,
            port: port.uid,
            vlan: port_end.vlan,
            interface: cfg
                .interfaces
                .iter()
                .flat_map(|i| i.ip_addresses.clone())
                .collect(),
            sessions: sessions(cfg, mcr_asn),
        }));
    }
    Ok(None)
}
