//! SQLite's write-ahead log, kept off the writer's path: the log file that the writer's
//! syncer fsyncs after each commit (the writer's connection commits with
//! `synchronous=NORMAL`), and the checkpoint task that copies the log into the database file
//! from a connection of its own (the writer's has `wal_autocheckpoint` off). Why this is as
//! durable as `synchronous=FULL`: [design.md](../../docs/design.md#group-commit-one-writer-per-store).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// How often the checkpoint task copies the log into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// Frames (pages) in the log from which the writer is asked to finish the checkpoint itself, so
/// that the log starts again from its beginning: some 40 MB of log. The writer then copies
/// what it wrote since the task's checkpoint began, at least its last batch, and syncs the
/// database file, on the thread that limits ingest; at SQLite's own `wal_autocheckpoint` of
/// 1,000 frames it did so after nearly every batch of 1,000 items, a tenth of its time
/// (docs/performance.md, session 30).
const RESTART_AT: i64 = 10_000;
/// What a log file that grew past it (a long read kept it from starting again) is cut back to
/// when it next starts again: `journal_size_limit`, in bytes.
pub(super) const SIZE_LIMIT: u64 = 64 << 20;

/// The log file of one database, opened once and fsynced by the writer's syncer.
pub(super) struct Wal {
    path: PathBuf,
    file: Option<(File, Option<Identity>)>,
}

/// Device and inode: which file a path names now.
type Identity = (u64, u64);

impl Wal {
    /// The log of the database file `db`: SQLite names it `<db>-wal`.
    pub(super) fn of(db: &Path) -> Self {
        let mut path = db.as_os_str().to_owned();
        path.push("-wal");
        Self {
            path: path.into(),
            file: None,
        }
    }

    /// Makes every frame written to the log so far durable: an fdatasync of the log file.
    ///
    /// The file stays the same while any connection has the database open: SQLite starts the
    /// log again from its beginning and cuts it to [`SIZE_LIMIT`] in place, and deletes it
    /// only when the last connection closes, after copying all of it into the database file
    /// and syncing that. So a log no longer there holds nothing to sync, and one with another
    /// inode than the file held here (every connection closed and one opened since, which the
    /// writer's own never is while it writes) is opened again.
    pub(super) fn sync(&mut self) -> io::Result<()> {
        let now = match std::fs::metadata(&self.path) {
            Ok(meta) => identity(&meta),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.file = None;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let file = match &self.file {
            Some((file, held)) if held.is_some() && *held == now => file,
            _ => {
                let file = File::open(&self.path)?;
                let held = identity(&file.metadata()?);
                &self.file.insert((file, held)).0
            }
        };
        file.sync_data()
    }
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

/// Elsewhere a file's identity is not read: the log is opened again before each fsync.
#[cfg(not(unix))]
fn identity(_: &std::fs::Metadata) -> Option<Identity> {
    None
}

/// Starts the checkpoint task on `db`, a connection of its own with `synchronous=FULL`: every
/// [`CHECKPOINT_EVERY`], a `PASSIVE` checkpoint (it never waits for the writer nor makes it
/// wait) copies what the log holds into the database file. Under constant load it never
/// catches up with the writer, and the log starts again from its beginning only at a write
/// that finds all of it copied: when the log holds [`RESTART_AT`] frames or more it sets
/// `restart`, and the writer copies the few frames it wrote since, between two batches, so
/// that its next batch starts the log again. The task ends
/// when `restart` has no other holder (the writer is gone).
pub(super) fn checkpoints(db: DatabaseConnection, restart: Arc<AtomicBool>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(CHECKPOINT_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while Arc::strong_count(&restart) > 1 {
            every.tick().await;
            if restart.load(Ordering::Relaxed) {
                // The writer has yet to finish the last one: a checkpoint of this task's
                // beside it would make the writer's find the log busy and copy nothing.
                continue;
            }
            match checkpoint(&db).await {
                Ok(frames) if frames >= RESTART_AT => restart.store(true, Ordering::Relaxed),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "a checkpoint of the write-ahead log failed"),
            }
        }
        let _ = db.close().await;
    });
}

/// A `PASSIVE` checkpoint on `db`: the frames the log holds (-1 when another checkpoint was
/// running).
pub(super) async fn checkpoint(db: &DatabaseConnection) -> Result<i64, sea_orm::DbErr> {
    let row = db
        .query_one(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA wal_checkpoint(PASSIVE)",
        ))
        .await?;
    let Some(row) = row else { return Ok(0) };
    row.try_get("", "log")
}
