//! `crosslink admin tokens create`: mints an API token on the admin listener.

use super::flag_or_env;
use super::http::Api;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

// The environment is read in `run`, not with clap's `env`: clap would list a value taken from
// the environment in the usage line of an error, as if the flag were required.
#[derive(Args)]
pub struct AdminArgs {
    /// Base URL of crosslink's admin API (`serve --admin-listen`).
    /// Default: $CROSSLINK_ADMIN_URL, else http://127.0.0.1:8062.
    #[arg(long, global = true)]
    admin_url: Option<String>,
    /// The admin token. Default: $CROSSLINK_ADMIN_TOKEN, else read from DATA_DIR/admin-token.
    #[arg(long, global = true)]
    admin_token: Option<String>,
    /// The server's data directory, where its admin token is kept.
    /// Default: $CROSSLINK_DATA_DIR, else ./crosslink-data.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Print each request's method, URL and status to stderr.
    #[arg(long, global = true)]
    trace: bool,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// API tokens for `serve --auth strict`.
    Tokens {
        #[command(subcommand)]
        command: TokensCommand,
    },
    /// Megaport API keys (a company's access key and secret) for `serve --auth strict`.
    MegaportKeys {
        #[command(subcommand)]
        command: MegaportKeysCommand,
    },
}

#[derive(Subcommand)]
enum MegaportKeysCommand {
    /// Create a company with an API key pair; prints `ACCESS_KEY SECRET_KEY COMPANY_UID`
    /// (the secret is shown this once).
    Create {
        /// The company's name.
        #[arg(long)]
        company: String,
    },
}

#[derive(Subcommand)]
enum TokensCommand {
    /// Create a token and print its value (shown this once; only a hash is stored).
    Create {
        /// The team (tenant) the token acts for.
        #[arg(long)]
        team: String,
        /// A label for the token.
        #[arg(long)]
        name: String,
        /// DigitalOcean scopes, comma separated, e.g. vpc:read,vpc_peering:create.
        /// Omitted: every scope.
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<String>,
    },
}

#[derive(Serialize)]
struct NewToken {
    team: String,
    name: String,
    scopes: Vec<String>,
}

#[derive(Deserialize)]
struct Created {
    token: CreatedToken,
}

#[derive(Deserialize)]
struct CreatedToken {
    value: String,
}

pub fn run(args: AdminArgs) -> Result<()> {
    let token = match flag_or_env(args.admin_token, "CROSSLINK_ADMIN_TOKEN")
        .filter(|t| !t.trim().is_empty())
    {
        Some(t) => t.trim().to_owned(),
        None => {
            let data_dir = args
                .data_dir
                .or_else(|| {
                    std::env::var_os("CROSSLINK_DATA_DIR")
                        .filter(|d| !d.is_empty())
                        .map(PathBuf::from)
                })
                .unwrap_or_else(|| PathBuf::from(crate::serve::DEFAULT_DATA_DIR));
            let path = data_dir.join(crate::serve::ADMIN_TOKEN_FILE);
            std::fs::read_to_string(&path)
                .map(|t| t.trim().to_owned())
                .with_context(|| {
                    format!(
                        "no admin token: pass --admin-token (or CROSSLINK_ADMIN_TOKEN), or --data-dir of the server to read {}",
                        path.display()
                    )
                })?
        }
    };
    // Minting is not idempotent: a retried POST could mint twice, so no retries here.
    let admin_url = flag_or_env(args.admin_url, "CROSSLINK_ADMIN_URL");
    let admin_url = admin_url.as_deref().unwrap_or("http://127.0.0.1:8062");
    let api = Api::new(admin_url, Some(token), 0, args.trace)?;
    match args.command {
        AdminCommand::Tokens {
            command: TokensCommand::Create { team, name, scopes },
        } => {
            let body = NewToken {
                team,
                name,
                scopes: scopes.into_iter().filter(|s| !s.is_empty()).collect(),
            };
            let created: Created = api.json("POST", &api.url("/_crosslink/tokens"), Some(&body))?;
            println!("{}", created.token.value);
            Ok(())
        }
        AdminCommand::MegaportKeys {
            command: MegaportKeysCommand::Create { company },
        } => {
            let created: serde_json::Value = api.json(
                "POST",
                &api.url("/_crosslink/megaport/api_keys"),
                Some(&serde_json::json!({ "company": company })),
            )?;
            let k = &created["api_key"];
            println!(
                "{} {} {}",
                k["access_key"].as_str().unwrap_or_default(),
                k["secret_key"].as_str().unwrap_or_default(),
                k["company_uid"].as_str().unwrap_or_default()
            );
            Ok(())
        }
    }
}
