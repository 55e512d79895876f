//! `GET /api/v1/feedback/export?format=csv|xlsx`: the feedback list's filters, every matching
//! item as a file to download. CSV is streamed as it is read; XLSX is written to a temporary
//! file first (a zip needs its whole content), then streamed from it.

use actix_web::body::SizedStream;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::{StreamExt, TryStreamExt};
use tokio::io::AsyncReadExt;

use super::feedback::{filter_from_pairs, workspace_tz};
use super::{ApiError, AppState, Auth, Read, State};
use crate::export::{csv_chunks, xlsx_file, ExportContext, ExportError, ExportFormat};
use crate::insight::ranking::category_names;

/// Bytes read from the XLSX file per chunk of the body.
const FILE_CHUNK: usize = 64 * 1024;

impl From<ExportError> for ApiError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Store(e) => e.into(),
            other => ApiError::Internal(other.into()),
        }
    }
}

/// The export of workspace `ws` that `query` asks for (`format` and the list's filters), as a
/// download; the API route and the console's button both answer with it.
pub async fn export_response(
    state: &AppState,
    ws: &str,
    query: &str,
) -> Result<HttpResponse, ApiError> {
    let mut format = None;
    let mut rest = Vec::new();
    for (k, v) in super::query_pairs(query)? {
        if k == "format" {
            format = Some(
                ExportFormat::parse(&v)
                    .ok_or_else(|| ApiError::BadRequest("`format` must be csv or xlsx".into()))?,
            );
        } else {
            rest.push((k, v));
        }
    }
    let format =
        format.ok_or_else(|| ApiError::BadRequest("`format` must be csv or xlsx".into()))?;
    let tz = workspace_tz(state, ws).await?;
    let filter = filter_from_pairs(rest, tz)?;
    let cx = ExportContext {
        tz,
        categories: category_names(&state.store, state.pipeline.analyzer(), ws).await?,
    };
    let today = state.clock.now().with_timezone(&tz).format("%Y-%m-%d");
    let ext = format.extension();
    let disposition = format!(
        "attachment; filename=\"feedback-export-{today}.{ext}\"; filename*=UTF-8''{}",
        percent_encode(&format!("反馈导出-{today}.{ext}"))
    );
    tracing::info!(workspace = ws, format = ext, "feedback export started");
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CONTENT_TYPE, format.content_type()))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        // Feedback is personal data: no shared cache keeps a copy.
        .insert_header((header::CACHE_CONTROL, "no-store"));
    let store = state.store.clone();
    let ws = ws.to_owned();
    match format {
        ExportFormat::Csv => {
            let body = csv_chunks(store, ws.clone(), filter, cx)
                .map_ok(Bytes::from)
                .inspect_err(move |e| {
                    // The status is sent already: the download ends short, and the log says why.
                    tracing::error!(workspace = %ws, error = %e, "feedback export failed midway");
                })
                .map_err(ApiError::from);
            Ok(res.streaming(body))
        }
        ExportFormat::Xlsx => {
            let file = xlsx_file(store, ws, filter, cx).await?;
            let len = file.metadata().map_err(ExportError::from)?.len();
            let file = tokio::fs::File::from_std(file);
            let body = futures_util::stream::try_unfold(file, |mut file| async move {
                let mut buf = vec![0; FILE_CHUNK];
                let n = file.read(&mut buf).await?;
                if n == 0 {
                    return Ok(None);
                }
                buf.truncate(n);
                Ok::<_, std::io::Error>(Some((Bytes::from(buf), file)))
            })
            .boxed_local();
            Ok(res.body(SizedStream::new(len, body)))
        }
    }
}

/// RFC 5987 `filename*` value: UTF-8, every byte but unreserved ASCII as `%XX`.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn export(
    state: State,
    auth: Auth<Read>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    export_response(&state, auth.workspace(), req.query_string()).await
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/feedback/export").route(web::get().to(export)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_percent_encoded_as_utf8() {
        assert_eq!(
            percent_encode("反馈导出-2026-12-06.xlsx"),
            "%E5%8F%8D%E9%A6%88%E5%AF%BC%E5%87%BA-2026-12-06.xlsx"
        );
    }
}
