//! Every request: a trace id (`Trace-Id`, also `x-request-id`), the caller's company from a
//! bearer token or `X-Auth-Token`, and any error (ours or the router's) in the envelope.

use crate::error::ApiError;
use crate::server::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use crosslink_domain::megaport::company::CompanyUid;

/// The calling company, put on the request by `authenticate`.
#[derive(Debug, Clone)]
pub struct Caller(pub CompanyUid);

fn token(req: &Request) -> Option<&str> {
    let h = req.headers();
    if let Some(v) = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        if let Some((scheme, t)) = v.split_once(' ') {
            if scheme.eq_ignore_ascii_case("bearer") {
                return Some(t);
            }
        }
    }
    h.get("x-auth-token").and_then(|v| v.to_str().ok())
}

/// Puts the caller on the request; routes that need one (everything but the token
/// endpoints and locations) refuse without it.
pub(crate) async fn authenticate(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    match state.control.megaport_authenticate(token(&req)).await {
        Ok(c) => {
            req.extensions_mut().insert(Caller(c));
            next.run(req).await
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

pub(crate) async fn envelope(req: Request, next: Next) -> Response {
    let trace_id = uuid::Uuid::new_v4().to_string();
    let mut res = next.run(req).await;
    if (res.status().is_client_error() || res.status().is_server_error())
        && res.extensions().get::<ApiError>().is_none()
    {
        res = rewrap(res).await;
    }
    if let Ok(id) = HeaderValue::from_str(&trace_id) {
        res.headers_mut().insert("trace-id", id.clone());
        res.headers_mut().insert("x-request-id", id);
    }
    res
}

/// A response the router made itself (404, 405, a rejection), in the envelope.
async fn rewrap(res: Response) -> Response {
    let status = res.status();
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 16 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let message = if status == StatusCode::NOT_FOUND
        || status == StatusCode::METHOD_NOT_ALLOWED
        || text.trim().is_empty()
    {
        ApiError::standard_message(status)
    } else {
        text.trim().to_owned()
    };
    let mut out = ApiError::new(status, message).into_response();
    for (k, v) in parts.headers.iter() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// hyper's own refusals (400, 414, 431 before any route runs), in the envelope.
pub fn protocol_error(status: StatusCode) -> axum::http::Response<Vec<u8>> {
    let mut res = crate::error::error_response(status, &ApiError::standard_message(status));
    let id = uuid::Uuid::new_v4().to_string();
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("trace-id", v.clone());
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// megaportgo asks for `GET /v2/service/key?key=K` with the `?` escaped into the path
/// (`/v2/service/key%3Fkey=K`); route it as the query it meant.
pub(crate) fn unescape_key_lookup(mut req: Request<Body>) -> Request<Body> {
    let path = req.uri().path();
    let lower = path.to_ascii_lowercase();
    if let Some(rest) = lower
        .strip_prefix("/v2/service/key%3f")
        .map(|_| &path["/v2/service/key%3f".len()..])
    {
        let query = percent_encoding::percent_decode_str(rest).decode_utf8_lossy();
        let extra = req
            .uri()
            .query()
            .map(|q| format!("&{q}"))
            .unwrap_or_default();
        let fixed = format!("/v2/service/key?{query}{extra}");
        if let Ok(uri) = fixed.parse() {
            *req.uri_mut() = uri;
        }
    }
    req
}
