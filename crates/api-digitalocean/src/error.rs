//! Every failure leaves through here, in DigitalOcean's `{id, message, request_id}` envelope.
//! The request id is filled in by the middleware, which knows it.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use crosslink_control::ControlError;
use crosslink_domain::DomainError;

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

    pub fn not_found(kind: &str) -> Self {
        DomainError::not_found(kind).into()
    }

    /// The envelope's `id`: the snake-case name of the status, as DigitalOcean writes it.
    pub fn id(status: StatusCode) -> &'static str {
        match status.as_u16() {
            400 => "bad_request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            405 => "method_not_allowed",
            409 => "conflict",
            413 => "payload_too_large",
            415 => "unsupported_media_type",
            422 => "unprocessable_entity",
            429 => "too_many_requests",
            _ => "server_error",
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let status = match &e {
            DomainError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            DomainError::Conflict(_) => StatusCode::CONFLICT,
            DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
            DomainError::NotFound(_) => StatusCode::NOT_FOUND,
        };
        Self::new(status, e.to_string())
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
