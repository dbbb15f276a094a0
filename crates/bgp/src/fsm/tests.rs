//! Event-driven FSM tests: no sockets, no sleeps; time only moves when a test fires a timer.

use super::*;
use Action::*;
use Event::*;

const LOCAL_ID: Ipv4Addr = Ipv4Addr::new(169, 254, 0, 1);
const PEER_ID: Ipv4Addr = Ipv4Addr::new(169, 254, 0, 6);
const C1: ConnId = ConnId(1);
const C2: ConnId = ConnId(2);

fn cfg() -> Config {
    Config {
        connect_retry_time: Duration::from_secs(5),
        idle_hold_time: Duration::from_secs(3),
        ..Config::new(64532, 133937, LOCAL_ID)
    }
}

fn open() -> PeerOpen {
    PeerOpen {
        version: 4,
        asn: 133937,
        hold_time: 90,
        bgp_id: PEER_ID,
        four_octet_as: true,
        route_refresh: true,
        multiprotocol: vec![Family::IPV4_UNICAST],
    }
}

struct H {
    s: Session,
    t: Instant,
}

impl H {
    fn new(cfg: Config) -> Self {
        Self {
            s: Session::new(cfg).unwrap(),
            t: Instant::now(),
        }
    }

    fn ev(&mut self, e: Event) -> Vec<Action> {
        self.s.handle(self.t, e)
    }

    /// Moves time to the timer's deadline and delivers its expiry.
    fn fire(&mut self, t: Timer) -> Vec<Action> {
        let deadline = self.s.timer_deadline(t).expect("timer should be running");
        self.t = self.t.max(deadline);
        self.ev(TimerExpired(t))
    }

    fn state(&self) -> State {
        self.s.state()
    }

    /// Started by the operator, connecting.
    fn started(cfg: Config) -> Self {
        let mut h = H::new(cfg);
        h.ev(ManualStart);
        h
    }

    /// Outbound connection C1 up, OPEN sent.
    fn open_sent_with(cfg: Config) -> Self {
        let mut h = H::started(cfg);
        h.ev(TcpCrAcked(C1));
        assert_eq!(h.state(), State::OpenSent);
        h
    }

    fn open_sent() -> Self {
        H::open_sent_with(cfg())
    }

    fn open_confirm() -> Self {
        let mut h = H::open_sent();
        h.ev(BgpOpen(C1, open()));
        assert_eq!(h.state(), State::OpenConfirm);
        h
    }

    fn established() -> Self {
        let mut h = H::open_confirm();
        h.ev(KeepAliveMsg(C1));
        assert_eq!(h.state(), State::Established);
        h
    }

    fn last_error(&self) -> Option<LastError> {
        self.s.stats().last_error.clone()
    }
}

fn notifications(acts: &[Action]) -> Vec<(ConnId, u8, u8)> {
    acts.iter()
        .filter_map(|a| match a {
            SendNotification(c, n) => Some((*c, n.code, n.subcode)),
            _ => None,
        })
        .collect()
}

fn closed(acts: &[Action]) -> Vec<ConnId> {
    acts.iter()
        .filter_map(|a| match a {
            CloseConnection(c) => Some(*c),
            _ => None,
        })
        .collect()
}

/// A connection coming up in `from`: OPEN sent on it, the long hold timer armed.
fn open_sent_on(conn: ConnId, from: State) -> Vec<Action> {
    vec![
        StopTimer(Timer::ConnectRetry),
        SendOpen(conn),
        StartTimer(Timer::Hold, OPEN_HOLD_TIME),
        StateChanged {
            from,
            to: State::OpenSent,
        },
    ]
}

