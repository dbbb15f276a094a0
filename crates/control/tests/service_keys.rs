//! Service keys of partner attachments, through the control layer on a real SQLite store: the
//! reconciler issues them, and a key requested before its attachment was deleted is issued dead.

use crosslink_control::{AuthMode, Control, NewAttachment, Reconciler, SystemClock};
use crosslink_domain::vpc::DefaultVpcs;
use crosslink_domain::{ResourceType, TeamId, TransitionPolicy};
use crosslink_store::{transact, SqliteStore, Store};
use std::sync::Arc;

async fn setup() -> (
    Arc<Control>,
    Arc<SqliteStore>,
    tempfile::TempDir,
    TeamId,
    uuid::Uuid,
) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let control = Control::new(
        store.clone(),
        Arc::new(SystemClock),
        AuthMode::Open,
        DefaultVpcs::Seeded,
    );
    control.ensure_built_ins().await.unwrap();
    let team = TeamId("t".into());
    let vpc = control
        .create_vpc(
            &team,
            crosslink_control::NewVpc {
                name: "v".into(),
                region: "nyc1".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    (control, store, dir, team, vpc.id)
}

fn new_attachment(vpc: uuid::Uuid) -> NewAttachment {
    NewAttachment {
        name: "pa".into(),
        bandwidth_mbps: 1000,
        region: "nyc".into(),
        naas_provider: "MEGAPORT".into(),
        vpc_ids: vec![vpc],
        ..Default::default()
    }
}

async fn active_keys(store: &SqliteStore, att: uuid::Uuid) -> usize {
    transact(store, move |tx| tx.active_service_keys(att))
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regenerating_retires_the_unused_key() {
    let (control, store, _dir, team, vpc) = setup().await;
    let reconciler = Reconciler::new(control.clone());
    let a = control
        .create_attachment(&team, new_attachment(vpc))
        .await
        .unwrap();
    reconciler.tick().await.unwrap();
    let first = control.attachment_service_key(&team, a.id).await.unwrap();
    assert_eq!(active_keys(&store, a.id).await, 1);
    control.regenerate_service_key(&team, a.id).await.unwrap();
    reconciler.tick().await.unwrap();
    let second = control.attachment_service_key(&team, a.id).await.unwrap();
    assert_ne!(first.key, second.key);
    assert_eq!(
        active_keys(&store, a.id).await,
        1,
        "the first stopped working"
    );
    assert_eq!(
        control
            .get_attachment(&team, a.id)
            .await
            .unwrap()
            .attachment
            .state
            .as_str(),
        "CREATED"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_requested_before_the_delete_is_issued_dead() {
    let (control, store, _dir, team, vpc) = setup().await;
    control
        .set_policy(ResourceType::ServiceKey, TransitionPolicy::Manual)
        .await
        .unwrap();
    control
        .set_policy(ResourceType::PartnerAttachment, TransitionPolicy::Manual)
        .await
        .unwrap();
    let reconciler = Reconciler::new(control.clone());
    let a = control
        .create_attachment(&team, new_attachment(vpc))
        .await
        .unwrap();
    control.delete_attachment(&team, a.id).await.unwrap();
    let key = control.attachment_service_key(&team, a.id).await.unwrap();
    control
        .advance(ResourceType::ServiceKey, key.id)
        .await
        .unwrap();
    assert_eq!(reconciler.tick().await.unwrap(), 1);
    let issued = control.attachment_service_key(&team, a.id).await.unwrap();
    assert_eq!(issued.status.as_str(), "CREATED");
    assert!(
        !issued.active,
        "issued for a deleted attachment: never usable"
    );
    assert_eq!(active_keys(&store, a.id).await, 0);
    let _ = store.get_attachment(&team, a.id).await.unwrap();
}
