//! `crosslink serve`: every listener on one data directory, ready in well under a second.

use crate::admin;
use crate::listener::{self, ConnectionLimits};
use anyhow::{bail, Context};
use crosslink_api_digitalocean::ApiConfig;
use crosslink_control::{AdminToken, AuthMode, Control, Reconciler, SystemClock};
use crosslink_domain::vpc::DefaultVpcs;
use crosslink_domain::{ResourceType, TransitionPolicy};
use crosslink_store::SqliteStore;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address of the DigitalOcean API listener.
    #[arg(long, env = "CROSSLINK_DO_LISTEN", default_value = "127.0.0.1:8060")]
    do_listen: SocketAddr,
    /// Address of the Megaport API listener.
    #[arg(
        long,
        env = "CROSSLINK_MEGAPORT_LISTEN",
        default_value = "127.0.0.1:8061"
    )]
    megaport_listen: SocketAddr,
    /// Address of the admin listener (`/_crosslink/*`).
    #[arg(long, env = "CROSSLINK_ADMIN_LISTEN", default_value = "127.0.0.1:8062")]
    admin_listen: SocketAddr,
    /// Directory of the embedded SQLite database (created if missing).
    #[arg(long, env = "CROSSLINK_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// `open`: any bearer token names its own team. `strict`: only tokens made with
    /// `crosslink admin tokens create`.
    #[arg(long, env = "CROSSLINK_AUTH", default_value = "open")]
    auth: AuthMode,
    /// Lifecycle timing per resource type (vpc_peering, partner_attachment, service_key,
    /// megaport_product, vxc), e.g.
    /// `vpc_peering=delay:5` or `service_key=manual` (policies: immediate, delay:SECONDS,
    /// manual). Stored in the data directory, so later starts keep it. Repeatable.
    #[arg(long = "transitions", env = "CROSSLINK_TRANSITIONS", value_delimiter = ',', value_parser = parse_transition)]
    transitions: Vec<(ResourceType, TransitionPolicy)>,
    /// Which VPC is a region's default. `seeded` (default): a `default-<region>` made alongside
    /// a team's first VPC in the region, as on an account in use, so every VPC the user creates
    /// can be deleted (`terraform destroy`). `first`: the first one a team creates there, as a
    /// brand-new account behaves (it cannot be deleted).
    #[arg(long, env = "CROSSLINK_DEFAULT_VPCS", default_value = "seeded")]
    default_vpcs: DefaultVpcs,
    /// Requests per sliding minute per token (DigitalOcean: 250); 0 disables.
    #[arg(long, env = "CROSSLINK_RATE_LIMIT_PER_MINUTE", default_value_t = 250)]
    rate_limit_per_minute: u32,
    /// Requests per sliding hour per token (DigitalOcean: 5,000); 0 disables.
    #[arg(long, env = "CROSSLINK_RATE_LIMIT_PER_HOUR", default_value_t = 5000)]
    rate_limit_per_hour: u32,
    /// The admin API's token. Default: the one in DATA_DIR/admin-token, generated (0600) and
    /// printed at the first start. Required (at least 20 characters) to put the admin listener
    /// beyond loopback.
    #[arg(long, env = "CROSSLINK_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Base URL of the DigitalOcean API as clients reach it, for pagination links.
    /// Default: http:// and the --do-listen address.
    #[arg(long, env = "CROSSLINK_PUBLIC_URL", value_parser = parse_public_url)]
    public_url: Option<String>,
    /// Seconds a connection may take to send a complete request head, counted from when the
    /// server starts waiting for it; this also closes kept-alive connections left idle.
    #[arg(long, env = "CROSSLINK_HEADER_TIMEOUT", default_value = "10", value_parser = parse_seconds)]
    header_timeout: Duration,
    /// Seconds a request may take, body included, before it is answered 408 and the
    /// connection closed (a body that never completes).
    #[arg(long, env = "CROSSLINK_REQUEST_TIMEOUT", default_value = "30", value_parser = parse_seconds)]
    request_timeout: Duration,
    /// Connections served at once per listener; more wait in the accept backlog. Lowered to
    /// fit the open-files limit if need be.
    #[arg(long, env = "CROSSLINK_MAX_CONNECTIONS", default_value_t = 4096)]
    max_connections: usize,
    /// Where each LIVE VXC's BGP session runs: `loopback` (default, no privileges: each
    /// router end on its own 127.x address, real TCP and TCP-MD5), `netns` (root: a network
    /// namespace per attachment router and MCR, veth pairs with the real /29s, learned routes
    /// in each namespace's kernel table) or `off` (no sessions: attachments stay `CREATED`).
    #[arg(long, env = "CROSSLINK_FABRIC", default_value = "loopback", value_parser = ["loopback", "netns", "off"])]
    fabric: String,
    /// Largest request body in bytes (413 beyond; a declared length over it is refused before
    /// a byte is read).
    #[arg(long, env = "CROSSLINK_MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    max_body_bytes: usize,
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("expected seconds such as 10 or 0.5, got '{s}'"))?;
    if !(secs > 0.0 && secs <= 86_400.0) {
        return Err(format!("must be between 0 and 86400 seconds, got {s}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_public_url(s: &str) -> Result<String, String> {
    let rest = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"))
        .ok_or_else(|| format!("expected http://HOST[:PORT] or https://HOST[:PORT], got '{s}'"))?;
    if rest.is_empty() || !s.chars().all(|c| c.is_ascii_graphic()) {
        return Err(format!(
            "'{s}' is not a URL: no host, or spaces or control characters"
        ));
    }
    Ok(s.trim_end_matches('/').to_owned())
}

/// Where `serve` keeps its data unless told otherwise; `crosslink admin` looks there too.
pub(crate) const DEFAULT_DATA_DIR: &str = "./crosslink-data";
/// The admin token's file in the data directory, which `crosslink admin` reads.
pub(crate) const ADMIN_TOKEN_FILE: &str = "admin-token";

/// The admin token in force and how it was found (for the start-up lines).
fn admin_token(args: &ServeArgs) -> anyhow::Result<(String, String)> {
    if let Some(t) = args.admin_token.as_deref().filter(|t| !t.trim().is_empty()) {
        return Ok((
            t.trim().to_owned(),
            "from --admin-token / CROSSLINK_ADMIN_TOKEN".into(),
        ));
    }
    let path = args.data_dir.join(ADMIN_TOKEN_FILE);
    match std::fs::read_to_string(&path) {
        Ok(t) if !t.trim().is_empty() => {
            return Ok((t.trim().to_owned(), format!("in {}", path.display())))
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => bail!("cannot read the admin token from {}: {e}", path.display()),
    }
    let value = AdminToken::generate()?;
    write_private(&path, &value)?;
    Ok((
        value.clone(),
        format!(
            "{value}  (generated now, shown once; saved in {})",
            path.display()
        ),
    ))
}

/// Writes a secret readable by its owner only.
fn write_private(path: &Path, value: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    writeln!(f, "{value}").with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Listeners beyond loopback are said out loud; the admin one needs a token chosen on purpose.
/// An admin token that guards a listener beyond loopback must be hard to guess.
const MIN_EXPOSED_ADMIN_TOKEN: usize = 20;

/// Refuses an admin listener beyond loopback without a token chosen on purpose (and long).
fn check_exposure(args: &ServeArgs) -> anyhow::Result<()> {
    if args.admin_listen.ip().is_loopback() {
        return Ok(());
    }
    match args.admin_token.as_deref().map(str::trim) {
        None | Some("") => bail!(
            "refusing to put the admin API on {} (beyond loopback) without --admin-token or CROSSLINK_ADMIN_TOKEN: \
             it mints tokens for any team, reads every team's events and resets all data",
            args.admin_listen
        ),
        Some(t) if t.len() < MIN_EXPOSED_ADMIN_TOKEN => bail!(
            "refusing to put the admin API on {} (beyond loopback) with an admin token of {} characters: use at least {MIN_EXPOSED_ADMIN_TOKEN} (e.g. `openssl rand -hex 24`)",
            args.admin_listen,
            t.len()
        ),
        Some(_) => Ok(()),
    }
}

/// What becomes reachable from other hosts, named with the addresses actually bound.
fn exposure_warnings(
    args: &ServeArgs,
    do_addr: SocketAddr,
    mp_addr: SocketAddr,
    admin_addr: SocketAddr,
) -> Vec<String> {
    let mut warnings = Vec::new();
    if !admin_addr.ip().is_loopback() {
        warnings.push(format!(
            "WARNING: the admin API listens on {admin_addr}, beyond loopback: whoever has the admin token and reaches this host can mint tokens, read every team's events and reset all data"
        ));
        let who = match args.auth {
            AuthMode::Open => "anyone who reaches this host can sign in to any team or company with any token (--auth open)",
            AuthMode::Strict => "anyone with a minted token or API key who reaches this host can sign in with it",
        };
        warnings.push(format!(
            "WARNING: the web console listens on {admin_addr}, beyond loopback, over plain HTTP: {who}"
        ));
    }
    if !mp_addr.ip().is_loopback() {
        let who = match args.auth {
            AuthMode::Open => "anyone who reaches this host can order and read products with any access key (--auth open)",
            AuthMode::Strict => "anyone with a minted API key who reaches this host can use it",
        };
        warnings.push(format!(
            "WARNING: the Megaport API listens on {mp_addr}, beyond loopback: {who}"
        ));
    }
    if !do_addr.ip().is_loopback() {
        let who = match args.auth {
            AuthMode::Open => "anyone who reaches this host can create and read resources with any token (--auth open)",
            AuthMode::Strict => "anyone with a minted token who reaches this host can use it",
        };
        warnings.push(format!(
            "WARNING: the DigitalOcean API listens on {do_addr}, beyond loopback: {who}{}",
            if args.public_url.is_none() {
                "; set --public-url to the address clients use, for pagination links"
            } else {
                ""
            }
        ));
    }
    warnings
}

fn parse_transition(s: &str) -> Result<(ResourceType, TransitionPolicy), String> {
    let (t, p) = s
        .split_once('=')
        .ok_or_else(|| format!("expected TYPE=POLICY such as vpc_peering=manual, got '{s}'"))?;
    Ok((t.trim().parse()?, p.trim().parse()?))
}

async fn bind(addr: SocketAddr, what: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen for the {what} on {addr}"))
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CROSSLINK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();

    check_exposure(&args)?;
    // The store takes the data directory's lock: a second process on it stops here.
    let store = SqliteStore::open(&args.data_dir)
        .with_context(|| format!("cannot open the data directory {}", args.data_dir.display()))?;
    let (admin_token, admin_token_said) = admin_token(&args)?;
    let control = Control::new(
        Arc::new(store),
        Arc::new(SystemClock),
        args.auth,
        args.default_vpcs,
    );
    control.ensure_built_ins().await?;
    let stored = control.load_policies().await?;
    for (t, policy) in &args.transitions {
        control.set_policy(*t, *policy).await?;
    }
    // We hold the lock, so any lease in the database belonged to a process that is gone.
    let released = control.release_leases().await?;

    let do_listener = bind(args.do_listen, "DigitalOcean API").await?;
    let mp_listener = bind(args.megaport_listen, "Megaport API").await?;
    let admin_listener = bind(args.admin_listen, "admin API").await?;
    let do_addr = do_listener.local_addr()?;
    let mp_addr = mp_listener.local_addr()?;
    let admin_addr = admin_listener.local_addr()?;
    let warnings = exposure_warnings(&args, do_addr, mp_addr, admin_addr);

    // Three listeners share the open-files limit; leave room for the database and the rest.
    let fd_limit = listener::raise_fd_limit();
    let fit = (fd_limit.saturating_sub(64) / 3).max(16) as usize;
    let max_connections = args.max_connections.min(fit);
    let limits = ConnectionLimits {
        header_timeout: args.header_timeout,
        request_timeout: args.request_timeout,
        max_body_bytes: args.max_body_bytes,
        max_connections,
    };

    let api = crosslink_api_digitalocean::router(
        control.clone(),
        ApiConfig {
            per_minute: args.rate_limit_per_minute,
            per_hour: args.rate_limit_per_hour,
            public_url: args
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{do_addr}")),
        },
    );
    let megaport = crosslink_api_megaport::router(control.clone());
    // The console shares the admin listener; its pages act as the signed-in tenant, never
    // with the admin token.
    let admin = crosslink_console::router(control.clone()).merge(admin::router(
        control.clone(),
        AdminToken::new(&admin_token),
    ));
    drop(admin_token);
    let reconciler = tokio::spawn(Reconciler::new(control.clone()).run());
    let netns_prefix = netns_prefix(&args.data_dir);
    let mode = match args.fabric.as_str() {
        "loopback" => Some(crosslink_fabric::Mode::Loopback),
        "netns" => {
            // SAFETY: geteuid has no preconditions.
            if unsafe { libc::geteuid() } != 0 {
                bail!("--fabric netns makes network namespaces and veth pairs: run as root (or use --fabric loopback)");
            }
            Some(crosslink_fabric::Mode::Netns {
                prefix: netns_prefix.clone(),
            })
        }
        _ => None,
    };
    let fabric = mode.map(|mode| {
        let (fabric, reports) = crosslink_fabric::Fabric::new(mode);
        control.set_fabric(fabric.clone());
        let tasks = [
            tokio::spawn(follow(control.clone(), fabric.clone())),
            tokio::spawn(report(control.clone(), reports)),
        ];
        (fabric, tasks)
    });

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let api_task = tokio::spawn(listener::serve(
        do_listener,
        "DigitalOcean API",
        api,
        limits,
        Arc::new(crosslink_api_digitalocean::error_page),
        stop_rx.clone(),
    ));
    let mp_task = tokio::spawn(listener::serve(
        mp_listener,
        "Megaport API",
        megaport,
        limits,
        Arc::new(crosslink_api_megaport::error_page),
        stop_rx.clone(),
    ));
    let admin_task = tokio::spawn(listener::serve(
        admin_listener,
        "admin API",
        admin,
        limits,
        Arc::new(admin::error_page),
        stop_rx,
    ));

    let policies = control
        .policies()
        .iter()
        .map(|(t, p)| {
            let source = if args.transitions.iter().any(|(given, _)| given == t) {
                "set by --transitions, stored"
            } else if stored.contains(t) {
                "stored in the data directory"
            } else {
                "default"
            };
            format!("{t}={p} ({source})")
        })
        .collect::<Vec<_>>()
        .join(", ");
    let auth = match args.auth {
        AuthMode::Open => "open (any bearer token names its own team, any Megaport access key its own company)",
        AuthMode::Strict => "strict (only tokens from `crosslink admin tokens create` and keys from `crosslink admin megaport-keys create`)",
    };
    println!(
        "crosslink {} ready in {} ms\n  DigitalOcean API  http://{do_addr}\n  Megaport API      http://{mp_addr}  (token URL: http://{mp_addr}/oauth2/token)\n  console           http://{admin_addr}/\n  admin             http://{admin_addr}  (health: /_crosslink/health)\n  admin token       {admin_token_said}\n  auth              {auth}\n  data              {} (SQLite, WAL; locked by pid {})\n  transitions       {policies}\n  fabric            {}\n  default VPCs      {}\n  limits            header {:?}, request {:?}, body {} bytes, {max_connections} connections per listener{}",
        env!("CARGO_PKG_VERSION"),
        started.elapsed().as_millis(),
        args.data_dir.display(),
        std::process::id(),
        match args.fabric.as_str() {
            "loopback" => "loopback (each LIVE VXC's BGP session on its own 127.x addresses, TCP-MD5)".to_owned(),
            "netns" => format!("netns (namespaces {netns_prefix}a<n> per attachment router, {netns_prefix}m<n> per MCR; veth with the real /29s)"),
            _ => "off (no BGP sessions; attachments stay CREATED)".to_owned(),
        },
        match args.default_vpcs {
            DefaultVpcs::First => "first (a region's first VPC is its default)",
            DefaultVpcs::Seeded => "seeded (default-<region> made with a region's first VPC)",
        },
        args.header_timeout,
        args.request_timeout,
        args.max_body_bytes,
        if max_connections < args.max_connections {
            format!(" (lowered from {} to fit {fd_limit} open files)", args.max_connections)
        } else {
            String::new()
        },
    );
    if released > 0 {
        println!(
            "  recovered         {released} lifecycle lease(s) of a previous process, released"
        );
    }
    for w in &warnings {
        println!("{w}");
    }

    shutdown_signal().await;
    let _ = stop_tx.send(true);
    reconciler.abort();
    if let Some((fabric, tasks)) = fabric {
        for t in tasks {
            t.abort();
        }
        fabric.shutdown().await;
    }
    let _ = api_task.await;
    let _ = mp_task.await;
    let _ = admin_task.await;
    Ok(())
}

/// The prefix of this data directory's namespaces: stable across restarts (so a restart after
/// a crash sweeps what the dead process left), different for another data directory.
fn netns_prefix(data_dir: &Path) -> String {
    use std::hash::{Hash, Hasher};
    let path = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let mut h = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut h);
    format!("clf{:06x}-", h.finish() & 0xff_ffff)
}

/// Keeps the fabric in step with the database: after every write, and every few seconds (for
/// writes another process made).
async fn follow(control: Arc<Control>, fabric: crosslink_fabric::Fabric) {
    loop {
        match control.fabric_links().await {
            Ok(links) => fabric.apply(links).await,
            Err(e) => tracing::error!(error = %e, "cannot read the fabric's links"),
        }
        tokio::select! {
            _ = control.changes().notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}

/// Turns what the fabric sees into lifecycle observations.
async fn report(
    control: Arc<Control>,
    mut reports: tokio::sync::mpsc::UnboundedReceiver<crosslink_fabric::Report>,
) {
    while let Some(r) = reports.recv().await {
        if let Err(e) = control.fabric_report(r).await {
            tracing::error!(error = %e, "cannot record a BGP session change");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

#[derive(clap::Args)]
pub struct FabricArgs {
    #[command(subcommand)]
    command: FabricCommand,
}

#[derive(clap::Subcommand)]
enum FabricCommand {
    /// Run a program in the namespace of a port (netns mode): the port's VXCs arrive there as
    /// interfaces `vxc<VLAN>`, where your router (BIRD, FRR, GoBGP) configures its addresses.
    Exec {
        /// The data directory of the `serve` whose fabric it is.
        #[arg(long, env = "CROSSLINK_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// The port's product uid.
        port_uid: String,
        /// The program and its arguments, after `--`.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Print the name of a port's namespace (for `ip netns exec`).
    Namespace {
        #[arg(long, env = "CROSSLINK_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        port_uid: String,
    },
}

pub fn fabric(args: FabricArgs) -> anyhow::Result<()> {
    let name = |data_dir: &Path, port: &str| -> anyhow::Result<String> {
        let uid =
            uuid::Uuid::try_parse(port).with_context(|| format!("{port} is not a port uid"))?;
        Ok(crosslink_fabric::port_namespace(
            &netns_prefix(data_dir),
            uid,
        ))
    };
    match args.command {
        FabricCommand::Namespace { data_dir, port_uid } => {
            println!("{}", name(&data_dir, &port_uid)?);
            Ok(())
        }
        FabricCommand::Exec {
            data_dir,
            port_uid,
            command,
        } => {
            let ns = name(&data_dir, &port_uid)?;
            if !Path::new("/run/netns").join(&ns).exists() {
                bail!("no namespace {ns}: is `crosslink serve --fabric netns --data-dir {}` running, with a LIVE VXC on port {port_uid}?", data_dir.display());
            }
            let status = std::process::Command::new("ip")
                .args(["netns", "exec", &ns])
                .args(&command)
                .status()
                .context("cannot run ip netns exec")?;
            if !status.success() {
                bail!("{} exited with {status}", command[0]);
            }
            Ok(())
        }
    }
}
