//! `/manage/dictionary` and `/manage/categories` (editors): what the analysis should know
//! about this workspace. Words (product names, jargon) that must stay whole when text is cut
//! into words, and the team's own pain-point categories beside the default ones, each with
//! the trigger words and example sentences that put a text in it.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::super::error::ConsoleError;
use super::super::frame::Page;
use crate::domain::Role;
use crate::http::custom_json;

async fn dictionary(page: Page) -> Result<HttpResponse, ConsoleError> {
    page.require(Role::Editor)?;
    let words = page.state.store.dictionary(&page.workspace.id).await?;
    Ok(page.render(
        "manage_dictionary.html",
        "词典",
        "manage",
        json!({"words": words}),
    ))
}

async fn categories(page: Page) -> Result<HttpResponse, ConsoleError> {
    page.require(Role::Editor)?;
    let defaults: Vec<_> = page
        .state
        .pipeline
        .analyzer()
        .taxonomy()
        .categories
        .iter()
        .map(|c| json!({"id": c.id, "name": c.name}))
        .collect();
    let custom: Vec<_> = page
        .state
        .store
        .custom_categories(&page.workspace.id)
        .await?
        .iter()
        .map(custom_json)
        .collect();
    Ok(page.render(
        "manage_categories.html",
        "痛点分类",
        "manage",
        json!({"defaults": defaults, "custom": custom}),
    ))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/manage/dictionary").route(web::get().to(dictionary)))
        .service(web::resource("/manage/categories").route(web::get().to(categories)));
}
