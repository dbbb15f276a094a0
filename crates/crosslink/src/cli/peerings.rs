//! `crosslink vpcs peerings`: doctl's peering commands against `/v2/vpc_peerings`.

use super::table::{go_time, Column, View};
use super::{confirm_delete, wait_for_deletion, wait_for_state, Ctx, ListFlags, Wait};
use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use crosslink_api_digitalocean::wire::{
    percent_encode, VpcPeering, VpcPeeringCreateRequest, VpcPeeringRoot, VpcPeeringUpdateRequest,
    VpcPeeringsPage,
};

#[derive(Args)]
pub struct PeeringsArgs {
    #[command(subcommand)]
    command: PeeringsCommand,
}

#[derive(Subcommand)]
enum PeeringsCommand {
    /// Show one VPC peering.
    #[command(visible_alias = "g")]
    Get {
        /// The VPC peering's ID.
        peering_id: String,
        #[command(flatten)]
        list: ListFlags,
    },
    /// List VPC peerings (all pages), or only one VPC's with --vpc-id.
    #[command(visible_alias = "ls")]
    List {
        /// Only the peerings of this VPC.
        #[arg(long)]
        vpc_id: Option<String>,
        #[command(flatten)]
        list: ListFlags,
    },
    /// Peer two VPCs.
    #[command(visible_alias = "c")]
    Create {
        /// Name of the peering: letters, digits and `-`.
        name: String,
        /// The two VPC ids to peer, comma separated.
        #[arg(long, value_delimiter = ',', required = true)]
        vpc_ids: Vec<String>,
        #[command(flatten)]
        wait: Wait,
    },
    /// Rename a VPC peering.
    #[command(visible_alias = "u")]
    Update {
        /// The VPC peering's ID.
        peering_id: String,
        /// New name: letters, digits and `-`.
        #[arg(long)]
        name: String,
    },
    /// Delete a VPC peering.
    #[command(visible_aliases = ["d", "rm"])]
    Delete {
        /// The VPC peering's ID.
        peering_id: String,
        /// Do not ask for confirmation.
        #[arg(short, long)]
        force: bool,
        #[command(flatten)]
        wait: Wait,
    },
}

const COLUMNS: &[Column<VpcPeering>] = &[
    Column::new("ID", |p| p.id.clone()),
    Column::new("Name", |p| p.name.clone()),
    Column::titled("VPCIDs", "VPC IDs", |p| p.vpc_ids.join(",")),
    Column::new("Status", |p| p.status.clone()),
    Column::titled("Created", "Created At", |p| go_time(&p.created_at)),
];

fn peering_url(ctx: &Ctx, id: &str) -> String {
    ctx.api
        .url(&format!("/v2/vpc_peerings/{}", percent_encode(id)))
}

fn get(ctx: &Ctx, id: &str) -> Result<VpcPeering> {
    let root: VpcPeeringRoot = ctx.api.json("GET", &peering_url(ctx, id), None::<&()>)?;
    Ok(root.vpc_peering)
}

pub fn run(ctx: &Ctx, args: PeeringsArgs) -> Result<()> {
    match args.command {
        PeeringsCommand::Get { peering_id, list } => {
            ctx.show(COLUMNS, &[get(ctx, &peering_id)?], &list.into())
        }
        PeeringsCommand::List { vpc_id, list } => {
            // The per-VPC route also answers the spec's `peerings`; godo reads `vpc_peerings`.
            let path = match vpc_id {
                Some(id) => format!("/v2/vpcs/{}/peerings", percent_encode(&id)),
                None => "/v2/vpc_peerings".to_owned(),
            };
            let all = ctx.all_pages(&path, |p: VpcPeeringsPage| (p.vpc_peerings, p.links))?;
            ctx.show(COLUMNS, &all, &list.into())
        }
        PeeringsCommand::Create {
            name,
            vpc_ids,
            wait,
        } => {
            if vpc_ids.len() != 2 || vpc_ids.iter().any(|id| id.trim().is_empty()) {
                bail!(
                    "--vpc-ids needs exactly 2 VPC ids separated by a comma, got {}",
                    vpc_ids.len()
                );
            }
            let body = VpcPeeringCreateRequest { name, vpc_ids };
            let url = ctx.api.url("/v2/vpc_peerings");
            let mut peering = ctx
                .api
                .json::<VpcPeeringRoot>("POST", &url, Some(&body))?
                .vpc_peering;
            if wait.wait {
                let id = peering.id.clone();
                peering = wait_for_state(
                    "VPC peering",
                    &id,
                    "ACTIVE",
                    wait.wait_interval,
                    || get(ctx, &id),
                    |p| &p.status,
                )?;
            }
            ctx.show(COLUMNS, &[peering], &View::default())
        }
        PeeringsCommand::Update { peering_id, name } => {
            let body = VpcPeeringUpdateRequest { name };
            let url = peering_url(ctx, &peering_id);
            let root: VpcPeeringRoot = ctx.api.json("PATCH", &url, Some(&body))?;
            ctx.show(COLUMNS, &[root.vpc_peering], &View::default())
        }
        PeeringsCommand::Delete {
            peering_id,
            force,
            wait,
        } => {
            confirm_delete("VPC Peering", force)?;
            ctx.api
                .call("DELETE", &peering_url(ctx, &peering_id), None)?;
            if wait.wait {
                wait_for_deletion(
                    "VPC peering",
                    wait.wait_interval,
                    || get(ctx, &peering_id),
                    |p| &p.status,
                )?;
            }
            Ok(())
        }
    }
}
