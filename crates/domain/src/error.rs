/// What a rule can say about a request. Each API crate maps these to its vendor's envelope in
/// one place; the message is written for the person who sent the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A field value the vendor would refuse (422).
    #[error("{0}")]
    Invalid(String),
    /// The request collides with existing state: a name taken, a range overlapping (409).
    #[error("{0}")]
    Conflict(String),
    /// The operation is never allowed on this resource, e.g. deleting a default VPC (403).
    #[error("{0}")]
    Forbidden(String),
    /// No such resource for this tenant (404). The message always contains "not found",
    /// which doctl's `--wait` polling relies on.
    #[error("{0}")]
    NotFound(String),
}

impl DomainError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::Invalid(msg.into())
    }
    pub fn conflict(msg: impl Into<String>) -> Self {
        Self::Conflict(msg.into())
    }
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::Forbidden(msg.into())
    }
    /// `kind` in the vendor's words, e.g. "vpc" or "vpc_peering".
    pub fn not_found(kind: &str) -> Self {
        Self::NotFound(format!("The requested {kind} was not found."))
    }
}
