//! The web console: the DigitalOcean control panel's networking pages and the Megaport
//! portal's, server-rendered (askama) with htmx for live status and checks as you type.
//!
//! Pages call the same control layer as the APIs, as the signed-in tenant: a DigitalOcean API
//! token and a Megaport token live in two cookies (HttpOnly, SameSite=Strict), so one browser
//! holds both sides, as the seeds' user does. The console never uses the admin token.
//! Errors are the APIs' own words (each vendor crate renders them), shown beside the field
//! they concern.

mod assets;
mod attachments;
mod digitalocean;
mod form;
mod megaport;
mod page;
mod session;

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use crosslink_control::Control;
use std::sync::Arc;

/// The console's routes; `serve` merges them into the admin listener (they carry no fallback,
/// so the admin API's 404 stays the listener's).
pub fn router(control: Arc<Control>) -> Router {
    Router::new()
        .route("/", get(session::home))
        .route(
            "/sign-in",
            get(session::sign_in_page).post(session::sign_in),
        )
        .route("/sign-out", axum::routing::post(session::sign_out))
        .merge(digitalocean::routes())
        .merge(megaport::routes())
        .route_layer(axum::middleware::from_fn(guard))
        .with_state(control)
        .route("/assets/{name}", get(assets::serve))
        .layer(axum::middleware::from_fn(request_id))
}

/// Every response names its request, as the APIs' do (the listener treats a response without
/// one as hyper's own refusal).
async fn request_id(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// Same-origin writes only (defence beside SameSite cookies), and headers that keep pages out
/// of frames and caches and scripts to our own files.
async fn guard(req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD && !same_origin(&req) {
        return (
            StatusCode::FORBIDDEN,
            "cross-site form posts are refused; use the console's own pages",
        )
            .into_response();
    }
    let from_htmx = req.headers().contains_key("hx-request");
    let mut res = next.run(req).await;
    // A poll or check after the session ended: htmx takes the whole page to sign-in, instead
    // of dropping the sign-in page into a status box.
    if from_htmx && res.status() == StatusCode::SEE_OTHER {
        if let Some(to) = res.headers().get(header::LOCATION).cloned() {
            if to.as_bytes().starts_with(b"/sign-in") {
                res = (StatusCode::UNAUTHORIZED, [("hx-redirect", to)]).into_response();
            }
        }
    }
    if res.status().is_server_error() {
        tracing::error!(status = %res.status(), "console page failed");
    }
    // axum's own refusals (a path id that is no id, a bad query, a wrong method) are plain
    // text or empty: a browser gets a page in the console's clothes instead.
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if (res.status().is_client_error() || res.status().is_server_error()) && !html && !from_htmx {
        res = page::refusal(res.status());
    }
    let h = res.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    res
}

/// Browsers say where a request comes from: `Sec-Fetch-Site` (every current browser) or else
/// `Origin`, which must name the host the page came from. A client that sends neither is no
/// browser, so no other site's form: SameSite cookies and these headers go together.
fn same_origin(req: &Request) -> bool {
    let h = req.headers();
    if let Some(site) = h.get("sec-fetch-site") {
        return site == "same-origin";
    }
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok());
    match (h.get(header::ORIGIN), host) {
        (Some(origin), Some(host)) => origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .is_some_and(|(_, rest)| rest == host),
        (None, _) => true,
        _ => false,
    }
}
