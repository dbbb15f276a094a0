use crosslink_store::{SqliteStore, Store};

fn fresh() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (SqliteStore::open(dir.path()).unwrap(), dir)
}

mod conformance {
    use super::fresh;
    crosslink_store::conformance_tests!(fresh());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let team = crosslink_domain::TeamId("t".into());
    let id = uuid::Uuid::new_v4();
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        let req = crosslink_domain::vpc::VpcCreate {
            name: "kept".into(),
            description: String::new(),
            region: "nyc1".into(),
            ip_range: None,
            seed_default: None,
        };
        store.create_vpc(&team, req, id, 1).await.unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.get_vpc(&team, id).await.unwrap().name, "kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_store_per_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let first = SqliteStore::open(dir.path()).unwrap();
    let err = SqliteStore::open(dir.path())
        .err()
        .expect("second open must fail");
    assert!(
        err.to_string()
            .contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    drop(first);
    SqliteStore::open(dir.path()).expect("free again once the first is closed");
}
