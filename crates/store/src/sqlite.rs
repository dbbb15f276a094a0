//! SQLite in WAL mode: one writer thread with group commit, and a small pool of readers.
//!
//! SQLite has one writer anyway, so every write goes to a dedicated thread. It takes whatever
//! writes are queued, runs them in one `BEGIN IMMEDIATE` transaction, each inside its own
//! savepoint (a refused write rolls back alone), commits once, and only then answers each
//! caller: an acknowledged write is committed, and a burst of writes shares one commit.
//! Checkpoints (where `synchronous=NORMAL` does its fsyncs) run on a thread of their own, so no
//! commit waits for one. A read runs on the calling thread when a reader connection is idle (a
//! page-cache read costs less than a hop to the blocking pool) and on the blocking pool when all
//! are busy. See docs/architecture.md for why rusqlite and not sqlx here.

use crate::sqlite_tx::{
    attachment_by_id, attachment_row, children, key_row, lifecycle_table, set_status, with_vpcs,
    SqliteTx, ATTACHMENT_COLS, KEY_COLS,
};
use crate::tx_megaport::MegaportTx;
use crate::{
    ApiToken, DueTransition, Event, PageRequest, PeeringFilter, Result, Store, StoreError, TxJob,
};
use async_trait::async_trait;
use crosslink_domain::attachment::PartnerAttachment;
use crosslink_domain::megaport::company::Company;
use crosslink_domain::megaport::location;
use crosslink_domain::megaport::port::Port;
use crosslink_domain::megaport::product::{Product, ProductSpec, ProductType, ProvisioningStatus};
use crosslink_domain::megaport::service_key::ServiceKey;
use crosslink_domain::peering::{PeeringStatus, VpcPeering};
use crosslink_domain::time::Millis;
use crosslink_domain::vpc::Vpc;
use crosslink_domain::{DomainError, Kind, ResourceType, Step, TeamId, TenantId};
use ipnet::Ipv4Net;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::any::Any;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use uuid::Uuid;

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/sqlite/0002_settings.sql"),
    include_str!("../migrations/sqlite/0003_partner_attachments.sql"),
    include_str!("../migrations/sqlite/0004_megaport.sql"),
    include_str!("../migrations/sqlite/0005_event_lookup.sql"),
];
const READERS: usize = 4;
/// Most writes one commit carries; bounds the latency of the first write in a burst.
const MAX_BATCH: usize = 256;
/// How often the checkpointer folds the WAL back into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// A queued write: run against the writer connection (or told the transaction could not
/// start), it returns what to do once the commit's outcome is known.
type Job = Box<dyn FnOnce(std::result::Result<&Connection, String>) -> Finish + Send>;
type Finish = Box<dyn FnOnce(Option<String>) + Send>;

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    writer: mpsc::Sender<Job>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// Dropped with the store, which tells the checkpointer to stop.
    _checkpointer: mpsc::Sender<()>,
    /// Held while the store is open: one process per data directory.
    _lock: std::fs::File,
}

/// Takes `dir/crosslink.lock` exclusively and writes our pid into it, or says who holds it.
/// The kernel drops the lock when the process dies, however it dies.
fn lock_data_dir(dir: &Path) -> Result<std::fs::File> {
    use std::io::{Read, Seek, Write};
    let path = dir.join("crosslink.lock");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| backend(format!("cannot open {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(backend(format!(
                "the data directory {} is in use by another crosslink process (pid {}); stop it or choose another --data-dir",
                dir.display(),
                if holder.is_empty() { "unknown" } else { holder }
            )));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(backend(format!("cannot lock {}: {e}", path.display())))
        }
    }
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| writeln!(file, "{}", std::process::id()))
        .map_err(|e| backend(format!("cannot write {}: {e}", path.display())))?;
    Ok(file)
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        backend(e)
    }
}

fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    // WAL with synchronous=NORMAL: a commit is in the WAL before we answer, so it survives the
    // process being killed; only a power loss can take the last commits.
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;",
    )?;
    // Keep LIMIT/OFFSET statements compiled: without this SQLite treats a bound LIMIT as
    // plan-affecting and re-prepares the cached statement on every execution.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(conn)
}

