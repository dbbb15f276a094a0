//! `crosslink admin tokens create`: mints an API token on the admin listener.

use super::http::Api;
use anyhow::Result;
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};

#[derive(Args)]
pub struct AdminArgs {
    /// Base URL of crosslink's admin API (unauthenticated: keep it on loopback).
    #[arg(
        long,
        env = "CROSSLINK_ADMIN_URL",
        default_value = "http://127.0.0.1:8062",
        global = true
    )]
    admin_url: String,
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
    // Minting is not idempotent: a retried POST could mint twice, so no retries here.
    let api = Api::new(&args.admin_url, None, 0, args.trace)?;
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
    }
}
