//! The behaviour every [`Store`] backend must show, written once over the trait. A backend's
//! tests expand [`conformance_tests!`](crate::conformance_tests) with a function that opens a
//! fresh, empty store: one test per scenario, so a failure does not hide the rest.
//! PostgreSQL joins by adding one line.

use crate::{PageRequest, PeeringFilter, Store, StoreError};
use crosslink_domain::attachment::{self, AttachmentState, PartnerAttachment, RedundancyZone};
use crosslink_domain::megaport::company;
use crosslink_domain::megaport::port::{self, DiversityZone};
use crosslink_domain::megaport::service_key::ServiceKey;
use crosslink_domain::peering::PeeringStatus;
use crosslink_domain::vpc::{VpcCreate, VpcUpdate};
use crosslink_domain::Kind;
use crosslink_domain::Step;
use crosslink_domain::{DomainError, ResourceType, TeamId};
use uuid::Uuid;

const ALL: PageRequest = PageRequest {
    page: 1,
    per_page: 200,
};

fn team(name: &str) -> TeamId {
    TeamId(name.to_owned())
}

fn create(name: &str, region: &str, range: Option<&str>) -> VpcCreate {
    VpcCreate {
        name: name.into(),
        description: String::new(),
        region: region.into(),
        ip_range: range.map(|r| r.parse().unwrap()),
        seed_default: None,
    }
}

fn seeded(name: &str, region: &str, range: Option<&str>) -> VpcCreate {
    VpcCreate {
        seed_default: Some(Uuid::new_v4()),
        ..create(name, region, range)
    }
}

/// Two VPCs of `t` in nyc1 and a peering "ab" between them, due at 10.
async fn peered_pair<S: Store>(
    s: &S,
    t: &TeamId,
) -> (crosslink_domain::Vpc, crosslink_domain::Vpc) {
    let a = s
        .create_vpc(t, create("a", "nyc1", None), Uuid::new_v4(), 1)
        .await
        .unwrap();
    let b = s
        .create_vpc(t, create("b", "nyc1", None), Uuid::new_v4(), 1)
        .await
        .unwrap();
    s.create_peering(t, "ab", [a.id, b.id], Uuid::new_v4(), 10, Some(10))
        .await
        .unwrap();
    (a, b)
}

fn assert_domain(
    r: Result<impl std::fmt::Debug, StoreError>,
    want: fn(&DomainError) -> bool,
    what: &str,
) {
    match r {
        Err(StoreError::Domain(e)) if want(&e) => {}
        other => panic!("{what}: unexpected {other:?}"),
    }
}

/// Runs every check on `store`, which must start empty.
/// One `#[tokio::test]` per scenario for a backend; `$open` is an expression giving a fresh
/// store and whatever must live as long as it (e.g. its temporary directory).
#[macro_export]
macro_rules! conformance_tests {
    ($open:expr; $($scenario:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                let (store, _keep) = $open;
                $crate::conformance::$scenario(&store).await;
            }
        )+
    };
    ($open:expr) => {
        $crate::conformance_tests!($open;
            concurrent_writes,
            vpc_rules,
            seeded_defaults,
            peering_lifecycle,
            tenancy_and_paging,
            tokens,
            settings_and_leases,
            built_ins_and_attachments,
            lifecycles_across_types,
            rule_errors_pass_through,
        );
    };
}