/// The data holds BGP passwords, service keys and token hashes: a directory we create is the
/// owner's alone (0700).
fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// The database file is the owner's alone (0600), created so before SQLite opens it; SQLite
/// gives its `-wal` and `-shm` files the database file's mode.
fn private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) `dir/crosslink.sqlite3` and runs pending migrations.
    pub fn open(dir: &Path) -> Result<Self> {
        private_dir(dir)
            .map_err(|e| backend(format!("cannot create data dir {}: {e}", dir.display())))?;
        let lock = lock_data_dir(dir)?;
        let path = dir.join("crosslink.sqlite3");
        private_file(&path)
            .map_err(|e| backend(format!("cannot create {}: {e}", path.display())))?;
        let mut writer = open(&path)?;
        migrate(&mut writer)?;
        // SQLite's automatic checkpoint runs inside a commit and would hold up every write
        // queued behind it; the checkpointer thread does it instead.
        writer.execute_batch("PRAGMA wal_autocheckpoint=0")?;
        let checkpoints = open(&path)?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpointer(checkpoints, stopped))
            .map_err(backend)?;
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || group_commit(writer, queue))
            .map_err(backend)?;
        let readers = (0..READERS)
            .map(|_| open(&path).map(Mutex::new))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            inner: Arc::new(Inner {
                writer: jobs,
                readers,
                next_reader: AtomicUsize::new(0),
                _checkpointer: stop,
                _lock: lock,
            }),
        })
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let outcome = conn.map_err(backend).and_then(|c| in_savepoint(c, f));
            Box::new(move |commit_error| {
                let _ = reply.send(match commit_error {
                    Some(e) if outcome.is_ok() => Err(backend(e)),
                    _ => outcome,
                });
            })
        });
        self.inner
            .writer
            .send(job)
            .map_err(|_| backend("the writer thread stopped"))?;
        answer
            .await
            .map_err(|_| backend("the write failed unexpectedly and was rolled back"))?
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let start = self.inner.next_reader.fetch_add(1, Ordering::Relaxed);
        for i in 0..READERS {
            if let Ok(conn) = self.inner.readers[(start + i) % READERS].try_lock() {
                return f(&conn);
            }
        }
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let conn = inner.readers[start % READERS]
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            f(&conn)
        })
        .await
        .map_err(backend)?
    }
}

/// Runs one write in its own savepoint, so a refused write leaves the batch untouched.
fn in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    conn.execute_batch("SAVEPOINT write")?;
    match f(conn) {
        Ok(v) => {
            conn.execute_batch("RELEASE write")?;
            Ok(v)
        }
        Err(e) => {
            conn.execute_batch("ROLLBACK TO write; RELEASE write")?;
            Err(e)
        }
    }
}

/// The writer thread: one transaction and one commit per batch of queued writes.
fn group_commit(conn: Connection, queue: mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let finishes: Vec<Finish> = match conn.execute_batch("BEGIN IMMEDIATE") {
            Ok(()) => batch
                .into_iter()
                .filter_map(|job| run_guarded(&conn, job))
                .collect(),
            Err(e) => batch
                .into_iter()
                .map(|job| job(Err(e.to_string())))
                .collect(),
        };
        let commit_error = if conn.is_autocommit() {
            None
        } else {
            conn.execute_batch("COMMIT").err().map(|e| {
                let _ = conn.execute_batch("ROLLBACK");
                e.to_string()
            })
        };
        for finish in finishes {
            finish(commit_error.clone());
        }
    }
}

/// Runs one job so that a panic in it costs only that write: its savepoint is rolled back, its
/// caller gets an error (the reply is dropped), and the writer thread and the batch live on.
fn run_guarded(conn: &Connection, job: Job) -> Option<Finish> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(Ok(conn)))) {
        Ok(finish) => Some(finish),
        Err(_) => {
            let _ = conn.execute_batch("ROLLBACK TO write; RELEASE write");
            None
        }
    }
}

/// Folds the WAL into the database every `CHECKPOINT_EVERY` until the store is dropped.
/// PASSIVE never waits for readers or the writer; the WAL restarts once a checkpoint completes.
/// WAL frames (4 KiB pages) past which the checkpointer truncates the log.
const WAL_TRUNCATE_FRAMES: i64 = 16_384;

