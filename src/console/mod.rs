//! The console: the pages operators work in every day, rendered on the server from templates
//! (`templates/console/`, auto-escaped), with one stylesheet and a little plain JavaScript
//! (`static/console.{css,js}`). Members sign in with email and password; what a page may do
//! follows the member's role in the workspace its URL names. Changes go through the same JSON
//! API machines use, called with the session and its CSRF token.

mod assets;
mod error;
mod frame;
mod home;
mod inbox;
mod login;
mod manage;
mod members;
mod painpoints;
mod render;
mod scope;
mod settings;
mod state;
mod surveys;

use actix_web::web;

pub use state::Console;

/// Mounts the console's routes: `/` and everything under `/console` and `/static`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(assets::routes)
        .configure(login::routes)
        .service(
            web::scope("/console/w/{workspace}")
                .configure(home::routes)
                .configure(painpoints::routes)
                .configure(inbox::routes)
                .configure(members::routes)
                .configure(settings::routes)
                .configure(surveys::routes)
                .configure(manage::routes)
                .default_service(web::to(frame::not_found)),
        );
}
