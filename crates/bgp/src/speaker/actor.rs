//! The speaker task (skeleton: answers every request with an error until implemented).

use std::net::IpAddr;

use tokio::sync::{broadcast, mpsc, oneshot};

use super::*;

type Reply<T> = oneshot::Sender<T>;

pub(super) enum Api {
    AddPeer(PeerConfig, Reply<Result<(), SpeakerError>>),
    RemovePeer(IpAddr, Reply<Result<(), SpeakerError>>),
    UpdatePeer(PeerConfig, Reply<Result<(), SpeakerError>>),
    Announce(IpNet, Announce, Reply<()>),
    Withdraw(IpNet, Reply<()>),
    Peers(Reply<Vec<PeerStatus>>),
    LocRib(Reply<Vec<Route>>),
    AdjRibIn(IpAddr, Reply<Vec<Route>>),
    AdjRibOut(IpAddr, Reply<Vec<Route>>),
    Shutdown(Reply<()>),
}

pub(super) enum Input {
    Api(Api),
}

pub(super) fn start(_cfg: SpeakerConfig) -> Result<Speaker, SpeakerError> {
    let (tx, mut rx) = mpsc::channel::<Input>(256);
    let (events, _) = broadcast::channel(1024);
    tokio::spawn(async move {
        while let Some(Input::Api(api)) = rx.recv().await {
            let todo = || Err(SpeakerError::Config("not implemented yet".into()));
            match api {
                Api::AddPeer(_, r) | Api::RemovePeer(_, r) | Api::UpdatePeer(_, r) => {
                    let _ = r.send(todo());
                }
                Api::Announce(_, _, r) | Api::Withdraw(_, r) => {
                    let _ = r.send(());
                }
                Api::Peers(r) => {
                    let _ = r.send(Vec::new());
                }
                Api::LocRib(r) | Api::AdjRibIn(_, r) | Api::AdjRibOut(_, r) => {
                    let _ = r.send(Vec::new());
                }
                Api::Shutdown(r) => {
                    let _ = r.send(());
                    return;
                }
            }
        }
    });
    Ok(Speaker {
        tx,
        events,
        local_addr: None,
    })
}