/// A connection closed by collision resolution (Cease subcode 7).
fn collision_lost(conn: ConnId) -> Vec<Action> {
    vec![
        SendNotification(conn, Notification::cease(7)),
        CloseConnection(conn),
    ]
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

// ---- Idle, Connect, Active ----

#[test]
fn manual_start_connects_and_arms_connect_retry() {
    let mut h = H::new(cfg());
    let acts = h.ev(ManualStart);
    assert_eq!(
        acts,
        vec![
            Connect,
            StartTimer(Timer::ConnectRetry, secs(5)),
            StateChanged {
                from: State::Idle,
                to: State::Connect
            }
        ]
    );
}

#[test]
fn events_in_idle_are_ignored_and_inbound_is_rejected() {
    let mut h = H::new(cfg());
    assert!(h.ev(KeepAliveMsg(C1)).is_empty());
    assert!(h.ev(TimerExpired(Timer::Hold)).is_empty());
    let acts = h.ev(TcpConnectionConfirmed(C1));
    assert_eq!(notifications(&acts), vec![(C1, 6, 5)]);
    assert_eq!(closed(&acts), vec![C1]);
    assert_eq!(h.state(), State::Idle);
}

#[test]
fn connect_retry_expiry_in_connect_retries_and_blames_no_answer() {
    let mut h = H::started(cfg());
    let acts = h.fire(Timer::ConnectRetry);
    assert_eq!(
        acts,
        vec![Connect, StartTimer(Timer::ConnectRetry, secs(5))]
    );
    assert_eq!(h.state(), State::Connect);
    assert_eq!(h.last_error(), Some(LastError::NoTcpAnswer));
    assert_eq!(
        LastError::NoTcpAnswer.to_string(),
        "no answer to TCP connect (check the MD5 password and addresses)"
    );
}

#[test]
fn refused_connect_waits_in_active_then_retry_expiry_reconnects() {
    let mut h = H::started(cfg());
    let acts = h.ev(TcpConnectFailed(ConnectFailure::Refused));
    assert!(acts.contains(&StateChanged {
        from: State::Connect,
        to: State::Active
    }));
    assert_eq!(h.last_error(), Some(LastError::ConnectionRefused));
    let acts = h.fire(Timer::ConnectRetry);
    assert!(acts.contains(&Connect));
    assert_eq!(h.state(), State::Connect);
}

#[test]
fn inbound_connection_in_active_sends_open() {
    let mut h = H::started(cfg());
    h.ev(TcpConnectFailed(ConnectFailure::TimedOut));
    let acts = h.ev(TcpConnectionConfirmed(C2));
    assert_eq!(acts, open_sent_on(C2, State::Active));
}

#[test]
fn passive_session_never_connects_and_waits_in_active() {
    for (c, start) in [
        (
            Config {
                passive: true,
                ..cfg()
            },
            ManualStart,
        ),
        (cfg(), ManualStartPassive),
    ] {
        let mut h = H::new(c);
        let acts = h.ev(start);
        assert_eq!(
            acts,
            vec![StateChanged {
                from: State::Idle,
                to: State::Active
            }]
        );
        assert_eq!(h.s.timer_deadline(Timer::ConnectRetry), None);
        // A stray expiry does nothing either.
        assert!(h.ev(TimerExpired(Timer::ConnectRetry)).is_empty());
        h.ev(TcpConnectionConfirmed(C1));
        assert_eq!(h.state(), State::OpenSent);
        // Losing the connection returns to Active, still without connecting.
        let acts = h.ev(TcpConnectionFails(C1));
        assert_eq!(h.state(), State::Active);
        assert!(!acts.contains(&Connect));
        assert!(!acts
            .iter()
            .any(|a| matches!(a, StartTimer(Timer::ConnectRetry, _))));
    }
}

#[test]
fn late_outbound_connect_after_giving_up_is_closed() {
    let mut h = H::started(cfg());
    h.ev(ManualStop);
    assert_eq!(h.ev(TcpCrAcked(C1)), vec![CloseConnection(C1)]);
}

// ---- Handshake and negotiation ----

#[test]
fn established_only_after_keepalive_in_open_confirm() {
    let mut h = H::started(cfg());
    let acts = h.ev(TcpCrAcked(C1));
    assert_eq!(acts, open_sent_on(C1, State::Connect));
    let acts = h.ev(BgpOpen(C1, open()));
    assert_eq!(
        acts,
        vec![
            SendKeepalive(C1),
            StartTimer(Timer::Keepalive, secs(30)),
            StartTimer(Timer::Hold, secs(90)),
            StateChanged {
                from: State::OpenSent,
                to: State::OpenConfirm
            }
        ]
    );
    assert_eq!(h.s.stats().established_count, 0);
    let acts = h.ev(KeepAliveMsg(C1));
    let neg = Negotiated {
        conn: C1,
        peer_asn: 133937,
        peer_bgp_id: PEER_ID,
        hold_time: 90,
        keepalive_time: 30,
        four_octet_as: true,
        route_refresh: true,
        families: vec![Family::IPV4_UNICAST],
    };
    assert_eq!(
        acts,
        vec![
            StartTimer(Timer::Hold, secs(90)),
            StateChanged {
                from: State::OpenConfirm,
                to: State::Established
            },
            SessionEstablished(neg.clone())
        ]
    );
    let st = h.s.stats();
    assert_eq!((st.established_count, st.established_since), (1, Some(h.t)));
    assert_eq!(st.transitions, 4);
    assert_eq!(h.s.negotiated(), Some(&neg));
}

#[test]
fn hold_time_is_the_lower_of_both() {
    let mut h = H::open_sent();
    let acts = h.ev(BgpOpen(
        C1,
        PeerOpen {
            hold_time: 9,
            ..open()
        },
    ));
    assert!(acts.contains(&StartTimer(Timer::Keepalive, secs(3))));
    assert!(acts.contains(&StartTimer(Timer::Hold, secs(9))));
    let mut h = H::open_sent_with(Config {
        hold_time: 30,
        ..cfg()
    });
    let acts = h.ev(BgpOpen(C1, open()));
    assert!(acts.contains(&StartTimer(Timer::Hold, secs(30))));
}

#[test]
fn zero_hold_time_means_no_keepalives_and_no_hold_timer() {
    let mut h = H::open_sent();
    let acts = h.ev(BgpOpen(
        C1,
        PeerOpen {
            hold_time: 0,
            ..open()
        },
    ));
    assert_eq!(
        acts,
        vec![
            SendKeepalive(C1),
            StopTimer(Timer::Hold),
            StateChanged {
                from: State::OpenSent,
                to: State::OpenConfirm
            }
        ]
    );
    let acts = h.ev(KeepAliveMsg(C1));
    assert!(!acts.iter().any(|a| matches!(a, StartTimer(..))));
    assert!(h.ev(UpdateMsg(C1)) == vec![DeliverUpdate(C1)]);
    assert_eq!(h.s.timer_deadline(Timer::Hold), None);
    assert_eq!(h.s.timer_deadline(Timer::Keepalive), None);
    assert_eq!(h.s.negotiated().unwrap().keepalive_time, 0);
}

#[test]
fn families_are_the_intersection_and_ipv4_is_implied() {
    let c = Config {
        families: vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST],
        ..cfg()
    };
    let mut h = H::open_sent_with(c.clone());
    h.ev(BgpOpen(
        C1,
        PeerOpen {
            multiprotocol: vec![],
            ..open()
        },
    ));
    assert_eq!(
        h.s.negotiated().unwrap().families,
        vec![Family::IPV4_UNICAST]
    );
    let mut h = H::open_sent_with(c);
    let mp = vec![Family::IPV6_UNICAST, Family { afi: 1, safi: 128 }];
    h.ev(BgpOpen(
        C1,
        PeerOpen {
            multiprotocol: mp,
            ..open()
        },
    ));
    assert_eq!(
        h.s.negotiated().unwrap().families,
        vec![Family::IPV6_UNICAST]
    );
}

