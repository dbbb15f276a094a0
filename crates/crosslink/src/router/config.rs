//! What `crosslink router` should run, from flags and an optional TOML file, checked completely
//! before anything starts so a typo never brings up half a router.
//!
//! Flags override the file: a scalar flag replaces the file's value, `--announce` replaces the
//! file's `announce` list, and a `--neighbor` replaces the file's neighbor with the same address.
//! The same neighbor twice in one source is an error.

use std::collections::BTreeSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use crosslink_bgp::policy::{MaxPrefix, PrefixList, SessionPolicy};
use crosslink_bgp::transport::{Md5Key, MD5_MAX_KEY_LEN};
use ipnet::IpNet;
use serde::Deserialize;

pub const DEFAULT_PORT: u16 = 179;
pub const DEFAULT_HOLD: u16 = 90;
pub const DEFAULT_CONNECT_RETRY: u16 = 5;

/// A configuration error; the message is for the operator and never contains a password.
#[derive(Debug)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError(msg.into()))
}

/// The validated router.
#[derive(Debug)]
pub struct Plan {
    pub asn: u32,
    pub router_id: Ipv4Addr,
    /// `None`: do not accept connections (every neighbor must then be active).
    pub listen: Option<SocketAddr>,
    pub fib: bool,
    pub announce: Vec<IpNet>,
    pub neighbors: Vec<NeighborPlan>,
}

#[derive(Debug)]
pub struct NeighborPlan {
    pub address: IpAddr,
    pub remote_asn: u32,
    pub port: u16,
    pub local: Option<IpAddr>,
    /// `Debug` prints `<redacted>`.
    pub password: Option<Md5Key>,
    pub passive: bool,
    pub hold_time: u16,
    pub connect_retry: u16,
    /// `None`: 1 for eBGP, 64 for iBGP (the speaker decides).
    pub ttl: Option<u8>,
    pub policy: SessionPolicy,
    pub enabled: bool,
}

/// Everything the command line can say about the router, as given (strings, checked here).
#[derive(Debug, Default)]
pub struct Flags {
    pub config: Option<PathBuf>,
    pub asn: Option<String>,
    pub router_id: Option<String>,
    pub listen: Option<String>,
    pub no_listen: bool,
    pub neighbors: Vec<String>,
    pub announce: Vec<String>,
    pub announce_file: Option<PathBuf>,
    pub fib: bool,
}

/// The TOML file. Keys are the flags' names in snake_case (`router_id`, `password_env`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
struct FileConfig {
    asn: Option<AsnValue>,
    router_id: Option<String>,
    listen: Option<ListenValue>,
    fib: Option<bool>,
    announce: Option<Vec<String>>,
    announce_file: Option<PathBuf>,
    #[serde(default)]
    neighbor: Vec<FileNeighbor>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
struct FileNeighbor {
    address: String,
    asn: AsnValue,
    port: Option<u16>,
    local: Option<String>,
    password: Option<Secret>,
    password_file: Option<PathBuf>,
    password_env: Option<String>,
    passive: Option<bool>,
    hold: Option<u16>,
    connect_retry: Option<u16>,
    ttl: Option<u8>,
    import: Option<Vec<String>>,
    export: Option<Vec<String>>,
    max_prefix: Option<MaxPrefixValue>,
    enabled: Option<bool>,
}

/// `asn = 64532` or `asn = "AS64532"` / `"1.10"` (asdot).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AsnValue {
    Number(i64),
    Text(String),
}

/// `listen = "0.0.0.0:179"`, or `listen = false` for no listener.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ListenValue {
    On(bool),
    Address(String),
}

/// `max_prefix = 100` or `max_prefix = "100 warning-only"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum MaxPrefixValue {
    Number(i64),
    Text(String),
}

