//! `crosslink megaport locations list`: `GET /v3/locations` without credentials.

use super::Ctx;
use crate::cli::table::Column;
use anyhow::Result;
use clap::{Args, Subcommand};
use crosslink_api_megaport::wire::{LocationV3, ZoneOffer};
use serde::Serialize;

#[derive(Args)]
pub struct LocationsArgs {
    #[command(subcommand)]
    command: LocationsCommand,
}

#[derive(Subcommand)]
enum LocationsCommand {
    /// List locations.
    #[command(visible_alias = "ls")]
    List {
        /// Only this metro, e.g. "New York" (case-insensitive).
        #[arg(long)]
        metro: Option<String>,
    },
}

/// megaport-cli's `locationOutput`.
#[derive(Serialize)]
struct LocationOut {
    id: u32,
    name: String,
    country: String,
    metro: String,
    market: String,
    latitude: f64,
    longitude: f64,
    status: String,
    data_centre_name: String,
    data_centre_id: u32,
    mcr_available: bool,
    mve_available: bool,
    cross_connect_available: bool,
    cross_connect_type: String,
    ordering_message: String,
}

fn zones(l: &LocationV3) -> impl Iterator<Item = &ZoneOffer> {
    [&l.diversity_zones.red, &l.diversity_zones.blue]
        .into_iter()
        .flatten()
}

impl From<LocationV3> for LocationOut {
    fn from(l: LocationV3) -> Self {
        let cross = &l.product_add_ons["crossConnect"];
        let cross_connect_available = cross["available"].as_bool().unwrap_or(false);
        let cross_connect_type = cross["type"].as_str().unwrap_or_default().to_owned();
        let mcr_available = zones(&l).any(|z| !z.mcr_speed_mbps.is_empty());
        let mve_available = zones(&l).any(|z| z.mve_available);
        LocationOut {
            mcr_available,
            mve_available,
            cross_connect_available,
            cross_connect_type,
            id: l.id,
            name: l.name,
            country: l.address.country,
            metro: l.metro,
            market: l.market,
            latitude: l.latitude,
            longitude: l.longitude,
            status: l.status,
            data_centre_name: l.data_centre.name,
            data_centre_id: l.data_centre.id,
            ordering_message: l.ordering_message.unwrap_or_default(),
        }
    }
}

/// megaport-cli's `locationTableOutput`.
const COLUMNS: &[Column<LocationOut>] = &[
    Column::new("ID", |l| l.id.to_string()),
    Column::new("Name", |l| l.name.clone()),
    Column::new("Country", |l| l.country.clone()),
    Column::new("Metro", |l| l.metro.clone()),
    Column::new("Status", |l| l.status.clone()),
    Column::new("MCR Available", |l| l.mcr_available.to_string()),
    Column::new("MVE Available", |l| l.mve_available.to_string()),
];

pub fn run(ctx: &Ctx, args: LocationsArgs) -> Result<()> {
    match args.command {
        LocationsCommand::List { metro } => {
            let all: Vec<LocationV3> = ctx.get("/v3/locations")?;
            let rows: Vec<LocationOut> = all
                .into_iter()
                .filter(|l| {
                    metro
                        .as_deref()
                        .is_none_or(|m| l.metro.eq_ignore_ascii_case(m.trim()))
                })
                .map(LocationOut::from)
                .collect();
            ctx.show(COLUMNS, &rows)
        }
    }
}
