//! CSV: a BOM and the header row, then one chunk per page of rows, produced only as fast as
//! the client reads them (the HTTP body pulls the next chunk when the last one is sent).

use futures_util::stream::{self, Stream};

use super::table::{row, ExportContext, ExportError, Pages, HEADERS};
use crate::store::{FeedbackFilter, Store};

/// Excel reads a CSV as UTF-8 only when it starts with this byte order mark.
const BOM: &[u8] = "\u{feff}".as_bytes();

fn writer() -> ::csv::Writer<Vec<u8>> {
    ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

fn finish(w: ::csv::Writer<Vec<u8>>) -> Result<Vec<u8>, ExportError> {
    w.into_inner()
        .map_err(|e| ExportError::Io(std::io::Error::other(e.to_string())))
}

/// The file in chunks: the BOM and headers first, then one chunk per page.
pub fn csv_chunks(
    store: Store,
    workspace_id: String,
    filter: FeedbackFilter,
    cx: ExportContext,
) -> impl Stream<Item = Result<Vec<u8>, ExportError>> {
    let pages = Pages::new(store, workspace_id, filter);
    stream::try_unfold((pages, cx, true), |(mut pages, cx, first)| async move {
        if first {
            let mut w = writer();
            w.write_record(HEADERS)?;
            let mut chunk = BOM.to_vec();
            chunk.extend(finish(w)?);
            return Ok(Some((chunk, (pages, cx, false))));
        }
        let Some((rows, names)) = pages.next().await? else {
            return Ok(None);
        };
        let mut w = writer();
        for f in &rows {
            w.write_record(row(f, &names, &cx).iter().map(|c| c.as_csv()))?;
        }
        Ok(Some((finish(w)?, (pages, cx, false))))
    })
}
