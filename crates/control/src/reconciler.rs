//! Drives lifecycles: claims due rows under a lease, applies one step each as a
//! compare-and-swap, and sleeps until the next row is due or a write wakes it. A crash at any
//! point leaves every row either before or after its step, and the lease expires, so a
//! restarted process (or another replica) picks up where this one stopped.

use crate::Control;
use crosslink_domain::Step;
use std::sync::Arc;
use std::time::{Duration, Instant};

const LEASE_MS: i64 = 30_000;
const BATCH: u32 = 256;
/// Upper bound on a sleep, so a row scheduled by another replica is seen eventually.
const MAX_IDLE: Duration = Duration::from_secs(1);

pub struct Reconciler {
    control: Arc<Control>,
    owner: String,
}

impl Reconciler {
    pub fn new(control: Arc<Control>) -> Self {
        Self {
            control,
            owner: format!("reconciler-{}", uuid::Uuid::new_v4()),
        }
    }

    /// Runs until the task is dropped.
    pub async fn run(self) {
        let mut policies_read = Instant::now();
        loop {
            let progressed = match self.tick().await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::error!(error = %e, "reconciler tick failed");
                    false
                }
            };
            if progressed {
                self.control.changed.notify_one();
                continue;
            }
            // Another process on this data (the admin API of a replica) may have changed them;
            // once per idle period is soon enough, and keeps the read off busy wake-ups.
            if policies_read.elapsed() >= MAX_IDLE {
                policies_read = Instant::now();
                if let Err(e) = self.control.load_policies().await {
                    tracing::error!(error = %e, "cannot read the transition policies");
                }
            }
            let wait = match self.control.store.next_due().await {
                Ok(Some(due)) => Duration::from_millis(
                    (due - self.control.now()).clamp(0, MAX_IDLE.as_millis() as i64) as u64,
                ),
                _ => MAX_IDLE,
            };
            if wait.is_zero() {
                // Due but leased by someone else: back off briefly instead of spinning.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            let _ = tokio::time::timeout(wait, self.control.wake.notified()).await;
        }
    }

    /// One pass over what is due now; returns how many steps were applied.
    pub async fn tick(&self) -> crate::Result<usize> {
        let c = &self.control;
        let now = c.now();
        let due = c.store.claim_due(now, LEASE_MS, &self.owner, BATCH).await?;
        let mut applied = 0;
        for d in &due {
            let Some(step) = d.resource_type.step(&d.status) else {
                tracing::error!(id = %d.id, resource_type = %d.resource_type, status = %d.status, "unknown stored status");
                continue;
            };
            let done = match step {
                Step::Issue => c.issue_service_key(d).await?,
                Step::To(next) => {
                    let next_due = c.due_after(d.resource_type, next, now);
                    c.store.apply_step(d, step, now, next_due).await?
                }
                Step::Remove | Step::Await(_) | Step::Done => {
                    c.store.apply_step(d, step, now, None).await?
                }
            };
            if done {
                applied += 1;
                tracing::debug!(id = %d.id, resource_type = %d.resource_type, from = %d.status, ?step, "transition");
            }
        }
        Ok(applied)
    }
}
