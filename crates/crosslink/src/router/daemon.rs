//! Runs the planned router: starts the speaker, originates the prefixes, adds the neighbors,
//! prints what happens until SIGINT/SIGTERM, then shuts down cleanly (Cease to every peer,
//! kernel routes removed).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;
use crosslink_bgp::speaker::{Announce, PeerConfig, Speaker, SpeakerConfig, SpeakerEvent, State};
use ipnet::IpNet;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use super::config::{NeighborPlan, Plan};
use super::output::{Line, Printer, RouteAction};
use super::Output;

/// Route-count lines in `--quiet-routes` mode come at most this often.
const COUNT_INTERVAL: Duration = Duration::from_millis(100);

pub async fn run(plan: Plan, format: Output, quiet_routes: bool) -> anyhow::Result<()> {
    let mut printer = Printer::new(format);
    let speaker = Speaker::start(SpeakerConfig {
        asn: plan.asn,
        router_id: plan.router_id,
        listen: plan.listen,
        fib: plan.fib,
    })
    .await
    .context("starting the BGP speaker")?;
    // Without per-route lines, no per-route events: a full table would only be cloned to us.
    let mut events = if quiet_routes {
        speaker.subscribe_status()
    } else {
        speaker.subscribe()
    };
    printer.print(&Line::Listening {
        address: speaker.local_addr(),
        asn: plan.asn,
        router_id: plan.router_id,
    });

    printer.flush();
    announce_all(&speaker, &plan.announce).await?;
    for n in &plan.neighbors {
        if let Err(e) = speaker.add_peer(peer_config(plan.asn, n)).await {
            speaker.shutdown().await;
            return Err(e).with_context(|| format!("adding neighbor {}", n.address));
        }
    }

    let mut sigint = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    let mut sigterm = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut reporter = Reporter {
        printer,
        asns: plan
            .neighbors
            .iter()
            .map(|n| (n.address, n.remote_asn))
            .collect(),
        states: plan
            .neighbors
            .iter()
            .map(|n| (n.address, State::Idle))
            .collect(),
        last_down: HashMap::new(),
        view: if quiet_routes {
            View::Count(Counter::new(plan.announce.len()))
        } else {
            View::Routes(HashMap::new())
        },
    };
    loop {
        if events.is_empty() {
            reporter.printer.flush();
        }
        let flush_at = match &reporter.view {
            View::Count(c) => c.flush_at(),
            View::Routes(_) => None,
        };
        tokio::select! {
            _ = sigint.recv() => {
                reporter.printer.print(&Line::info("SIGINT: shutting down"));
                break;
            }
            _ = sigterm.recv() => {
                reporter.printer.print(&Line::info("SIGTERM: shutting down"));
                break;
            }
            _ = sleep_until(flush_at) => {
                if let View::Count(c) = &mut reporter.view {
                    c.flush(&mut reporter.printer);
                }
            }
            event = events.recv() => match event {
                Ok(event) => reporter.handle(event),
                Err(RecvError::Lagged(lost)) => reporter.resync(&speaker, &mut events, lost).await,
                Err(RecvError::Closed) => {
                    reporter.printer.print(&Line::info("BGP speaker stopped"));
                    break;
                }
            },
        }
    }
    reporter.printer.flush();
    speaker.shutdown().await;
    if let View::Count(c) = &mut reporter.view {
        c.flush(&mut reporter.printer);
    }
    reporter.printer.print(&Line::info("stopped"));
    reporter.printer.flush();
    Ok(())
}

fn peer_config(local_asn: u32, n: &NeighborPlan) -> PeerConfig {
    let ebgp = n.remote_asn != local_asn;
    PeerConfig {
        address: n.address,
        remote_asn: n.remote_asn,
        local_asn: None,
        local_address: n.local,
        port: n.port,
        password: n.password.clone(),
        passive: n.passive,
        hold_time: n.hold_time,
        connect_retry: Duration::from_secs(n.connect_retry.into()),
        // Directly connected eBGP by default; iBGP with the system's default TTL.
        ttl: n.ttl.map(u32::from).or(ebgp.then_some(1)),
        policy: n.policy.clone(),
        enabled: n.enabled,
        tag: 0,
    }
}