// ---- OPEN validation ----

fn reject(o: PeerOpen) -> (Vec<Action>, H) {
    let mut h = H::open_sent();
    let acts = h.ev(BgpOpen(C1, o));
    assert_eq!(h.state(), State::Idle);
    assert_eq!(closed(&acts), vec![C1]);
    (acts, h)
}

#[test]
fn bad_version_sends_2_1_with_our_version() {
    let (acts, h) = reject(PeerOpen {
        version: 3,
        ..open()
    });
    assert!(acts.contains(&SendNotification(C1, Notification::new(2, 1, vec![0, 4]))));
    assert_eq!(
        h.last_error().unwrap().to_string(),
        "OPEN: unsupported version number: peer speaks version 3, we speak 4"
    );
}

#[test]
fn bad_peer_as_sends_2_2_and_says_which() {
    let (acts, h) = reject(PeerOpen {
        asn: 65000,
        ..open()
    });
    assert_eq!(notifications(&acts), vec![(C1, 2, 2)]);
    assert_eq!(
        h.last_error().unwrap().to_string(),
        "OPEN: bad peer AS: expected 133937, peer sent 65000"
    );
}

#[test]
fn zero_or_own_bgp_id_sends_2_3() {
    for id in [Ipv4Addr::UNSPECIFIED, LOCAL_ID] {
        let (acts, _) = reject(PeerOpen {
            bgp_id: id,
            ..open()
        });
        assert_eq!(notifications(&acts), vec![(C1, 2, 3)]);
    }
}

