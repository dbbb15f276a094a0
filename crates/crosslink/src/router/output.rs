//! The router's event lines: readable text or JSON, one per event, written and flushed at once so
//! a pipe or a test sees each event when it happens.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crosslink_domain::time::rfc3339_millis;

use ipnet::IpNet;

use super::Output;

/// What happened to a route in the Loc-RIB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteAction {
    Added,
    Changed,
    Withdrawn,
}

impl RouteAction {
    fn as_str(self) -> &'static str {
        match self {
            RouteAction::Added => "added",
            RouteAction::Changed => "changed",
            RouteAction::Withdrawn => "withdrawn",
        }
    }
}

impl serde::Serialize for RouteAction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One printable event. Strings are already the operator's words (state names, error texts).
/// As JSON: `event` names the variant, then its fields in this order.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Line {
    Listening {
        address: Option<SocketAddr>,
        asn: u32,
        router_id: std::net::Ipv4Addr,
    },
    Neighbor {
        peer: IpAddr,
        asn: u32,
        from: String,
        to: String,
        error: Option<String>,
    },
    /// A session attempt failed without a state change worth a line of its own (e.g. the TCP
    /// connect went unanswered again).
    Down {
        peer: IpAddr,
        asn: u32,
        error: String,
    },
    Route {
        prefix: IpNet,
        action: RouteAction,
        next_hop: Option<IpAddr>,
        as_path: Vec<u32>,
    },
    Routes {
        count: usize,
    },
    /// The kernel refused best routes (`error`), or every refused one is in again or gone.
    Kernel {
        error: Option<String>,
        refused: u64,
        failures: u64,
    },
    Info {
        message: String,
    },
}

impl Line {
    pub fn info(message: impl Into<String>) -> Line {
        Line::Info {
            message: message.into(),
        }
    }
}

/// Writes lines to stdout in the chosen format. Lines are buffered; the caller flushes when it
/// has nothing more to print right now, so a burst of events costs one write, not one each.
pub struct Printer {
    format: Output,
    out: std::io::BufWriter<std::io::Stdout>,
    last_flush: Instant,
}

/// Longest a printed line may wait in the buffer during a continuous burst.
const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

impl Printer {
    pub fn new(format: Output) -> Self {
        Printer {
            format,
            out: std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout()),
            last_flush: Instant::now(),
        }
    }

    /// Prints `line` stamped now.
    pub fn print(&mut self, line: &Line) {
        self.print_at(SystemTime::now(), line);
    }

    pub fn print_at(&mut self, at: SystemTime, line: &Line) {
        let text = match self.format {
            Output::Text => format!("{} {}", clock(at), text(line)),
            Output::Json => json_line(at, line),
        };
        // A closed stdout (e.g. `| head`) must not stop the router.
        let _ = writeln!(self.out, "{text}");
        if self.last_flush.elapsed() >= FLUSH_INTERVAL {
            self.flush();
        }
    }

    pub fn flush(&mut self) {
        let _ = self.out.flush();
        self.last_flush = Instant::now();
    }
}

fn text(line: &Line) -> String {
    match line {
        Line::Listening {
            address,
            asn,
            router_id,
        } => match address {
            Some(a) => format!("listening on {a} as AS{asn} (router id {router_id})"),
            None => {
                format!("not listening (active sessions only) as AS{asn} (router id {router_id})")
            }
        },
        Line::Neighbor {
            peer,
            asn,
            from,
            to,
            error,
        } => match error {
            Some(e) => format!("neighbor {peer} AS{asn}: {from} -> {to} ({e})"),
            None => format!("neighbor {peer} AS{asn}: {from} -> {to}"),
        },
        Line::Down { peer, asn, error } => format!("neighbor {peer} AS{asn}: down: {error}"),
        Line::Route {
            prefix,
            action,
            next_hop,
            as_path,
        } => match action {
            RouteAction::Withdrawn => format!("route {prefix} withdrawn"),
            _ => {
                let via = next_hop.map(|h| format!(" via {h}")).unwrap_or_default();
                let path = if as_path.is_empty() {
                    "(local)".to_string()
                } else {
                    as_path
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                format!("route {prefix}{via} path {path} {}", action.as_str())
            }
        },
        Line::Routes { count } => format!("routes: {count} in Loc-RIB"),
        Line::Kernel {
            error,
            refused,
            failures,
        } => match error {
            // The error starts with "kernel refused ...".
            Some(e) => format!("{e} ({refused} best routes not installed)"),
            None => format!("kernel: every best route installed ({failures} refused before)"),
        },
        Line::Info { message } => message.clone(),
    }
}

/// A JSON line: `time` first, then the event.
#[derive(serde::Serialize)]
struct Stamped<'a> {
    time: String,
    #[serde(flatten)]
    line: &'a Line,
}

