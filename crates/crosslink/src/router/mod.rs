//! `crosslink router`: one standalone BGP speaker, configured by flags and/or a TOML file, that
//! prints session and route changes as they happen.

mod config;
mod daemon;
mod output;

use std::path::PathBuf;

pub use config::{plan, Flags};

/// Exit code for a configuration the router refuses to start with (as clap uses for bad flags).
const EXIT_CONFIG: i32 = 2;

#[derive(clap::Args, Debug)]
#[command(after_help = NEIGHBOR_HELP)]
pub struct RouterArgs {
    /// TOML file with the same settings (flags given as well override it).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Local AS number: 64532, AS64532, or asdot 2.4464.
    #[arg(long, value_name = "ASN")]
    asn: Option<String>,
    /// BGP identifier (IPv4); defaults to the IPv4 listen or first neighbor local address.
    #[arg(long, value_name = "IPV4")]
    router_id: Option<String>,
    /// Where to accept BGP connections [default: 0.0.0.0:179].
    #[arg(long, value_name = "ADDR:PORT", conflicts_with = "no_listen")]
    listen: Option<String>,
    /// Accept no connections; every neighbor connects actively.
    #[arg(long)]
    no_listen: bool,
    /// A BGP neighbor: ADDRESS,asn=ASN[,KEY=VALUE|FLAG]... (repeatable; keys below).
    #[arg(long = "neighbor", value_name = "SPEC")]
    neighbors: Vec<String>,
    /// A prefix to originate to every neighbor (repeatable).
    #[arg(long = "announce", value_name = "PREFIX")]
    announce: Vec<String>,
    /// A file of prefixes to originate, one per line (`#` starts a comment).
    #[arg(long, value_name = "FILE")]
    announce_file: Option<PathBuf>,
    /// Install the best routes learned from neighbors into the kernel (removed on exit).
    #[arg(long)]
    fib: bool,
    /// How to print events.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// No line per route; print the Loc-RIB size instead (at most every 100 ms while it
    /// changes, stamped with the time it was reached) — for big tables and benchmarks.
    #[arg(long)]
    quiet_routes: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Readable lines: `14:02:11 neighbor 169.254.0.6 AS133937: OpenConfirm -> Established`.
    Text,
    /// One JSON object per line.
    Json,
}

const NEIGHBOR_HELP: &str = "\
Neighbor keys (--neighbor ADDRESS,asn=ASN,...):
  asn=ASN              the neighbor's AS (required)
  port=PORT            TCP port to connect to [179]
  local=ADDR           source address of the session
  password-file=PATH   TCP-MD5 password, read from a file (trailing newline ignored)
  password-env=VAR     TCP-MD5 password, read from an environment variable
  passive              wait for the neighbor to connect
  disabled             configure the neighbor but keep the session down
  hold=SECONDS         proposed hold time, 0 or 3..65535 [90]
  connect-retry=SECS   seconds between connection attempts [5]
  ttl=N                IP TTL of the session [1 for eBGP]
  import=ENTRIES       prefix list for received routes, entries separated by `;`
                       e.g. import=permit 10.0.0.0/8 le 24;deny 0.0.0.0/0 le 32
  export=ENTRIES       prefix list for announced routes, same syntax
  max-prefix=N         tear the session down above N accepted prefixes
                       (`max-prefix=N warning-only` only warns)
Passwords are never accepted as plain flags (they would show in `ps`); in a --config file,
`password = \"...\"` is allowed.";

impl RouterArgs {
    fn flags(&self) -> Flags {
        Flags {
            config: self.config.clone(),
            asn: self.asn.clone(),
            router_id: self.router_id.clone(),
            listen: self.listen.clone(),
            no_listen: self.no_listen,
            neighbors: self.neighbors.clone(),
            announce: self.announce.clone(),
            announce_file: self.announce_file.clone(),
            fib: self.fib,
        }
    }
}

pub async fn run(args: RouterArgs) -> anyhow::Result<()> {
    let plan = match plan(&args.flags()) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("Error: {e}");
            std::process::exit(EXIT_CONFIG);
        }
    };
    daemon::run(plan, args.output, args.quiet_routes).await
}