#[test]
fn hold_time_1_or_2_sends_2_6() {
    for hold in [1, 2] {
        let (acts, h) = reject(PeerOpen {
            hold_time: hold,
            ..open()
        });
        assert_eq!(notifications(&acts), vec![(C1, 2, 6)]);
        assert!(h
            .last_error()
            .unwrap()
            .to_string()
            .starts_with("OPEN: unacceptable hold time"));
    }
    let mut h = H::open_sent();
    h.ev(BgpOpen(
        C1,
        PeerOpen {
            hold_time: 3,
            ..open()
        },
    ));
    assert_eq!(h.state(), State::OpenConfirm);
}

#[test]
fn decoder_errors_send_the_decoders_notification() {
    let mut h = H::open_sent();
    let acts = h.ev(BgpOpenMsgErr(C1, Notification::new(2, 4, vec![])));
    assert_eq!(notifications(&acts), vec![(C1, 2, 4)]);
    assert_eq!(h.state(), State::Idle);
    let mut h = H::established();
    let acts = h.ev(BgpHeaderErr(C1, Notification::new(1, 2, vec![0, 5])));
    assert_eq!(notifications(&acts), vec![(C1, 1, 2)]);
    assert!(acts.iter().any(|a| matches!(a, SessionDown { .. })));
    assert_eq!(
        h.last_error().unwrap().to_string(),
        "message header: bad message length"
    );
}

// ---- Timers ----

#[test]
fn hold_timer_expiry_sends_4_0_in_every_waiting_state() {
    for mut h in [H::open_sent(), H::open_confirm(), H::established()] {
        let was_established = h.state() == State::Established;
        let acts = h.fire(Timer::Hold);
        assert_eq!(notifications(&acts), vec![(C1, 4, 0)]);
        assert_eq!(closed(&acts), vec![C1]);
        assert_eq!(h.state(), State::Idle);
        assert_eq!(h.last_error(), Some(LastError::HoldTimerExpired));
        assert_eq!(
            acts.contains(&SessionDown {
                reason: LastError::HoldTimerExpired
            }),
            was_established
        );
        assert!(acts.contains(&StartTimer(Timer::IdleHold, secs(3))));
        assert_eq!(h.s.timer_deadline(Timer::Keepalive), None);
    }
}

#[test]
fn open_sent_hold_timer_is_four_minutes() {
    let mut h = H::open_sent();
    h.t += secs(239);
    assert!(
        h.ev(TimerExpired(Timer::Hold)).is_empty(),
        "early expiry is stale"
    );
    h.t += secs(1);
    assert_eq!(
        notifications(&h.ev(TimerExpired(Timer::Hold))),
        vec![(C1, 4, 0)]
    );
}

#[test]
fn keepalive_timer_sends_and_rearms() {
    for mut h in [H::open_confirm(), H::established()] {
        let acts = h.fire(Timer::Keepalive);
        assert_eq!(
            acts,
            vec![SendKeepalive(C1), StartTimer(Timer::Keepalive, secs(30))]
        );
    }
}

#[test]
fn messages_in_established_restart_hold_timer() {
    let mut h = H::established();
    h.t += secs(80);
    assert_eq!(
        h.ev(KeepAliveMsg(C1)),
        vec![StartTimer(Timer::Hold, secs(90))]
    );
    h.t += secs(80);
    assert_eq!(
        h.ev(UpdateMsg(C1)),
        vec![StartTimer(Timer::Hold, secs(90)), DeliverUpdate(C1)]
    );
    assert_eq!(
        h.ev(RouteRefreshMsg(C1)),
        vec![StartTimer(Timer::Hold, secs(90)), DeliverRouteRefresh(C1)]
    );
    // The expiry armed before the last restart is stale.
    h.t += secs(20);
    assert!(h.ev(TimerExpired(Timer::Hold)).is_empty());
    assert_eq!(h.state(), State::Established);
}

#[test]
fn stopped_timer_expiry_is_ignored() {
    let mut h = H::open_sent();
    h.t += secs(10);
    assert!(h.ev(TimerExpired(Timer::ConnectRetry)).is_empty());
    assert_eq!(h.state(), State::OpenSent);
}

