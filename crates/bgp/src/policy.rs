//! Route policy for a BGP session: prefix lists (in the style of `ip prefix-list`) and a
//! maximum-prefix limit. Pure data and decisions; the session applies them.
//!
//! Prefix-list semantics, chosen to match FRR/Cisco `ip prefix-list` so operators' habits carry
//! over:
//! - An entry `[permit|deny] NETWORK/LEN [ge GE] [le LE]` matches a route prefix P when P lies
//!   inside NETWORK/LEN (same address family, P's length ≥ LEN) and P's length is in the entry's
//!   range: exactly LEN when neither `ge` nor `le` is given, `[GE, max]` with only `ge`,
//!   `[LEN, LE]` with only `le`, `[GE, LE]` with both. `max` is 32 for IPv4, 128 for IPv6.
//!   `LEN ≤ GE ≤ LE ≤ max` is required. The action defaults to `permit`.
//! - Entries are tried in order; the first match decides.
//! - A list with entries denies whatever no entry matched (implicit deny).
//! - An empty list, like an absent one, filters nothing (permits all): "no prefixes configured"
//!   in an API means "no filter", never "drop everything".
//! - An IPv4 entry never matches an IPv6 prefix and vice versa, so a list of only IPv4 entries
//!   denies all IPv6 routes (write `permit ::/0 le 128` to let them through).

use std::fmt;
use std::str::FromStr;

use ipnet::IpNet;

/// What a matching entry does with the route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Permit,
    Deny,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Permit => "permit",
            Action::Deny => "deny",
        })
    }
}

/// Why a prefix-list entry (or list) could not be parsed or built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    Empty,
    BadPrefix {
        input: String,
    },
    HostBitsSet {
        input: String,
        network: IpNet,
    },
    BadLength {
        keyword: &'static str,
        input: String,
    },
    LengthOutOfRange {
        keyword: &'static str,
        value: u8,
        min: u8,
        max: u8,
    },
    GeAboveLe {
        ge: u8,
        le: u8,
    },
    Repeated {
        keyword: &'static str,
    },
    Unexpected {
        token: String,
    },
    /// An entry of a multi-entry list was bad; `index` counts from 1.
    InEntry {
        index: usize,
        source: Box<PolicyError>,
    },
    ZeroLimit,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::Empty => f.write_str(
                "empty prefix-list entry; expected `[permit|deny] NETWORK/LEN [ge N] [le N]`",
            ),
            PolicyError::BadPrefix { input } => write!(
                f,
                "`{input}` is not a prefix; expected NETWORK/LEN such as 10.0.0.0/8 or 2001:db8::/32"
            ),
            PolicyError::HostBitsSet { input, network } => write!(
                f,
                "`{input}` has host bits set; did you mean {network}?"
            ),
            PolicyError::BadLength { keyword, input } => {
                write!(f, "`{keyword}` needs a prefix length, got `{input}`")
            }
            PolicyError::LengthOutOfRange {
                keyword,
                value,
                min,
                max,
            } => write!(
                f,
                "`{keyword} {value}` is out of range: must be between {min} and {max} for this prefix"
            ),
            PolicyError::GeAboveLe { ge, le } => {
                write!(f, "`ge {ge}` is greater than `le {le}`; no prefix could match")
            }
            PolicyError::Repeated { keyword } => write!(f, "`{keyword}` given twice"),
            PolicyError::Unexpected { token } => write!(
                f,
                "unexpected `{token}`; expected `[permit|deny] NETWORK/LEN [ge N] [le N]`"
            ),
            PolicyError::InEntry { index, source } => write!(f, "entry {index}: {source}"),
            PolicyError::ZeroLimit => f.write_str("maximum-prefix limit must be at least 1"),
        }
    }
}

impl std::error::Error for PolicyError {}

/// One line of a prefix list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrefixListEntry {
    action: Action,
    network: IpNet,
    ge: Option<u8>,
    le: Option<u8>,
}

impl PrefixListEntry {
    /// Validates `network` (no host bits) and `len ≤ ge ≤ le ≤ max`.
    pub fn new(
        action: Action,
        network: IpNet,
        ge: Option<u8>,
        le: Option<u8>,
    ) -> Result<Self, PolicyError> {
        if network.trunc() != network {
            return Err(PolicyError::HostBitsSet {
                input: network.to_string(),
                network: network.trunc(),
            });
        }
        let (len, max) = (network.prefix_len(), network.max_prefix_len());
        for (keyword, value) in [("ge", ge), ("le", le)] {
            if let Some(value) = value {
                if value < len || value > max {
                    return Err(PolicyError::LengthOutOfRange {
                        keyword,
                        value,
                        min: len,
                        max,
                    });
                }
            }
        }
        if let (Some(ge), Some(le)) = (ge, le) {
            if ge > le {
                return Err(PolicyError::GeAboveLe { ge, le });
            }
        }
        Ok(PrefixListEntry {
            action,
            network,
            ge,
            le,
        })
    }

