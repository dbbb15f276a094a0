//! The admin API (`/_crosslink/*`) on its own listener: health, lifecycle control, event
//! history, reset and tokens. Every route but `health` needs the admin token
//! (`Authorization: Bearer …`): it can mint tokens for any team, read every team's events and
//! wipe all data.

use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use crosslink_api_digitalocean::error_envelope;
use crosslink_control::{AdminToken, Control, ControlError};
use crosslink_domain::time::rfc3339;
use crosslink_domain::{ResourceType, TransitionPolicy};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

type S = State<Arc<Control>>;

#[derive(Clone)]
struct AdminError(StatusCode, String);

/// Rendered by `guard`, which gives every error its request id.
impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let mut res = self.0.into_response();
        res.extensions_mut().insert(self);
        res
    }
}

/// What hyper's own refusals (400, 414, 431) become on the admin listener.
pub fn error_page(status: StatusCode) -> axum::http::Response<Vec<u8>> {
    error_envelope(status, status.canonical_reason().unwrap_or("error"))
}

/// The admin token on every route but health; every error in the envelope, with a request id.
async fn guard(State(token): State<AdminToken>, req: Request, next: Next) -> Response {
    let authorized = matches!(req.uri().path(), "/_crosslink/health" | "/metrics")
        || req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .is_some_and(|(scheme, value)| {
                scheme.eq_ignore_ascii_case("bearer") && token.verify(value.trim())
            });
    let mut res = if authorized {
        next.run(req).await
    } else {
        AdminError(
            StatusCode::UNAUTHORIZED,
            "the admin API needs the admin token: Authorization: Bearer <token> (printed at first start, saved in the data directory's admin-token file, or set with --admin-token)".into(),
        )
        .into_response()
    };
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
            res.headers_mut().insert("x-request-id", v);
        }
        return res;
    }
    // Ours carry their message; the router's 405, a rejected query, a timeout's 408 or a body
    // limit's 413 have theirs (if any) in a plain-text body.
    let message = match res.extensions_mut().remove::<AdminError>() {
        Some(AdminError(_, m)) => m,
        None => {
            let bytes = axum::body::to_bytes(res.into_body(), 64 * 1024)
                .await
                .unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes).trim().to_owned();
            if text.is_empty() {
                status.canonical_reason().unwrap_or("error").to_owned()
            } else {
                text
            }
        }
    };
    error_envelope(status, &message).map(axum::body::Body::from)
}

impl From<ControlError> for AdminError {
    fn from(e: ControlError) -> Self {
        use crosslink_domain::DomainError as D;
        match e {
            ControlError::Domain(D::NotFound { kind, id }) => Self(
                StatusCode::NOT_FOUND,
                format!("no {kind} {}: not found", id.unwrap_or_default()),
            ),
            ControlError::Domain(d) => Self(StatusCode::UNPROCESSABLE_ENTITY, d.to_string()),
            other => {
                tracing::error!(error = %other, "admin request failed");
                Self(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
            }
        }
    }
}

fn parse<T: for<'de> Deserialize<'de>>(raw: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(raw).map_err(|e| {
        AdminError(
            StatusCode::BAD_REQUEST,
            format!("invalid request body: {e}"),
        )
    })
}

pub fn router(control: Arc<Control>, token: AdminToken) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route(
            "/_crosslink/health",
            get(|| async { Json(json!({"status": "ok"})) }),
        )
        .route(
            "/_crosslink/transitions",
            get(get_transitions)
                .put(set_transitions)
                .post(set_transitions),
        )
        .route("/_crosslink/transitions/advance", post(advance))
        .route("/_crosslink/events", get(events))
        .route("/_crosslink/attachments/{id}/diagnosis", get(diagnosis))
        .route("/_crosslink/reset", post(reset))
        .route("/_crosslink/tokens", post(create_token))
        .route("/_crosslink/megaport/api_keys", post(create_megaport_key))
        .fallback(|| async {
            AdminError(
                StatusCode::NOT_FOUND,
                "no such admin endpoint: not found".into(),
            )
        })
        .layer(axum::middleware::from_fn_with_state(token, guard))
        .with_state(control)
}