/// A password from the file. Its own deserializer so that a wrongly typed value is not quoted
/// back in the error (serde's default "invalid type" message would).
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        const MSG: &str = "`password` must be a quoted string";
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Secret;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quoted string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Secret, E> {
                Ok(Secret(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Secret, E> {
                Ok(Secret(v))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Secret, E> {
                Err(E::custom(MSG))
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Secret, E> {
                Err(E::custom(MSG))
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Secret, E> {
                Err(E::custom(MSG))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Secret, E> {
                Err(E::custom(MSG))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<Secret, A::Error> {
                Err(serde::de::Error::custom(MSG))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<Secret, A::Error> {
                Err(serde::de::Error::custom(MSG))
            }
        }
        d.deserialize_any(V)
    }
}

/// A neighbor before validation, from either source.
struct RawNeighbor {
    /// Where it came from, for messages: "--neighbor 169.254.0.6,..." or "router.toml [[neighbor]] #2".
    origin: String,
    address: String,
    asn: Option<AsnValue>,
    port: Option<String>,
    local: Option<String>,
    password: Option<PasswordSource>,
    passive: bool,
    hold: Option<String>,
    connect_retry: Option<String>,
    ttl: Option<String>,
    import: Option<Vec<String>>,
    export: Option<Vec<String>>,
    max_prefix: Option<String>,
    enabled: bool,
}

enum PasswordSource {
    Inline(String),
    File(PathBuf),
    Env(String),
}

/// Keys `--neighbor` understands, for the "unknown key" message.
const NEIGHBOR_KEYS: &str = "asn=, port=, local=, password-file=, password-env=, passive, hold=, \
connect-retry=, ttl=, import=, export=, max-prefix=, disabled";

/// Builds the plan: reads `--config` (if any), applies the flags, validates everything.
pub fn plan(flags: &Flags) -> Result<Plan, ConfigError> {
    let (file, file_name) = match &flags.config {
        Some(path) => (read_file_config(path)?, path.display().to_string()),
        None => (FileConfig::default(), String::new()),
    };
    let base = flags
        .config
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();

    let asn = match (&flags.asn, &file.asn) {
        (Some(s), _) => parse_asn(s).map_err(|e| ConfigError(format!("--asn: {e}")))?,
        (None, Some(v)) => {
            asn_value(v).map_err(|e| ConfigError(format!("{file_name}: asn: {e}")))?
        }
        (None, None) => {
            return err("no local AS: give --asn ASN (or `asn = ...` in the config file)")
        }
    };

    let listen = if flags.no_listen {
        None
    } else {
        match (&flags.listen, &file.listen) {
            (Some(s), _) => {
                Some(parse_listen(s).map_err(|e| ConfigError(format!("--listen: {e}")))?)
            }
            (None, Some(ListenValue::On(false))) => None,
            (None, Some(ListenValue::On(true))) | (None, None) => {
                Some(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), DEFAULT_PORT))
            }
            (None, Some(ListenValue::Address(s))) => Some(
                parse_listen(s).map_err(|e| ConfigError(format!("{file_name}: listen: {e}")))?,
            ),
        }
    };

    let mut announce = Vec::new();
    if flags.announce.is_empty() {
        for (i, p) in file.announce.iter().flatten().enumerate() {
            announce.push(
                parse_prefix(p).map_err(|e| {
                    ConfigError(format!("{file_name}: announce entry {}: {e}", i + 1))
                })?,
            );
        }
    } else {
        for p in &flags.announce {
            announce
                .push(parse_prefix(p).map_err(|e| ConfigError(format!("--announce {p}: {e}")))?);
        }
    }
    let announce_file = match (&flags.announce_file, &file.announce_file) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(p)) => Some(base.join(p)),
        (None, None) => None,
    };
    if let Some(path) = announce_file {
        announce.extend(read_prefix_file(&path)?);
    }
    let mut seen = std::collections::HashSet::with_capacity(announce.len());
    announce.retain(|p| seen.insert(*p));

    // Neighbors: the file's, then the flags' replacing by address.
    let mut raw: Vec<RawNeighbor> = Vec::new();
    for (i, n) in file.neighbor.into_iter().enumerate() {
        raw.push(file_neighbor(
            n,
            &format!("{file_name} [[neighbor]] #{}", i + 1),
            &base,
        )?);
    }
    let file_count = raw.len();
    let mut flag_neighbors = Vec::new();
    for spec in &flags.neighbors {
        flag_neighbors.push(parse_neighbor_flag(spec)?);
    }
    let mut neighbors: Vec<NeighborPlan> = Vec::new();
    for r in raw {
        neighbors.push(validate_neighbor(r)?);
    }
    check_duplicates(&neighbors, &file_name)?;
    let mut from_flags = Vec::new();
    for r in flag_neighbors {
        from_flags.push(validate_neighbor(r)?);
    }
    check_duplicates(&from_flags, "--neighbor")?;
    for n in from_flags {
        match neighbors[..file_count]
            .iter()
            .position(|m| m.address == n.address)
        {
            Some(i) => neighbors[i] = n,
            None => neighbors.push(n),
        }
    }

    let router_id = match (&flags.router_id, &file.router_id) {
        (Some(s), _) => parse_router_id(s).map_err(|e| ConfigError(format!("--router-id: {e}")))?,
        (None, Some(s)) => {
            parse_router_id(s).map_err(|e| ConfigError(format!("{file_name}: router_id: {e}")))?
        }
        (None, None) => default_router_id(listen, &neighbors).ok_or_else(|| {
            ConfigError(
                "no router ID: give --router-id IPV4 (it cannot be taken from an IPv4 listen or local address here)"
                    .into(),
            )
        })?,
    };

    if listen.is_none() {
        if let Some(n) = neighbors.iter().find(|n| n.passive) {
            return err(format!(
                "neighbor {} is passive but --no-listen is set: it could never connect",
                n.address
            ));
        }
    }
    Ok(Plan {
        asn,
        router_id,
        listen,
        fib: flags.fib || file.fib.unwrap_or(false),
        announce,
        neighbors,
    })
}

fn check_duplicates(list: &[NeighborPlan], source: &str) -> Result<(), ConfigError> {
    let mut seen = BTreeSet::new();
    for n in list {
        if !seen.insert(n.address) {
            return err(format!("{source}: neighbor {} is given twice", n.address));
        }
    }
    Ok(())
}

/// The router ID when none is given: an explicit IPv4 listen address, else the first IPv4 local
/// address of a neighbor.
fn default_router_id(listen: Option<SocketAddr>, neighbors: &[NeighborPlan]) -> Option<Ipv4Addr> {
    let usable = |ip: IpAddr| match ip {
        IpAddr::V4(v4) if !v4.is_unspecified() && !v4.is_loopback() => Some(v4),
        _ => None,
    };
    listen
        .and_then(|l| usable(l.ip()))
        .or_else(|| neighbors.iter().filter_map(|n| n.local).find_map(usable))
}

fn read_file_config(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("cannot read config file {}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| {
        // Our own rendering: toml's Display quotes the offending source line, which may be a
        // password line.
        let at = e
            .span()
            .map(|span| {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!(" line {line}, column {column}:")
            })
            .unwrap_or_else(|| ":".into());
        ConfigError(format!(
            "{}:{at} {}",
            path.display(),
            e.message().trim_end().replace('\n', "; ")
        ))
    })
}

fn file_neighbor(n: FileNeighbor, origin: &str, base: &Path) -> Result<RawNeighbor, ConfigError> {
    let sources = [
        n.password.is_some(),
        n.password_file.is_some(),
        n.password_env.is_some(),
    ];
    if sources.iter().filter(|s| **s).count() > 1 {
        return err(format!(
            "{origin}: give only one of password, password_file, password_env"
        ));
    }
    let password = n
        .password
        .map(|s| PasswordSource::Inline(s.0))
        .or(n.password_file.map(|p| PasswordSource::File(base.join(p))))
        .or(n.password_env.map(PasswordSource::Env));
    let origin = format!("{origin} ({})", n.address);
    Ok(RawNeighbor {
        origin,
        address: n.address,
        asn: Some(n.asn),
        port: n.port.map(|p| p.to_string()),
        local: n.local,
        password,
        passive: n.passive.unwrap_or(false),
        hold: n.hold.map(|h| h.to_string()),
        connect_retry: n.connect_retry.map(|c| c.to_string()),
        ttl: n.ttl.map(|t| t.to_string()),
        import: n.import,
        export: n.export,
        max_prefix: n.max_prefix.map(|m| match m {
            MaxPrefixValue::Number(n) => n.to_string(),
            MaxPrefixValue::Text(s) => s,
        }),
        enabled: n.enabled.unwrap_or(true),
    })
}

/// `ADDRESS[,KEY=VALUE|FLAG]...`; prefix-list entries inside `import=`/`export=` are separated
/// by `;` (`import=permit 10.0.0.0/8 le 24;deny 0.0.0.0/0 le 32`).
fn parse_neighbor_flag(spec: &str) -> Result<RawNeighbor, ConfigError> {
    let mut parts = spec.split(',');
    let address = parts.next().unwrap_or("").trim().to_string();
    let origin = format!("--neighbor {address}");
    if address.is_empty() {
        return err(format!(
            "--neighbor `{spec}`: expected ADDRESS,asn=ASN[,KEY=VALUE...]"
        ));
    }
    let mut n = RawNeighbor {
        origin: origin.clone(),
        address,
        asn: None,
        port: None,
        local: None,
        password: None,
        passive: false,
        hold: None,
        connect_retry: None,
        ttl: None,
        import: None,
        export: None,
        max_prefix: None,
        enabled: true,
    };
    let mut given = BTreeSet::new();
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (key, value) = match part.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim().to_string())),
            None => (part, None),
        };
        let key = key.to_ascii_lowercase();
        let group = if key.starts_with("password") {
            "password"
        } else {
            key.as_str()
        };
        if !given.insert(group.to_string()) {
            return err(if group == "password" {
                format!("{origin}: give only one of password-file=, password-env=")
            } else {
                format!("{origin}: `{key}` given twice")
            });
        }
        let need = |value: Option<String>| {
            value.filter(|v| !v.is_empty()).ok_or_else(|| {
                ConfigError(format!("{origin}: `{key}` needs a value (`{key}=...`)"))
            })
        };
        let flag = |value: &Option<String>| match value {
            None => Ok(()),
            Some(_) => err(format!("{origin}: `{key}` takes no value")),
        };
        match key.as_str() {
            "asn" | "remote-as" => n.asn = Some(AsnValue::Text(need(value)?)),
            "port" => n.port = Some(need(value)?),
            "local" => n.local = Some(need(value)?),
            "password" => {
                return err(format!(
                    "{origin}: a password on the command line would show in `ps`; use password-file=PATH or password-env=VAR (or `password` in the config file)"
                ))
            }
            "password-file" => n.password = Some(PasswordSource::File(need(value)?.into())),
            "password-env" => n.password = Some(PasswordSource::Env(need(value)?)),
            "passive" => {
                flag(&value)?;
                n.passive = true;
            }
            "disabled" => {
                flag(&value)?;
                n.enabled = false;
            }
            "hold" => n.hold = Some(need(value)?),
            "connect-retry" => n.connect_retry = Some(need(value)?),
            "ttl" => n.ttl = Some(need(value)?),
            "import" => n.import = Some(split_entries(&need(value)?)),
            "export" => n.export = Some(split_entries(&need(value)?)),
            "max-prefix" => n.max_prefix = Some(need(value)?),
            _ => {
                return err(format!(
                    "{origin}: unknown key `{key}`; known keys: {NEIGHBOR_KEYS}"
                ))
            }
        }
    }
    Ok(n)
}