    pub fn action(&self) -> Action {
        self.action
    }

    pub fn network(&self) -> IpNet {
        self.network
    }

    pub fn ge(&self) -> Option<u8> {
        self.ge
    }

    pub fn le(&self) -> Option<u8> {
        self.le
    }

    /// The inclusive range of prefix lengths this entry matches.
    pub fn length_range(&self) -> (u8, u8) {
        let len = self.network.prefix_len();
        match (self.ge, self.le) {
            (None, None) => (len, len),
            (Some(ge), None) => (ge, self.network.max_prefix_len()),
            (None, Some(le)) => (len, le),
            (Some(ge), Some(le)) => (ge, le),
        }
    }

    pub fn matches(&self, prefix: &IpNet) -> bool {
        let (lo, hi) = self.length_range();
        let len = prefix.prefix_len();
        // `contains` is false across address families.
        (lo..=hi).contains(&len) && self.network.contains(prefix)
    }
}

impl fmt::Display for PrefixListEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.action, self.network)?;
        if let Some(ge) = self.ge {
            write!(f, " ge {ge}")?;
        }
        if let Some(le) = self.le {
            write!(f, " le {le}")?;
        }
        Ok(())
    }
}

impl FromStr for PrefixListEntry {
    type Err = PolicyError;

    /// `[permit|deny] NETWORK/LEN [ge N] [le N]`, keywords case-insensitive, `ge`/`le` in either
    /// order.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut tokens = s.split_whitespace().peekable();
        let action = match tokens.peek().map(|t| t.to_ascii_lowercase()) {
            None => return Err(PolicyError::Empty),
            Some(t) if t == "permit" => {
                tokens.next();
                Action::Permit
            }
            Some(t) if t == "deny" => {
                tokens.next();
                Action::Deny
            }
            Some(_) => Action::Permit,
        };
        let prefix = tokens.next().ok_or(PolicyError::Empty)?;
        let network: IpNet = prefix.parse().map_err(|_| PolicyError::BadPrefix {
            input: prefix.to_string(),
        })?;
        if network.trunc() != network {
            return Err(PolicyError::HostBitsSet {
                input: prefix.to_string(),
                network: network.trunc(),
            });
        }
        let (mut ge, mut le) = (None, None);
        while let Some(token) = tokens.next() {
            let keyword = match token.to_ascii_lowercase().as_str() {
                "ge" => "ge",
                "le" => "le",
                _ => {
                    return Err(PolicyError::Unexpected {
                        token: token.to_string(),
                    })
                }
            };
            let slot = if keyword == "ge" { &mut ge } else { &mut le };
            if slot.is_some() {
                return Err(PolicyError::Repeated { keyword });
            }
            let value = tokens.next().ok_or(PolicyError::BadLength {
                keyword,
                input: String::new(),
            })?;
            *slot = Some(value.parse::<u8>().map_err(|_| PolicyError::BadLength {
                keyword,
                input: value.to_string(),
            })?);
        }
        PrefixListEntry::new(action, network, ge, le)
    }
}

/// An ordered prefix list. See the module docs for the exact semantics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PrefixList {
    entries: Vec<PrefixListEntry>,
}

impl PrefixList {
    pub fn new(entries: Vec<PrefixListEntry>) -> Self {
        PrefixList { entries }
    }

