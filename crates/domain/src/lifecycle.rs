//! How fast asynchronous resources move through their statuses. Users pick per resource type:
//! `immediate` for CI, `delay` to exercise their polling, `manual` to step by hand.

use std::fmt;
use std::str::FromStr;

/// Every resource type with an asynchronous lifecycle. Each is a row with the same lifecycle
/// columns (vendor status, generation, due time, lease, last error), driven by one reconciler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceType {
    VpcPeering,
    PartnerAttachment,
    ServiceKey,
    /// Megaport ports, MCRs and MVEs.
    MegaportProduct,
    Vxc,
}

impl ResourceType {
    pub const ALL: &'static [ResourceType] = &[
        ResourceType::VpcPeering,
        ResourceType::PartnerAttachment,
        ResourceType::ServiceKey,
        ResourceType::MegaportProduct,
        ResourceType::Vxc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::VpcPeering => "vpc_peering",
            Self::PartnerAttachment => "partner_attachment",
            Self::ServiceKey => "service_key",
            Self::MegaportProduct => "megaport_product",
            Self::Vxc => "vxc",
        }
    }

    /// The kind of resource, for errors.
    pub fn kind(self) -> crate::Kind {
        match self {
            Self::VpcPeering => crate::Kind::VpcPeering,
            Self::PartnerAttachment => crate::Kind::PartnerAttachment,
            Self::ServiceKey => crate::Kind::ServiceKey,
            Self::MegaportProduct => crate::Kind::Port,
            Self::Vxc => crate::Kind::Vxc,
        }
    }

    /// Every status the type has.
    pub fn statuses(self) -> &'static [&'static str] {
        match self {
            Self::VpcPeering => &["PROVISIONING", "ACTIVE", "DELETING"],
            Self::PartnerAttachment => &["CREATING", "CREATED", "ACTIVE", "DELETING"],
            Self::ServiceKey => &["CREATING", "CREATED"],
            Self::MegaportProduct | Self::Vxc => crate::megaport::product::ProvisioningStatus::ALL,
        }
    }

    /// The statuses whose next step runs on a timer (by the transition policy), the ones an
    /// admin advance or a policy change reschedules; the rest wait for an observation or are
    /// done.
    pub fn timed_statuses(self) -> Vec<&'static str> {
        self.statuses()
            .iter()
            .copied()
            .filter(|s| self.step(s).is_some_and(Step::is_timed))
            .collect()
    }

    /// The next step from `status`, by the type's own state machine; `None` for a status the
    /// type does not have.
    pub fn step(self, status: &str) -> Option<Step> {
        match self {
            Self::VpcPeering => crate::peering::PeeringStatus::parse(status).map(|s| s.step()),
            Self::PartnerAttachment => {
                crate::attachment::AttachmentState::parse(status).map(|s| s.step())
            }
            Self::ServiceKey => {
                crate::megaport::service_key::KeyStatus::parse(status).map(|s| s.step())
            }
            Self::MegaportProduct | Self::Vxc => {
                crate::megaport::product::ProvisioningStatus::parse(status).map(|s| s.step())
            }
        }
    }

    /// The status an observation moves `status` to, if it moves it at all.
    pub fn observe(self, status: &str, seen: Observation) -> Option<&'static str> {
        match self {
            Self::PartnerAttachment => crate::attachment::AttachmentState::parse(status)
                .and_then(|s| s.observe(seen))
                .map(|s| s.as_str()),
            Self::VpcPeering | Self::ServiceKey | Self::MegaportProduct | Self::Vxc => None,
        }
    }
}

/// One reconciler step, decided by a type's state machine from its current status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Move to this status when the step is due (by the type's transition policy).
    To(&'static str),
    /// Run the type's effect when due (a service key is issued), which sets the next status.
    Issue,
    /// No timer: the next move waits for this observation (through `observe`).
    Await(Observation),
    /// The resource is gone: delete its row.
    Remove,
    /// Nothing more to do.
    Done,
}

impl Step {
    pub fn is_timed(self) -> bool {
        matches!(self, Self::To(_) | Self::Issue | Self::Remove)
    }
}

/// Something seen outside the state machine that may move it: the fabric's BGP sessions, or a
/// service key issued for an attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    ServiceKeyIssued,
    BgpEstablished,
    BgpDown,
}

impl FromStr for ResourceType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown resource type '{s}'; known: {}",
                    Self::ALL
                        .iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransitionPolicy {
    /// Every step is taken as soon as the reconciler sees it; each step is still recorded.
    #[default]
    Immediate,
    /// Each step waits this many milliseconds.
    Delay(u64),
    /// Steps wait for an explicit advance through the admin API.
    Manual,
}

impl TransitionPolicy {
    /// When the next step is due, counted from `now`; `None` means never on its own.
    pub fn next_due(self, now: i64) -> Option<i64> {
        match self {
            Self::Immediate => Some(now),
            Self::Delay(ms) => Some(now.saturating_add(ms as i64)),
            Self::Manual => None,
        }
    }
}

impl FromStr for TransitionPolicy {
    type Err = String;
    /// `immediate`, `manual`, `delay:SECONDS` (fractions allowed, e.g. `delay:0.5`).
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "immediate" => Ok(Self::Immediate),
            "manual" => Ok(Self::Manual),
            _ => {
                let secs = s
                    .strip_prefix("delay:")
                    .or_else(|| s.strip_prefix("delay="))
                    .ok_or_else(|| {
                        format!("unknown transition policy '{s}'; use immediate, manual or delay:SECONDS")
                    })?;
                let secs: f64 = secs
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite() && *v >= 0.0 && *v <= 86_400.0)
                    .ok_or_else(|| {
                        format!(
                            "delay must be a number of seconds between 0 and 86400, got '{secs}'"
                        )
                    })?;
                Ok(Self::Delay((secs * 1000.0).round() as u64))
            }
        }
    }
}

impl fmt::Display for TransitionPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Immediate => f.write_str("immediate"),
            Self::Manual => f.write_str("manual"),
            Self::Delay(ms) => write!(f, "delay:{}", *ms as f64 / 1000.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_a_step_and_only_some_run_on_a_timer() {
        for t in ResourceType::ALL {
            for s in t.statuses() {
                assert!(t.step(s).is_some(), "{t} {s}");
            }
        }
        assert_eq!(
            ResourceType::VpcPeering.timed_statuses(),
            ["PROVISIONING", "DELETING"]
        );
        assert_eq!(
            ResourceType::PartnerAttachment.timed_statuses(),
            ["DELETING"]
        );
        assert_eq!(ResourceType::ServiceKey.timed_statuses(), ["CREATING"]);
        assert_eq!(
            ResourceType::Vxc.timed_statuses(),
            ["DEPLOYABLE", "CONFIGURED", "CANCELLED"]
        );
    }

    #[test]
    fn parses_policies() {
        assert_eq!("immediate".parse(), Ok(TransitionPolicy::Immediate));
        assert_eq!("manual".parse(), Ok(TransitionPolicy::Manual));
        assert_eq!("delay:1.5".parse(), Ok(TransitionPolicy::Delay(1500)));
        assert!("delay:-1".parse::<TransitionPolicy>().is_err());
        assert!("delay:x".parse::<TransitionPolicy>().is_err());
        assert!("slow".parse::<TransitionPolicy>().is_err());
        assert_eq!(TransitionPolicy::Delay(1500).to_string(), "delay:1.5");
    }
}