fn split_entries(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect()
}

fn validate_neighbor(r: RawNeighbor) -> Result<NeighborPlan, ConfigError> {
    let o = &r.origin;
    let e = |what: &str, msg: String| ConfigError(format!("{o}: {what}: {msg}"));
    let address: IpAddr = parse_ip(&r.address).map_err(|m| e("address", m))?;
    if address.is_unspecified() || address.is_multicast() {
        return err(format!("{o}: {address} cannot be a BGP neighbor address"));
    }
    let remote_asn = match &r.asn {
        Some(v) => asn_value(v).map_err(|m| e("asn", m))?,
        None => return err(format!("{o}: missing asn= (the neighbor's AS number)")),
    };
    let port = match &r.port {
        Some(p) => parse_num::<u16>(p, 1, u16::MAX).map_err(|m| e("port", m))?,
        None => DEFAULT_PORT,
    };
    let local = match &r.local {
        Some(s) => {
            let ip = parse_ip(s).map_err(|m| e("local", m))?;
            if ip.is_ipv4() != address.is_ipv4() {
                return err(format!(
                    "{o}: local address {ip} and neighbor address {address} are of different families"
                ));
            }
            if ip == address {
                return err(format!("{o}: local address is the neighbor's own address"));
            }
            Some(ip)
        }
        None => None,
    };
    let hold_time = match &r.hold {
        Some(h) => {
            let h = parse_num::<u16>(h, 0, u16::MAX).map_err(|m| e("hold", m))?;
            if let Err(why) = crosslink_bgp::fsm::check_hold_time(h) {
                return err(format!("{o}: hold: {h} is not allowed; {}", why.reason()));
            }
            h
        }
        None => DEFAULT_HOLD,
    };
    let connect_retry = match &r.connect_retry {
        Some(c) => parse_num::<u16>(c, 1, u16::MAX).map_err(|m| e("connect-retry", m))?,
        None => DEFAULT_CONNECT_RETRY,
    };
    let ttl = match &r.ttl {
        Some(t) => Some(parse_num::<u8>(t, 1, 255).map_err(|m| e("ttl", m))?),
        None => None,
    };
    let import = match &r.import {
        Some(entries) => Some(PrefixList::parse(entries).map_err(|m| e("import", m.to_string()))?),
        None => None,
    };
    let export = match &r.export {
        Some(entries) => Some(PrefixList::parse(entries).map_err(|m| e("export", m.to_string()))?),
        None => None,
    };
    let max_prefix = match &r.max_prefix {
        Some(m) => Some(
            m.parse::<MaxPrefix>()
                .map_err(|x| e("max-prefix", x.to_string()))?,
        ),
        None => None,
    };
    let password = match r.password {
        Some(source) => Some(load_password(source).map_err(|m| e("password", m))?),
        None => None,
    };
    Ok(NeighborPlan {
        address,
        remote_asn,
        port,
        local,
        password,
        passive: r.passive,
        hold_time,
        connect_retry,
        ttl,
        policy: SessionPolicy {
            import,
            export,
            max_prefix,
        },
        enabled: r.enabled,
    })
}

