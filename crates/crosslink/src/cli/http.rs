//! The client's one HTTP path: bearer auth, doctl's retry policy (429/5xx, `retry-after`,
//! capped backoff), `--trace`, and each API's error line (godo's, or the message of
//! Megaport's `{message, terms, data}` envelope).

use anyhow::{anyhow, bail, Context, Result};
use crosslink_api_digitalocean::wire::ErrorBody;
use crosslink_api_megaport::wire::Envelope;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use std::time::{Duration, Instant};

/// doctl's hidden `--http-retry-wait-max`: no single wait is longer than this.
const MAX_WAIT: Duration = Duration::from_secs(30);

pub struct Api {
    agent: ureq::Agent,
    base: String,
    /// The bearer token: an API token, or the admin token for the admin API.
    token: Option<String>,
    retry_max: u32,
    trace: bool,
    dialect: Dialect,
}

/// Whose error bodies the server sends, and so how a failure reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `{id, message, request_id}`, shown as godo's error line.
    DigitalOcean,
    /// `{message, terms, data}`, shown as its message alone (megaport-cli's way).
    Megaport,
}

/// A non-2xx answer. Rendered like godo's `ErrorResponse` so scripts that grep doctl's
/// errors work unchanged (the Megaport dialect shows the server's message only).
#[derive(Debug)]
pub struct ApiError {
    pub method: &'static str,
    pub url: String,
    pub status: u16,
    pub request_id: Option<String>,
    pub message: String,
    pub dialect: Dialect,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (m, u, s, msg) = (self.method, &self.url, self.status, &self.message);
        match (self.dialect, &self.request_id) {
            (Dialect::Megaport, _) => write!(f, "{msg}"),
            (Dialect::DigitalOcean, Some(id)) => write!(f, "{m} {u}: {s} (request {id:?}) {msg}"),
            (Dialect::DigitalOcean, None) => write!(f, "{m} {u}: {s} {msg}"),
        }
    }
}

impl std::error::Error for ApiError {}

struct Reply {
    status: u16,
    retry_after: Option<Duration>,
    request_id: Option<String>,
    body: String,
}

