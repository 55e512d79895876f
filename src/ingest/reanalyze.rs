//! Re-analysis of stored feedback after the engine or a workspace's dictionary changed: page
//! by page, each page saved in one transaction, so a stopped run resumes where it was.

use std::sync::Arc;

use super::{stored_analysis, Pipeline};
use crate::analysis::ANALYZER_VERSION;
use crate::store::StoreResult;

/// Items re-analysed per page (and per transaction).
const PAGE: u64 = 500;

/// Told how much there is to do, then how much more was done.
pub trait Progress {
    fn total(&mut self, items: u64);
    fn done(&mut self, items: u64);
}

/// Brings the workspaces' stored analyses up to the current engine (only the items another
/// engine version analysed, unless `all`). Returns how many items were re-analysed.
pub async fn reanalyze(
    pipeline: &Pipeline,
    workspaces: &[String],
    all: bool,
    progress: &mut impl Progress,
) -> StoreResult<u64> {
    let store = &pipeline.store;
    let mut total = 0;
    for ws in workspaces {
        total += store.stale_count(ws, ANALYZER_VERSION, all).await?;
    }
    progress.total(total);
    let mut done_items = 0;
    for ws in workspaces {
        let profile = pipeline.profile(ws).await?;
        let mut after: Option<String> = None;
        loop {
            let page = store
                .stale_items(ws, ANALYZER_VERSION, all, after.as_deref(), PAGE)
                .await?;
            let Some(last) = page.last().map(|i| i.id.clone()) else {
                break;
            };
            let (analyzer, profile) = (Arc::clone(&pipeline.analyzer), profile.clone());
            let done = tokio::task::spawn_blocking(move || {
                let texts: Vec<&str> = page.iter().map(|i| i.text.as_str()).collect();
                let analyses = analyzer.analyze_batch(&texts, &profile.context);
                page.into_iter()
                    .zip(analyses.iter().map(stored_analysis))
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(|e| {
                crate::store::StoreError::Conflict(format!("analysis task failed: {e}"))
            })?;
            store.save_analyses(ws, &done).await?;
            progress.done(done.len() as u64);
            done_items += done.len() as u64;
            after = Some(last);
        }
    }
    Ok(done_items)
}
