//! `crosslink router`: a standalone BGP speaker (owned by the BGP work; placeholder).

#[derive(clap::Args)]
pub struct RouterArgs {}

pub async fn run(_args: RouterArgs) -> anyhow::Result<()> {
    anyhow::bail!("crosslink router is not built yet")
}
