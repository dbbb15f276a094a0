//! What BIRD and GoBGP test peers have in common: one BGP session and what it announces.

use std::net::{IpAddr, Ipv4Addr};

use super::RouterPair;

/// One BGP session of a test router and the prefixes it announces; `extra` holds what only
/// one daemon has ([`super::BirdConfig`], [`super::GoBgpConfig`]).
#[derive(Debug, Clone)]
pub struct RouterConfig<X> {
    pub router_id: Ipv4Addr,
    pub local_as: u32,
    /// Source address of the session; `None` lets the daemon pick.
    pub local_address: Option<IpAddr>,
    pub neighbor: IpAddr,
    pub remote_as: u32,
    /// Port the daemon connects to on the neighbor (179 when `None`).
    pub neighbor_port: Option<u16>,
    /// Port the daemon listens on (179 when `None`).
    pub listen_port: Option<u16>,
    pub password: Option<String>,
    pub passive: bool,
    pub announce: Vec<ipnet::IpNet>,
    pub hold_time: u16,
    pub extra: X,
}

impl<X: Default> RouterConfig<X> {
    /// A session with CI-friendly timers and everything else off.
    pub fn new(router_id: Ipv4Addr, local_as: u32, neighbor: IpAddr, remote_as: u32) -> Self {
        RouterConfig {
            router_id,
            local_as,
            local_address: None,
            neighbor,
            remote_as,
            neighbor_port: None,
            listen_port: None,
            password: None,
            passive: false,
            announce: Vec::new(),
            hold_time: 9,
            extra: X::default(),
        }
    }

    /// The DigitalOcean end (`a`) of a [`RouterPair`], peering with the MCR end.
    pub fn do_end() -> Self {
        Self::between(
            RouterPair::A_IP,
            RouterPair::A_AS,
            RouterPair::B_IP,
            RouterPair::B_AS,
        )
    }

    /// The MCR end (`b`) of a [`RouterPair`], peering with the DigitalOcean end.
    pub fn mcr_end() -> Self {
        Self::between(
            RouterPair::B_IP,
            RouterPair::B_AS,
            RouterPair::A_IP,
            RouterPair::A_AS,
        )
    }

    /// `local` (router id and source address) peering with `neighbor`.
    fn between(local: &str, local_as: u32, neighbor: &str, remote_as: u32) -> Self {
        let local: Ipv4Addr = local.parse().unwrap();
        Self::new(local, local_as, neighbor.parse().unwrap(), remote_as)
            .local_address(IpAddr::V4(local))
    }
}

impl<X> RouterConfig<X> {
    pub fn local_address(mut self, addr: IpAddr) -> Self {
        self.local_address = Some(addr);
        self
    }

    pub fn remote_as(mut self, asn: u32) -> Self {
        self.remote_as = asn;
        self
    }

    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(password.to_string());
        self
    }

    pub fn passive(mut self) -> Self {
        self.passive = true;
        self
    }

    pub fn announce(mut self, prefix: &str) -> Self {
        self.announce
            .push(prefix.parse().expect("announce: bad prefix"));
        self
    }

    pub fn neighbor_port(mut self, port: u16) -> Self {
        self.neighbor_port = Some(port);
        self
    }

    pub fn listen_port(mut self, port: u16) -> Self {
        self.listen_port = Some(port);
        self
    }

    /// The password, checked to be safe inside a quoted config string.
    pub fn quoted_password(&self, daemon: &str) -> Option<&str> {
        let pw = self.password.as_deref()?;
        assert!(
            !pw.contains('"') && !pw.contains('\\'),
            "{daemon}: password must not contain quotes or backslashes"
        );
        Some(pw)
    }
}
