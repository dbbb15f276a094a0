//! `crosslink megaport mcr list|get|buy|update|delete|restore`.

use super::{deleted, done, Ctx};
use crate::cli::confirm_delete;
use crate::cli::table::Column;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use crosslink_api_digitalocean::wire::percent_encode;
use crosslink_api_megaport::wire::{Product, ProductConfirmation};
use serde::Serialize;
use serde_json::{json, Map, Value};

#[derive(Args)]
pub struct McrArgs {
    #[command(subcommand)]
    command: McrCommand,
}

#[derive(Subcommand)]
enum McrCommand {
    /// List the company's MCRs.
    #[command(visible_alias = "ls")]
    List {
        /// Include CANCELLED, DECOMMISSIONING and DECOMMISSIONED MCRs.
        #[arg(long)]
        include_inactive: bool,
    },
    /// Show one MCR.
    #[command(visible_alias = "show")]
    Get {
        /// The MCR's product UID.
        uid: String,
    },
    /// Order an MCR (`POST /v4/networkdesign/buy`).
    Buy {
        /// Name, 1 to 64 characters.
        #[arg(long)]
        name: String,
        /// Location ID (`crosslink megaport locations list`).
        #[arg(long)]
        location_id: u32,
        /// Speed in Mbps: 1000, 2500, 5000, 10000, 25000, 50000 or 100000.
        #[arg(long)]
        port_speed: u32,
        /// Contract term in months: 1, 12, 24, 36, 48 or 60.
        #[arg(long)]
        term: u32,
        /// The MCR's BGP ASN (default: the server's, 133937).
        #[arg(long)]
        mcr_asn: Option<u32>,
        /// red or blue (default: red).
        #[arg(long)]
        diversity_zone: Option<String>,
        /// Cost centre for billing.
        #[arg(long)]
        cost_centre: Option<String>,
    },
    /// Change an MCR's name, cost centre or term.
    Update {
        /// The MCR's product UID.
        uid: String,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        /// New cost centre.
        #[arg(long)]
        cost_centre: Option<String>,
        /// New contract term in months.
        #[arg(long)]
        term: Option<u32>,
    },
    /// Cancel an MCR (and its VXCs): at the end of the term, or with --now at once.
    #[command(visible_alias = "rm")]
    Delete {
        /// The MCR's product UID.
        uid: String,
        /// Delete at once instead of at the end of the billing period.
        #[arg(long)]
        now: bool,
        /// Do not ask for confirmation.
        #[arg(short, long)]
        force: bool,
    },
    /// Restore a cancelled MCR that is not yet decommissioned.
    Restore {
        /// The MCR's product UID.
        uid: String,
    },
}

/// megaport-cli's `mcrOutput`.
#[derive(Serialize)]
struct McrOut {
    uid: String,
    name: String,
    location_id: u32,
    provisioning_status: String,
    asn: u64,
    speed: u32,
}

impl From<Product> for McrOut {
    fn from(p: Product) -> Self {
        McrOut {
            asn: p.resources["virtual_router"]["mcrAsn"]
                .as_u64()
                .unwrap_or_default(),
            uid: p.product_uid,
            name: p.product_name,
            location_id: p.location_id,
            provisioning_status: p.provisioning_status,
            speed: p.port_speed,
        }
    }
}

const COLUMNS: &[Column<McrOut>] = &[
    Column::new("UID", |m| m.uid.clone()),
    Column::new("Name", |m| m.name.clone()),
    Column::new("Location ID", |m| m.location_id.to_string()),
    Column::new("Status", |m| m.provisioning_status.clone()),
    Column::new("ASN", |m| m.asn.to_string()),
    Column::new("Speed", |m| m.speed.to_string()),
];

pub fn run(ctx: &Ctx, args: McrArgs) -> Result<()> {
    let mcr = |uid: &str| ctx.product(uid, "MCR2", "an MCR");
    match args.command {
        McrCommand::List { include_inactive } => {
            let rows: Vec<McrOut> = ctx.product_rows("MCR2", include_inactive)?;
            ctx.show(COLUMNS, &rows)
        }
        McrCommand::Get { uid } => ctx.show(COLUMNS, &[mcr(&uid)?.into()]),
        McrCommand::Buy {
            name,
            location_id,
            port_speed,
            term,
            mcr_asn,
            diversity_zone,
            cost_centre,
        } => {
            // megaportgo's MCROrder: no mcrAsn (the server's default) unless asked for.
            let mut config = Map::new();
            if let Some(asn) = mcr_asn {
                config.insert("mcrAsn".into(), json!(asn));
            }
            if let Some(z) = diversity_zone {
                config.insert("diversityZone".into(), json!(z));
            }
            let order = json!({
                "locationId": location_id,
                "productName": name,
                "term": term,
                "productType": "MCR2",
                "portSpeed": port_speed,
                "costCentre": cost_centre.unwrap_or_default(),
                "config": config,
            });
            let confirmed: Vec<ProductConfirmation> = ctx.buy(order)?;
            let uid = confirmed
                .first()
                .map(|c| c.technical_service_uid.clone())
                .context("the order was accepted but confirmed no MCR")?;
            done(&format!("MCR created {uid}"));
            ctx.show(COLUMNS, &[mcr(&uid)?.into()])
        }
        McrCommand::Update {
            uid,
            name,
            cost_centre,
            term,
        } => {
            let mut body = Map::new();
            if let Some(n) = name {
                body.insert("name".into(), json!(n));
            }
            if let Some(c) = cost_centre {
                body.insert("costCentre".into(), json!(c));
            }
            if let Some(t) = term {
                body.insert("term".into(), json!(t));
            }
            if body.is_empty() {
                bail!("nothing to update: give --name, --cost-centre or --term");
            }
            mcr(&uid)?;
            let path = format!("/v2/product/mcr2/{}", percent_encode(&uid));
            let updated: Product = ctx.call("PUT", &path, Some(&Value::Object(body)))?;
            done(&format!("MCR updated {uid}"));
            ctx.show(COLUMNS, &[updated.into()])
        }
        McrCommand::Delete { uid, now, force } => {
            mcr(&uid)?;
            confirm_delete("MCR", force)?;
            ctx.action(&uid, if now { "CANCEL_NOW" } else { "CANCEL" })?;
            deleted("MCR", &uid, now);
            Ok(())
        }
        McrCommand::Restore { uid } => {
            mcr(&uid)?;
            ctx.action(&uid, "UN_CANCEL")?;
            done(&format!("MCR restored {uid}"));
            Ok(())
        }
    }
}