    /// Parses one entry per item; errors name the 1-based entry that failed.
    pub fn parse<I, S>(entries: I) -> Result<Self, PolicyError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        entries
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                e.as_ref().parse().map_err(|source| PolicyError::InEntry {
                    index: i + 1,
                    source: Box::new(source),
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(PrefixList::new)
    }

    pub fn entries(&self) -> &[PrefixListEntry] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The decision for `prefix` (host bits are ignored).
    pub fn evaluate(&self, prefix: &IpNet) -> Action {
        if self.entries.is_empty() {
            return Action::Permit;
        }
        let prefix = prefix.trunc();
        self.entries
            .iter()
            .find(|e| e.matches(&prefix))
            .map_or(Action::Deny, PrefixListEntry::action)
    }

    pub fn permits(&self, prefix: &IpNet) -> bool {
        self.evaluate(prefix) == Action::Permit
    }
}

impl fmt::Display for PrefixList {
    /// One entry per line, parseable again with [`PrefixList::parse`] over `lines()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// A limit on how many prefixes a peer may have accepted (after import filtering) in its
/// Adj-RIB-In at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MaxPrefix {
    limit: u32,
    teardown: bool,
}

/// What the session should do after counting a peer's accepted prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxPrefixVerdict {
    Within,
    /// Over the limit and configured to tear down: send NOTIFICATION Cease (6) / Maximum Number
    /// of Prefixes Reached (1) (RFC 4486) and close the session.
    Teardown,
    /// Over the limit, warning only: keep the session, refuse the routes beyond the limit.
    Warn,
}

impl MaxPrefix {
    /// `teardown`: close the session when exceeded; otherwise only warn and drop the excess.
    pub fn new(limit: u32, teardown: bool) -> Result<Self, PolicyError> {
        if limit == 0 {
            return Err(PolicyError::ZeroLimit);
        }
        Ok(MaxPrefix { limit, teardown })
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    pub fn teardown(&self) -> bool {
        self.teardown
    }

    /// Exceeded means strictly more than `limit` accepted prefixes.
    pub fn check(&self, accepted: usize) -> MaxPrefixVerdict {
        if accepted <= self.limit as usize {
            MaxPrefixVerdict::Within
        } else if self.teardown {
            MaxPrefixVerdict::Teardown
        } else {
            MaxPrefixVerdict::Warn
        }
    }
}

impl fmt::Display for MaxPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.limit)?;
        if !self.teardown {
            f.write_str(" warning-only")?;
        }
        Ok(())
    }
}

impl FromStr for MaxPrefix {
    type Err = PolicyError;

    /// `LIMIT [warning-only]` (FRR's wording); tearing down is the default.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut tokens = s.split_whitespace();
        let limit = tokens.next().ok_or(PolicyError::BadLength {
            keyword: "maximum-prefix",
            input: String::new(),
        })?;
        let limit = limit.parse::<u32>().map_err(|_| PolicyError::BadLength {
            keyword: "maximum-prefix",
            input: limit.to_string(),
        })?;
        let teardown = match tokens.next() {
            None => true,
            Some(t) if t.eq_ignore_ascii_case("warning-only") => false,
            Some(t) => {
                return Err(PolicyError::Unexpected {
                    token: t.to_string(),
                })
            }
        };
        if let Some(t) = tokens.next() {
            return Err(PolicyError::Unexpected {
                token: t.to_string(),
            });
        }
        MaxPrefix::new(limit, teardown)
    }
}

/// The policy of one BGP session. `None` filters mean "permit all".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionPolicy {
    pub import: Option<PrefixList>,
    pub export: Option<PrefixList>,
    pub max_prefix: Option<MaxPrefix>,
}

impl SessionPolicy {
    pub fn accepts(&self, prefix: &IpNet) -> bool {
        self.import.as_ref().is_none_or(|l| l.permits(prefix))
    }

    pub fn announces(&self, prefix: &IpNet) -> bool {
        self.export.as_ref().is_none_or(|l| l.permits(prefix))
    }

