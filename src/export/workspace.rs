//! A workspace's whole content as JSON lines, for moving it elsewhere or handing a team its
//! data: the workspace first, then every record of every kind, one object a line, each with a
//! `type`. Records are read one keyset page at a time and written as they come (to a file by
//! `tingjian export-workspace`, to the client by `GET /api/v1/workspace/export`), so memory
//! stays bounded however much the workspace holds.

use std::collections::BTreeMap;
use std::io::Write;

use futures_util::stream::{self, Stream};
use serde_json::{json, Value};

use super::ExportError;
use crate::store::{RecordKind, Store, StoreError};

/// Records read per query.
pub const WORKSPACE_PAGE: u64 = 500;

/// Walks a workspace's records page by page: the workspace first, then each kind in turn.
struct Walk {
    store: Store,
    workspace_id: String,
    /// `None` until the workspace's own line is out; then the kind being read.
    kind: Option<usize>,
    /// Where the kind's next page starts.
    after: Option<String>,
    /// Records of each type so far (every type present, from 0).
    counts: BTreeMap<&'static str, u64>,
    /// The closing line is out.
    ended: bool,
}

impl Walk {
    fn new(store: Store, workspace_id: String) -> Self {
        let mut counts: BTreeMap<&'static str, u64> =
            RecordKind::ALL.iter().map(|k| (k.as_str(), 0)).collect();
        counts.insert("workspace", 0);
        Self {
            store,
            workspace_id,
            kind: None,
            after: None,
            counts,
            ended: false,
        }
    }

    /// The next page of records and their type; `None` when everything has been read. The
    /// last page is one `end` record with the count of each type, so a reader can tell a
    /// whole export from one cut short.
    async fn next(&mut self) -> Result<Option<(&'static str, Vec<Value>)>, ExportError> {
        let page = self.page().await?;
        match page {
            Some((kind, ref records)) => {
                *self.counts.entry(kind).or_default() += records.len() as u64;
                Ok(page)
            }
            None if self.ended => Ok(None),
            None => {
                self.ended = true;
                Ok(Some(("end", vec![json!({ "records": self.counts })])))
            }
        }
    }

    async fn page(&mut self) -> Result<Option<(&'static str, Vec<Value>)>, ExportError> {
        let Some(i) = self.kind else {
            let workspace = self
                .store
                .workspace_record(&self.workspace_id)
                .await?
                .ok_or(StoreError::NotFound("workspace"))?;
            self.kind = Some(0);
            return Ok(Some(("workspace", vec![workspace])));
        };
        let Some(&kind) = RecordKind::ALL.get(i) else {
            return Ok(None);
        };
        let (records, next) = self
            .store
            .workspace_records(
                &self.workspace_id,
                kind,
                self.after.as_deref(),
                WORKSPACE_PAGE,
            )
            .await?;
        match next {
            Some(key) => self.after = Some(key),
            None => {
                self.kind = Some(i + 1);
                self.after = None;
            }
        }
        Ok(Some((kind.as_str(), records)))
    }
}

/// Writes the workspace `workspace_id` to `out` as JSON lines; returns how many records of
/// each type were written (the workspace itself included; a type without records, 0), as
/// the closing `end` line says too.
pub async fn write_workspace(
    store: &Store,
    workspace_id: &str,
    out: &mut impl Write,
) -> Result<BTreeMap<&'static str, u64>, ExportError> {
    let mut walk = Walk::new(store.clone(), workspace_id.to_owned());
    while let Some((kind, records)) = walk.next().await? {
        out.write_all(&lines(kind, records)?)?;
    }
    out.flush()?;
    Ok(walk.counts)
}

/// The same lines in chunks, one per page (pages without records are skipped), produced
/// only as fast as the client reads them.
pub fn workspace_chunks(
    store: Store,
    workspace_id: String,
) -> impl Stream<Item = Result<Vec<u8>, ExportError>> {
    stream::try_unfold(Walk::new(store, workspace_id), |mut walk| async move {
        loop {
            match walk.next().await? {
                None => return Ok(None),
                Some((_, records)) if records.is_empty() => continue,
                Some((kind, records)) => return Ok(Some((lines(kind, records)?, walk))),
            }
        }
    })
}

/// Records as lines: `{"type": …, …the record's fields}\n` each.
fn lines(kind: &str, records: Vec<Value>) -> Result<Vec<u8>, ExportError> {
    let mut out = Vec::new();
    for record in records {
        let mut object = json!({ "type": kind });
        if let (Value::Object(o), Value::Object(fields)) = (&mut object, record) {
            o.extend(fields);
        }
        serde_json::to_writer(&mut out, &object).map_err(std::io::Error::from)?;
        out.push(b'\n');
    }
    Ok(out)
}