// ---- FSM errors and received NOTIFICATIONs ----

#[test]
fn unexpected_messages_send_fsm_error_for_the_state() {
    type Setup = fn() -> H;
    let cases: [(Setup, Event, u8); 6] = [
        (H::open_sent, UpdateMsg(C1), 1),
        (H::open_sent, KeepAliveMsg(C1), 1),
        (H::open_sent, RouteRefreshMsg(C1), 1),
        (H::open_confirm, UpdateMsg(C1), 2),
        (H::open_confirm, BgpOpen(C1, open()), 2),
        (H::established, BgpOpen(C1, open()), 3),
    ];
    for (setup, event, subcode) in cases {
        let mut h = setup();
        let acts = h.ev(event);
        assert_eq!(notifications(&acts), vec![(C1, 5, subcode)]);
        assert_eq!(h.state(), State::Idle);
    }
    let mut h = H::open_sent();
    h.ev(UpdateMsg(C1));
    assert_eq!(
        h.last_error().unwrap().to_string(),
        "FSM: unexpected message in OpenSent: peer sent UPDATE"
    );
}

#[test]
fn update_error_in_established_sends_its_notification() {
    let mut h = H::established();
    let acts = h.ev(UpdateMsgErr(C1, Notification::new(3, 1, vec![])));
    assert_eq!(notifications(&acts), vec![(C1, 3, 1)]);
    assert!(acts.iter().any(|a| matches!(a, SessionDown { .. })));
}

#[test]
fn received_notification_goes_idle_without_answering() {
    let shutdown = {
        let msg = b"maintenance\x07";
        let mut d = vec![msg.len() as u8];
        d.extend_from_slice(msg);
        Notification::new(6, 2, d)
    };
    for mut h in [H::open_sent(), H::open_confirm(), H::established()] {
        let acts = h.ev(NotifMsg(C1, shutdown.clone()));
        assert!(notifications(&acts).is_empty());
        assert_eq!(closed(&acts), vec![C1]);
        assert_eq!(h.state(), State::Idle);
        assert_eq!(
            h.last_error().unwrap().to_string(),
            "peer sent NOTIFICATION cease: administrative shutdown: \"maintenance\""
        );
    }
    // Malformed shutdown communication lengths are ignored, not trusted.
    let e = LastError::received(&Notification::new(6, 4, vec![200, b'x']));
    assert_eq!(
        e.to_string(),
        "peer sent NOTIFICATION cease: administrative reset"
    );
}

#[test]
fn tcp_failure_in_open_sent_goes_active_and_elsewhere_idle() {
    let mut h = H::open_sent();
    let acts = h.ev(TcpConnectionFails(C1));
    assert_eq!(
        acts,
        vec![
            CloseConnection(C1),
            StopTimer(Timer::Hold),
            StartTimer(Timer::ConnectRetry, secs(5)),
            StateChanged {
                from: State::OpenSent,
                to: State::Active
            }
        ]
    );
    for mut h in [H::open_confirm(), H::established()] {
        let acts = h.ev(TcpConnectionFails(C1));
        assert_eq!(h.state(), State::Idle);
        assert_eq!(h.last_error(), Some(LastError::ConnectionClosedByPeer));
        assert!(acts.contains(&StartTimer(Timer::IdleHold, secs(3))));
    }
}

#[test]
fn stale_connection_ids_are_ignored() {
    let mut h = H::established();
    assert!(h.ev(UpdateMsg(ConnId(9))).is_empty());
    assert!(h.ev(TcpConnectionFails(ConnId(9))).is_empty());
    assert!(h.ev(NotifMsg(ConnId(9), Notification::cease(2))).is_empty());
    assert_eq!(h.state(), State::Established);
}

// ---- Stop, Cease and restart ----