/// Transition policies are stored (and survive a reset); a process that holds the data alone
/// frees a dead process's leases at once instead of waiting for them to expire.
pub async fn settings_and_leases<S: Store>(s: &S) {
    assert!(s.transition_policies().await.unwrap().is_empty());
    s.set_transition_policy(ResourceType::VpcPeering, "manual", 1)
        .await
        .unwrap();
    s.set_transition_policy(ResourceType::VpcPeering, "delay:2", 2)
        .await
        .unwrap();
    s.reset().await.unwrap();
    assert_eq!(
        s.transition_policies().await.unwrap(),
        vec![("vpc_peering".to_owned(), "delay:2".to_owned())]
    );

    let t = team("leases");
    peered_pair(s, &t).await;
    assert_eq!(s.claim_due(10, 30_000, "dead", 10).await.unwrap().len(), 1);
    assert!(
        s.claim_due(11, 30_000, "next", 10)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    assert_eq!(s.release_leases().await.unwrap(), 1);
    assert_eq!(
        s.claim_due(12, 30_000, "next", 10).await.unwrap().len(),
        1,
        "claimable at once"
    );
}

/// `DefaultVpcs::Seeded`: a region's default is made with its first VPC, in the same write.
pub async fn seeded_defaults<S: Store>(s: &S) {
    let t = team("t1");
    let page = PageRequest {
        page: 1,
        per_page: 200,
    };
    // An explicit range is kept free of the seeded default's /20.
    let a = s
        .create_vpc(
            &t,
            seeded("a", "nyc1", Some("10.0.0.0/24")),
            Uuid::new_v4(),
            1,
        )
        .await
        .unwrap();
    assert!(!a.default);
    let (vpcs, total) = s.list_vpcs(&t, page).await.unwrap();
    assert_eq!(total, 2);
    let d = vpcs.iter().find(|v| v.name == "default-nyc1").unwrap();
    assert!(d.default && d.region == "nyc1" && d.description.is_empty());
    assert!(
        !d.ip_range.contains(&a.ip_range.network()),
        "{}",
        d.ip_range
    );
    s.delete_vpc(&t, a.id).await.unwrap();
    // The region has its default already: nothing more is seeded.
    let b = s
        .create_vpc(&t, seeded("b", "nyc1", None), Uuid::new_v4(), 2)
        .await
        .unwrap();
    assert!(!b.default);
    assert_eq!(s.list_vpcs(&t, page).await.unwrap().1, 2);
    // Asking for the default's own name makes that VPC the default.
    let own = s
        .create_vpc(&t, seeded("default-sfo3", "sfo3", None), Uuid::new_v4(), 3)
        .await
        .unwrap();
    assert!(own.default);
    assert_eq!(s.list_vpcs(&t, page).await.unwrap().1, 3);
    // A refused create seeds nothing.
    assert_domain(
        s.create_vpc(&t, seeded("b", "ams3", None), Uuid::new_v4(), 4)
            .await,
        |e| matches!(e, DomainError::Conflict { .. }),
        "duplicate name",
    );
    assert_eq!(s.list_vpcs(&t, page).await.unwrap().1, 3);
}

pub async fn vpc_rules<S: Store>(s: &S) {
    let t = team("t1");
    let a = s
        .create_vpc(&t, create("a", "nyc1", None), Uuid::new_v4(), 1)
        .await
        .unwrap();
    assert!(a.default, "first VPC of a region is its default");
    assert_eq!(a.ip_range.to_string(), "10.0.0.0/20");
    let b = s
        .create_vpc(
            &t,
            create("b", "nyc1", Some("10.0.16.0/24")),
            Uuid::new_v4(),
            2,
        )
        .await
        .unwrap();
    assert!(!b.default);
    assert_domain(
        s.create_vpc(
            &t,
            create("c", "nyc1", Some("10.0.0.0/16")),
            Uuid::new_v4(),
            3,
        )
        .await,
        |e| matches!(e, DomainError::Conflict { .. }),
        "overlapping range",
    );
    assert_domain(
        s.create_vpc(&t, create("a", "sfo3", None), Uuid::new_v4(), 3)
            .await,
        |e| matches!(e, DomainError::Conflict { .. }),
        "duplicate name",
    );
    let c = s
        .create_vpc(&t, create("c", "nyc1", None), Uuid::new_v4(), 4)
        .await
        .unwrap();
    assert_eq!(
        c.ip_range.to_string(),
        "10.0.32.0/20",
        "auto range skips taken space"
    );

    // Default rules.
    let unset = VpcUpdate {
        default: Some(false),
        ..Default::default()
    };
    assert_domain(
        s.update_vpc(&t, a.id, unset).await,
        |e| matches!(e, DomainError::Forbidden { .. }),
        "unset default",
    );
    assert_domain(
        s.delete_vpc(&t, a.id).await,
        |e| matches!(e, DomainError::Forbidden { .. }),
        "delete default",
    );
    let promote = VpcUpdate {
        default: Some(true),
        ..Default::default()
    };
    assert!(s.update_vpc(&t, b.id, promote).await.unwrap().default);
    assert!(
        !s.get_vpc(&t, a.id).await.unwrap().default,
        "previous default demoted"
    );
    let rename = VpcUpdate {
        name: Some("b".into()),
        ..Default::default()
    };
    assert_domain(
        s.update_vpc(&t, c.id, rename).await,
        |e| matches!(e, DomainError::Conflict { .. }),
        "rename onto taken name",
    );
    let describe = VpcUpdate {
        description: Some("x".into()),
        ..Default::default()
    };
    assert_eq!(
        s.update_vpc(&t, c.id, describe).await.unwrap().description,
        "x"
    );

    s.delete_vpc(&t, a.id).await.unwrap();
    assert_domain(
        s.get_vpc(&t, a.id).await,
        |e| matches!(e, DomainError::NotFound { .. }),
        "deleted VPC",
    );
    assert_domain(
        s.delete_vpc(&t, a.id).await,
        |e| matches!(e, DomainError::NotFound { .. }),
        "delete twice",
    );
    assert_eq!(s.list_vpcs(&t, ALL).await.unwrap().1, 2);
}

pub async fn peering_lifecycle<S: Store>(s: &S) {
    let t = team("t1");
    // Regions' defaults, so the VPCs below are deletable.
    for (name, region) in [("n0", "nyc1"), ("m0", "ams3")] {
        s.create_vpc(&t, create(name, region, None), Uuid::new_v4(), 0)
            .await
            .unwrap();
    }
    let a = s
        .create_vpc(&t, create("a", "nyc1", None), Uuid::new_v4(), 1)
        .await
        .unwrap();
    let b = s
        .create_vpc(&t, create("b", "ams3", None), Uuid::new_v4(), 1)
        .await
        .unwrap();
    let c = s
        .create_vpc(&t, create("c", "blr1", None), Uuid::new_v4(), 1)
        .await
        .unwrap();
    let pid = Uuid::new_v4();
    let p = s
        .create_peering(&t, "ab", [a.id, b.id], pid, 10, Some(10))
        .await
        .unwrap();
    assert_eq!(p.status, PeeringStatus::Provisioning);
    assert_domain(
        s.create_peering(&t, "ba", [b.id, a.id], Uuid::new_v4(), 10, Some(10))
            .await,
        |e| matches!(e, DomainError::Conflict { .. }),
        "same pair twice",
    );
    assert_domain(
        s.create_peering(&t, "ac", [a.id, c.id], Uuid::new_v4(), 10, Some(10))
            .await,
        |e| matches!(e, DomainError::Invalid { .. }),
        "BLR1 across datacenters",
    );
    assert_domain(
        s.delete_vpc(&t, a.id).await,
        |e| matches!(e, DomainError::Conflict { .. }),
        "VPC with peering",
    );

    // Not due yet: nothing to claim.
    assert!(s.claim_due(5, 1000, "r1", 10).await.unwrap().is_empty());
    assert_eq!(s.next_due().await.unwrap(), Some(10));
    let due = s.claim_due(10, 1000, "r1", 10).await.unwrap();
    assert_eq!(due.len(), 1);
    // Leased: a second reconciler gets nothing.
    assert!(s.claim_due(11, 1000, "r2", 10).await.unwrap().is_empty());
    assert!(s
        .apply_step(&due[0], Step::To("ACTIVE"), 12, None)
        .await
        .unwrap());
    // A stale generation loses the compare-and-swap.
    assert!(!s
        .apply_step(&due[0], Step::To("ACTIVE"), 12, None)
        .await
        .unwrap());
    assert_eq!(
        s.get_peering(&t, pid).await.unwrap().status,
        PeeringStatus::Active
    );
    assert_eq!(s.next_due().await.unwrap(), None);

    let renamed = s.rename_peering(&t, pid, "ab2", Some(b.id)).await.unwrap();
    assert_eq!(renamed.name, "ab2");
    assert_domain(
        s.rename_peering(&t, pid, "x", Some(c.id)).await,
        |e| matches!(e, DomainError::NotFound { .. }),
        "rename via unrelated VPC",
    );
    let by_vpc = PeeringFilter {
        vpc: Some(b.id),
        region: None,
    };
    assert_eq!(s.list_peerings(&t, &by_vpc, ALL).await.unwrap().1, 1);
    let by_region = PeeringFilter {
        vpc: None,
        region: Some("blr1".into()),
    };
    assert_eq!(s.list_peerings(&t, &by_region, ALL).await.unwrap().1, 0);

    // A lease that expired (the reconciler died) is claimable again.
    let deleting = s.delete_peering(&t, pid, 20, Some(20)).await.unwrap();
    assert_eq!(deleting.status, PeeringStatus::Deleting);
    let first = s.claim_due(20, 100, "dead", 10).await.unwrap();
    assert_eq!(first.len(), 1);
    let again = s.claim_due(200, 100, "r3", 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert!(s
        .apply_step(&again[0], Step::Remove, 201, None)
        .await
        .unwrap());
    assert_domain(
        s.get_peering(&t, pid).await,
        |e| matches!(e, DomainError::NotFound { .. }),
        "removed peering",
    );
    s.delete_vpc(&t, b.id).await.unwrap();

    let history: Vec<_> = s
        .events(0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.resource_id == pid)
        .map(|e| (e.from_status, e.to_status))
        .collect();
    let s_ = |x: &str| Some(x.to_owned());
    assert_eq!(
        history,
        vec![
            (None, s_("PROVISIONING")),
            (s_("PROVISIONING"), s_("ACTIVE")),
            (s_("ACTIVE"), s_("DELETING")),
            (s_("DELETING"), None)
        ]
    );

    // Manual policy: nothing due until scheduled.
    let q = s
        .create_peering(
            &t,
            "manual",
            [a.id, c.id].map(|_| a.id),
            Uuid::new_v4(),
            1,
            None,
        )
        .await;
    assert!(q.is_err(), "same VPC twice is refused");
    let d = s
        .create_vpc(&t, create("d", "nyc1", None), Uuid::new_v4(), 1)
        .await
        .unwrap();
    let m = s
        .create_peering(&t, "manual", [a.id, d.id], Uuid::new_v4(), 1, None)
        .await
        .unwrap();
    assert_eq!(s.next_due().await.unwrap(), None);
    assert!(s
        .schedule(
            ResourceType::VpcPeering,
            m.id,
            &["PROVISIONING", "DELETING"],
            Some(50)
        )
        .await
        .unwrap());
    assert_eq!(s.next_due().await.unwrap(), Some(50));
}

pub async fn tenancy_and_paging<S: Store>(s: &S) {
    let (t1, t2) = (team("t1"), team("t2"));
    let mut ids = Vec::new();
    for i in 0..45 {
        let v = s
            .create_vpc(
                &t1,
                create(&format!("v{i}"), "nyc1", None),
                Uuid::new_v4(),
                i,
            )
            .await
            .unwrap();
        ids.push(v.id);
    }
    // Another team may reuse names and ranges.
    let other = s
        .create_vpc(&t2, create("v0", "nyc1", None), Uuid::new_v4(), 0)
        .await
        .unwrap();
    assert_eq!(other.ip_range.to_string(), "10.0.0.0/20");
    assert_domain(
        s.get_vpc(&t2, ids[0]).await,
        |e| matches!(e, DomainError::NotFound { .. }),
        "other team's VPC",
    );
    assert_domain(
        s.delete_vpc(&t2, ids[1]).await,
        |e| matches!(e, DomainError::NotFound { .. }),
        "delete other team's VPC",
    );
    let (page3, total) = s
        .list_vpcs(
            &t1,
            PageRequest {
                page: 3,
                per_page: 20,
            },
        )
        .await
        .unwrap();
    assert_eq!(total, 45);
    assert_eq!(page3.iter().map(|v| v.id).collect::<Vec<_>>(), ids[40..]);
    let (page9, _) = s
        .list_vpcs(
            &t1,
            PageRequest {
                page: 9,
                per_page: 20,
            },
        )
        .await
        .unwrap();
    assert!(page9.is_empty());
    assert_eq!(s.list_vpcs(&t2, ALL).await.unwrap().1, 1);
}

/// Many writes at once (a backend may batch them into one commit): each one that a rule
/// refuses fails alone, every other one lands, and the rules still hold across the batch.
pub async fn concurrent_writes<S: Store + Clone>(s: &S) {
    let t = team("t1");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..60 {
        let (s, t) = (s.clone(), t.clone());
        // Every name twice, and every third request asks for the same range.
        let range = (i % 3 == 0).then_some("10.99.0.0/24");
        tasks.spawn(async move {
            s.create_vpc(
                &t,
                create(&format!("n{}", i / 2), "nyc1", range),
                Uuid::new_v4(),
                i,
            )
            .await
        });
    }
    let mut ok = 0;
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::Domain(DomainError::Conflict { .. })) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    let (vpcs, total) = s.list_vpcs(&t, ALL).await.unwrap();
    assert_eq!(
        total, ok,
        "every acknowledged write, and only those, is stored"
    );
    let mut names: Vec<_> = vpcs.iter().map(|v| v.name.clone()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len() as u64, total, "no duplicate names");
    assert_eq!(
        vpcs.iter()
            .filter(|v| v.ip_range.to_string() == "10.99.0.0/24")
            .count(),
        1
    );
    assert_eq!(
        vpcs.iter().filter(|v| v.default).count(),
        1,
        "one default per region"
    );
    assert!(
        total >= 20,
        "at least one of each name pair that did not ask for the taken range"
    );
}

pub async fn tokens<S: Store>(s: &S) {
    let token = crate::ApiToken {
        name: "ci".into(),
        team: team("t9"),
        scopes: vec!["vpc:read".into(), "vpc:create".into()],
        created_at: 5,
    };
    s.create_token("h1", &token).await.unwrap();
    assert_eq!(s.find_token("h1").await.unwrap(), Some(token));
    assert_eq!(s.find_token("h2").await.unwrap(), None);
}

fn attachment_in(t: &TeamId, name: &str, vpcs: Vec<Uuid>, now: i64) -> PartnerAttachment {
    PartnerAttachment {
        id: Uuid::new_v4(),
        team: t.clone(),
        name: name.into(),
        state: AttachmentState::Creating,
        bandwidth_mbps: 1000,
        metro: "nyc".into(),
        naas_provider: "megaport".into(),
        vpc_ids: vpcs,
        bgp: attachment::bgp_for_create(None, "k3y".into()).unwrap(),
        redundancy_zone: RedundancyZone::Blue,
        parent: None,
        created_at: now,
    }
}

fn key_for(a: &PartnerAttachment, port: &str, now: i64) -> ServiceKey {
    ServiceKey::for_attachment(a, port.into(), now)
}

/// The built-in company's ports, and attachments and their keys written through the port:
/// what is written reads back whole, per team, and a VPC in an attachment cannot be deleted.
pub async fn built_ins_and_attachments<S: Store>(s: &S) {
    let ports = port::digitalocean_partner_ports();
    s.ensure_company(&company::digitalocean(), &ports, 1)
        .await
        .unwrap();
    s.ensure_company(&company::digitalocean(), &ports, 2)
        .await
        .unwrap();
    let t = team("pnc");
    s.create_vpc(&t, create("n0", "nyc1", None), Uuid::new_v4(), 0)
        .await
        .unwrap();
    let v = s
        .create_vpc(&t, create("v", "nyc1", None), Uuid::new_v4(), 1)
        .await
        .unwrap();
    let a = attachment_in(&t, "pa", vec![v.id], 10);
    let (a2, port_uid) = {
        let a = a.clone();
        crate::transact(s, move |tx| {
            let port = tx
                .partner_port("nyc", DiversityZone::Blue)?
                .expect("a blue partner port in nyc");
            assert!(tx.partner_port("lon", DiversityZone::Red)?.is_none());
            tx.insert_attachment(&a, None)?;
            tx.insert_service_key(&key_for(&a, &port.uid, 10), Some(10))?;
            let mut child = attachment_in(&a.team, "child", vec![], 11);
            child.parent = Some(a.id);
            tx.insert_attachment(&child, None)?;
            Ok::<_, StoreError>((child, port.uid))
        })
        .await
        .unwrap()
    };
    assert_eq!(
        port_uid,
        port::digitalocean_partner_port("nyc", DiversityZone::Blue)
            .unwrap()
            .uid
    );
    let got = s.get_attachment(&t, a.id).await.unwrap();
    assert_eq!(got, a);
    assert_eq!(s.attachment_children(a.id).await.unwrap(), vec![a2.id]);
    assert_eq!(s.list_attachments(&t, ALL).await.unwrap().1, 2);
    assert_domain(
        s.get_attachment(&team("other"), a.id).await,
        |e| {
            matches!(
                e,
                DomainError::NotFound {
                    kind: Kind::PartnerAttachment,
                    ..
                }
            )
        },
        "another team's attachment",
    );
    let key = s.attachment_service_key(&t, a.id).await.unwrap().unwrap();
    assert_eq!(
        (key.max_speed, key.single_use, key.active),
        (1000, true, false)
    );
    assert_domain(
        s.delete_vpc(&t, v.id).await,
        |e| matches!(e, DomainError::Conflict { .. }),
        "VPC in an attachment",
    );
    // Renaming and replacing the VPCs through the port.
    let renamed = {
        let mut a = a.clone();
        a.name = "renamed".into();
        a.vpc_ids = vec![];
        a
    };
    let r = renamed.clone();
    crate::transact(s, move |tx| tx.update_attachment(&r))
        .await
        .unwrap();
    assert_eq!(s.get_attachment(&t, a.id).await.unwrap(), renamed);
    s.delete_vpc(&t, v.id).await.unwrap();
    let by_name = crate::transact(s, {
        let t = t.clone();
        move |tx| tx.attachment_by_name(&t, "renamed")
    })
    .await
    .unwrap();
    assert_eq!(by_name.map(|a| a.id), Some(a.id));
    s.reset().await.unwrap();
    assert_eq!(s.list_attachments(&t, ALL).await.unwrap().1, 0);
    let port_again = crate::transact(s, |tx| tx.partner_port("sgp", DiversityZone::Red))
        .await
        .unwrap();
    assert!(port_again.is_some(), "built-in ports survive a reset");
}

/// One lifecycle mechanism for every type: claims span the types, a step is a compare-and-swap
/// on the generation, and an awaiting row has no due time.
pub async fn lifecycles_across_types<S: Store>(s: &S) {
    let ports = port::digitalocean_partner_ports();
    s.ensure_company(&company::digitalocean(), &ports, 1)
        .await
        .unwrap();
    let t = team("lc");
    let (a, _) = peered_pair(s, &t).await;
    let pa = attachment_in(&t, "pa", vec![a.id], 10);
    let key = key_for(&pa, &ports[0].uid, 10);
    {
        let (pa, key) = (pa.clone(), key.clone());
        crate::transact(s, move |tx| {
            tx.insert_attachment(&pa, None)?;
            tx.insert_service_key(&key, Some(10))
        })
        .await
        .unwrap();
    }
    let due = s.claim_due(10, 1000, "r", 10).await.unwrap();
    let mut types: Vec<_> = due.iter().map(|d| d.resource_type).collect();
    types.sort();
    assert_eq!(types, [ResourceType::VpcPeering, ResourceType::ServiceKey]);
    let k = due
        .iter()
        .find(|d| d.resource_type == ResourceType::ServiceKey)
        .unwrap()
        .clone();
    assert_eq!(k.id, key.id, "a key is named by its id, never by the key");
    assert_eq!(
        k.tenant.to_string(),
        format!("company:{}", company::DIGITALOCEAN_UID)
    );
    // A compare-and-swap: the first wins, a stale generation changes nothing.
    let row = k.row();
    let r2 = row.clone();
    let (first, second) = crate::transact(s, move |tx| {
        Ok::<_, StoreError>((
            tx.set_status(&r2, "CREATED", None, 11)?,
            tx.set_status(&r2, "CREATED", None, 11)?,
        ))
    })
    .await
    .unwrap();
    assert!(first && !second);
    let after = crate::transact(s, move |tx| tx.lifecycle(ResourceType::ServiceKey, row.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((after.status.as_str(), after.generation), ("CREATED", 2));
    // The attachment awaits an observation: never due on its own.
    assert!(s
        .claim_due(i64::MAX / 2, 1000, "r2", 10)
        .await
        .unwrap()
        .iter()
        .all(|d| d.resource_type != ResourceType::PartnerAttachment));
    assert!(s
        .schedule(
            ResourceType::PartnerAttachment,
            pa.id,
            &ResourceType::PartnerAttachment.timed_statuses(),
            Some(20)
        )
        .await
        .is_ok_and(|moved| !moved));
    let events = s.events(0, 100).await.unwrap();
    assert!(events.iter().all(|e| e.resource_id != key.key));
    assert!(events
        .iter()
        .any(|e| e.resource_type == "service_key" && e.to_status.as_deref() == Some("CREATED")));
}

/// A rule fails in its caller's words: its own error type comes back whole (not a string of
/// it), and what it wrote before failing is rolled back, in a write and in a read alike.
pub async fn rule_errors_pass_through<S: Store>(s: &S) {
    #[derive(Debug, PartialEq)]
    enum Refusal {
        NotToday(u32),
        Store(String),
    }
    impl From<StoreError> for Refusal {
        fn from(e: StoreError) -> Self {
            Self::Store(e.to_string())
        }
    }
    let t = team("refusals");
    let a = attachment_in(&t, "pa", vec![], 10);
    let written = a.clone();
    let out: Result<(), Refusal> = crate::transact(s, move |tx| {
        tx.insert_attachment(&written, None)
            .map_err(Refusal::from)?;
        Err(Refusal::NotToday(7))
    })
    .await;
    assert_eq!(out, Err(Refusal::NotToday(7)));
    let (id, team_) = (a.id, t.clone());
    let found: Result<bool, Refusal> =
        crate::view(s, move |tx| Ok(tx.attachment(&team_, id)?.is_some())).await;
    assert_eq!(found, Ok(false), "the refused write was rolled back");
    let read: Result<(), Refusal> = crate::view(s, |_| Err(Refusal::NotToday(8))).await;
    assert_eq!(read, Err(Refusal::NotToday(8)));
}
