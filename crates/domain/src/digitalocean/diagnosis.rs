//! Why an attachment's BGP session is not Established, in words. The cause is read from what
//! happened on the wire (the MCR end's last error: no answer, refused, a NOTIFICATION); the
//! configuration only names the fix.

use super::attachment::Bgp;
use std::net::Ipv4Addr;

const ESTABLISHED: &str = "Established: the BGP session with the MCR is up";
const NO_VXC: &str =
    "No VXC uses this attachment's service key yet: order one from a Megaport Cloud Router with the key";

/// What to tell a person about an attachment's session, from its state (`ACTIVE`, `CREATED`,
/// …) and its diagnosis; `None` for a state with no session to speak of.
pub fn summary(state: &str, diagnosis: Option<&str>) -> Option<String> {
    match (state, diagnosis) {
        ("ACTIVE", _) => Some(ESTABLISHED.into()),
        (_, Some(d)) => Some(d.into()),
        ("CREATED", None) => Some(NO_VXC.into()),
        _ => None,
    }
}

/// What is known of one attachment's session.
#[derive(Debug, Clone, Default)]
pub struct SessionFacts {
    /// The status of the VXC ordered with the attachment's key (`SHUTDOWN` for a LIVE VXC its
    /// owner shut down), if there is one. Its uid is the other end's and stays out of the words.
    pub vxc: Option<String>,
    /// DigitalOcean's router reached Established.
    pub established: bool,
    /// The MCR's BGP connection toward the attachment, as ordered.
    pub mcr: Option<McrFacts>,
}

#[derive(Debug, Clone)]
pub struct McrFacts {
    pub local_ip: Ipv4Addr,
    pub peer_ip: Ipv4Addr,
    pub peer_asn: u32,
    pub local_asn: u32,
    pub shutdown: bool,
    /// The MCR session's state and its last error from the wire.
    pub state: String,
    pub last_error: Option<String>,
}

/// `None` when the session is Established; otherwise what is wrong and what to change.
pub fn diagnose(bgp: &Bgp, f: &SessionFacts) -> Option<String> {
    if f.established {
        return None;
    }
    let Some(status) = &f.vxc else {
        return Some(NO_VXC.into());
    };
    if status == "SHUTDOWN" {
        return Some(
            "The VXC is shut down by its owner: no traffic and no BGP until it is turned back on"
                .into(),
        );
    }
    if status != "LIVE" {
        return Some(format!(
            "The VXC is {status}, not LIVE: the session starts when it is"
        ));
    }
    let Some(m) = &f.mcr else {
        return Some(format!(
            "The VXC has no BGP connection on its MCR end: add one (Interface IP {}, peer IP {}, peer ASN {}, the BGP auth key)",
            bgp.peer_router_ip, bgp.local_router_ip.addr(), bgp.local_asn
        ));
    };
    if m.shutdown {
        return Some("The MCR's BGP connection on the VXC is shut down".into());
    }
    let local = bgp.local_router_ip.addr();
    let peer = bgp.peer_router_ip.addr();
    let error = m.last_error.clone().unwrap_or_default();
    let lower = error.to_lowercase();
    if lower.contains("peer as") || lower.contains("bad peer") {
        // Name only the side(s) that disagree, each with its fix.
        let mut wrong = Vec::new();
        if m.peer_asn != bgp.local_asn {
            wrong.push(format!(
                "the MCR's BGP connection names peer ASN {}, but DigitalOcean's router is AS {}: set its Peer ASN to {}",
                m.peer_asn, bgp.local_asn, bgp.local_asn
            ));
        }
        if bgp.peer_asn != m.local_asn {
            wrong.push(format!(
                "the attachment's peer ASN is {}, but the MCR is AS {}: set the attachment's Peer ASN to {} (or the MCR's ASN to {})",
                bgp.peer_asn, m.local_asn, m.local_asn, bgp.peer_asn
            ));
        }
        if wrong.is_empty() {
            wrong.push("the ASNs were refused on the wire, though the settings now agree; the session retries".into());
        }
        return Some(format!(
            "ASN mismatch: {}; from the wire: {error}",
            wrong.join("; and ")
        ));
    }
    if m.local_ip == local && m.peer_ip == peer {
        return Some(format!(
            "Local and peer IPs are flipped: the MCR interface uses {local}, which is DigitalOcean's router, and peers with {peer}; set the interface IP to {peer} and the peer IP to {local}{}",
            wire(&error)
        ));
    }
    if m.local_ip != peer {
        return Some(format!(
            "The MCR interface IP {} is not the attachment's peer router IP {peer}: DigitalOcean's router only accepts the session from {peer}{}",
            m.local_ip,
            wire(&error)
        ));
    }
    if m.peer_ip != local {
        return Some(format!(
            "The MCR peers with {}, but DigitalOcean's router is {local}{}",
            m.peer_ip,
            wire(&error)
        ));
    }
    if lower.contains("no answer") || lower.contains("md5") || lower.contains("timed out") {
        return Some(format!(
            "Password mismatch: DigitalOcean's router drops the MCR's connection attempts unanswered, as TCP-MD5 does when the keys differ; use the attachment's BGP auth key{}",
            wire(&error)
        ));
    }
    Some(match m.last_error.as_deref() {
        Some(e) => format!("The session is {} (from the wire: {e})", m.state),
        None => format!("The session is {}, not yet Established", m.state),
    })
}

fn wire(error: &str) -> String {
    if error.is_empty() {
        String::new()
    } else {
        format!(" (from the wire: {error})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bgp() -> Bgp {
        Bgp {
            local_asn: 64532,
            local_router_ip: "169.254.0.1/29".parse().unwrap(),
            peer_asn: 133937,
            peer_router_ip: "169.254.0.6/29".parse().unwrap(),
            auth_key: "k".into(),
        }
    }

    fn facts(local: &str, peer: &str, error: &str) -> SessionFacts {
        SessionFacts {
            vxc: Some("LIVE".into()),
            established: false,
            mcr: Some(McrFacts {
                local_ip: local.parse().unwrap(),
                peer_ip: peer.parse().unwrap(),
                peer_asn: 64532,
                local_asn: 133937,
                shutdown: false,
                state: "Connect".into(),
                last_error: Some(error.into()),
            }),
        }
    }

    #[test]
    fn each_mistake_has_its_words() {
        let b = bgp();
        assert!(diagnose(
            &b,
            &facts("169.254.0.6", "169.254.0.1", "no answer to TCP connect")
        )
        .unwrap()
        .starts_with("Password mismatch"));
        assert!(diagnose(
            &b,
            &facts("169.254.0.1", "169.254.0.6", "connection refused")
        )
        .unwrap()
        .starts_with("Local and peer IPs are flipped"));
        assert!(diagnose(
            &b,
            &facts("169.254.0.5", "169.254.0.1", "connection refused")
        )
        .unwrap()
        .contains("not the attachment's peer router IP"));
        assert!(diagnose(
            &b,
            &facts(
                "169.254.0.6",
                "169.254.0.1",
                "OPEN: bad peer AS: expected 65001, peer sent 64532"
            )
        )
        .unwrap()
        .starts_with("ASN mismatch"));
        let mut up = facts("169.254.0.6", "169.254.0.1", "");
        up.established = true;
        assert_eq!(diagnose(&b, &up), None);
        assert!(diagnose(&b, &SessionFacts::default())
            .unwrap()
            .starts_with("No VXC"));
    }
}
