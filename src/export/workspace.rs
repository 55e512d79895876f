//! A workspace's whole content as JSON lines, for moving it elsewhere or handing a team its
//! data: the workspace first, then every record of every kind, one object a line, each with a
//! `type`. Records are read one keyset page at a time and written as they come, so memory
//! stays bounded however much the workspace holds.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{json, Value};

use super::ExportError;
use crate::store::{RecordKind, Store, StoreError};

/// Records read per query.
pub const WORKSPACE_PAGE: u64 = 500;

/// Writes the workspace `workspace_id` to `out` as JSON lines; returns how many records of
/// each type were written (the workspace itself included).
pub async fn write_workspace(
    store: &Store,
    workspace_id: &str,
    out: &mut impl Write,
) -> Result<BTreeMap<&'static str, u64>, ExportError> {
    let mut counts = BTreeMap::new();
    let workspace = store
        .workspace_record(workspace_id)
        .await?
        .ok_or(StoreError::NotFound("workspace"))?;
    line(out, "workspace", workspace)?;
    counts.insert("workspace", 1);
    for kind in RecordKind::ALL {
        let mut after: Option<String> = None;
        let mut n = 0;
        loop {
            let (records, next) = store
                .workspace_records(workspace_id, kind, after.as_deref(), WORKSPACE_PAGE)
                .await?;
            for record in records {
                line(out, kind.as_str(), record)?;
                n += 1;
            }
            match next {
                Some(key) => after = Some(key),
                None => break,
            }
        }
        counts.insert(kind.as_str(), n);
    }
    out.flush()?;
    Ok(counts)
}

/// One record as a line: `{"type": …, …the record's fields}`.
fn line(out: &mut impl Write, kind: &str, record: Value) -> Result<(), ExportError> {
    let mut object = json!({ "type": kind });
    if let (Value::Object(o), Value::Object(fields)) = (&mut object, record) {
        o.extend(fields);
    }
    serde_json::to_writer(&mut *out, &object).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    Ok(())
}
