//! The MCR end of a link speaks with its BGP connection's `localAsn` (loopback mode, real TCP
//! with TCP-MD5), not necessarily the MCR's own ASN.

use std::time::Duration;

use crosslink_fabric::{AttachmentEnd, Desired, Fabric, Link, McrSession, Report};
use uuid::Uuid;

const MCR_ASN: u32 = 133937;

/// A link whose attachment expects the MCR end to be `expected`, while it speaks `local_asn`.
fn link(n: u128, expected: u32, local_asn: u32) -> Link {
    Link {
        vxc: Uuid::from_u128(n),
        vxc_id: n as i64,
        vxc_name: format!("vxc{n}"),
        mcr: Uuid::from_u128(1000 + n),
        mcr_asn: MCR_ASN,
        attachment: AttachmentEnd {
            attachment: Uuid::from_u128(2000 + n),
            local_asn: 64532,
            local_router_ip: "169.254.0.1/29".parse().unwrap(),
            peer_asn: expected,
            peer_router_ip: "169.254.0.6".parse().unwrap(),
            auth_key: "key".into(),
            announce: vec!["10.1.0.0/24".parse().unwrap()],
        },
        interface: vec!["169.254.0.6/29".parse().unwrap()],
        sessions: vec![McrSession {
            local_asn,
            local_ip: "169.254.0.6".parse().unwrap(),
            peer_ip: "169.254.0.1".parse().unwrap(),
            peer_asn: 64532,
            password: Some("key".into()),
            shutdown: false,
        }],
    }
}

async fn first_report(reports: &mut tokio::sync::mpsc::UnboundedReceiver<Report>) -> Report {
    tokio::time::timeout(Duration::from_secs(20), reports.recv())
        .await
        .expect("a report within 20 s")
        .expect("the fabric runs")
}

#[tokio::test]
async fn mcr_session_speaks_with_the_connections_local_asn() {
    let (fabric, mut reports) = Fabric::loopback();
    let l = link(1, 65010, 65010);
    let (mcr, attachment) = (l.mcr, l.attachment.attachment);
    fabric
        .apply(Desired {
            attachments: vec![l],
            ports: Vec::new(),
        })
        .await;
    assert_eq!(
        first_report(&mut reports).await,
        Report::Established { attachment }
    );
    let s = fabric.mcr_sessions(mcr).await;
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].local_asn, 65010);
    // The session carries routes: the attachment's VPC range reached the MCR.
    let rib = fabric.mcr_rib(mcr).await;
    assert!(
        rib.iter()
            .any(|r| r.prefix == "10.1.0.0/24".parse().unwrap()),
        "{rib:?}"
    );
    fabric.shutdown().await;
}

#[tokio::test]
async fn the_mcrs_own_asn_is_a_bad_peer_as_where_another_is_expected() {
    let (fabric, mut reports) = Fabric::loopback();
    let l = link(2, 65010, MCR_ASN);
    let attachment = l.attachment.attachment;
    fabric
        .apply(Desired {
            attachments: vec![l],
            ports: Vec::new(),
        })
        .await;
    match first_report(&mut reports).await {
        Report::Down { attachment: a, why } => {
            assert_eq!(a, attachment);
            let why = why.unwrap_or_default();
            assert!(
                why.contains("bad peer AS: expected 65010, peer sent 133937"),
                "{why}"
            );
        }
        r => panic!("expected Down, got {r:?}"),
    }
    fabric.shutdown().await;
}
