//! `crosslink megaport ...`: a megaport-cli-style client for crosslink's Megaport API
//! listener. Command tree, flags, `--output table|json` and the JSON keys follow megaport-cli;
//! responses are decoded with the server's own wire types. Status lines go to stderr, data to
//! stdout, as megaport-cli does.

mod locations;
mod mcr;
mod ports;
mod servicekeys;
mod vxc;

use super::flag_or_env;
use super::http::Api;
use super::table::{self, Column, View};
use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use crosslink_api_digitalocean::wire::percent_encode;
use crosslink_api_megaport::wire::{Envelope, Product, TokenResponse, Vxc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::io::Write;

const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8061";

// The environment is read in `Ctx`, not with clap's `env`: clap would list a value taken from
// the environment in the usage line of an error, as if the flag were required.
#[derive(Args)]
pub struct MegaportArgs {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// Base URL of the Megaport API, plain http (`serve --megaport-listen`).
    /// Default: $MEGAPORT_BASE_URL, else http://127.0.0.1:8061.
    #[arg(long, global = true)]
    base_url: Option<String>,
    /// OAuth2 token endpoint. Default: BASE_URL/oauth2/token.
    #[arg(long, global = true)]
    token_url: Option<String>,
    /// API access key (under `serve --auth open` any value, naming the company).
    /// Default: $MEGAPORT_ACCESS_KEY.
    #[arg(long, global = true)]
    access_key: Option<String>,
    /// API secret key (`crosslink admin megaport-keys create` under `--auth strict`).
    /// Default: $MEGAPORT_SECRET_KEY.
    #[arg(long, global = true)]
    secret_key: Option<String>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table", global = true)]
    output: Format,
    /// Leave out the table's header row.
    #[arg(long, global = true)]
    no_header: bool,
    /// Print each request's method, URL and status to stderr (never a credential).
    #[arg(long, global = true)]
    trace: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Locations products can be ordered in (public: no credentials needed).
    Locations(locations::LocationsArgs),
    /// Ports.
    Ports(ports::PortsArgs),
    /// Megaport Cloud Routers.
    Mcr(mcr::McrArgs),
    /// Virtual Cross Connects and their order approvals.
    Vxc(vxc::VxcArgs),
    /// Service keys: let another company connect a VXC to your port or MCR.
    Servicekeys(servicekeys::ServiceKeysArgs),
}

pub fn run(args: MegaportArgs) -> Result<()> {
    let g = args.global;
    match args.command {
        Command::Locations(a) => locations::run(&Ctx::public(&g)?, a),
        Command::Ports(a) => ports::run(&Ctx::login(&g)?, a),
        Command::Mcr(a) => mcr::run(&Ctx::login(&g)?, a),
        Command::Vxc(a) => vxc::run(&Ctx::login(&g)?, a),
        Command::Servicekeys(a) => servicekeys::run(&Ctx::login(&g)?, a),
    }
}

struct Ctx {
    api: Api,
    format: Format,
    no_header: bool,
}

impl Ctx {
    /// A client without credentials (locations are public; megaport-cli lists them so).
    fn public(g: &Global) -> Result<Ctx> {
        let base = flag_or_env(g.base_url.clone(), "MEGAPORT_BASE_URL");
        Ok(Ctx {
            api: Api::megaport(base.as_deref().unwrap_or(DEFAULT_BASE_URL), g.trace)?,
            format: g.output,
            no_header: g.no_header,
        })
    }

    /// A client with a bearer token from the OAuth2 client-credentials grant, asked for as
    /// megaportgo does: `grant_type` in the query, the key pair as HTTP Basic, an empty form.
    fn login(g: &Global) -> Result<Ctx> {
        let mut ctx = Ctx::public(g)?;
        let access = flag_or_env(g.access_key.clone(), "MEGAPORT_ACCESS_KEY")
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| {
                anyhow!("an access key is required: pass --access-key or set MEGAPORT_ACCESS_KEY")
            })?;
        let secret = flag_or_env(g.secret_key.clone(), "MEGAPORT_SECRET_KEY").unwrap_or_default();
        let token_url = match &g.token_url {
            Some(u) => u.clone(),
            None => ctx.api.url("/oauth2/token"),
        };
        let sep = if token_url.contains('?') { '&' } else { '?' };
        let url = format!("{token_url}{sep}grant_type=client_credentials");
        let basic = format!("Basic {}", base64(format!("{access}:{secret}").as_bytes()));
        let text = ctx.api.send(
            "POST",
            &url,
            Some(String::new()),
            Some(&basic),
            "application/x-www-form-urlencoded",
        )?;
        let token: TokenResponse = serde_json::from_str(&text)
            .with_context(|| format!("POST {url}: unexpected token response: {text}"))?;
        ctx.api.set_token(token.access_token);
        Ok(ctx)
    }

    /// `data` of a call's envelope.
    fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T> {
        let env: Envelope<T> = self.api.json(method, &self.api.url(path), body)?;
        Ok(env.data)
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call("GET", path, None)
    }

    /// Every port, MCR and MVE of the company (`GET /v2/products`).
    fn products(&self) -> Result<Vec<Product>> {
        self.get("/v2/products")
    }

    /// The company's products of one type as rows; cancelled ones only when asked for.
    fn product_rows<T: From<Product>>(
        &self,
        product_type: &str,
        include_inactive: bool,
    ) -> Result<Vec<T>> {
        Ok(self
            .products()?
            .into_iter()
            .filter(|p| p.product_type.eq_ignore_ascii_case(product_type))
            .filter(|p| include_inactive || !inactive(&p.provisioning_status))
            .map(T::from)
            .collect())
    }

    /// A port, MCR or MVE of type `product_type` (`MEGAPORT`, `MCR2`); `noun` names it in
    /// the error when the UID is something else.
    fn product(&self, uid: &str, product_type: &str, noun: &str) -> Result<Product> {
        let v: Value = self.get(&product_path(uid))?;
        let found = v["productType"].as_str().unwrap_or_default();
        if !found.eq_ignore_ascii_case(product_type) {
            bail!("{uid} is not {noun}: it is a {found}");
        }
        serde_json::from_value(v)
            .with_context(|| format!("GET {}: unexpected product", product_path(uid)))
    }

    fn vxc(&self, uid: &str) -> Result<Vxc> {
        let v: Value = self.get(&product_path(uid))?;
        let found = v["productType"].as_str().unwrap_or_default();
        if !found.eq_ignore_ascii_case("VXC") {
            bail!("{uid} is not a VXC: it is a {found}");
        }
        serde_json::from_value(v)
            .with_context(|| format!("GET {}: unexpected VXC", product_path(uid)))
    }

    /// `POST /v4/networkdesign/buy` with one ordered service; the confirmations.
    fn buy<T: DeserializeOwned>(&self, order: Value) -> Result<Vec<T>> {
        let body = json!({"networkDesign": [order], "discountCodes": []});
        self.call("POST", "/v4/networkdesign/buy", Some(&body))
    }

    /// `CANCEL`, `CANCEL_NOW` or `UN_CANCEL`.
    fn action(&self, uid: &str, action: &str) -> Result<()> {
        let path = format!("/v3/product/{}/action/{action}", percent_encode(uid));
        let _: Value = self.call("POST", &path, None)?;
        Ok(())
    }

    /// Rows as a table (megaport-cli's headers) or a JSON array of `T`'s snake_case keys.
    fn show<T: Serialize>(&self, columns: &[Column<T>], rows: &[T]) -> Result<()> {
        let out = match self.format {
            Format::Table => table::render(
                columns,
                rows,
                &View {
                    format: None,
                    no_header: self.no_header,
                },
            )?,
            Format::Json => table::json(rows)?,
        };
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(out.as_bytes())?;
        Ok(stdout.flush()?)
    }
}