/// Reads a password; messages name the source, never the content.
fn load_password(source: PasswordSource) -> Result<Md5Key, String> {
    let (text, from) = match source {
        PasswordSource::Inline(s) => (s, "the config file".to_string()),
        PasswordSource::File(path) => {
            let mut s = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read password file {}: {e}", path.display()))?;
            // A trailing newline is an editor's, not part of the password.
            while s.ends_with('\n') || s.ends_with('\r') {
                s.pop();
            }
            (s, format!("password file {}", path.display()))
        }
        PasswordSource::Env(var) => {
            let s = std::env::var(&var).map_err(|e| match e {
                std::env::VarError::NotPresent => {
                    format!("environment variable {var} is not set")
                }
                std::env::VarError::NotUnicode(_) => {
                    format!("environment variable {var} is not valid UTF-8")
                }
            })?;
            (s, format!("environment variable {var}"))
        }
    };
    if text.is_empty() {
        return Err(format!("the password from {from} is empty"));
    }
    if text.len() > MD5_MAX_KEY_LEN {
        return Err(format!(
            "the password from {from} is {} bytes; TCP-MD5 allows at most {MD5_MAX_KEY_LEN}",
            text.len()
        ));
    }
    Md5Key::new(text.into_bytes()).map_err(|e| e.to_string())
}