#[test]
fn manual_stop_from_every_state() {
    let mut idle = H::new(cfg());
    assert!(idle.ev(ManualStop).is_empty());

    let mut connect = H::started(cfg());
    assert_eq!(
        connect.ev(ManualStop),
        vec![
            StopTimer(Timer::ConnectRetry),
            CancelConnect,
            StateChanged {
                from: State::Connect,
                to: State::Idle
            }
        ]
    );

    let mut active = H::new(cfg());
    active.ev(ManualStartPassive);
    assert_eq!(
        active.ev(ManualStop),
        vec![StateChanged {
            from: State::Active,
            to: State::Idle
        }]
    );

    for mut h in [H::open_sent(), H::open_confirm(), H::established()] {
        let was_established = h.state() == State::Established;
        let acts = h.ev(ManualStop);
        assert_eq!(notifications(&acts), vec![(C1, 6, 2)]);
        assert_eq!(closed(&acts), vec![C1]);
        assert_eq!(h.state(), State::Idle);
        assert_eq!(
            acts.contains(&SessionDown {
                reason: LastError::AdminDown
            }),
            was_established
        );
        assert!(
            !acts.iter().any(|a| matches!(a, StartTimer(..))),
            "no restart after stop"
        );
        assert_eq!(h.s.stats().connect_retry_counter, 0);
        assert_eq!(h.s.stats().established_since, None);
    }
}

#[test]
fn cease_subcodes_and_restart_policy() {
    let v4 = Family::IPV4_UNICAST;
    let cases = [
        (
            CeaseReason::MaxPrefix {
                family: v4,
                limit: 100,
            },
            1,
            vec![0, 1, 1, 0, 0, 0, 100],
            true,
        ),
        (CeaseReason::AdminShutdown, 2, vec![], false),
        (CeaseReason::PeerDeconfigured, 3, vec![], false),
        (CeaseReason::AdminReset, 4, vec![], true),
        (CeaseReason::OutOfResources, 8, vec![], true),
    ];
    for (reason, subcode, data, restarts) in cases {
        let mut h = H::established();
        let acts = h.ev(Cease(reason.clone()));
        assert!(acts.contains(&SendNotification(C1, Notification::new(6, subcode, data))));
        assert_eq!(h.state(), State::Idle);
        assert_eq!(
            acts.contains(&StartTimer(Timer::IdleHold, secs(3))),
            restarts,
            "{reason:?}"
        );
        assert_eq!(h.last_error(), Some(reason.error()));
    }
    assert_eq!(
        LastError::MaxPrefix { limit: 100 }.to_string(),
        "maximum prefix limit (100) reached"
    );
}

#[test]
fn automatic_restart_after_error() {
    let mut h = H::established();
    h.fire(Timer::Hold);
    assert_eq!(h.s.stats().connect_retry_counter, 1);
    let acts = h.fire(Timer::IdleHold);
    assert!(acts.contains(&Connect));
    assert_eq!(h.state(), State::Connect);
    h.ev(TcpCrAcked(C2));
    h.ev(BgpOpen(C2, open()));
    h.ev(KeepAliveMsg(C2));
    assert_eq!(h.s.stats().established_count, 2);
    // AutomaticStart from the adapter does the same, and is ignored when already running.
    assert!(h.ev(AutomaticStart).is_empty());
    let mut h = H::new(cfg());
    assert!(h.ev(AutomaticStart).contains(&Connect));
}

#[test]
fn manual_stop_during_idle_hold_cancels_restart() {
    let mut h = H::open_confirm();
    h.fire(Timer::Hold);
    assert_eq!(h.ev(ManualStop), vec![StopTimer(Timer::IdleHold)]);
    h.t += secs(60);
    assert!(h.ev(TimerExpired(Timer::IdleHold)).is_empty());
    assert_eq!(h.state(), State::Idle);
}

// ---- Connection collision (RFC 4271 §6.8) ----

/// Outbound C1 in OpenSent plus inbound C2 (OPEN sent on both).
fn collision(local_id: Ipv4Addr) -> H {
    let mut h = H::open_sent_with(Config {
        bgp_id: local_id,
        ..cfg()
    });
    assert_eq!(h.ev(TcpConnectionConfirmed(C2)), vec![SendOpen(C2)]);
    h
}

#[test]
fn collision_lower_local_id_keeps_the_peers_connection() {
    let mut h = collision(LOCAL_ID); // 169.254.0.1 < 169.254.0.6
    let acts = h.ev(BgpOpen(C2, open()));
    assert_eq!(notifications(&acts), vec![(C1, 6, 7)]);
    assert_eq!(closed(&acts), vec![C1]);
    assert!(acts.contains(&SendKeepalive(C2)));
    assert_eq!(h.state(), State::OpenConfirm);
    h.ev(KeepAliveMsg(C2));
    assert_eq!(h.s.negotiated().unwrap().conn, C2);
    assert_eq!(h.s.stats().last_error, None, "a collision is not an error");
}

