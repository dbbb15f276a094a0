//! `crosslink serve` (placeholder until the server lands).

#[derive(clap::Args)]
pub struct ServeArgs {}

pub async fn run(_args: ServeArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