fn json_line(at: SystemTime, line: &Line) -> String {
    serde_json::to_string(&Stamped {
        time: rfc3339(at),
        line,
    })
    .unwrap_or_default()
}

/// `HH:MM:SS` in UTC (the router has no time-zone database).
fn clock(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let day = secs % 86_400;
    format!("{:02}:{:02}:{:02}", day / 3600, day % 3600 / 60, day % 60)
}

/// `2026-11-23T14:02:11.123Z`.
fn rfc3339(at: SystemTime) -> String {
    let ms = at
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    rfc3339_millis(i64::try_from(ms).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formats() {
        // 2026-11-23T14:02:11.123Z
        let at = UNIX_EPOCH + Duration::from_millis(1_795_442_531_123);
        assert_eq!(rfc3339(at), "2026-11-23T14:02:11.123Z");
        assert_eq!(clock(at), "14:02:11");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn text_lines() {
        let peer: IpAddr = "169.254.0.1".parse().unwrap();
        let l = Line::Neighbor {
            peer,
            asn: 64532,
            from: "Active".into(),
            to: "Established".into(),
            error: None,
        };
        assert_eq!(
            text(&l),
            "neighbor 169.254.0.1 AS64532: Active -> Established"
        );
        let r = Line::Route {
            prefix: "10.0.0.0/24".parse().unwrap(),
            action: RouteAction::Added,
            next_hop: Some(peer),
            as_path: vec![64532],
        };
        assert_eq!(
            text(&r),
            "route 10.0.0.0/24 via 169.254.0.1 path 64532 added"
        );
        let k = Line::Kernel {
            error: Some(
                "kernel refused route 10.1.0.0/24 via 192.0.2.1: Network is unreachable".into(),
            ),
            refused: 1,
            failures: 3,
        };
        assert_eq!(
            text(&k),
            "kernel refused route 10.1.0.0/24 via 192.0.2.1: Network is unreachable \
             (1 best routes not installed)"
        );
        let j: serde_json::Value = serde_json::from_str(&json_line(UNIX_EPOCH, &r)).unwrap();
        assert_eq!(j["as_path"][0], 64532);
        assert_eq!(j["action"], "added");
        let c = json_line(UNIX_EPOCH, &Line::Routes { count: 5 });
        assert_eq!(
            c,
            r#"{"time":"1970-01-01T00:00:00.000Z","event":"routes","count":5}"#
        );
        let listening = Line::Listening {
            address: Some("169.254.0.1:179".parse().unwrap()),
            asn: 64532,
            router_id: "169.254.0.1".parse().unwrap(),
        };
        assert_eq!(
            json_line(UNIX_EPOCH, &listening),
            r#"{"time":"1970-01-01T00:00:00.000Z","event":"listening","address":"169.254.0.1:179","asn":64532,"router_id":"169.254.0.1"}"#
        );
        assert_eq!(
            json_line(UNIX_EPOCH, &l),
            r#"{"time":"1970-01-01T00:00:00.000Z","event":"neighbor","peer":"169.254.0.1","asn":64532,"from":"Active","to":"Established","error":null}"#
        );
        assert_eq!(
            json_line(UNIX_EPOCH, &r),
            r#"{"time":"1970-01-01T00:00:00.000Z","event":"route","prefix":"10.0.0.0/24","action":"added","next_hop":"169.254.0.1","as_path":[64532]}"#
        );
        assert_eq!(
            json_line(UNIX_EPOCH, &Line::info("stopped")),
            r#"{"time":"1970-01-01T00:00:00.000Z","event":"info","message":"stopped"}"#
        );
    }
}