#[test]
fn collision_higher_local_id_keeps_our_connection() {
    let mut h = collision(Ipv4Addr::new(169, 254, 0, 9));
    let acts = h.ev(BgpOpen(C2, open()));
    assert_eq!(acts, collision_lost(C2));
    assert_eq!(h.state(), State::OpenSent);
    h.ev(BgpOpen(C1, open()));
    h.ev(KeepAliveMsg(C1));
    assert_eq!(h.s.negotiated().unwrap().conn, C1);
}

#[test]
fn collision_against_open_confirm() {
    // Our connection got the OPEN first; the peer's connection arrives later and loses to... us.
    let mut h = H::open_sent_with(Config {
        bgp_id: Ipv4Addr::new(169, 254, 0, 9),
        ..cfg()
    });
    h.ev(BgpOpen(C1, open()));
    h.ev(TcpConnectionConfirmed(C2));
    let acts = h.ev(BgpOpen(C2, open()));
    assert_eq!(acts, collision_lost(C2));
    assert_eq!(h.state(), State::OpenConfirm);
    assert!(h.ev(KeepAliveMsg(C1)).contains(&StateChanged {
        from: State::OpenConfirm,
        to: State::Established
    }));

    // ...and with a lower local id the OpenConfirm connection is the one dropped.
    let mut h = H::open_confirm();
    h.ev(TcpConnectionConfirmed(C2));
    let acts = h.ev(BgpOpen(C2, open()));
    assert_eq!(notifications(&acts), vec![(C1, 6, 7)]);
    assert_eq!(h.state(), State::OpenConfirm);
    h.ev(KeepAliveMsg(C2));
    assert_eq!(h.state(), State::Established);
}

#[test]
fn second_connection_is_closed_once_established() {
    let mut h = H::open_confirm();
    h.ev(TcpConnectionConfirmed(C2));
    let acts = h.ev(KeepAliveMsg(C1));
    assert_eq!(notifications(&acts), vec![(C2, 6, 7)]);
    // A new connection while Established is closed at once.
    let acts = h.ev(TcpConnectionConfirmed(ConnId(3)));
    assert_eq!(acts, collision_lost(ConnId(3)));
    assert_eq!(h.state(), State::Established);
}

#[test]
fn losing_one_of_two_connections_keeps_the_other() {
    let mut h = H::open_confirm();
    h.ev(TcpConnectionConfirmed(C2));
    let acts = h.ev(TcpConnectionFails(C1));
    // The survivor still waits for an OPEN: back to the long hold timer.
    assert!(acts.contains(&StartTimer(Timer::Hold, OPEN_HOLD_TIME)));
    assert!(acts.contains(&StopTimer(Timer::Keepalive)));
    assert_eq!(h.state(), State::OpenSent);
    h.ev(BgpOpen(C2, open()));
    h.ev(KeepAliveMsg(C2));
    assert_eq!(h.state(), State::Established);
}

#[test]
fn third_connection_is_rejected() {
    let mut h = collision(LOCAL_ID);
    let acts = h.ev(TcpConnectionConfirmed(ConnId(3)));
    assert_eq!(notifications(&acts), vec![(ConnId(3), 6, 5)]);
}

// ---- Config and words ----

#[test]
fn bad_config_is_refused_with_a_reason() {
    for c in [
        Config {
            hold_time: 2,
            ..cfg()
        },
        Config {
            bgp_id: Ipv4Addr::UNSPECIFIED,
            ..cfg()
        },
        Config {
            remote_asn: 0,
            ..cfg()
        },
        Config {
            connect_retry_time: Duration::ZERO,
            ..cfg()
        },
    ] {
        let e = Session::new(c).unwrap_err();
        assert!(e.to_string().starts_with("invalid BGP session config: "));
    }
}

#[test]
fn notification_names() {
    assert_eq!(
        Notification::new(4, 0, vec![]).to_string(),
        "hold timer expired"
    );
    assert_eq!(
        Notification::cease(7).to_string(),
        "cease: connection collision resolution"
    );
    assert_eq!(
        Notification::new(2, 99, vec![]).to_string(),
        "OPEN: subcode 99"
    );
    assert_eq!(
        Notification::new(42, 1, vec![]).to_string(),
        "error code 42 subcode 1"
    );
}
