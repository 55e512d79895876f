//! `/manage/interviews` (editors): upload a transcript (a text, Markdown, SRT or WebVTT file,
//! or pasted text) through `POST /api/v1/interviews`, and the workspace's recent interviews
//! with the feedback each gave.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::super::error::ConsoleError;
use super::super::frame::Page;
use super::local::local;
use crate::domain::Role;

/// Interviews the list shows.
const RECENT: u64 = 30;

async fn interviews(page: Page) -> Result<HttpResponse, ConsoleError> {
    page.require(Role::Editor)?;
    let rows: Vec<_> = page
        .state
        .store
        .recent_interviews(&page.workspace.id, RECENT)
        .await?
        .into_iter()
        .map(|i| {
            json!({
                "id": i.id,
                "title": i.title,
                "format": match i.format.as_str() {
                    "srt" => "SRT 字幕",
                    "vtt" => "WebVTT 字幕",
                    _ => "文本",
                },
                "interviewee_id": i.interviewee_id,
                "uploaded": local(i.created_at, page.tz),
                "feedback_count": i.feedback_count,
                "source": format!("interview:{}", i.id),
            })
        })
        .collect();
    Ok(page.render(
        "manage_interviews.html",
        "访谈",
        "manage",
        json!({"interviews": rows, "limit": RECENT, "offset": utc_offset(&page)}),
    ))
}

/// The workspace's UTC offset now (`+08:00`): a time typed on the page is in its zone.
fn utc_offset(page: &Page) -> String {
    use chrono::Offset;
    let now = page.state.clock.now().with_timezone(&page.tz);
    let secs = now.offset().fix().local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let secs = secs.abs();
    format!("{sign}{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/manage/interviews").route(web::get().to(interviews)));
}