fn policies_json(c: &Control) -> Value {
    let map: BTreeMap<String, String> = c
        .policies()
        .iter()
        .map(|(t, p)| (t.to_string(), p.to_string()))
        .collect();
    json!({ "transitions": map })
}

async fn get_transitions(State(c): S) -> Json<Value> {
    Json(policies_json(&c))
}

/// Body: `{"vpc_peering": "manual"}` (any subset of resource types).
async fn set_transitions(State(c): S, raw: axum::body::Bytes) -> Result<Json<Value>, AdminError> {
    let req: BTreeMap<String, String> = parse(&raw)?;
    let mut parsed = Vec::new();
    for (t, p) in &req {
        let t: ResourceType = t
            .parse()
            .map_err(|e| AdminError(StatusCode::UNPROCESSABLE_ENTITY, e))?;
        let p: TransitionPolicy = p
            .parse()
            .map_err(|e| AdminError(StatusCode::UNPROCESSABLE_ENTITY, e))?;
        parsed.push((t, p));
    }
    for (t, p) in parsed {
        c.set_policy(t, p).await?;
    }
    Ok(Json(policies_json(&c)))
}

#[derive(Deserialize)]
struct Advance {
    resource_type: String,
    id: uuid::Uuid,
}

async fn advance(State(c): S, raw: axum::body::Bytes) -> Result<impl IntoResponse, AdminError> {
    let req: Advance = parse(&raw)?;
    let t: ResourceType = req
        .resource_type
        .parse()
        .map_err(|e| AdminError(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    c.advance(t, req.id).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({}))))
}

#[derive(Deserialize)]
struct EventsQuery {
    #[serde(default)]
    after: i64,
    #[serde(default = "default_limit")]
    limit: u32,
}

fn default_limit() -> u32 {
    100
}

async fn events(State(c): S, Query(q): Query<EventsQuery>) -> Result<Json<Value>, AdminError> {
    let events = c.events(q.after, q.limit.min(1000)).await?;
    let events: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "seq": e.seq,
                "at": rfc3339(e.at),
                "tenant": e.tenant,
                "resource_type": e.resource_type,
                "resource_id": e.resource_id,
                "from": e.from_status,
                "to": e.to_status,
            })
        })
        .collect();
    Ok(Json(json!({ "events": events })))
}

async fn reset(State(c): S) -> Result<StatusCode, AdminError> {
    c.reset().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct NewToken {
    team: String,
    name: String,
    #[serde(default)]
    scopes: Vec<String>,
}

async fn create_token(
    State(c): S,
    raw: axum::body::Bytes,
) -> Result<impl IntoResponse, AdminError> {
    let req: NewToken = parse(&raw)?;
    let (value, token) = c.create_token(&req.team, &req.name, req.scopes).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"token": {"name": token.name, "team": token.team.0, "scopes": token.scopes, "value": value}}),
        ),
    ))
}

#[derive(Deserialize)]
struct NewMegaportKey {
    company: String,
}

/// An API key pair for a new Megaport company (`--auth strict`); the secret is shown once.
async fn create_megaport_key(
    State(c): S,
    raw: axum::body::Bytes,
) -> Result<impl IntoResponse, AdminError> {
    let req: NewMegaportKey = parse(&raw)?;
    let (access_key, secret_key, company) = c.create_megaport_api_key(&req.company).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"api_key": {
            "access_key": access_key,
            "secret_key": secret_key,
            "company_uid": company.uid.0,
            "company_name": company.name,
        }})),
    ))
}

/// Prometheus's scrape target; counts only, so it needs no token (like health).
async fn metrics(State(c): S) -> Result<impl IntoResponse, AdminError> {
    let text = c.metrics().await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        text,
    ))
}

/// Why any team's attachment is (not) Established, for the operator.
async fn diagnosis(
    State(c): S,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<Value>, AdminError> {
    let id = crosslink_domain::parse_resource_id(&id)
        .ok_or_else(|| AdminError(StatusCode::NOT_FOUND, format!("no partner attachment {id}")))?;
    let (team, state, words) = c.admin_attachment_diagnosis(id).await?;
    Ok(Json(
        json!({"id": id, "team": team.0, "state": state, "diagnosis": words}),
    ))
}
