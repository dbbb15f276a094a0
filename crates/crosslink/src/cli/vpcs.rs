//! `crosslink vpcs`: doctl's `vpcs` commands against `/v2/vpcs`.

use super::table::{go_time, Column, View};
use super::{confirm_delete, peerings, Ctx, Global, ListFlags, Output};
use anyhow::Result;
use clap::{Args, Subcommand};
use crosslink_api_digitalocean::wire::{
    percent_encode, Vpc, VpcCreateRequest, VpcRoot, VpcUpdateRequest, VpcsPage,
};

#[derive(Args)]
pub struct VpcsArgs {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: VpcsCommand,
}

impl VpcsArgs {
    pub(super) fn output(&self) -> Output {
        self.global.output
    }
}

#[derive(Subcommand)]
enum VpcsCommand {
    /// Show one VPC.
    #[command(visible_alias = "g")]
    Get {
        /// The VPC's ID.
        vpc_id: String,
        #[command(flatten)]
        list: ListFlags,
    },
    /// List every VPC of the team (all pages).
    #[command(visible_alias = "ls")]
    List {
        #[command(flatten)]
        list: ListFlags,
    },
    /// Create a VPC.
    #[command(visible_alias = "c")]
    Create {
        /// Name: letters, digits, `-` and `.`.
        #[arg(long)]
        name: String,
        /// Region slug, e.g. nyc1.
        #[arg(long)]
        region: String,
        /// Free text, at most 255 characters.
        #[arg(long)]
        description: Option<String>,
        /// RFC 1918 CIDR, /16../28; omitted: the server picks a free /20.
        #[arg(long)]
        ip_range: Option<String>,
    },
    /// Change a VPC's name, description or default flag (PATCH with only the flags given).
    #[command(visible_alias = "u")]
    Update {
        /// The VPC's ID.
        vpc_id: String,
        /// New name: letters, digits, `-` and `.`.
        #[arg(long)]
        name: Option<String>,
        /// New description, at most 255 characters.
        #[arg(long)]
        description: Option<String>,
        /// Make this the region's default VPC. Unlike doctl, `--default=false` sends
        /// `"default": false` (doctl sends true for any use of the flag).
        #[arg(
            long,
            num_args = 0..=1,
            require_equals = true,
            default_missing_value = "true",
            value_parser = clap::builder::BoolishValueParser::new()
        )]
        default: Option<bool>,
    },
    /// Delete a VPC.
    #[command(visible_aliases = ["d", "rm"])]
    Delete {
        /// The VPC's ID.
        vpc_id: String,
        /// Do not ask for confirmation.
        #[arg(short, long)]
        force: bool,
    },
    /// VPC peerings.
    Peerings(peerings::PeeringsArgs),
}

const COLUMNS: &[Column<Vpc>] = &[
    Column::new("ID", |v| v.id.clone()),
    Column::new("URN", |v| v.urn.clone()),
    Column::new("Name", |v| v.name.clone()),
    Column::new("Description", |v| v.description.clone()),
    Column::titled("IPRange", "IP Range", |v| v.ip_range.clone()),
    Column::new("Region", |v| v.region.clone()),
    Column::titled("Created", "Created At", |v| go_time(&v.created_at)),
    Column::new("Default", |v| v.default.to_string()),
];

fn vpc_url(ctx: &Ctx, id: &str) -> String {
    ctx.api.url(&format!("/v2/vpcs/{}", percent_encode(id)))
}

pub fn run(args: VpcsArgs) -> Result<()> {
    let ctx = Ctx::new(args.global)?;
    let one = |v: Vpc, view: View| ctx.show(COLUMNS, &[v], &view);
    match args.command {
        VpcsCommand::Get { vpc_id, list } => {
            let url = vpc_url(&ctx, &vpc_id);
            let root: VpcRoot = ctx.api.json("GET", &url, None::<&()>)?;
            one(root.vpc, list.into())
        }
        VpcsCommand::List { list } => {
            let vpcs = ctx.all_pages("/v2/vpcs", |p: VpcsPage| (p.vpcs, p.links))?;
            ctx.show(COLUMNS, &vpcs, &list.into())
        }
        VpcsCommand::Create {
            name,
            region,
            description,
            ip_range,
        } => {
            let body = VpcCreateRequest {
                name,
                region,
                description,
                ip_range,
            };
            let root: VpcRoot = ctx
                .api
                .json("POST", &ctx.api.url("/v2/vpcs"), Some(&body))?;
            one(root.vpc, View::default())
        }
        VpcsCommand::Update {
            vpc_id,
            name,
            description,
            default,
        } => {
            let body = VpcUpdateRequest {
                name,
                description,
                default,
            };
            let url = vpc_url(&ctx, &vpc_id);
            let root: VpcRoot = ctx.api.json("PATCH", &url, Some(&body))?;
            one(root.vpc, View::default())
        }
        VpcsCommand::Delete { vpc_id, force } => {
            confirm_delete("VPC", force)?;
            let url = vpc_url(&ctx, &vpc_id);
            ctx.api.call("DELETE", &url, None)?;
            Ok(())
        }
        VpcsCommand::Peerings(p) => peerings::run(&ctx, p),
    }
}
