//! The one place crosslink's errors become Megaport's: status code and `{message, terms,
//! data}` with `data` a string (megaportgo replaces the message with the raw body otherwise).

use crate::wire::{Envelope, TERMS};
use axum::http::{header, HeaderValue, StatusCode};
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

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            Self::standard_message(StatusCode::NOT_FOUND),
        )
    }

    /// What a bare status (a router rejection, hyper's own refusal) says.
    pub fn standard_message(status: StatusCode) -> String {
        match status {
            StatusCode::UNAUTHORIZED => {
                "Authentication failed: send a valid access token (Authorization: Bearer, from /oauth2/token) or X-Auth-Token".into()
            }
            StatusCode::NOT_FOUND => "The requested resource was not found".into(),
            StatusCode::METHOD_NOT_ALLOWED => "Method not allowed on this resource".into(),
            StatusCode::PAYLOAD_TOO_LARGE => "The request body is too large".into(),
            StatusCode::REQUEST_TIMEOUT => "The request took too long to arrive".into(),
            StatusCode::URI_TOO_LONG => "The request URI is too long".into(),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "The request headers are too large".into(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "Send the request body as application/json".into(),
            s if s.is_server_error() => "Internal server error".into(),
            s => s.canonical_reason().unwrap_or("Bad request").to_owned(),
        }
    }
}

impl From<ControlError> for ApiError {
    fn from(e: ControlError) -> Self {
        match e {
            ControlError::Domain(d) => d.into(),
            ControlError::Unauthenticated => Self::new(
                StatusCode::UNAUTHORIZED,
                Self::standard_message(StatusCode::UNAUTHORIZED),
            ),
            ControlError::MissingScope(s) => {
                Self::new(StatusCode::FORBIDDEN, format!("Not permitted: needs {s}"))
            }
            ControlError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Self::standard_message(StatusCode::INTERNAL_SERVER_ERROR),
                )
            }
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { message, .. } => Self::bad_request(message),
            // A VLAN in use is a validation failure to Megaport's clients.
            DomainError::Conflict {
                kind: Kind::Vlan,
                message,
            } => Self::bad_request(message),
            DomainError::Conflict { message, .. } => Self::new(StatusCode::CONFLICT, message),
            DomainError::Forbidden { message } => Self::new(StatusCode::FORBIDDEN, message),
            DomainError::NotFound { kind, id } => {
                let id = id.unwrap_or_default();
                let message = match kind {
                    Kind::ServiceKey => "Invalid service key: no such service key".to_owned(),
                    Kind::OrderApproval => {
                        format!("Could not find an order approval with UID {id}")
                    }
                    Kind::Company => format!("Could not find company {id}"),
                    _ => format!("Could not find a service with UID {id}"),
                };
                Self::new(StatusCode::NOT_FOUND, message)
            }
        }
    }
}

/// The error as a whole response (the middleware adds the trace id).
pub fn error_response(status: StatusCode, message: &str) -> axum::http::Response<Vec<u8>> {
    let body = Envelope {
        message: message.to_owned(),
        terms: TERMS.to_owned(),
        data: message.to_owned(),
    };
    let mut res = axum::http::Response::new(serde_json::to_vec(&body).unwrap_or_default());
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = error_response(self.status, &self.message).map(axum::body::Body::from);
        res.extensions_mut().insert(self);
        res
    }
}
