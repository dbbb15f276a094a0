//! Every failure leaves through here, in DigitalOcean's `{id, message, request_id}` envelope.
//! The request id is filled in by the middleware, which knows it.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use crosslink_control::ControlError;
use crosslink_domain::{DomainError, Kind};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// A path id that names nothing of this kind (or is not an id at all).
    pub fn not_found(kind: Kind, id: &str) -> Self {
        DomainError::not_found(kind, id).into()
    }

    /// The envelope's `id`: the snake-case name of the status, as DigitalOcean writes it.
    pub fn id(status: StatusCode) -> &'static str {
        match status.as_u16() {
            400 => "bad_request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            405 => "method_not_allowed",
            408 => "request_timeout",
            409 => "conflict",
            413 => "payload_too_large",
            414 => "uri_too_long",
            415 => "unsupported_media_type",
            422 => "unprocessable_entity",
            429 => "too_many_requests",
            431 => "request_header_fields_too_large",
            _ => "server_error",
        }
    }

    /// The message for an error the server itself raised (not a rule): `text` if the layer
    /// that raised it said something, else what the status means for the client.
    pub fn standard_message(status: StatusCode, text: &str) -> String {
        let said = match status.as_u16() {
            400 if text.is_empty() => "The request could not be parsed as HTTP/1.1.",
            408 => "The request was not received in time; send it again, body and all.",
            413 => "The request body is larger than this endpoint accepts.",
            414 => "The request URI is too long.",
            431 => "The request headers are too large.",
            _ => text,
        };
        if said.is_empty() {
            status.canonical_reason().unwrap_or("error").to_owned()
        } else {
            said.to_owned()
        }
    }
}

/// DigitalOcean's words for each kind of failure. A 404 always says "not found", which
/// doctl's `--wait` polling looks for.
impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { message, .. } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
            }
            DomainError::Conflict { message, .. } => Self::new(StatusCode::CONFLICT, message),
            DomainError::Forbidden { message } => Self::new(StatusCode::FORBIDDEN, message),
            DomainError::NotFound { kind, .. } => Self::new(
                StatusCode::NOT_FOUND,
                format!("The requested {kind} was not found."),
            ),
        }
    }
}

impl From<ControlError> for ApiError {
    fn from(e: ControlError) -> Self {
        match e {
            ControlError::Domain(d) => d.into(),
            ControlError::Unauthenticated => {
                Self::new(StatusCode::UNAUTHORIZED, "Unable to authenticate you.")
            }
            ControlError::MissingScope(scope) => Self::new(
                StatusCode::FORBIDDEN,
                format!("You are not authorized to perform this operation: the token lacks the {scope} scope."),
            ),
            ControlError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Server was unable to give you a response.",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let mut res = status.into_response();
        res.extensions_mut().insert(self);
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