impl Api {
    /// Like godo, any path in `base` is dropped: every request path is absolute (`/v2/...`).
    pub fn new(base: &str, token: Option<String>, retry_max: u32, trace: bool) -> Result<Api> {
        let Some(rest) = base.strip_prefix("http://") else {
            bail!("API URL {base:?} is not supported: this client speaks plain http:// only");
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.is_empty() {
            bail!("API URL {base:?} names no host: expected http://HOST[:PORT]");
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .user_agent(concat!("crosslink/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Api {
            agent: config.into(),
            base: format!("http://{authority}"),
            token,
            retry_max,
            trace,
            dialect: Dialect::DigitalOcean,
        })
    }

    /// The same client for the Megaport API: its error envelope, no retries (a Megaport
    /// order is not idempotent, and megaportgo does not retry either).
    pub fn megaport(base: &str, trace: bool) -> Result<Api> {
        Ok(Api {
            dialect: Dialect::Megaport,
            ..Api::new(base, None, 0, trace)?
        })
    }

    /// The bearer token for every later call (Megaport's comes from the token endpoint).
    pub fn set_token(&mut self, token: String) {
        self.token = Some(token);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends one request (retrying as configured) and returns the body of a 2xx answer.
    pub fn call(&self, method: &'static str, url: &str, body: Option<String>) -> Result<String> {
        let auth = self.token.as_ref().map(|t| format!("Bearer {t}"));
        self.send(method, url, body, auth.as_deref(), "application/json")
    }

    /// `call` with an `Authorization` header and content type of the caller's choosing
    /// (the OAuth token request: Basic credentials, a form).
    pub fn send(
        &self,
        method: &'static str,
        url: &str,
        body: Option<String>,
        authorization: Option<&str>,
        content_type: &str,
    ) -> Result<String> {
        let mut attempt = 0;
        let reply = loop {
            let started = Instant::now();
            let result = self.once(method, url, body.as_deref(), authorization, content_type);
            if self.trace {
                let ms = started.elapsed().as_millis();
                let url = redact(url);
                match &result {
                    Ok(r) => eprintln!("trace: {method} {url} -> {} ({ms} ms)", r.status),
                    Err(e) => eprintln!("trace: {method} {url} -> {e} ({ms} ms)"),
                }
            }
            // Only the server's "try again" answers are retried: a refused or dropped
            // connection fails at once (a POST may already have landed, and a stopped server
            // should not cost half a minute of backoff).
            let retry_after = match &result {
                Ok(r) if r.status == 429 || r.status >= 500 => r.retry_after,
                Ok(_) => break result?,
                Err(_) => break result.with_context(|| format!("{method} {url}"))?,
            };
            if attempt >= self.retry_max {
                break result.with_context(|| format!("{method} {url}"))?;
            }
            let backoff = Duration::from_secs(1 << attempt.min(5));
            std::thread::sleep(retry_after.unwrap_or(backoff).min(MAX_WAIT));
            attempt += 1;
        };
        if (200..300).contains(&reply.status) {
            return Ok(reply.body);
        }
        // godo: body's request_id, else the x-request-id header; non-JSON bodies are the message.
        let (message, body_id) = match self.dialect {
            Dialect::DigitalOcean => match serde_json::from_str::<ErrorBody>(&reply.body) {
                Ok(e) => (e.message, e.request_id),
                Err(_) => (reply.body.trim().to_owned(), None),
            },
            Dialect::Megaport => {
                let message = serde_json::from_str::<Envelope<serde_json::Value>>(&reply.body)
                    .map(|e| e.message)
                    .unwrap_or_else(|_| reply.body.trim().to_owned());
                match message.trim() {
                    "" => (format!("HTTP {} from {method} {url}", reply.status), None),
                    m => (m.to_owned(), None),
                }
            }
        };
        Err(ApiError {
            method,
            url: url.to_owned(),
            status: reply.status,
            request_id: body_id.or(reply.request_id),
            message,
            dialect: self.dialect,
        }
        .into())
    }

    /// `call` plus JSON in and out.
    pub fn json<T: DeserializeOwned>(
        &self,
        method: &'static str,
        url: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T> {
        let body = body.map(serde_json::to_string).transpose()?;
        let text = self.call(method, url, body)?;
        serde_json::from_str(&text)
            .with_context(|| format!("{method} {url}: unexpected response body: {text}"))
    }

    fn once(
        &self,
        method: &str,
        url: &str,
        body: Option<&str>,
        auth: Option<&str>,
        content_type: &str,
    ) -> Result<Reply, ureq::Error> {
        macro_rules! headers {
            ($rb:expr) => {{
                let rb = $rb.header("accept", "application/json");
                match auth {
                    Some(a) => rb.header("authorization", a),
                    None => rb,
                }
            }};
        }
        let mut resp = match method {
            "GET" => headers!(self.agent.get(url)).call()?,
            "DELETE" => headers!(self.agent.delete(url)).call()?,
            "POST" => headers!(self.agent.post(url))
                .header("content-type", content_type)
                .send(body.unwrap_or_default())?,
            "PATCH" => headers!(self.agent.patch(url))
                .header("content-type", content_type)
                .send(body.unwrap_or_default())?,
            "PUT" => headers!(self.agent.put(url))
                .header("content-type", content_type)
                .send(body.unwrap_or_default())?,
            other => unreachable!("the client never sends {other}"),
        };
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let retry_after = header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let request_id = header("x-request-id");
        let status = resp.status().as_u16();
        let body = resp.body_mut().read_to_string()?;
        Ok(Reply {
            status,
            retry_after,
            request_id,
            body,
        })
    }
}

/// True when `err` is the API saying the resource is gone (what `delete --wait` waits for).
pub fn is_not_found(err: &anyhow::Error) -> bool {
    err.downcast_ref::<ApiError>()
        .is_some_and(|e| e.status == 404 && e.message.contains("not found"))
}

/// A token is mandatory for the DigitalOcean API, as in doctl.
pub fn require_token(token: Option<String>) -> Result<String> {
    token.filter(|t| !t.trim().is_empty()).ok_or_else(|| {
        anyhow!("access token is required: pass -t/--access-token or set DIGITALOCEAN_ACCESS_TOKEN")
    })
}

/// A URL for `--trace`: a service key in the query (`?key=`) is a secret, shown as `…`.
fn redact(url: &str) -> String {
    match url.find("key=") {
        Some(i) if url[..i].ends_with('?') || url[..i].ends_with('&') => {
            let end = url[i..].find('&').map_or(url.len(), |j| i + j);
            format!("{}key=…{}", &url[..i], &url[end..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod redact_tests {
    #[test]
    fn service_keys_in_queries_are_hidden() {
        assert_eq!(
            super::redact("http://h/v2/service/key?key=abc-123"),
            "http://h/v2/service/key?key=…"
        );
        assert_eq!(
            super::redact("http://h/v2/service/key?key=abc&x=1"),
            "http://h/v2/service/key?key=…&x=1"
        );
        assert_eq!(
            super::redact("http://h/v2/products"),
            "http://h/v2/products"
        );
    }
}
