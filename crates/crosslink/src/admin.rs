//! The admin API (`/_crosslink/*`) on its own listener: health, lifecycle control, event
//! history, reset and tokens. It has no authentication: bind it to loopback.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use crosslink_control::{Control, ControlError};
use crosslink_domain::time::rfc3339;
use crosslink_domain::{ResourceType, TransitionPolicy};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

type S = State<Arc<Control>>;

struct AdminError(StatusCode, String);

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let id = match self.0.as_u16() {
            400 => "bad_request",
            404 => "not_found",
            422 => "unprocessable_entity",
            _ => "server_error",
        };
        (self.0, Json(json!({"id": id, "message": self.1}))).into_response()
    }
}

impl From<ControlError> for AdminError {
    fn from(e: ControlError) -> Self {
        use crosslink_domain::DomainError as D;
        match e {
            ControlError::Domain(D::NotFound(m)) => Self(StatusCode::NOT_FOUND, m),
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

pub fn router(control: Arc<Control>) -> Router {
    Router::new()
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
        .route("/_crosslink/reset", post(reset))
        .route("/_crosslink/tokens", post(create_token))
        .fallback(|| async {
            AdminError(
                StatusCode::NOT_FOUND,
                "no such admin endpoint: not found".into(),
            )
        })
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
                "team": e.team.0,
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