fn read_prefix_file(path: &Path) -> Result<Vec<IpNet>, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("cannot read announce file {}: {e}", path.display())))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        out.push(
            parse_prefix(line)
                .map_err(|e| ConfigError(format!("{} line {}: {e}", path.display(), i + 1)))?,
        );
    }
    Ok(out)
}

/// A plain, `AS`-prefixed or asdot (`1.10` = 65546) AS number; 0, AS_TRANS and 4294967295 are
/// reserved and refused.
pub fn parse_asn(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let digits = t
        .strip_prefix("AS")
        .or_else(|| t.strip_prefix("as"))
        .unwrap_or(t);
    let value = match digits.split_once('.') {
        Some((hi, lo)) => {
            let hi: u16 = hi.parse().map_err(|_| bad_asn(s))?;
            let lo: u16 = lo.parse().map_err(|_| bad_asn(s))?;
            (u32::from(hi) << 16) | u32::from(lo)
        }
        None => digits.parse::<u32>().map_err(|_| bad_asn(s))?,
    };
    check_asn(value)
}

fn bad_asn(s: &str) -> String {
    format!("`{s}` is not an AS number; expected 1 to 4294967294, e.g. 64532, AS133937 or 2.4464 (asdot)")
}

fn check_asn(value: u32) -> Result<u32, String> {
    crosslink_bgp::fsm::check_asn(value).map_err(|e| e.reason().to_owned())
}

