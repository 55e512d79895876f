//! The demo: a workspace (`ws_demo`) filled once with feedback written for the project
//! (`assets/demo/`), dated over the last eight weeks by a seeded generator and stored through
//! the same collect, ingest and store functions real feedback goes through, and an admin who
//! can sign in at once. `tingjian demo` and `tingjian serve --demo` call [`ensure`].

mod fill;
mod plan;
mod texts;

use serde::Serialize;

use crate::domain::{hash_password, Email, Role};
use crate::ingest::Pipeline;
use crate::store::Store;

pub use fill::{APP_STORE_NAME, IMPORT_SOURCE, SURVEY_TITLE, WEBHOOK_NAME};
pub use plan::WEEKS;

/// The demo workspace's id: fixed, so a second run finds it.
pub const WORKSPACE_ID: &str = "ws_demo";
pub const WORKSPACE_NAME: &str = "演示：鲜到家 App";
pub const TIMEZONE: &str = "Asia/Shanghai";
/// The demo's admin. The password is fixed and documented: the demo is for trying the
/// product on one's own machine, not for holding anything.
pub const EMAIL: &str = "demo@example.com";
pub const PASSWORD: &str = "tingjian-demo";

/// What the demo commands print.
#[derive(Debug, Clone, Serialize)]
pub struct Demo {
    pub workspace_id: String,
    pub console_url: String,
    pub email: String,
    pub password: String,
    /// Feedback items in the demo workspace.
    pub items: u64,
    /// This run filled the workspace (false: it was there already, and nothing changed).
    #[serde(skip)]
    pub filled: bool,
}

/// Makes the demo workspace unless it is complete already, and says how to sign in to it.
///
/// The admin's membership is written last, so it marks a complete demo: a run that stopped
/// half-way is finished by the next one (every item has a stable id and is stored once).
/// `link_base` is where the console is reached (`http://127.0.0.1:8080`).
pub async fn ensure(store: &Store, pipeline: &Pipeline, link_base: &str) -> anyhow::Result<Demo> {
    let email = Email::parse(EMAIL).map_err(|m| anyhow::anyhow!("the demo's email {m}"))?;
    let complete = match store.member_by_email(&email).await? {
        Some(m) => store.role_in(WORKSPACE_ID, &m.id).await?.is_some(),
        None => false,
    };
    if !complete {
        let now = store.now();
        let tz: chrono_tz::Tz = TIMEZONE
            .parse()
            .map_err(|e| anyhow::anyhow!("the demo's time zone: {e}"))?;
        if store.workspace(WORKSPACE_ID).await?.is_none() {
            // Made the day before its first feedback, like a team setting up.
            let made = plan::Plan::start(now) - chrono::Duration::days(1);
            store
                .clone()
                .with_clock(crate::domain::Clock::manual(made))
                .create_workspace_with_id(WORKSPACE_ID, WORKSPACE_NAME, TIMEZONE)
                .await?;
        }
        let plan = plan::Plan::new(now, tz);
        fill::Filler::new(store, pipeline, WORKSPACE_ID, tz, now)
            .all(&plan)
            .await?;
        let hash = tokio::task::spawn_blocking(|| hash_password(PASSWORD))
            .await?
            .map_err(|e| anyhow::anyhow!("hashing the demo's password failed: {e}"))?;
        store
            .add_member(WORKSPACE_ID, &email, Role::Admin, Some(hash))
            .await?;
    }
    Ok(Demo {
        workspace_id: WORKSPACE_ID.to_owned(),
        console_url: format!(
            "{}/console/w/{WORKSPACE_ID}",
            link_base.trim_end_matches('/')
        ),
        email: EMAIL.to_owned(),
        password: PASSWORD.to_owned(),
        items: store.feedback_count(WORKSPACE_ID).await?,
        filled: !complete,
    })
}
