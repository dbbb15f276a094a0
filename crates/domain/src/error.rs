//! What a rule can say about a request, as data: which kind of failure, which resource kind and
//! id, which field. Each API crate renders these into its vendor's words, status codes and
//! envelope in one place; `message` is written for the person who sent the request.

use std::fmt;

/// The resources a rule can name, in the vendors' own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Vpc,
    VpcPeering,
    PartnerAttachment,
    ServiceKey,
    Company,
    Port,
    Mcr,
    Mve,
    Vxc,
    Vlan,
    Location,
    OrderApproval,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vpc => "vpc",
            Self::VpcPeering => "vpc_peering",
            Self::PartnerAttachment => "partner_attachment",
            Self::ServiceKey => "service_key",
            Self::Company => "company",
            Self::Port => "port",
            Self::Mcr => "mcr",
            Self::Mve => "mve",
            Self::Vxc => "vxc",
            Self::Vlan => "vlan",
            Self::Location => "location",
            Self::OrderApproval => "order_approval",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A value the vendor would refuse (DigitalOcean: 422). `field` names the request field
    /// when one field is to blame.
    #[error("{message}")]
    Invalid {
        field: Option<&'static str>,
        message: String,
    },
    /// The request collides with existing state of `kind`: a name taken, a range overlapping,
    /// a resource still in use (409).
    #[error("{message}")]
    Conflict { kind: Kind, message: String },
    /// The operation is never allowed on this resource, e.g. deleting a default VPC (403).
    #[error("{message}")]
    Forbidden { message: String },
    /// No `kind` with this id for this tenant (404).
    #[error("The requested {kind} was not found.")]
    NotFound { kind: Kind, id: Option<String> },
}

impl DomainError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid {
            field: None,
            message: message.into(),
        }
    }
    pub fn invalid_field(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: Some(field),
            message: message.into(),
        }
    }
    pub fn conflict(kind: Kind, message: impl Into<String>) -> Self {
        Self::Conflict {
            kind,
            message: message.into(),
        }
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden {
            message: message.into(),
        }
    }
    pub fn not_found(kind: Kind, id: impl fmt::Display) -> Self {
        Self::NotFound {
            kind,
            id: Some(id.to_string()),
        }
    }
    /// A collection-level miss where no single id is to blame.
    pub fn not_found_kind(kind: Kind) -> Self {
        Self::NotFound { kind, id: None }
    }
}
