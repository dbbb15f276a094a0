//! Cross-cutting work for every request: request id, authentication, scopes, rate limits,
//! and turning any error (ours or the router's) into the envelope with its request id.

use crate::error::ApiError;
use crate::ratelimit::Verdict;
use crate::server::AppState;
use crate::wire::ErrorBody;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// A route's declared scope (see `server::op`), checked once authentication has put the
/// caller's principal on the request.
pub(crate) async fn require_scope(scope: &'static str, req: Request, next: Next) -> Response {
    match req.extensions().get::<crosslink_control::Principal>() {
        Some(p) => match p.require(scope) {
            Ok(()) => next.run(req).await,
            Err(e) => ApiError::from(e).into_response(),
        },
        None => ApiError::from(crosslink_control::ControlError::Unauthenticated).into_response(),
    }
}

fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

pub(crate) async fn envelope(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let now_ms = state.control.now().max(0) as u64;
    let (mut res, verdict) = match authorize(&state, &mut req, now_ms).await {
        Ok(verdict) => (next.run(req).await, Some(verdict)),
        Err((err, verdict)) => (err.into_response(), verdict),
    };
    if res.status().is_client_error() || res.status().is_server_error() {
        res = into_envelope(res, &request_id).await;
    }
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert("x-request-id", id);
    }
    let limit = state.limiter.limit();
    set_ratelimit_headers(&mut res, verdict.unwrap_or_else(|| nominal(limit, now_ms)));
    res
}

/// The headers of a request that was not counted against any token.
fn nominal(limit: u32, now_ms: u64) -> Verdict {
    Verdict {
        allowed: true,
        limit,
        remaining: limit,
        reset: now_ms / 1000,
        retry_after: 0,
    }
}

fn set_ratelimit_headers<B>(res: &mut axum::http::Response<B>, v: Verdict) {
    let h = res.headers_mut();
    h.insert("ratelimit-limit", v.limit.into());
    h.insert("ratelimit-remaining", v.remaining.into());
    h.insert("ratelimit-reset", v.reset.into());
    if !v.allowed {
        h.insert(header::RETRY_AFTER, v.retry_after.into());
    }
}

/// DigitalOcean's error envelope as a whole response: `{id, message, request_id}`, the id also
/// in `x-request-id`. The admin listener answers its errors with it too.
pub fn error_envelope(status: StatusCode, message: &str) -> axum::http::Response<Vec<u8>> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let body = ErrorBody {
        id: ApiError::id(status).to_owned(),
        message: message.to_owned(),
        request_id: Some(request_id.clone()),
    };
    let mut res = axum::http::Response::new(serde_json::to_vec(&body).unwrap_or_default());
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert("x-request-id", id);
    }
    res
}

/// A request hyper refused before routing (garbage request line, URI or headers too large),
/// in the envelope with a fresh request id and the rate-limit headers.
pub(crate) fn protocol_error(status: StatusCode) -> axum::http::Response<Vec<u8>> {
    let mut res = error_envelope(status, &ApiError::standard_message(status, ""));
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    set_ratelimit_headers(&mut res, nominal(NOMINAL_LIMIT, now_ms));
    res
}

/// What `ratelimit-limit` says where no limiter was consulted: DigitalOcean's hourly figure.
const NOMINAL_LIMIT: u32 = 5000;

async fn authorize(
    state: &AppState,
    req: &mut Request,
    now_ms: u64,
) -> Result<Verdict, (ApiError, Option<Verdict>)> {
    let principal = match state.control.authenticate(bearer(req)).await {
        Ok(p) => p,
        Err(e) => {
            // Failed attempts count per client address, so guessing tokens is limited too.
            let addr = req
                .extensions()
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
            let verdict = state.unauthenticated.check(&addr, now_ms);
            if !verdict.allowed {
                return Err((
                    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "API rate limit exceeded."),
                    Some(verdict),
                ));
            }
            return Err((ApiError::from(e), Some(verdict)));
        }
    };
    let verdict = state.limiter.check(&principal.token_key, now_ms);
    if !verdict.allowed {
        return Err((
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "API rate limit exceeded."),
            Some(verdict),
        ));
    }
    req.extensions_mut().insert(principal);
    Ok(verdict)
}

/// Our errors carry their message as an extension; anything else (the router's 405, a
/// rejection) has its text, if any, moved into the envelope.
async fn into_envelope(res: Response, request_id: &str) -> Response {
    let status = res.status();
    let (mut parts, body) = res.into_parts();
    let message = match parts.extensions.remove::<ApiError>() {
        Some(err) => err.message,
        None => {
            let bytes = axum::body::to_bytes(body, 64 * 1024)
                .await
                .unwrap_or_default();
            ApiError::standard_message(status, String::from_utf8_lossy(&bytes).trim())
        }
    };
    let body = ErrorBody {
        id: ApiError::id(status).to_owned(),
        message,
        request_id: Some(request_id.to_owned()),
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(json))
}
