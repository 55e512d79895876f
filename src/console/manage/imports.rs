//! `/manage/import` (editors): a CSV export uploaded from the browser. The page's script
//! reads the file's header to offer its columns for the mapping, sends the file as it is to
//! `POST /api/v1/imports/csv` (the server reads its encoding), and shows the row report.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::super::error::ConsoleError;
use super::super::frame::Page;
use crate::domain::Role;

/// What a column can be, in the order the form offers them: (key, label, hint).
const TARGETS: [(&str, &str, &str); 8] = [
    ("text", "反馈内容", "必填"),
    ("occurred_at", "时间", "不选则记为导入时间"),
    ("rating", "星级评分", "1–5 星"),
    ("nps", "NPS 评分", "0–10 分"),
    ("csat", "满意度评分", "1–5 分"),
    ("external_id", "编号", "重新导入时跳过已导入的行"),
    ("respondent_id", "用户 ID", ""),
    ("author", "作者 / 昵称", ""),
];

async fn import(page: Page) -> Result<HttpResponse, ConsoleError> {
    page.require(Role::Editor)?;
    let targets: Vec<_> = TARGETS
        .iter()
        .map(|(key, label, hint)| json!({"key": key, "label": label, "hint": hint}))
        .collect();
    Ok(page.render(
        "manage_import.html",
        "导入 CSV",
        "manage",
        json!({"targets": targets}),
    ))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/manage/import").route(web::get().to(import)));
}
