//! Commands on a database's life: an online backup of the SQLite file, a workspace's export
//! as JSON lines, and a data-lifecycle round run now. Each prints one JSON object.

use std::fs::OpenOptions;
use std::io::BufWriter;
use std::path::Path;
use std::time::Instant;

use serde_json::json;

use crate::config::Settings;
use crate::lifecycle::Lifecycle;
use crate::startup::open_store;
use crate::store::Store;

/// `tingjian backup FILE`: a consistent copy of the SQLite database, made while the service
/// keeps serving. PostgreSQL is refused with the way to back it up instead.
pub(super) async fn backup(settings: &Settings, file: &Path) -> anyhow::Result<()> {
    let url = settings.database_url();
    anyhow::ensure!(
        url.starts_with("sqlite:"),
        "DATABASE_URL is a PostgreSQL database: `tingjian backup` copies the SQLite file only. \
         Back PostgreSQL up with `pg_dump --format=custom --file=tingjian.dump \"$DATABASE_URL\"`, \
         or with continuous archiving (pgBackRest, base backups and WAL archiving) to lose at \
         most minutes; see docs/operations.md, Backups"
    );
    if settings.database_url.is_none() {
        let db = settings.data_dir.join("tingjian.db");
        anyhow::ensure!(db.exists(), "there is no database at {}", db.display());
    }
    anyhow::ensure!(
        std::fs::symlink_metadata(file).is_err(),
        "{} exists already; give a new file name (a backup never overwrites)",
        file.display()
    );
    let store = Store::connect_with(&url, settings.db_acquire_timeout).await?;
    let started = Instant::now();
    store
        .backup_sqlite(file)
        .await
        .map_err(|e| anyhow::anyhow!("the backup failed: {e:#}"))?;
    let ms = started.elapsed().as_millis();
    restrict(file)?;
    let bytes = std::fs::metadata(file)?.len();
    store.close().await?;
    println!(
        "{}",
        json!({"backend": "sqlite", "file": file.display().to_string(), "bytes": bytes, "ms": ms})
    );
    Ok(())
}

/// `tingjian export-workspace --workspace ID FILE`: everything the workspace holds, as JSON
/// lines, into a new file.
pub(super) async fn export_workspace(
    settings: &Settings,
    workspace: &str,
    file: &Path,
) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    anyhow::ensure!(
        store.workspace(workspace).await?.is_some(),
        "no workspace {workspace}"
    );
    let out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
        .map_err(|e| anyhow::anyhow!("{}: {e} (an export never overwrites)", file.display()))?;
    restrict(file)?;
    let mut out = BufWriter::new(out);
    let records = crate::export::write_workspace(&store, workspace, &mut out).await?;
    out.into_inner()
        .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), e.error()))?
        .sync_all()?;
    println!(
        "{}",
        json!({"workspace_id": workspace, "file": file.display().to_string(), "records": records})
    );
    Ok(())
}

/// `tingjian retention run`: one data-lifecycle round now (what `serve` does every hour).
pub(super) async fn run_round(settings: &Settings) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let lifecycle = Lifecycle::new(store, settings.clock.clone());
    let round = lifecycle.run_once(settings.clock.now()).await?;
    println!("{}", serde_json::to_string(&round)?);
    Ok(())
}

/// Backups and exports hold secrets and personal data: readable by their owner only.
fn restrict(file: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}
