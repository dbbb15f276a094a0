//! `crosslink megaport ports list|get|buy`.

use super::{done, Ctx};
use crate::cli::table::Column;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use crosslink_api_megaport::wire::{Product, ProductConfirmation};
use serde::Serialize;
use serde_json::json;

#[derive(Args)]
pub struct PortsArgs {
    #[command(subcommand)]
    command: PortsCommand,
}

#[derive(Subcommand)]
enum PortsCommand {
    /// List the company's ports.
    #[command(visible_alias = "ls")]
    List {
        /// Include CANCELLED, DECOMMISSIONING and DECOMMISSIONED ports.
        #[arg(long)]
        include_inactive: bool,
    },
    /// Show one port.
    #[command(visible_alias = "show")]
    Get {
        /// The port's product UID.
        uid: String,
    },
    /// Order a port (`POST /v4/networkdesign/buy`).
    Buy {
        /// Name, 1 to 64 characters.
        #[arg(long)]
        name: String,
        /// Location ID (`crosslink megaport locations list`).
        #[arg(long)]
        location_id: u32,
        /// Speed in Mbps: 1000, 10000 or 100000.
        #[arg(long)]
        port_speed: u32,
        /// Contract term in months: 1, 12, 24, 36, 48 or 60.
        #[arg(long)]
        term: u32,
        /// red or blue (default: red).
        #[arg(long)]
        diversity_zone: Option<String>,
        /// Show the port in the Megaport marketplace (default: the server's, visible).
        #[arg(
            long,
            num_args = 0..=1,
            default_missing_value = "true",
            value_parser = clap::builder::BoolishValueParser::new()
        )]
        marketplace_visibility: Option<bool>,
    },
}

/// megaport-cli's `portOutput`.
#[derive(Serialize)]
struct PortOut {
    uid: String,
    name: String,
    location_id: u32,
    port_speed: u32,
    provisioning_status: String,
}

impl From<Product> for PortOut {
    fn from(p: Product) -> Self {
        PortOut {
            uid: p.product_uid,
            name: p.product_name,
            location_id: p.location_id,
            port_speed: p.port_speed,
            provisioning_status: p.provisioning_status,
        }
    }
}

const COLUMNS: &[Column<PortOut>] = &[
    Column::new("UID", |p| p.uid.clone()),
    Column::new("Name", |p| p.name.clone()),
    Column::new("Location ID", |p| p.location_id.to_string()),
    Column::new("Speed", |p| p.port_speed.to_string()),
    Column::new("Status", |p| p.provisioning_status.clone()),
];

pub fn run(ctx: &Ctx, args: PortsArgs) -> Result<()> {
    let port = |uid: &str| ctx.product(uid, "MEGAPORT", "a port");
    match args.command {
        PortsCommand::List { include_inactive } => {
            let rows: Vec<PortOut> = ctx.product_rows("MEGAPORT", include_inactive)?;
            ctx.show(COLUMNS, &rows)
        }
        PortsCommand::Get { uid } => ctx.show(COLUMNS, &[port(&uid)?.into()]),
        PortsCommand::Buy {
            name,
            location_id,
            port_speed,
            term,
            diversity_zone,
            marketplace_visibility,
        } => {
            let mut order = json!({
                "productName": name,
                "term": term,
                "productType": "MEGAPORT",
                "portSpeed": port_speed,
                "locationId": location_id,
                "createDate": 0,
                "virtual": false,
                "config": {},
            });
            if let Some(v) = marketplace_visibility {
                order["marketplaceVisibility"] = json!(v);
            }
            if let Some(z) = diversity_zone {
                order["config"]["diversityZone"] = json!(z);
            }
            let confirmed: Vec<ProductConfirmation> = ctx.buy(order)?;
            let uid = confirmed
                .first()
                .map(|c| c.technical_service_uid.clone())
                .context("the order was accepted but confirmed no port")?;
            done(&format!("Port created {uid}"));
            ctx.show(COLUMNS, &[port(&uid)?.into()])
        }
    }
}
