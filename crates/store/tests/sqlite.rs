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

/// The data dir and database hold secrets: only their owner may read them.
#[test]
fn the_data_is_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("new").join("data");
    let store = SqliteStore::open(&dir).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("crosslink.sqlite3")), 0o600);
    for suffix in ["-wal", "-shm"] {
        let p = dir.join(format!("crosslink.sqlite3{suffix}"));
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{suffix}");
        }
    }
    drop(store);
}