fn asn_value(v: &AsnValue) -> Result<u32, String> {
    match v {
        AsnValue::Number(n) => match u32::try_from(*n) {
            Ok(n) => check_asn(n),
            Err(_) => Err(bad_asn(&n.to_string())),
        },
        AsnValue::Text(s) => parse_asn(s),
    }
}

fn parse_router_id(s: &str) -> Result<Ipv4Addr, String> {
    let id: Ipv4Addr = s.trim().parse().map_err(|_| {
        format!("`{s}` is not a router ID; expected an IPv4 address such as 169.254.0.1")
    })?;
    if id.is_unspecified() {
        return Err("0.0.0.0 is not a valid BGP identifier".into());
    }
    Ok(id)
}

fn parse_ip(s: &str) -> Result<IpAddr, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("`{s}` is not an IP address"))
}

/// `ADDR:PORT`, `[V6]:PORT`, a bare address (port 179) or a bare port (all IPv4 addresses).
fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    let t = s.trim();
    if let Ok(sa) = t.parse::<SocketAddr>() {
        return Ok(sa);
    }
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, DEFAULT_PORT));
    }
    if let Ok(port) = t.parse::<u16>() {
        return Ok(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port));
    }
    Err(format!(
        "`{s}` is not a listen address; expected ADDR:PORT such as 0.0.0.0:179 or [::]:179"
    ))
}

fn parse_prefix(s: &str) -> Result<IpNet, String> {
    let t = s.trim();
    let net: IpNet = t.parse().map_err(|_| {
        format!("`{s}` is not a prefix; expected NETWORK/LEN such as 10.0.0.0/24 or 2001:db8::/48")
    })?;
    if net.trunc() != net {
        return Err(format!(
            "`{t}` has host bits set; did you mean {}?",
            net.trunc()
        ));
    }
    Ok(net)
}