/// A PASSIVE checkpoint never blocks anyone, but under continuous writes it never lets the log
/// start over either, so the file would grow for as long as the writes go on. Once the log is
/// past 64 MiB, a TRUNCATE checkpoint (which waits briefly for readers and holds writers for
/// the copy) resets it; `journal_size_limit` caps what an idle log keeps on disk.
fn checkpointer(conn: Connection, stop: mpsc::Receiver<()>) {
    let _ = conn.execute_batch("PRAGMA journal_size_limit = 67108864");
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        let log_frames = conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))
            .unwrap_or(0);
        if log_frames > WAL_TRUNCATE_FRAMES {
            let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
        }
    }
    let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let version: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}

// ---- row mapping -----------------------------------------------------------------------------

pub(crate) const VPC_COLS: &str =
    "id, team, name, description, region, ip_range, is_default, created_at";

pub(crate) fn parse_uuid(s: String) -> rusqlite::Result<Uuid> {
    Uuid::parse_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn vpc_row(r: &Row<'_>) -> rusqlite::Result<Vpc> {
    let range: String = r.get(5)?;
    Ok(Vpc {
        id: parse_uuid(r.get(0)?)?,
        team: TeamId(r.get(1)?),
        name: r.get(2)?,
        description: r.get(3)?,
        region: r.get(4)?,
        ip_range: range.parse().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, Box::new(e))
        })?,
        default: r.get(6)?,
        created_at: r.get(7)?,
    })
}

pub(crate) const PEERING_COLS: &str = "id, team, name, vpc_a, vpc_b, status, created_at";

pub(crate) fn peering_row(r: &Row<'_>) -> rusqlite::Result<VpcPeering> {
    let status: String = r.get(5)?;
    Ok(VpcPeering {
        id: parse_uuid(r.get(0)?)?,
        team: TeamId(r.get(1)?),
        name: r.get(2)?,
        vpc_ids: [parse_uuid(r.get(3)?)?, parse_uuid(r.get(4)?)?],
        status: PeeringStatus::parse(&status).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                5,
                rusqlite::types::Type::Text,
                format!("bad status {status}").into(),
            )
        })?,
        created_at: r.get(6)?,
    })
}

fn range_bounds(net: &Ipv4Net) -> (i64, i64) {
    (
        i64::from(u32::from(net.network())),
        i64::from(u32::from(net.broadcast())),
    )
}

pub(crate) fn vpc_by_id_opt(c: &Connection, team: &TeamId, id: Uuid) -> Result<Option<Vpc>> {
    Ok(c.prepare_cached(&format!(
        "SELECT {VPC_COLS} FROM vpcs WHERE team = ?1 AND id = ?2"
    ))?
    .query_row(params![team.0, id.to_string()], vpc_row)
    .optional()?)
}

fn vpc_by_id(c: &Connection, team: &TeamId, id: Uuid) -> Result<Vpc> {
    vpc_by_id_opt(c, team, id)?.ok_or_else(|| DomainError::not_found(Kind::Vpc, id).into())
}

pub(crate) fn vpc_by_name(c: &Connection, team: &TeamId, name: &str) -> Result<Option<Vpc>> {
    Ok(c.prepare_cached(&format!(
        "SELECT {VPC_COLS} FROM vpcs WHERE team = ?1 AND name = ?2"
    ))?
    .query_row(params![team.0, name], vpc_row)
    .optional()?)
}

/// The team's VPC with the highest range start at or before `net`'s end: since a team's ranges
/// never overlap, it is the only one that can overlap `net`.
pub(crate) fn vpc_overlap_candidate(
    c: &Connection,
    team: &TeamId,
    net: &Ipv4Net,
) -> Result<Option<Vpc>> {
    let (_, end) = range_bounds(net);
    Ok(c.prepare_cached(&format!(
        "SELECT {VPC_COLS} FROM vpcs WHERE team = ?1 AND ip_start <= ?2 ORDER BY ip_start DESC LIMIT 1"
    ))?
    .query_row(params![team.0, end], vpc_row)
    .optional()?)
}

