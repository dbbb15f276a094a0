//! `crosslink`: the server (`serve`), the doctl-style client, and the standalone BGP router.

use clap::{Parser, Subcommand};

mod admin;
mod cli;
mod listener;
mod router;
mod serve;

#[derive(Parser)]
#[command(
    name = "crosslink",
    version,
    about = "A self-hostable twin of private cloud networking: the DigitalOcean API (VPCs, peerings, partner attachments), the Megaport API (ports, MCRs, VXCs, service keys), real BGP between them, a web console with both vendors' pages, doctl- and megaport-cli-style clients, and a standalone BGP speaker"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API servers (DigitalOcean API, Megaport API, admin) and the fabric on one data
    /// directory.
    Serve(serve::ServeArgs),
    /// Run one standalone BGP speaker, e.g. as the on-premises router beside crosslink.
    Router(router::RouterArgs),
    /// doctl-style client: VPCs and VPC peerings (`crosslink vpcs --help`).
    Vpcs(cli::VpcsArgs),
    /// doctl-style client: partner attachments (`crosslink network attachment --help`).
    Network(cli::NetworkArgs),
    /// megaport-cli-style client for the Megaport API (`crosslink megaport --help`).
    Megaport(cli::MegaportArgs),
    /// Admin client for a running crosslink, e.g. `admin tokens create`.
    Admin(cli::AdminArgs),
    /// The fabric of a `serve --fabric netns` on this machine, e.g. run your own router in a
    /// port's namespace: `crosslink fabric exec <port-uid> -- bird -c bird.conf`.
    Fabric(serve::FabricArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Router(args) => router::run(args).await,
            Command::Vpcs(args) => cli::vpcs(args),
            Command::Network(args) => cli::network(args),
            Command::Megaport(args) => cli::megaport(args),
            Command::Admin(args) => cli::admin(args),
            Command::Fabric(args) => serve::fabric(args),
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("Error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
