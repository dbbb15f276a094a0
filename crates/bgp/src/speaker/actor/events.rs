//! The speaker's event channels ([`super::super::Speaker::subscribe`] and
//! [`super::super::Speaker::subscribe_status`]).

use std::sync::{Arc, OnceLock};

use tokio::sync::broadcast;

use crate::speaker::SpeakerEvent;

/// The event channels, each created by its first subscriber: a buffer is allocated up front,
/// and speakers nobody listens to (many per process) should not pay for it. `status` carries
/// no per-route events, so route events are built only while someone wants them.
#[derive(Clone, Default)]
pub(in crate::speaker) struct Events {
    all: Arc<OnceLock<broadcast::Sender<SpeakerEvent>>>,
    status: Arc<OnceLock<broadcast::Sender<SpeakerEvent>>>,
}

fn channel() -> broadcast::Sender<SpeakerEvent> {
    broadcast::channel(EVENT_CAPACITY).0
}

/// Peer states and counts only: few, and a speaker per attachment keeps one, so the buffer is
/// small (a 1,024-event buffer per speaker cost ~200 KiB each, 200 MiB for 1,000 attachments).
fn status_channel() -> broadcast::Sender<SpeakerEvent> {
    broadcast::channel(STATUS_CAPACITY).0
}

impl Events {
    pub(in crate::speaker) fn subscribe(&self) -> broadcast::Receiver<SpeakerEvent> {
        self.all.get_or_init(channel).subscribe()
    }

    pub(in crate::speaker) fn subscribe_status(&self) -> broadcast::Receiver<SpeakerEvent> {
        self.status.get_or_init(status_channel).subscribe()
    }

    /// A peer state or count event: to every subscriber.
    pub(in crate::speaker) fn send(&self, e: SpeakerEvent) {
        if let Some(tx) = self.status.get() {
            let _ = tx.send(e.clone());
        }
        if let Some(tx) = self.all.get() {
            let _ = tx.send(e);
        }
    }

    /// Whether route events have a receiver.
    pub(in crate::speaker) fn routes_listened(&self) -> bool {
        self.all.get().is_some_and(|tx| tx.receiver_count() > 0)
    }

    pub(in crate::speaker) fn send_route(&self, e: SpeakerEvent) {
        if let Some(tx) = self.all.get() {
            let _ = tx.send(e);
        }
    }
}

/// Events a subscriber may fall behind by before it sees `Lagged`.
const EVENT_CAPACITY: usize = 1024;
const STATUS_CAPACITY: usize = 64;
