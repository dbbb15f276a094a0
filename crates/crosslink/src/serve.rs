//! `crosslink serve`: every listener on one data directory, ready in well under a second.

use crate::admin;
use anyhow::Context;
use crosslink_api_digitalocean::ApiConfig;
use crosslink_control::{AuthMode, Control, Reconciler, SystemClock};
use crosslink_domain::vpc::DefaultVpcs;
use crosslink_domain::{ResourceType, TransitionPolicy};
use crosslink_store::SqliteStore;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address of the DigitalOcean API listener.
    #[arg(long, env = "CROSSLINK_DO_LISTEN", default_value = "127.0.0.1:8060")]
    do_listen: SocketAddr,
    /// Address of the admin listener (`/_crosslink/*`).
    #[arg(long, env = "CROSSLINK_ADMIN_LISTEN", default_value = "127.0.0.1:8062")]
    admin_listen: SocketAddr,
    /// Directory of the embedded SQLite database (created if missing).
    #[arg(long, env = "CROSSLINK_DATA_DIR", default_value = "./crosslink-data")]
    data_dir: PathBuf,
    /// `open`: any bearer token names its own team. `strict`: only tokens made with
    /// `crosslink admin tokens create`.
    #[arg(long, env = "CROSSLINK_AUTH", default_value = "open")]
    auth: AuthMode,
    /// Lifecycle timing per resource type, e.g. `vpc_peering=delay:5` or `vpc_peering=manual`
    /// (policies: immediate, delay:SECONDS, manual). Repeatable.
    #[arg(long = "transitions", env = "CROSSLINK_TRANSITIONS", value_delimiter = ',', value_parser = parse_transition)]
    transitions: Vec<(ResourceType, TransitionPolicy)>,
    /// Which VPC is a region's default. `first`: the first one a team creates there, as the API
    /// reference says and a brand-new account behaves (it cannot be deleted). `seeded`: a
    /// `default-<region>` made alongside a team's first VPC in the region, as on an account in
    /// use, so every VPC the user creates can be deleted (`terraform destroy`).
    #[arg(long, env = "CROSSLINK_DEFAULT_VPCS", default_value = "first")]
    default_vpcs: DefaultVpcs,
    /// Requests per sliding minute per token (DigitalOcean: 250); 0 disables.
    #[arg(long, env = "CROSSLINK_RATE_LIMIT_PER_MINUTE", default_value_t = 250)]
    rate_limit_per_minute: u32,
    /// Requests per sliding hour per token (DigitalOcean: 5,000); 0 disables.
    #[arg(long, env = "CROSSLINK_RATE_LIMIT_PER_HOUR", default_value_t = 5000)]
    rate_limit_per_hour: u32,
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

    let store = SqliteStore::open(&args.data_dir)
        .with_context(|| format!("cannot open the data directory {}", args.data_dir.display()))?;
    let control = Control::new(
        Arc::new(store),
        Arc::new(SystemClock),
        args.auth,
        args.default_vpcs,
    );
    for (t, policy) in &args.transitions {
        control.set_policy(*t, *policy).await?;
    }

    let do_listener = bind(args.do_listen, "DigitalOcean API").await?;
    let admin_listener = bind(args.admin_listen, "admin API").await?;
    let do_addr = do_listener.local_addr()?;
    let admin_addr = admin_listener.local_addr()?;

    let api = crosslink_api_digitalocean::router(
        control.clone(),
        ApiConfig {
            per_minute: args.rate_limit_per_minute,
            per_hour: args.rate_limit_per_hour,
        },
    );
    let admin = admin::router(control.clone());
    let reconciler = tokio::spawn(Reconciler::new(control.clone()).run());

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let serve = |listener, router: axum::Router| {
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stop.changed().await;
                })
                .await
        })
    };
    let api_task = serve(do_listener, api);
    let admin_task = serve(admin_listener, admin);

    let policies = control
        .policies()
        .iter()
        .map(|(t, p)| format!("{t}={p}"))
        .collect::<Vec<_>>()
        .join(", ");
    let auth = match args.auth {
        AuthMode::Open => "open (any bearer token names its own team)",
        AuthMode::Strict => "strict (only tokens from `crosslink admin tokens create`)",
    };
    println!(
        "crosslink {} ready in {} ms\n  DigitalOcean API  http://{do_addr}\n  admin             http://{admin_addr}  (health: /_crosslink/health)\n  auth              {auth}\n  data              {} (SQLite, WAL)\n  transitions       {policies}\n  default VPCs      {}",
        env!("CARGO_PKG_VERSION"),
        started.elapsed().as_millis(),
        args.data_dir.display(),
        match args.default_vpcs {
            DefaultVpcs::First => "first (a region's first VPC is its default)",
            DefaultVpcs::Seeded => "seeded (default-<region> made with a region's first VPC)",
        },
    );

    shutdown_signal().await;
    let _ = stop_tx.send(true);
    reconciler.abort();
    let _ = api_task.await;
    let _ = admin_task.await;
    Ok(())
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
