//! `crosslink megaport servicekeys list|get|create|update` against `/v2/service/key`.

use super::{done, parse_time, rfc3339, Ctx};
use crate::cli::table::Column;
use anyhow::Result;
use clap::{Args, Subcommand};
use crosslink_api_digitalocean::wire::percent_encode;
use crosslink_api_megaport::wire::ServiceKey;
use serde::Serialize;
use serde_json::{json, Map, Value};

#[derive(Args)]
pub struct ServiceKeysArgs {
    #[command(subcommand)]
    command: ServiceKeysCommand,
}

#[derive(Subcommand)]
enum ServiceKeysCommand {
    /// List the company's service keys.
    #[command(visible_alias = "ls")]
    List {
        /// Only the keys of this product.
        #[arg(long)]
        product_uid: Option<String>,
    },
    /// Show one service key (also another company's, as a VXC orderer sees it).
    #[command(visible_alias = "show")]
    Get {
        /// The key.
        key: String,
    },
    /// Create a service key for one of the company's ports or MCRs.
    Create {
        /// The product the key connects to.
        #[arg(long)]
        product_uid: String,
        /// The most bandwidth (Mbps) a VXC ordered with the key may have.
        #[arg(long)]
        max_speed: u32,
        /// The key can be used for one VXC only (give --vlan with it).
        #[arg(long)]
        single_use: bool,
        /// The B-End VLAN of the VXC ordered with the key (2-4093).
        #[arg(long)]
        vlan: Option<u16>,
        /// Free text.
        #[arg(long)]
        description: Option<String>,
        /// Make the key usable at once (as in megaport-cli, a key is inactive otherwise).
        #[arg(long)]
        active: bool,
        /// VXCs ordered with the key need no approval.
        #[arg(long)]
        pre_approved: bool,
        /// Usable from: RFC 3339, YYYY-MM-DD or epoch milliseconds.
        #[arg(long, value_parser = parse_time)]
        start_date: Option<i64>,
        /// Usable until: RFC 3339, YYYY-MM-DD or epoch milliseconds.
        #[arg(long, value_parser = parse_time)]
        end_date: Option<i64>,
    },
    /// Activate or deactivate a key, or change whether it is single-use.
    Update {
        /// The key.
        key: String,
        /// true or false.
        #[arg(
            long,
            num_args = 0..=1,
            default_missing_value = "true",
            value_parser = clap::builder::BoolishValueParser::new()
        )]
        active: Option<bool>,
        /// true or false.
        #[arg(
            long,
            num_args = 0..=1,
            default_missing_value = "true",
            value_parser = clap::builder::BoolishValueParser::new()
        )]
        single_use: Option<bool>,
    },
}

/// megaport-cli's `serviceKeyOutput`, then the key's state (which megaport-cli leaves out).
#[derive(Serialize)]
struct KeyOut {
    key_uid: String,
    product_name: String,
    product_uid: String,
    description: String,
    create_date: String,
    max_speed: u32,
    single_use: bool,
    active: bool,
    valid: bool,
}

impl From<ServiceKey> for KeyOut {
    fn from(k: ServiceKey) -> Self {
        KeyOut {
            key_uid: k.key,
            product_name: k.product_name.unwrap_or_default(),
            product_uid: k.product_uid,
            description: k.description.unwrap_or_default(),
            create_date: k.create_date.map(rfc3339).unwrap_or_default(),
            max_speed: k.max_speed,
            single_use: k.single_use,
            active: k.active,
            valid: k.valid,
        }
    }
}

const COLUMNS: &[Column<KeyOut>] = &[
    Column::new("Key UID", |k| k.key_uid.clone()),
    Column::new("Product Name", |k| k.product_name.clone()),
    Column::new("Product UID", |k| k.product_uid.clone()),
    Column::new("Description", |k| k.description.clone()),
    Column::new("Create Date", |k| k.create_date.clone()),
];

fn lookup(ctx: &Ctx, key: &str) -> Result<ServiceKey> {
    ctx.get(&format!("/v2/service/key?key={}", percent_encode(key)))
}

pub fn run(ctx: &Ctx, args: ServiceKeysArgs) -> Result<()> {
    match args.command {
        ServiceKeysCommand::List { product_uid } => {
            let path = match product_uid {
                Some(p) => format!("/v2/service/key?productIdOrUid={}", percent_encode(&p)),
                None => "/v2/service/key".to_owned(),
            };
            let keys: Vec<ServiceKey> = ctx.get(&path)?;
            let rows: Vec<KeyOut> = keys.into_iter().map(KeyOut::from).collect();
            ctx.show(COLUMNS, &rows)
        }
        ServiceKeysCommand::Get { key } => ctx.show(COLUMNS, &[lookup(ctx, &key)?.into()]),
        ServiceKeysCommand::Create {
            product_uid,
            max_speed,
            single_use,
            vlan,
            description,
            active,
            pre_approved,
            start_date,
            end_date,
        } => {
            // megaportgo's CreateServiceKeyRequest: false flags, an empty description and
            // no VLAN are left out.
            let mut body = json!({
                "productUid": product_uid,
                "singleUse": single_use,
                "maxSpeed": max_speed,
            });
            if active {
                body["active"] = json!(true);
            }
            if pre_approved {
                body["preApproved"] = json!(true);
            }
            if let Some(d) = description.filter(|d| !d.is_empty()) {
                body["description"] = json!(d);
            }
            if let Some(v) = vlan.filter(|v| *v != 0) {
                body["vlan"] = json!(v);
            }
            if start_date.is_some() || end_date.is_some() {
                let mut valid = Map::new();
                if let Some(s) = start_date {
                    valid.insert("start".into(), json!(s));
                }
                if let Some(e) = end_date {
                    valid.insert("end".into(), json!(e));
                }
                body["validFor"] = Value::Object(valid);
            }
            let k: ServiceKey = ctx.call("POST", "/v2/service/key", Some(&body))?;
            done(&format!("Service Key created {}", k.key));
            ctx.show(COLUMNS, &[k.into()])
        }
        ServiceKeysCommand::Update {
            key,
            active,
            single_use,
        } => {
            if active.is_none() && single_use.is_none() {
                anyhow::bail!("nothing to update: give --active or --single-use");
            }
            // Both are always sent (as megaportgo does), so what is not asked to change is
            // taken from the key as it is now, as megaport-cli does.
            let current = lookup(ctx, &key)?;
            let body = json!({
                "key": key,
                "active": active.unwrap_or(current.active),
                "singleUse": single_use.unwrap_or(current.single_use),
            });
            let k: ServiceKey = ctx.call("PUT", "/v2/service/key", Some(&body))?;
            done(&format!("Service Key updated {}", k.key));
            ctx.show(COLUMNS, &[k.into()])
        }
    }
}