fn parse_num<T>(s: &str, min: T, max: T) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
{
    match s.trim().parse::<T>() {
        Ok(v) if v >= min && v <= max => Ok(v),
        _ => Err(format!("`{s}` is not a number from {min} to {max}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(neighbors: &[&str]) -> Flags {
        Flags {
            asn: Some("64532".into()),
            router_id: Some("169.254.0.1".into()),
            neighbors: neighbors.iter().map(|s| s.to_string()).collect(),
            ..Flags::default()
        }
    }

    fn error(f: &Flags) -> String {
        plan(f).unwrap_err().to_string()
    }

    #[test]
    fn asn_forms() {
        assert_eq!(parse_asn("64532"), Ok(64532));
        assert_eq!(parse_asn("AS133937"), Ok(133937));
        assert_eq!(parse_asn("2.4464"), Ok(135536));
        assert_eq!(parse_asn("4200000001"), Ok(4_200_000_001));
        for bad in [
            "0",
            "23456",
            "4294967295",
            "4294967296",
            "-1",
            "x",
            "1.2.3",
            "70000.1",
        ] {
            assert!(parse_asn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn neighbor_flag_full() {
        let p = plan(&flags(&[
            "169.254.0.6,asn=133937,port=1179,local=169.254.0.1,passive,hold=9,connect-retry=2,ttl=2,import=permit 10.0.0.0/8 le 24;deny 0.0.0.0/0 le 32,export=10.10.0.0/24,max-prefix=100 warning-only",
        ]))
        .unwrap();
        let n = &p.neighbors[0];
        assert_eq!(n.address, "169.254.0.6".parse::<IpAddr>().unwrap());
        assert_eq!(
            (n.remote_asn, n.port, n.hold_time, n.connect_retry, n.ttl),
            (133937, 1179, 9, 2, Some(2))
        );
        assert!(n.passive && n.enabled);
        assert_eq!(n.policy.import.as_ref().unwrap().entries().len(), 2);
        assert!(!n.policy.max_prefix.unwrap().teardown());
        assert_eq!(p.listen, Some("0.0.0.0:179".parse().unwrap()));
    }

    #[test]
    fn neighbor_flag_errors() {
        let cases = [
            ("169.254.0.6", "missing asn="),
            ("169.254.0.6,asn=0", "reserved"),
            ("169.254.0.6,asn=64533,colour=blue", "unknown key `colour`"),
            ("169.254.0.6,asn=64533,password=x", "would show in `ps`"),
            ("169.254.0.6,asn=64533,hold=2", "at least 3"),
            ("169.254.0.6,asn=64533,port=0", "port"),
            ("169.254.0.6,asn=64533,local=::1", "different families"),
            ("169.254.0.6,asn=64533,import=10.0.0.1/8", "host bits"),
            ("169.254.0.6,asn=64533,max-prefix=0", "at least 1"),
            ("169.254.0.6,asn=64533,passive=yes", "takes no value"),
            ("169.254.0.6,asn=64533,asn=1", "given twice"),
            ("not-an-ip,asn=1", "not an IP address"),
            (
                "169.254.0.6,asn=1,password-env=CROSSLINK_TEST_UNSET_VAR",
                "is not set",
            ),
        ];
        for (spec, want) in cases {
            let e = error(&flags(&[spec]));
            assert!(e.contains(want), "{spec}: {e}");
        }
        let e = error(&flags(&["169.254.0.6,asn=1", "169.254.0.6,asn=2"]));
        assert!(e.contains("given twice"), "{e}");
    }

    #[test]
    fn password_sources_and_limits() {
        let dir = std::env::temp_dir().join(format!("crosslink-router-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ok = dir.join("ok");
        std::fs::write(&ok, "s3cret-pw\n").unwrap();
        let long = dir.join("long");
        std::fs::write(&long, "k".repeat(81)).unwrap();
        let p = plan(&flags(&[&format!(
            "169.254.0.6,asn=1,password-file={}",
            ok.display()
        )]))
        .unwrap();
        assert_eq!(
            p.neighbors[0].password.as_ref().unwrap().as_bytes(),
            b"s3cret-pw"
        );
        assert!(!format!("{p:?}").contains("s3cret"));
        let e = error(&flags(&[&format!(
            "169.254.0.6,asn=1,password-file={}",
            long.display()
        )]));
        assert!(e.contains("81 bytes") && !e.contains("kkk"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn toml_file_and_override() {
        let dir =
            std::env::temp_dir().join(format!("crosslink-router-toml-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("router.toml");
        std::fs::write(
            &conf,
            r#"
asn = "AS64532"
router_id = "169.254.0.1"
listen = false
announce = ["10.10.0.0/24"]

[[neighbor]]
address = "169.254.0.6"
asn = 133937
password = "file-secret"
import = ["permit 10.20.0.0/16 le 24"]
max_prefix = 100

[[neighbor]]
address = "169.254.0.5"
asn = 133938
"#,
        )
        .unwrap();
        let f = Flags {
            config: Some(conf.clone()),
            neighbors: vec!["169.254.0.5,asn=65001".into()],
            ..Flags::default()
        };
        let p = plan(&f).unwrap();
        assert_eq!(p.asn, 64532);
        assert_eq!(p.listen, None);
        assert_eq!(p.neighbors.len(), 2);
        assert_eq!(
            p.neighbors[1].remote_asn, 65001,
            "flag replaced the file's neighbor"
        );
        assert_eq!(
            p.neighbors[0].password.as_ref().unwrap().as_bytes(),
            b"file-secret"
        );

        for (text, want) in [
            ("asn = 1\nrouter_id = \"1.1.1.1\"\ncolour = 3\n", "unknown field `colour`"),
            ("asn = 1\n[[neighbor]]\naddress = \"10.0.0.1\"\nasn = 2\npassword = 1234567\n", "must be a quoted string"),
            ("asn = 1\n[[neighbor]]\naddress = \"10.0.0.1\"\nasn = 2\n[[neighbor]]\naddress = \"10.0.0.1\"\nasn = 3\n", "given twice"),
            ("asn = 1\n[[neighbor]]\naddress = \"10.0.0.1\"\nasn = 2\npassword = \"a\"\npassword_env = \"X\"\n", "only one of"),
            ("asn = \n", "line 1"),
        ] {
            std::fs::write(&conf, text).unwrap();
            let e = error(&Flags { config: Some(conf.clone()), ..Flags::default() });
            assert!(e.contains(want), "{text}: {e}");
            assert!(!e.contains("1234567"), "{e}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn router_id_default_and_listen() {
        let mut f = flags(&["169.254.0.6,asn=1,local=169.254.0.1"]);
        f.router_id = None;
        assert_eq!(plan(&f).unwrap().router_id, Ipv4Addr::new(169, 254, 0, 1));
        f.neighbors.clear();
        assert!(error(&f).contains("no router ID"));
        let mut f = flags(&["169.254.0.6,asn=1,passive"]);
        f.no_listen = true;
        assert!(error(&f).contains("passive"));
        let mut f = flags(&[]);
        f.listen = Some("[::]:1179".into());
        assert_eq!(plan(&f).unwrap().listen, Some("[::]:1179".parse().unwrap()));
        f.listen = Some("nowhere".into());
        assert!(error(&f).contains("--listen"));
    }

    #[test]
    fn announce_checks() {
        let mut f = flags(&[]);
        f.announce = vec!["10.0.0.0/24".into(), "10.0.0.0/24".into()];
        assert_eq!(plan(&f).unwrap().announce.len(), 1);
        f.announce = vec!["10.0.0.1/24".into()];
        assert!(error(&f).contains("did you mean 10.0.0.0/24"));
        f.announce = vec!["banana".into()];
        assert!(error(&f).contains("not a prefix"));
    }
}
