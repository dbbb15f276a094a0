//! Order approvals and notifications: how one partner of a VXC learns of, and agrees to, a
//! change the other asked for.

use super::company::CompanyUid;
use crate::time::Millis;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
    Withdrawn,
}

impl ApprovalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Approved => "APPROVED",
            Self::Rejected => "REJECTED",
            Self::Withdrawn => "WITHDRAWN",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PENDING" => Some(Self::Pending),
            "APPROVED" => Some(Self::Approved),
            "REJECTED" => Some(Self::Rejected),
            "WITHDRAWN" => Some(Self::Withdrawn),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderApproval {
    pub uid: Uuid,
    pub id: i64,
    pub vxc: Uuid,
    pub requester: CompanyUid,
    pub approver: CompanyUid,
    /// Megaport's order type: `VLAN_CHANGE` here.
    pub kind: String,
    pub status: ApprovalStatus,
    /// What is asked, in words for the approver.
    pub detail: String,
    pub comment: Option<String>,
    pub created_at: Millis,
    pub decided_at: Option<Millis>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub seq: i64,
    pub company: CompanyUid,
    pub at: Millis,
    pub kind: String,
    pub message: String,
    pub product_uid: Option<Uuid>,
}
