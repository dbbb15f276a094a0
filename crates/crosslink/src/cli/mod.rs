//! The doctl-style client: `crosslink vpcs ...`, `crosslink vpcs peerings ...`,
//! `crosslink network attachment ...` and `crosslink admin tokens create`; and the
//! megaport-cli-style `crosslink megaport ...` (its own module). Flags, aliases,
//! columns and error lines follow doctl so its muscle memory and scripts carry over; `-o json`
//! prints the server's own types, except where doctl's shape differs (partner attachments).

mod attachments;
mod http;
mod megaport;
mod peerings;
mod table;
mod tokens;
mod vpcs;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use crosslink_api_digitalocean::wire::Links;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::time::Duration;

pub use attachments::NetworkArgs;
pub use megaport::{run as megaport, MegaportArgs};
pub use tokens::{run as admin, AdminArgs};
pub use vpcs::VpcsArgs;

pub fn vpcs(args: VpcsArgs) -> Result<()> {
    let output = args.output();
    json_errors(output, vpcs::run(args))
}

pub fn network(args: NetworkArgs) -> Result<()> {
    let output = args.output();
    json_errors(output, attachments::run(args))
}

/// Under `-o json` doctl reports a failure as `{"errors":[{"detail":...}]}` on stdout (exit 1),
/// so a script reading JSON always gets JSON; text mode leaves the `Error: ...` line to main.
fn json_errors(output: Output, result: Result<()>) -> Result<()> {
    match result {
        Err(err) if output == Output::Json => {
            let body = serde_json::json!({"errors": [{"detail": format!("{err:#}")}]});
            println!("{body}");
            std::process::exit(1);
        }
        result => result,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    Text,
    Json,
}

/// doctl's global flags, given to every `vpcs` and `network` subcommand.
#[derive(Args)]
struct Global {
    // The environment is read in `Ctx::new`, not with clap's `env`: clap would list a value
    // taken from the environment in the usage line of an error, as if the flag were required.
    /// API token (any value under `serve --auth open`; one from `crosslink admin tokens create`
    /// under `--auth strict`). Default: $DIGITALOCEAN_ACCESS_TOKEN.
    #[arg(short = 't', long, global = true)]
    access_token: Option<String>,
    /// Base URL of the DigitalOcean API, plain http (`serve --do-listen`).
    /// Default: $DIGITALOCEAN_API_URL, else http://127.0.0.1:8060.
    #[arg(short = 'u', long, global = true)]
    api_url: Option<String>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "text", global = true)]
    output: Output,
    /// Retries on 429 and 5xx (honouring `retry-after`, waits capped at 30 s); 0 disables.
    #[arg(long, default_value_t = 5, global = true)]
    http_retry_max: u32,
    /// Print each request's method, URL and status to stderr (never the token).
    #[arg(long, global = true)]
    trace: bool,
}

/// `--format` and `--no-header`, on get and list only, as in doctl.
#[derive(Args)]
struct ListFlags {
    /// Columns to show, comma separated, e.g. `ID,Name` (case-insensitive).
    #[arg(long)]
    format: Option<String>,
    /// Leave out the header row.
    #[arg(long)]
    no_header: bool,
}

impl From<ListFlags> for table::View {
    fn from(f: ListFlags) -> Self {
        table::View {
            format: f.format,
            no_header: f.no_header,
        }
    }
}

struct Ctx {
    api: http::Api,
    output: Output,
}

impl Ctx {
    fn new(g: Global) -> Result<Ctx> {
        let token = http::require_token(flag_or_env(g.access_token, "DIGITALOCEAN_ACCESS_TOKEN"))?;
        let api_url = flag_or_env(g.api_url, "DIGITALOCEAN_API_URL");
        let api_url = api_url.as_deref().unwrap_or("http://127.0.0.1:8060");
        Ok(Ctx {
            api: http::Api::new(api_url, Some(token), g.http_retry_max, g.trace)?,
            output: g.output,
        })
    }

    /// Every page of a collection with doctl's `per_page=200`. Pages are asked for by number
    /// on the configured URL, as doctl does, never by following the server's absolute links:
    /// those name whatever Host the server saw, and the token must not go anywhere else.
    fn all_pages<P: DeserializeOwned, T>(
        &self,
        path: &str,
        split: impl Fn(P) -> (Vec<T>, Links),
    ) -> Result<Vec<T>> {
        let mut items = Vec::new();
        for page in 1u64.. {
            let url = self.api.url(&format!("{path}?page={page}&per_page=200"));
            let (chunk, links) = split(self.api.json("GET", &url, None::<&()>)?);
            // An empty page that still claims a next one would never end.
            let more = !chunk.is_empty() && links.pages.is_some_and(|p| p.next.is_some());
            items.extend(chunk);
            if !more {
                break;
            }
        }
        Ok(items)
    }