pub(crate) fn peering_by_id_opt(
    c: &Connection,
    team: &TeamId,
    id: Uuid,
) -> Result<Option<VpcPeering>> {
    Ok(c.prepare_cached(&format!(
        "SELECT {PEERING_COLS} FROM vpc_peerings WHERE team = ?1 AND id = ?2"
    ))?
    .query_row(params![team.0, id.to_string()], peering_row)
    .optional()?)
}

fn peering_by_id(c: &Connection, team: &TeamId, id: Uuid) -> Result<VpcPeering> {
    peering_by_id_opt(c, team, id)?
        .ok_or_else(|| DomainError::not_found(Kind::VpcPeering, id).into())
}

pub(crate) fn record_event(
    c: &Connection,
    at: Millis,
    tenant: &TenantId,
    resource_type: &str,
    id: Uuid,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO events (at, tenant, resource_type, resource_id, from_status, to_status) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![at, tenant.to_string(), resource_type, id.to_string(), from, to])?;
    Ok(())
}

pub(crate) fn insert_vpc(c: &Connection, v: &Vpc) -> Result<()> {
    let (start, end) = range_bounds(&v.ip_range);
    c.prepare_cached(
        "INSERT INTO vpcs (id, team, name, description, region, ip_range, ip_start, ip_end, is_default, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        v.id.to_string(),
        v.team.0,
        v.name,
        v.description,
        v.region,
        v.ip_range.to_string(),
        start,
        end,
        v.default,
        v.created_at
    ])?;
    Ok(())
}

