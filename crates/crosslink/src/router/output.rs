//! The router's event lines: readable text or JSON, one per event, written and flushed at once so
//! a pipe or a test sees each event when it happens.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// One printable event. Strings are already the operator's words (state names, error texts).
#[derive(Debug, Clone)]
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
    Info(String),
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
        Line::Info(s) => s.clone(),
    }
}

/// A JSON line: `time` first, then `event`, then the event's fields, in a fixed order.
#[derive(serde::Serialize)]
struct Stamped<'a> {
    time: String,
    #[serde(flatten)]
    body: Body<'a>,
}

#[derive(serde::Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
enum Body<'a> {
    Listening {
        address: Option<String>,
        asn: u32,
        router_id: String,
    },
    Neighbor {
        peer: String,
        asn: u32,
        from: &'a str,
        to: &'a str,
        error: Option<&'a str>,
    },
    Down {
        peer: String,
        asn: u32,
        error: &'a str,
    },
    Route {
        prefix: String,
        action: &'static str,
        next_hop: Option<String>,
        as_path: &'a [u32],
    },
    Routes {
        count: usize,
    },
    Info {
        message: &'a str,
    },
}

fn json_line(at: SystemTime, line: &Line) -> String {
    let body = match line {
        Line::Listening {
            address,
            asn,
            router_id,
        } => Body::Listening {
            address: address.map(|a| a.to_string()),
            asn: *asn,
            router_id: router_id.to_string(),
        },
        Line::Neighbor {
            peer,
            asn,
            from,
            to,
            error,
        } => Body::Neighbor {
            peer: peer.to_string(),
            asn: *asn,
            from,
            to,
            error: error.as_deref(),
        },
        Line::Down { peer, asn, error } => Body::Down {
            peer: peer.to_string(),
            asn: *asn,
            error,
        },
        Line::Route {
            prefix,
            action,
            next_hop,
            as_path,
        } => Body::Route {
            prefix: prefix.to_string(),
            action: action.as_str(),
            next_hop: next_hop.map(|h| h.to_string()),
            as_path,
        },
        Line::Routes { count } => Body::Routes { count: *count },
        Line::Info(message) => Body::Info { message },
    };
    serde_json::to_string(&Stamped {
        time: rfc3339(at),
        body,
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
    let d = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (y, m, day) = civil_from_days((secs / 86_400) as i64);
    let t = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        t / 3600,
        t % 3600 / 60,
        t % 60,
        d.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
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
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
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
        let j: serde_json::Value = serde_json::from_str(&json_line(UNIX_EPOCH, &r)).unwrap();
        assert_eq!(j["as_path"][0], 64532);
        assert_eq!(j["action"], "added");
        let c = json_line(UNIX_EPOCH, &Line::Routes { count: 5 });
        assert_eq!(
            c,
            r#"{"time":"1970-01-01T00:00:00.000Z","event":"routes","count":5}"#
        );
    }
}