    fn show<T: Serialize>(
        &self,
        columns: &[table::Column<T>],
        items: &[T],
        view: &table::View,
    ) -> Result<()> {
        self.show_with(columns, items, view, items)
    }

    /// `show` with a JSON form of its own: what `-o json` prints when doctl's shape differs
    /// from the server's (a wrapper object, a bare object instead of an array).
    fn show_with<T, J: Serialize + ?Sized>(
        &self,
        columns: &[table::Column<T>],
        items: &[T],
        view: &table::View,
        json: &J,
    ) -> Result<()> {
        let out = match self.output {
            Output::Text => table::render(columns, items, view)?,
            Output::Json => table::json(json)?,
        };
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(out.as_bytes())?;
        Ok(stdout.flush()?)
    }
}

/// A flag's value, else the environment variable's (an empty one counts as unset).
fn flag_or_env(flag: Option<String>, var: &str) -> Option<String> {
    flag.or_else(|| std::env::var(var).ok().filter(|v| !v.is_empty()))
}

/// doctl's delete confirmation. Without a terminal to ask on, refuse rather than guess.
fn confirm_delete(what: &str, force: bool) -> Result<()> {
    if force {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("refusing to delete the {what} without confirmation: stdin is not a terminal; use --force (-f)");
    }
    eprint!("Warning: Are you sure you want to delete this {what}? (y/N) ? ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "ye" | "yes" => Ok(()),
        _ => bail!("operation aborted"),
    }
}

/// `--wait` and `--wait-interval`, on the commands that start something asynchronous.
#[derive(Args)]
struct Wait {
    /// Block until the operation has finished.
    #[arg(long)]
    wait: bool,
    /// How often `--wait` polls, e.g. 500ms, 2s.
    #[arg(long, default_value = "1s", value_parser = parse_interval)]
    wait_interval: Duration,
}

/// `--wait-interval`: `500ms`, `2s`, `1m` or plain seconds.
fn parse_interval(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 500ms, 2s or 1m"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("unknown unit {unit:?}: use ms, s or m")),
    };
    if !(0.01..=3600.0).contains(&secs) {
        return Err("the interval must be between 10ms and 1h".into());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Polls `check` every `interval` until it says done, at most 360 times (doctl's bound).
/// A spinner shows on stderr only when it is a terminal.
fn wait_for(what: &str, interval: Duration, mut check: impl FnMut() -> Result<bool>) -> Result<()> {
    let tty = std::io::stderr().is_terminal();
    let frames = ['|', '/', '-', '\\'];
    for i in 0..360 {
        if check()? {
            if tty {
                eprint!("\r\x1b[K");
            }
            return Ok(());
        }
        if tty {
            eprint!("\r{} {what}", frames[i % frames.len()]);
        }
        std::thread::sleep(interval);
    }
    if tty {
        eprintln!();
    }
    bail!("gave up {what} after 360 polls")
}

/// `--wait` after a create: polls `get` until `state` says `target`, and returns what it saw
/// last. `ERROR` fails at once. `noun` names the kind in the messages ("VPC peering").
fn wait_for_state<T>(
    noun: &str,
    id: &str,
    target: &str,
    interval: Duration,
    mut get: impl FnMut() -> Result<T>,
    state: fn(&T) -> &str,
) -> Result<T> {
    let mut last = None;
    wait_for(
        &format!("waiting for the {noun} to become {target}"),
        interval,
        || {
            let item = get()?;
            if state(&item) == "ERROR" {
                bail!("{noun} {id} failed: it entered ERROR");
            }
            let done = state(&item) == target;
            last = Some(item);
            Ok(done)
        },
    )?;
    Ok(last.expect("a finished wait saw the resource"))
}

/// `--wait` after a delete, as doctl: done on a 404 whose message says "not found", or on
/// state `DELETED`.
fn wait_for_deletion<T>(
    noun: &str,
    interval: Duration,
    mut get: impl FnMut() -> Result<T>,
    state: fn(&T) -> &str,
) -> Result<()> {
    wait_for(
        &format!("waiting for the {noun} to be deleted"),
        interval,
        || match get() {
            Ok(item) => Ok(state(&item) == "DELETED"),
            Err(e) if http::is_not_found(&e) => Ok(true),
            Err(e) => Err(e),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::parse_interval;
    use std::time::Duration;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_interval("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_interval("2"), Ok(Duration::from_secs(2)));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("1h").is_err());
        assert!(parse_interval("x").is_err());
    }
}