    pub fn check_count(&self, accepted: usize) -> MaxPrefixVerdict {
        self.max_prefix
            .map_or(MaxPrefixVerdict::Within, |m| m.check(accepted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    fn entry(s: &str) -> PrefixListEntry {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn exact_length_when_no_ge_le() {
        let e = entry("10.0.0.0/8");
        assert_eq!(e.action(), Action::Permit);
        assert!(e.matches(&net("10.0.0.0/8")));
        assert!(!e.matches(&net("10.1.0.0/16")));
        assert!(!e.matches(&net("0.0.0.0/0")));
    }

    #[test]
    fn le_only_ranges_from_own_length() {
        let e = entry("10.0.0.0/8 le 24");
        assert!(e.matches(&net("10.0.0.0/8")));
        assert!(e.matches(&net("10.20.30.0/24")));
        assert!(!e.matches(&net("10.20.30.0/25")));
        assert!(!e.matches(&net("11.0.0.0/24")));
    }

    #[test]
    fn ge_only_ranges_to_max() {
        let e = entry("permit 192.168.0.0/16 ge 24");
        assert!(!e.matches(&net("192.168.0.0/16")));
        assert!(!e.matches(&net("192.168.1.0/23")));
        assert!(e.matches(&net("192.168.1.0/24")));
        assert!(e.matches(&net("192.168.1.1/32")));
    }

    #[test]
    fn ge_and_le() {
        let e = entry("permit 192.168.0.0/16 ge 24 le 28");
        assert_eq!(e.length_range(), (24, 28));
        assert!(e.matches(&net("192.168.7.16/28")));
        assert!(!e.matches(&net("192.168.7.16/29")));
        // Either order parses to the same entry.
        assert_eq!(e, entry("PERMIT 192.168.0.0/16 le 28 ge 24"));
    }

    #[test]
    fn deny_default_route_only() {
        let e = entry("deny 0.0.0.0/0");
        assert_eq!(e.action(), Action::Deny);
        assert!(e.matches(&net("0.0.0.0/0")));
        assert!(!e.matches(&net("10.0.0.0/8")));
    }

    #[test]
    fn families_never_cross() {
        let v4_all = entry("0.0.0.0/0 le 32");
        let v6_all = entry("::/0 le 128");
        assert!(!v4_all.matches(&net("2001:db8::/32")));
        assert!(!v6_all.matches(&net("10.0.0.0/8")));
        assert!(v6_all.matches(&net("2001:db8::/32")));
    }

    #[test]
    fn first_match_wins_then_implicit_deny() {
        let list = PrefixList::parse([
            "deny 10.66.0.0/16 le 32",
            "permit 10.0.0.0/8 le 24",
            "permit 2001:db8::/32 le 48",
        ])
        .unwrap();
        assert_eq!(list.evaluate(&net("10.66.1.0/24")), Action::Deny);
        assert_eq!(list.evaluate(&net("10.67.1.0/24")), Action::Permit);
        assert_eq!(
            list.evaluate(&net("10.67.1.0/25")),
            Action::Deny,
            "implicit deny"
        );
        assert_eq!(
            list.evaluate(&net("172.16.0.0/12")),
            Action::Deny,
            "implicit deny"
        );
        assert!(list.permits(&net("2001:db8:1::/48")));
        assert!(!list.permits(&net("2001:db9::/32")));
    }

    #[test]
    fn empty_or_absent_list_permits_all() {
        assert!(PrefixList::default().permits(&net("203.0.113.0/24")));
        assert!(PrefixList::parse(Vec::<&str>::new())
            .unwrap()
            .permits(&net("::/0")));
        let p = SessionPolicy::default();
        assert!(p.accepts(&net("0.0.0.0/0")) && p.announces(&net("::/0")));
        assert_eq!(p.check_count(usize::MAX), MaxPrefixVerdict::Within);
    }

    #[test]
    fn host_bits_in_candidate_are_ignored() {
        let list = PrefixList::parse(["10.0.0.0/8 le 24"]).unwrap();
        assert!(list.permits(&net("10.1.2.3/24")));
    }

    #[test]
    fn bad_input_gets_clear_errors() {
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            ("permit", "empty"),
            ("10.0.0/8", "not a prefix"),
            ("10.0.0.0", "not a prefix"),
            ("10.0.0.0/33", "not a prefix"),
            ("10.0.0.1/8", "did you mean 10.0.0.0/8"),
            ("10.0.0.0/8 le", "`le` needs a prefix length"),
            ("10.0.0.0/8 le x", "`le` needs a prefix length, got `x`"),
            ("10.0.0.0/8 le 300", "`le` needs a prefix length, got `300`"),
            ("10.0.0.0/8 le 33", "between 8 and 32"),
            ("10.0.0.0/16 ge 8", "between 16 and 32"),
            ("::/0 le 129", "between 0 and 128"),
            ("10.0.0.0/8 ge 24 le 16", "greater than `le 16`"),
            ("10.0.0.0/8 le 16 le 24", "`le` given twice"),
            ("allow 10.0.0.0/8", "`allow` is not a prefix"),
            ("permit 10.0.0.0/8 eq 16", "unexpected `eq`"),
        ];
        for (input, expected) in cases {
            let err = input.parse::<PrefixListEntry>().unwrap_err().to_string();
            assert!(
                err.contains(expected),
                "{input:?}: got {err:?}, want {expected:?}"
            );
        }
        let err = PrefixList::parse(["10.0.0.0/8", "bogus"]).unwrap_err();
        assert!(err.to_string().starts_with("entry 2: "), "{err}");
    }

    #[test]
    fn max_prefix() {
        let m: MaxPrefix = "100".parse().unwrap();
        assert!(m.teardown());
        assert_eq!(m.check(100), MaxPrefixVerdict::Within);
        assert_eq!(m.check(101), MaxPrefixVerdict::Teardown);
        let w: MaxPrefix = "5 warning-only".parse().unwrap();
        assert_eq!(w.check(6), MaxPrefixVerdict::Warn);
        assert_eq!(w.to_string(), "5 warning-only");
        for bad in [
            "",
            "0",
            "-1",
            "x",
            "5 shutdown",
            "5 warning-only extra",
            "4294967296",
        ] {
            assert!(bad.parse::<MaxPrefix>().is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            "0".parse::<MaxPrefix>().unwrap_err().to_string(),
            "maximum-prefix limit must be at least 1"
        );
    }

    fn arb_entry() -> impl Strategy<Value = PrefixListEntry> {
        let v4 = (any::<u32>(), 0u8..=32)
            .prop_map(|(a, l)| IpNet::V4(ipnet::Ipv4Net::new(a.into(), l).unwrap().trunc()));
        let v6 = (any::<u128>(), 0u8..=128)
            .prop_map(|(a, l)| IpNet::V6(ipnet::Ipv6Net::new(a.into(), l).unwrap().trunc()));
        (
            prop_oneof![v4, v6],
            any::<bool>(),
            any::<Option<u8>>(),
            any::<Option<u8>>(),
        )
            .prop_map(|(n, permit, a, b)| {
                let (len, max) = (n.prefix_len(), n.max_prefix_len());
                let span = max - len + 1;
                let mut ge = a.map(|x| len + x % span);
                let mut le = b.map(|x| len + x % span);
                if let (Some(g), Some(l)) = (ge, le) {
                    if g > l {
                        (ge, le) = (Some(l), Some(g));
                    }
                }
                let action = if permit { Action::Permit } else { Action::Deny };
                PrefixListEntry::new(action, n, ge, le).unwrap()
            })
    }

    proptest! {
        #[test]
        fn entry_display_parses_back(e in arb_entry()) {
            prop_assert_eq!(e.to_string().parse::<PrefixListEntry>().unwrap(), e);
        }

        /// A prefix carved out of the entry's network matches exactly when its length is in the
        /// entry's range; prefixes of the other family or outside the network never match.
        #[test]
        fn matches_agrees_with_definition(e in arb_entry(), bits in any::<u128>(), extra in any::<u8>()) {
            let n = e.network();
            let (lo, hi) = e.length_range();
            let max = n.max_prefix_len();
            let len = n.prefix_len() + extra % (max - n.prefix_len() + 1);
            let candidate = match n {
                IpNet::V4(v4) => {
                    let host = (bits as u32) & !u32::from(v4.netmask());
                    let addr = u32::from(v4.network()) | host;
                    IpNet::V4(ipnet::Ipv4Net::new(addr.into(), len).unwrap().trunc())
                }
                IpNet::V6(v6) => {
                    let host = bits & !u128::from(v6.netmask());
                    let addr = u128::from(v6.network()) | host;
                    IpNet::V6(ipnet::Ipv6Net::new(addr.into(), len).unwrap().trunc())
                }
            };
            prop_assert_eq!(e.matches(&candidate), (lo..=hi).contains(&len));
            let other_family = match n {
                IpNet::V4(_) => "::/0".parse::<IpNet>().unwrap(),
                IpNet::V6(_) => "0.0.0.0/0".parse::<IpNet>().unwrap(),
            };
            prop_assert!(!e.matches(&other_family));
            if let Some(supernet) = n.supernet() {
                // The sibling half of the supernet is outside the entry's network.
                let sibling = supernet.subnets(n.prefix_len()).unwrap().find(|s| *s != n).unwrap();
                prop_assert!(!e.matches(&sibling));
            }
        }

        #[test]
        fn list_display_parses_back(entries in proptest::collection::vec(arb_entry(), 0..6)) {
            let list = PrefixList::new(entries);
            let text = list.to_string();
            let again = PrefixList::parse(text.lines()).unwrap();
            prop_assert_eq!(again, list);
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,40}", t in "(permit |deny )?[0-9a-f:.]{0,20}/[0-9]{0,3}( (ge|le) [0-9]{0,3}){0,3}") {
            let _ = s.parse::<PrefixListEntry>();
            let _ = t.parse::<PrefixListEntry>();
            let _ = s.parse::<MaxPrefix>();
        }
    }
}
