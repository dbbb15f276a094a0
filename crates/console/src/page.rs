//! What every page shares: the header with both identities, the navigation, rendering, and
//! errors in each vendor's own words (rendered by that vendor's API crate) beside their field.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use crosslink_control::ControlError;
use crosslink_domain::DomainError;
use std::collections::BTreeMap;

/// Where a page sits in the navigation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Section {
    SignIn,
    Vpc,
    MultiCloud,
    Services,
}

pub struct Chrome {
    pub title: String,
    pub section: Section,
    pub team: Option<String>,
    pub company: Option<String>,
}

impl Chrome {
    /// `aria-current` for the navigation link of `s`.
    pub fn current(&self, s: &str) -> &'static str {
        let here = match self.section {
            Section::SignIn => "sign-in",
            Section::Vpc => "vpc",
            Section::MultiCloud => "multi-cloud",
            Section::Services => "services",
        };
        if here == s {
            "page"
        } else {
            "false"
        }
    }

    pub fn megaport(&self) -> bool {
        self.section == Section::Services
    }
}

pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "console template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be drawn",
            )
                .into_response()
        }
    }
}

/// A page that cannot be shown: sign in first, or what went wrong in the vendor's words.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in to the side this page needs; come back to the path after.
    SignIn(String),
    BadRequest(String),
    /// An error from control, already in the vendor's words, with its status.
    Api(StatusCode, String),
}

impl PageError {
    pub fn digitalocean(e: ControlError) -> Self {
        let e = crosslink_api_digitalocean::ApiError::from(e);
        Self::Api(e.status, e.message)
    }

    pub fn megaport(e: ControlError) -> Self {
        let e = crosslink_api_megaport::ApiError::from(e);
        Self::Api(e.status, e.message)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Self::SignIn(back) => {
                let to = format!("/sign-in?next={}", urlencode(&back));
                return Redirect::to(&to).into_response();
            }
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            Self::Api(s, m) => (s, m),
        };
        let page = ErrorPage {
            chrome: Chrome {
                title: status.canonical_reason().unwrap_or("Error").to_owned(),
                section: Section::SignIn,
                team: None,
                company: None,
            },
            status: status.as_u16(),
            message,
        };
        (status, render(&page)).into_response()
    }
}

/// The page for a request the router refused before any handler ran.
pub fn refusal(status: StatusCode) -> Response {
    let message = match status {
        StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND => {
            "No such page: the address names nothing here.".to_owned()
        }
        StatusCode::METHOD_NOT_ALLOWED => {
            "That page does not take this kind of request.".to_owned()
        }
        StatusCode::PAYLOAD_TOO_LARGE => "The form sent more than the console accepts.".to_owned(),
        s => s.canonical_reason().unwrap_or("Error").to_owned(),
    };
    let status = if status == StatusCode::BAD_REQUEST {
        StatusCode::NOT_FOUND
    } else {
        status
    };
    PageError::Api(status, message).into_response()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// DigitalOcean's words for an error (what the API's `message` says).
pub fn do_message(e: ControlError) -> String {
    crosslink_api_digitalocean::ApiError::from(e).message
}

/// Megaport's words for an error.
pub fn mp_message(e: ControlError) -> String {
    crosslink_api_megaport::ApiError::from(e).message
}

/// A form's errors by field name; `""` holds what concerns no one field.
#[derive(Default, Debug)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map_or("", String::as_str)
    }

    /// `aria-invalid` for a field.
    pub fn invalid(&self, field: &str) -> &'static str {
        if self.0.contains_key(field) {
            "true"
        } else {
            "false"
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn set(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| message.into());
    }

    /// Places an error from control beside the field the rule named (`known` maps the API's
    /// field names to the form's), else at the top of the form; `words` is the vendor's.
    pub fn place(
        &mut self,
        e: ControlError,
        known: &[(&str, &str)],
        words: fn(ControlError) -> String,
    ) {
        let field = match &e {
            ControlError::Domain(DomainError::Invalid { field: Some(f), .. }) => known
                .iter()
                .find(|(api, _)| api == f)
                .map(|(_, form)| *form),
            _ => None,
        };
        let message = words(e);
        // Megaport's rules rarely name a field; their messages do.
        let field = field
            .or_else(|| {
                known
                    .iter()
                    .find(|(api, _)| !api.is_empty() && message.contains(api))
                    .map(|(_, form)| *form)
            })
            .unwrap_or("");
        self.set(field, message);
    }
}
