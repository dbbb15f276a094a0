//! Who is signed in on each side. The browser keeps two signed, expiring sessions in cookies
//! (HttpOnly, SameSite=Strict): for DigitalOcean the hash of the API token it signed in with
//! (never the token), for Megaport a session token from the same credentials check as
//! `/v2/login`. Every request checks them again through control, so a token revoked (strict
//! auth) or a session expired signs that side out.

use crate::form::Fields;
use crate::page::{render, Chrome, PageError, Section};
use askama::Template;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use crosslink_control::{AuthMode, Control, Principal, CONSOLE_SESSION_SECS};
use crosslink_domain::megaport::company::CompanyUid;
use crosslink_domain::TeamId;
use serde::Deserialize;
use std::sync::Arc;

const DO_COOKIE: &str = "cl_do";
const MP_COOKIE: &str = "cl_mp";

/// Both sides as this browser is signed in to them; pages ask for the side they need.
pub struct Session {
    /// The DigitalOcean token's team and scopes: a page asks for the scopes the API would.
    pub principal: Option<Principal>,
    pub company: Option<(CompanyUid, String)>,
}

impl Session {
    pub fn chrome(&self, title: impl Into<String>, section: Section) -> Chrome {
        Chrome {
            title: title.into(),
            section,
            team: self.principal.as_ref().map(|p| p.team.0.clone()),
            company: self.company.as_ref().map(|(_, name)| name.clone()),
        }
    }

    /// The DigitalOcean team, or a trip to the sign-in page that comes back to `back`; a
    /// token without one of `scopes` (the ones the API asks for the same thing) is refused in
    /// DigitalOcean's words, so a read-only token stays read-only here too.
    pub fn team(&self, back: &str, scopes: &[&str]) -> Result<TeamId, PageError> {
        let p = self
            .principal
            .as_ref()
            .ok_or_else(|| PageError::SignIn(back.to_owned()))?;
        for scope in scopes {
            p.require(scope).map_err(PageError::digitalocean)?;
        }
        Ok(p.team.clone())
    }

    /// Whether the token has `scope` (parts of a page it lacks are left out).
    pub fn may(&self, scope: &str) -> bool {
        self.principal
            .as_ref()
            .is_some_and(|p| p.require(scope).is_ok())
    }

    pub fn company(&self, back: &str) -> Result<CompanyUid, PageError> {
        self.company
            .as_ref()
            .map(|(uid, _)| uid.clone())
            .ok_or_else(|| PageError::SignIn(back.to_owned()))
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<String> {
    if !s.len().is_multiple_of(2) || s.len() > 2048 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

impl FromRequestParts<Arc<Control>> for Session {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        control: &Arc<Control>,
    ) -> Result<Self, Self::Rejection> {
        let principal = match cookie(&parts.headers, DO_COOKIE) {
            Some(session) => control.console_principal(session).await.ok(),
            None => None,
        };
        let company = match cookie(&parts.headers, MP_COOKIE).and_then(unhex) {
            Some(token) => match control.megaport_authenticate(Some(&token)).await {
                Ok(uid) => {
                    let name = control
                        .megaport_company_name(&uid)
                        .await
                        .unwrap_or_default();
                    Some((uid, name))
                }
                Err(_) => None,
            },
            None => None,
        };
        Ok(Session { principal, company })
    }
}

/// `/`: the networking pages once signed in to DigitalOcean, else the portal, else sign-in.
pub async fn home(s: Session) -> Redirect {
    if s.principal.is_some() {
        Redirect::to("/networking/vpc")
    } else if s.company.is_some() {
        Redirect::to("/megaport/services")
    } else {
        Redirect::to("/sign-in")
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignIn {
    chrome: Chrome,
    strict: bool,
    next: String,
    do_error: String,
    mp_error: String,
    access_key: String,
}

#[derive(Deserialize)]
pub struct Next {
    #[serde(default)]
    next: String,
}

/// Only our own paths: `next` must not send the browser elsewhere after signing in, nor
/// carry anything a `Location` header cannot (control characters, spaces, non-ASCII).
pub fn safe_next(next: &str) -> String {
    let path_only = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 1024
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if path_only {
        next.to_owned()
    } else {
        String::new()
    }
}

pub async fn sign_in_page(
    State(control): State<Arc<Control>>,
    s: Session,
    Query(q): Query<Next>,
) -> Response {
    render(&SignIn {
        chrome: s.chrome("Sign in", Section::SignIn),
        strict: control.auth_mode() == AuthMode::Strict,
        next: safe_next(&q.next),
        do_error: String::new(),
        mp_error: String::new(),
        access_key: String::new(),
    })
}

fn set_cookie(name: &str, value: &str, max_age: u64) -> (header::HeaderName, HeaderValue) {
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}");
    (
        header::SET_COOKIE,
        HeaderValue::from_str(&v).unwrap_or(HeaderValue::from_static("")),
    )
}

/// One form per side: `side=digitalocean` with `token`, or `side=megaport` with `access_key`
/// and `secret_key`.
pub async fn sign_in(
    State(control): State<Arc<Control>>,
    s: Session,
    f: Fields,
) -> Result<Response, PageError> {
    let next = safe_next(f.get("next"));
    let mut page = SignIn {
        chrome: s.chrome("Sign in", Section::SignIn),
        strict: control.auth_mode() == AuthMode::Strict,
        next: next.clone(),
        do_error: String::new(),
        mp_error: String::new(),
        access_key: f.get("access_key").trim().to_owned(),
    };
    let cookie = match f.get("side") {
        "digitalocean" => {
            let token = f.get("token").trim();
            if token.is_empty() {
                page.do_error = "Enter an API token.".into();
                return Ok(render(&page));
            }
            match control.console_session(token).await {
                Ok(session) => set_cookie(DO_COOKIE, &session, CONSOLE_SESSION_SECS),
                Err(e) => {
                    page.do_error = crate::page::do_message(e);
                    return Ok(render(&page));
                }
            }
        }
        "megaport" => {
            match control
                .megaport_login(f.get("access_key"), f.get("secret_key"))
                .await
            {
                Ok(session) => set_cookie(MP_COOKIE, &hex(&session.token), session.expires_in),
                Err(e) => {
                    page.mp_error = crate::page::mp_message(e);
                    return Ok(render(&page));
                }
            }
        }
        _ => return Err(PageError::BadRequest("choose a side to sign in to".into())),
    };
    let to = if next.is_empty() {
        if f.get("side") == "megaport" {
            "/megaport/services".to_owned()
        } else {
            "/networking/vpc".to_owned()
        }
    } else {
        next
    };
    Ok(([cookie], Redirect::to(&to)).into_response())
}

pub async fn sign_out(f: Fields) -> Response {
    let clear = |name| set_cookie(name, "", 0);
    let cookies: Vec<_> = match f.get("side") {
        "digitalocean" => vec![clear(DO_COOKIE)],
        "megaport" => vec![clear(MP_COOKIE)],
        _ => vec![clear(DO_COOKIE), clear(MP_COOKIE)],
    };
    let mut res = Redirect::to("/sign-in").into_response();
    for (k, v) in cookies {
        res.headers_mut().append(k, v);
    }
    res
}