async fn announce_all(speaker: &Speaker, prefixes: &[IpNet]) -> anyhow::Result<()> {
    if !prefixes.is_empty() {
        speaker
            .announce_many(prefixes.to_vec(), Announce::default())
            .await
            .context("announcing")?;
    }
    Ok(())
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// What the router remembers about routes to print their changes.
enum View {
    /// Per-route lines: the best next hop and AS path of every prefix, to tell "added" from
    /// "changed" and to re-synchronise after lost events.
    Routes(HashMap<IpNet, (Option<IpAddr>, Vec<u32>)>),
    /// `--quiet-routes`: only the number of paths, from the per-peer counts (no per-prefix state,
    /// so a router with a million routes stays lean).
    Count(Counter),
}

struct Counter {
    local: usize,
    accepted: HashMap<IpAddr, u64>,
    printed: Option<usize>,
    /// The latest count and when it was reached, not yet printed.
    pending: Option<(usize, SystemTime)>,
    last_print: Option<Instant>,
}

impl Counter {
    fn new(local: usize) -> Self {
        Counter {
            local,
            accepted: HashMap::new(),
            printed: None,
            pending: Some((local, SystemTime::now())),
            last_print: None,
        }
    }

    fn total(&self) -> usize {
        self.local + self.accepted.values().map(|&n| n as usize).sum::<usize>()
    }

    fn update(&mut self, peer: IpAddr, accepted: u64, printer: &mut Printer) {
        self.accepted.insert(peer, accepted);
        self.changed(printer);
    }

    fn changed(&mut self, printer: &mut Printer) {
        let total = self.total();
        if self.printed == Some(total) && self.pending.is_none() {
            return;
        }
        self.pending = Some((total, SystemTime::now()));
        if self
            .last_print
            .is_none_or(|t| t.elapsed() >= COUNT_INTERVAL)
        {
            self.flush(printer);
        }
    }

    fn flush_at(&self) -> Option<Instant> {
        self.pending?;
        Some(
            self.last_print
                .map_or_else(Instant::now, |t| t + COUNT_INTERVAL),
        )
    }

    /// Prints the pending count, stamped with the time it was reached.
    fn flush(&mut self, printer: &mut Printer) {
        if let Some((count, at)) = self.pending.take() {
            if self.printed != Some(count) {
                printer.print_at(at, &Line::Routes { count });
                self.printed = Some(count);
            }
            self.last_print = Some(Instant::now());
        }
    }
}

/// Turns speaker events into lines, remembering enough to print only real changes.
struct Reporter {
    printer: Printer,
    asns: HashMap<IpAddr, u32>,
    /// The last printed state of every neighbor.
    states: HashMap<IpAddr, State>,
    /// The last `down:` reason printed per neighbor (one line per distinct reason, not one per
    /// retry); cleared when the session comes up.
    last_down: HashMap<IpAddr, String>,
    view: View,
}

impl Reporter {
    fn handle(&mut self, event: SpeakerEvent) {
        match event {
            SpeakerEvent::PeerState {
                peer,
                from,
                to,
                error,
                ..
            } => {
                let known = self.states.get(&peer).copied();
                // After a re-synchronisation the channel may still hold transitions the
                // snapshot already showed.
                if known != Some(from) && known == Some(to) {
                    return;
                }
                self.transition(peer, from, to, error);
            }
            SpeakerEvent::RouteBest { prefix, route } => {
                if let View::Routes(known) = &mut self.view {
                    let new = route.map(|r| (r.next_hop, r.as_path));
                    route_line(&mut self.printer, known, prefix, new);
                }
            }
            SpeakerEvent::PeerRoutes { peer, accepted, .. } => {
                if let View::Count(c) = &mut self.view {
                    c.update(peer, accepted, &mut self.printer);
                }
            }
            SpeakerEvent::Kernel {
                error,
                refused,
                failures,
            } => self.printer.print(&Line::Kernel {
                error,
                refused,
                failures,
            }),
            _ => {}
        }
    }

    /// A state change, or (`from == to`) a new error without one: then only its `down:` line.
    fn transition(&mut self, peer: IpAddr, from: State, to: State, error: Option<String>) {
        let asn = self.asns.get(&peer).copied().unwrap_or(0);
        self.states.insert(peer, to);
        if from != to {
            self.printer.print(&Line::Neighbor {
                peer,
                asn,
                from: from.to_string(),
                to: to.to_string(),
                error: error.clone(),
            });
        }
        match (to, error) {
            (State::Established, _) => {
                self.last_down.remove(&peer);
            }
            (_, Some(error)) if self.last_down.get(&peer) != Some(&error) => {
                self.printer.print(&Line::Down {
                    peer,
                    asn,
                    error: error.clone(),
                });
                self.last_down.insert(peer, error);
            }
            _ => {}
        }
    }

    /// Events were lost (the speaker was faster than the printer): catch up from the speaker's
    /// tables and print the differences, so the output still ends up telling the truth.
    async fn resync(
        &mut self,
        speaker: &Speaker,
        events: &mut broadcast::Receiver<SpeakerEvent>,
        lost: u64,
    ) {
        // What is still queued is older than the snapshot taken next.
        while !matches!(
            events.try_recv(),
            Err(TryRecvError::Empty | TryRecvError::Closed)
        ) {}
        self.printer.print(&Line::info(format!(
            "{lost} events missed; re-reading the speaker's state"
        )));
        let peers = speaker.peers().await;
        for p in &peers {
            let known = self.states.get(&p.address).copied().unwrap_or(State::Idle);
            if known != p.state {
                let error = (p.state != State::Established)
                    .then(|| p.last_error.clone())
                    .flatten();
                self.transition(p.address, known, p.state, error);
            }
        }
        match &mut self.view {
            View::Count(c) => {
                c.accepted = peers
                    .iter()
                    .map(|p| (p.address, p.prefixes_accepted))
                    .collect();
                c.changed(&mut self.printer);
            }
            View::Routes(known) => {
                let best: HashMap<IpNet, (Option<IpAddr>, Vec<u32>)> = speaker
                    .loc_rib()
                    .await
                    .into_iter()
                    .filter(|r| r.best)
                    .map(|r| (r.prefix, (r.next_hop, r.as_path)))
                    .collect();
                let gone: Vec<IpNet> = known
                    .keys()
                    .filter(|p| !best.contains_key(p))
                    .copied()
                    .collect();
                for p in gone {
                    route_line(&mut self.printer, known, p, None);
                }
                for (p, r) in best {
                    route_line(&mut self.printer, known, p, Some(r));
                }
            }
        }
    }
}

fn route_line(
    printer: &mut Printer,
    known: &mut HashMap<IpNet, (Option<IpAddr>, Vec<u32>)>,
    prefix: IpNet,
    new: Option<(Option<IpAddr>, Vec<u32>)>,
) {
    let line = match new {
        Some((next_hop, as_path)) => {
            let action = match known.get(&prefix) {
                None => RouteAction::Added,
                Some(old) if old.0 == next_hop && old.1 == as_path => return,
                Some(_) => RouteAction::Changed,
            };
            known.insert(prefix, (next_hop, as_path.clone()));
            Line::Route {
                prefix,
                action,
                next_hop,
                as_path,
            }
        }
        None => {
            if known.remove(&prefix).is_none() {
                return;
            }
            Line::Route {
                prefix,
                action: RouteAction::Withdrawn,
                next_hop: None,
                as_path: Vec::new(),
            }
        }
    };
    printer.print(&line);
}