pub(crate) fn count(c: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<u64> {
    Ok(c.prepare_cached(sql)?
        .query_row(p, |r| r.get::<_, i64>(0))? as u64)
}

// ---- the trait ---------------------------------------------------------------------------------

#[async_trait]
impl Store for SqliteStore {
    async fn get_vpc(&self, team: &TeamId, id: Uuid) -> Result<Vpc> {
        let team = team.clone();
        self.read(move |c| vpc_by_id(c, &team, id)).await
    }

    async fn list_vpcs(&self, team: &TeamId, page: PageRequest) -> Result<(Vec<Vpc>, u64)> {
        let team = team.clone();
        self.read(move |c| {
            let total = count(
                c,
                "SELECT COUNT(*) FROM vpcs WHERE team = ?1",
                params![team.0],
            )?;
            let items = c
                .prepare_cached(&format!(
                    "SELECT {VPC_COLS} FROM vpcs WHERE team = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3"
                ))?
                .query_map(
                    params![
                        team.0,
                        page.per_page,
                        page.offset().min(i64::MAX as u64) as i64
                    ],
                    vpc_row,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((items, total))
        })
        .await
    }

    async fn get_peering(&self, team: &TeamId, id: Uuid) -> Result<VpcPeering> {
        let team = team.clone();
        self.read(move |c| peering_by_id(c, &team, id)).await
    }

    async fn list_peerings(
        &self,
        team: &TeamId,
        filter: &PeeringFilter,
        page: PageRequest,
    ) -> Result<(Vec<VpcPeering>, u64)> {
        let team = team.clone();
        let filter = filter.clone();
        self.read(move |c| {
            let vpc = filter.vpc.map(|v| v.to_string());
            let condition = "team = ?1
                AND (?2 IS NULL OR vpc_a = ?2 OR vpc_b = ?2)
                AND (?3 IS NULL OR EXISTS (SELECT 1 FROM vpcs v WHERE v.team = ?1 AND v.region = ?3 AND v.id IN (vpc_a, vpc_b)))";
            let total = count(
                c,
                &format!("SELECT COUNT(*) FROM vpc_peerings WHERE {condition}"),
                params![team.0, vpc, filter.region],
            )?;
            let items = c
                .prepare_cached(&format!(
                    "SELECT {PEERING_COLS} FROM vpc_peerings WHERE {condition} ORDER BY seq LIMIT ?4 OFFSET ?5"
                ))?
                .query_map(
                    params![team.0, vpc, filter.region, page.per_page, page.offset().min(i64::MAX as u64) as i64],
                    peering_row,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((items, total))
        })
        .await
    }

    async fn claim_due(
        &self,
        now: Millis,
        lease_ms: i64,
        owner: &str,
        limit: u32,
    ) -> Result<Vec<DueTransition>> {
        let owner = owner.to_owned();
        self.write(move |tx| {
            let mut rows = Vec::new();
            for t in ResourceType::ALL {
                let left = limit as usize - rows.len();
                if left == 0 {
                    break;
                }
                let (table, id_col, tenant) = lifecycle_table(*t);
                let claimed = tx
                    .prepare_cached(&format!(
                        "UPDATE {table} SET lease_owner = ?2, lease_until = ?1 + ?3
                         WHERE {id_col} IN (SELECT {id_col} FROM {table}
                                      WHERE next_transition_at <= ?1 AND (lease_until IS NULL OR lease_until < ?1)
                                      ORDER BY next_transition_at LIMIT ?4)
                         RETURNING {id_col}, {tenant}, status, generation"
                    ))?
                    .query_map(params![now, owner, lease_ms, left as i64], |r| {
                        Ok((parse_uuid(r.get(0)?)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                for (id, tenant, status, generation) in claimed {
                    rows.push(DueTransition {
                        resource_type: *t,
                        id,
                        tenant: tenant.parse().map_err(StoreError::Backend)?,
                        status,
                        generation,
                    });
                }
            }
            Ok(rows)
        })
        .await
    }

    async fn apply_step(
        &self,
        due: &DueTransition,
        step: Step,
        now: Millis,
        next_due: Option<Millis>,
    ) -> Result<bool> {
        let due = due.clone();
        self.write(move |tx| {
            let (table, id_col, _) = lifecycle_table(due.resource_type);
            let id = due.id.to_string();
            match step {
                Step::To(status) => set_status(tx, &due.row(), status, next_due, now),
                Step::Remove => {
                    let removed = tx
                        .prepare_cached(&format!(
                            "DELETE FROM {table} WHERE {id_col} = ?1 AND generation = ?2"
                        ))?
                        .execute(params![id, due.generation])?
                        == 1;
                    if removed {
                        record_event(tx, now, &due.tenant, due.resource_type.as_str(), due.id, Some(&due.status), None)?;
                    }
                    Ok(removed)
                }
                // Nothing on a timer: wait (for an observation, or for ever).
                Step::Await(_) | Step::Done | Step::Issue => Ok(tx
                    .prepare_cached(&format!(
                        "UPDATE {table} SET next_transition_at = NULL, lease_owner = NULL, lease_until = NULL
                         WHERE {id_col} = ?1 AND generation = ?2"
                    ))?
                    .execute(params![id, due.generation])?
                    == 1),
            }
        })
        .await
    }

    async fn schedule(
        &self,
        resource_type: ResourceType,
        id: Uuid,
        timed: &[&'static str],
        due: Option<Millis>,
    ) -> Result<bool> {
        let timed = timed.join(",");
        self.write(move |tx| {
            let (table, id_col, _) = lifecycle_table(resource_type);
            Ok(tx
                .prepare_cached(&format!(
                    "UPDATE {table} SET next_transition_at = ?2, lease_owner = NULL, lease_until = NULL
                     WHERE {id_col} = ?1 AND instr(',' || ?3 || ',', ',' || status || ',') > 0"
                ))?
                .execute(params![id.to_string(), due, timed])?
                == 1)
        })
        .await
    }

    async fn schedule_all(
        &self,
        resource_type: ResourceType,
        timed: &[&'static str],
        due: Option<Millis>,
    ) -> Result<u64> {
        let timed = timed.join(",");
        self.write(move |tx| {
            let (table, _, _) = lifecycle_table(resource_type);
            Ok(tx
                .prepare_cached(&format!(
                    "UPDATE {table} SET next_transition_at = ?1, lease_owner = NULL, lease_until = NULL
                     WHERE instr(',' || ?2 || ',', ',' || status || ',') > 0"
                ))?
                .execute(params![due, timed])? as u64)
        })
        .await
    }

    async fn lifecycle_counts(&self, now: Millis) -> Result<Vec<(ResourceType, String, u64, u64)>> {
        self.read(move |c| {
            let mut out = Vec::new();
            for t in ResourceType::ALL {
                let (table, _, _) = lifecycle_table(*t);
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT status, COUNT(*), COUNT(CASE WHEN next_transition_at <= ?1 THEN 1 END) FROM {table} GROUP BY status"
                ))?;
                let rows = stmt.query_map(params![now], |r| {
                    Ok((*t, r.get::<_, String>(0)?, r.get::<_, u64>(1)?, r.get::<_, u64>(2)?))
                })?;
                for row in rows {
                    out.push(row?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn next_due(&self) -> Result<Option<Millis>> {
        self.read(|c| {
            let mut earliest: Option<Millis> = None;
            for t in ResourceType::ALL {
                let (table, _, _) = lifecycle_table(*t);
                let due: Option<Millis> = c
                    .prepare_cached(&format!("SELECT MIN(next_transition_at) FROM {table}"))?
                    .query_row([], |r| r.get(0))?;
                earliest = match (earliest, due) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            Ok(earliest)
        })
        .await
    }

    async fn events(&self, after_seq: i64, limit: u32) -> Result<Vec<Event>> {
        self.read(move |c| {
            let rows = c
                .prepare_cached(
                    "SELECT seq, at, tenant, resource_type, resource_id, from_status, to_status FROM events
                     WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                )?
                .query_map(params![after_seq, limit], |r| {
                    Ok(Event {
                        seq: r.get(0)?,
                        at: r.get(1)?,
                        tenant: r.get(2)?,
                        resource_type: r.get(3)?,
                        resource_id: parse_uuid(r.get(4)?)?,
                        from_status: r.get(5)?,
                        to_status: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn create_token(&self, hash: &str, token: &ApiToken) -> Result<()> {
        let hash = hash.to_owned();
        let token = token.clone();
        self.write(move |tx| {
            tx.prepare_cached("INSERT INTO tokens (hash, team, name, scopes, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")?
                .execute(params![hash, token.team.0, token.name, token.scopes.join(" "), token.created_at])?;
            Ok(())
        })
        .await
    }

    async fn find_token(&self, hash: &str) -> Result<Option<ApiToken>> {
        let hash = hash.to_owned();
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT team, name, scopes, created_at FROM tokens WHERE hash = ?1",
            )?
            .query_row(params![hash], |r| {
                let scopes: String = r.get(2)?;
                Ok(ApiToken {
                    team: TeamId(r.get(0)?),
                    name: r.get(1)?,
                    scopes: scopes.split_whitespace().map(str::to_owned).collect(),
                    created_at: r.get(3)?,
                })
            })
            .optional()?)
        })
        .await
    }

    async fn transition_policies(&self) -> Result<Vec<(String, String)>> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT resource_type, policy FROM transition_policies")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
            )
        })
        .await
    }

    async fn set_transition_policy(
        &self,
        resource_type: ResourceType,
        policy: &str,
        now: Millis,
    ) -> Result<()> {
        let policy = policy.to_owned();
        self.write(move |tx| {
            tx.prepare_cached(
                "INSERT INTO transition_policies (resource_type, policy, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (resource_type) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at",
            )?
            .execute(params![resource_type.as_str(), policy, now])?;
            Ok(())
        })
        .await
    }

    async fn release_leases(&self) -> Result<u64> {
        self.write(|tx| {
            let mut n = 0;
            for t in ResourceType::ALL {
                let (table, _, _) = lifecycle_table(*t);
                n += tx
                    .prepare_cached(&format!(
                        "UPDATE {table} SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL"
                    ))?
                    .execute([])? as u64;
            }
            Ok(n)
        })
        .await
    }

    async fn get_attachment(&self, team: &TeamId, id: Uuid) -> Result<PartnerAttachment> {
        let team = team.clone();
        self.read(move |c| {
            attachment_by_id(c, &team, id)?
                .ok_or_else(|| DomainError::not_found(Kind::PartnerAttachment, id).into())
        })
        .await
    }

    async fn list_attachments(
        &self,
        team: &TeamId,
        page: PageRequest,
    ) -> Result<(Vec<PartnerAttachment>, u64)> {
        let team = team.clone();
        self.read(move |c| {
            let total = count(
                c,
                "SELECT COUNT(*) FROM partner_attachments WHERE team = ?1",
                params![team.0],
            )?;
            let rows = c
                .prepare_cached(&format!(
                    "SELECT {ATTACHMENT_COLS} FROM partner_attachments WHERE team = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3"
                ))?
                .query_map(
                    params![team.0, page.per_page, page.offset().min(i64::MAX as u64) as i64],
                    attachment_row,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let items = rows
                .into_iter()
                .map(|a| with_vpcs(c, a))
                .collect::<Result<Vec<_>>>()?;
            Ok((items, total))
        })
        .await
    }

    async fn attachment_children(&self, id: Uuid) -> Result<Vec<Uuid>> {
        self.read(move |c| children(c, id)).await
    }

    async fn attachment_service_key(&self, team: &TeamId, id: Uuid) -> Result<Option<ServiceKey>> {
        let team = team.clone();
        self.read(move |c| {
            if attachment_by_id(c, &team, id)?.is_none() {
                return Err(DomainError::not_found(Kind::PartnerAttachment, id).into());
            }
            Ok(c
                .prepare_cached(&format!(
                    "SELECT {KEY_COLS} FROM service_keys WHERE attachment_id = ?1 ORDER BY seq DESC LIMIT 1"
                ))?
                .query_row(params![id.to_string()], key_row)
                .optional()?)
        })
        .await
    }

    async fn ensure_company(&self, company: &Company, ports: &[Port], now: Millis) -> Result<()> {
        let company = company.clone();
        let ports = ports.to_vec();
        self.write(move |c| {
            let tx = SqliteTx(c);
            tx.insert_company(&company, now)?;
            for p in &ports {
                let uid = Uuid::parse_str(&p.uid).map_err(backend)?;
                if tx.product(uid)?.is_some() {
                    continue;
                }
                let location = location::partner_location(&p.metro)
                    .ok_or_else(|| backend(format!("no location for metro {}", p.metro)))?;
                tx.insert_product(
                    &Product {
                        uid,
                        product_id: 0,
                        company: p.company.clone(),
                        product_type: ProductType::Port,
                        location_id: location.id,
                        diversity_zone: p.diversity_zone,
                        status: ProvisioningStatus::Live,
                        created_at: now,
                        spec: ProductSpec {
                            name: p.name.clone(),
                            speed_mbps: p.speed_mbps,
                            term_months: 1,
                            cost_centre: String::new(),
                            marketplace_visibility: true,
                            asn: None,
                            vnics: Vec::new(),
                            locked: false,
                            resource_tags: Default::default(),
                        },
                    },
                    None,
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn transact_any(&self, job: TxJob) -> Result<Box<dyn Any + Send>> {
        self.write(move |c| job(&SqliteTx(c))).await
    }

    async fn view_any(&self, job: TxJob) -> Result<Box<dyn Any + Send>> {
        self.read(move |c| job(&SqliteTx(c))).await
    }

    async fn reset(&self) -> Result<()> {
        self.write(|tx| {
            tx.execute_batch(&format!(
                "DELETE FROM attachment_vpcs; DELETE FROM partner_attachments; DELETE FROM service_keys;
                 DELETE FROM vpc_peerings; DELETE FROM vpcs; DELETE FROM events;
                 DELETE FROM vxcs; DELETE FROM order_approvals; DELETE FROM notifications;
                 DELETE FROM products WHERE company_uid != '{}';",
                crosslink_domain::megaport::company::DIGITALOCEAN_UID
            ))?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_rows(c: &Connection) -> Result<i64> {
        Ok(c.query_row("SELECT COUNT(*) FROM tokens", [], |r| r.get(0))?)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_write_is_rolled_back_and_the_writer_lives_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let before = store.read(count_rows).await.unwrap();
        let panicked = store
            .write(|c| -> Result<()> {
                c.execute_batch(
                    "INSERT INTO tokens (hash, team, name, scopes, created_at) VALUES ('h', 't', 'n', '', 0)",
                )?;
                panic!("a bug in a write");
            })
            .await;
        assert!(panicked.is_err());
        assert_eq!(store.read(count_rows).await.unwrap(), before);
        store
            .write(|c| Ok(c.execute_batch("SELECT 1")?))
            .await
            .unwrap();
    }
}