fn product_path(uid: &str) -> String {
    format!("/v2/product/{}", percent_encode(uid))
}

/// A status line on stderr, as megaport-cli's `✓ ...` (stdout carries only data).
fn done(message: &str) {
    eprintln!("✓ {message}");
}

/// megaport-cli's lists leave these out unless `--include-inactive`.
fn inactive(status: &str) -> bool {
    matches!(status, "CANCELLED" | "DECOMMISSIONED" | "DECOMMISSIONING")
}

/// The one shared `delete` message, as megaport-cli words it.
fn deleted(noun: &str, uid: &str, now: bool) {
    done(&format!(
        "{noun} deleted {uid}\nThe resource will be deleted {}",
        if now {
            "immediately"
        } else {
            "at the end of the current billing period"
        }
    ));
}

/// Standard base64 with padding, for the Basic credentials.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Epoch milliseconds as RFC 3339 in UTC (megaport-cli's `create_date`), to the second.
fn rfc3339(ms: i64) -> String {
    let (days, secs) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000) / 1000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// `--start-date` / `--end-date`: epoch milliseconds, `YYYY-MM-DD` (midnight UTC), or RFC 3339
/// (`2026-01-02T03:04:05Z`, `...+10:00`, fractions allowed), as epoch milliseconds.
fn parse_time(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let bad = || {
        format!("{s:?} is not a time: use RFC 3339 (2026-01-02T03:04:05Z), YYYY-MM-DD or epoch milliseconds")
    };
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().map_err(|_| bad());
    }
    let (date, rest) = match s.split_once(['T', 't', ' ']) {
        Some((d, r)) => (d, Some(r)),
        None => (s, None),
    };
    let num = |t: &str, len: usize| -> Result<i64, String> {
        if t.len() != len || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        t.parse().map_err(|_| bad())
    };
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts[..] else {
        return Err(bad());
    };
    let (y, m, d) = (num(y, 4)?, num(m, 2)?, num(d, 2)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let mut ms = days_from_civil(y, m, d) * 86_400_000;
    if let Some(rest) = rest {
        let (clock, offset_min) = match rest.find(['Z', 'z', '+', '-']) {
            Some(i) => {
                let (clock, zone) = rest.split_at(i);
                let off = match zone {
                    "Z" | "z" => 0,
                    z => {
                        let sign = if z.starts_with('-') { -1 } else { 1 };
                        let (h, mi) = z[1..].split_once(':').ok_or_else(bad)?;
                        sign * (num(h, 2)? * 60 + num(mi, 2)?)
                    }
                };
                (clock, off)
            }
            None => return Err(bad()),
        };
        let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
        let t: Vec<&str> = hms.split(':').collect();
        let [h, mi, sec] = t[..] else {
            return Err(bad());
        };
        let (h, mi, sec) = (num(h, 2)?, num(mi, 2)?, num(sec, 2)?);
        if h > 23 || mi > 59 || sec > 60 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let frac_ms: i64 = format!("{frac:0<3}")[..3].parse().map_err(|_| bad())?;
        ms += ((h * 60 + mi - offset_min) * 60 + sec) * 1000 + frac_ms;
    }
    Ok(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(
            base64(b"west-company:s3cret"),
            "d2VzdC1jb21wYW55OnMzY3JldA=="
        );
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("1700000000000"), Ok(1_700_000_000_000));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000_000));
        assert_eq!(
            parse_time("2023-11-15T08:13:20+10:00"),
            Ok(1_700_000_000_000)
        );
        assert_eq!(parse_time("2023-11-14T22:13:20.5Z"), Ok(1_700_000_000_500));
        assert_eq!(parse_time("2024-03-01"), Ok(1_709_251_200_000));
        assert!(parse_time("2024-13-01").is_err());
        assert!(parse_time("2024-03-01T10:00").is_err());
        assert!(parse_time("soon").is_err());
        assert_eq!(rfc3339(1_700_000_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(1_709_251_200_000), "2024-03-01T00:00:00Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
