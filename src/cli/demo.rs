//! `tingjian demo` and `tingjian serve --demo`: the demo workspace filled (once), and how to
//! sign in to it printed as one JSON object on stdout, so a newcomer sees the product working.

use std::sync::Arc;

use crate::analysis::Analyzer;
use crate::config::Settings;
use crate::demo::{self, Demo};
use crate::ingest::Pipeline;
use crate::startup::{open_store, Application};

/// `tingjian demo`: fills the demo workspace in the configured database and exits.
pub(super) async fn fill(settings: &Settings) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let analyzer = Arc::new(tokio::task::spawn_blocking(Analyzer::new).await?);
    let pipeline = Pipeline::new(store.clone(), analyzer);
    let demo = demo::ensure(&store, &pipeline, &settings.link_base()).await?;
    report(&demo)
}

/// `tingjian serve --demo`: the service answers at once; the demo is filled beside it, then
/// printed, and the service goes on until stopped.
pub(super) async fn serve(app: Application) -> anyhow::Result<()> {
    let state = app.state();
    let base = console_base(&state.settings, app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let demo = demo::ensure(&state.store, &state.pipeline, &base).await?;
    report(&demo)?;
    server.await??;
    Ok(())
}

/// Where the console is reached: the public URL, else the address bound (the port actually
/// taken when the bind asked for port 0; this machine when it listens on every address).
fn console_base(settings: &Settings, port: u16) -> String {
    if settings
        .public_url
        .as_deref()
        .is_some_and(|u| !u.trim().is_empty())
    {
        return settings.link_base();
    }
    let host = settings
        .bind
        .rsplit_once(':')
        .map_or(settings.bind.as_str(), |(h, _)| h);
    let host = match host {
        "" | "0.0.0.0" | "[::]" | "::" => "127.0.0.1",
        h => h,
    };
    format!("http://{host}:{port}")
}

fn report(demo: &Demo) -> anyhow::Result<()> {
    if demo.filled {
        eprintln!(
            "filled the demo workspace {}: {} feedback items over the last {} weeks",
            demo.workspace_id,
            demo.items,
            demo::WEEKS
        );
    } else {
        eprintln!(
            "the demo workspace {} is there already; nothing changed",
            demo.workspace_id
        );
    }
    println!("{}", serde_json::to_string(demo)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::console_base;
    use crate::config::Settings;

    #[test]
    fn the_console_url_names_the_port_taken_and_a_reachable_host() {
        let mut s = Settings::new("data".into());
        s.bind = "127.0.0.1:0".into();
        assert_eq!(console_base(&s, 41234), "http://127.0.0.1:41234");
        s.bind = "0.0.0.0:8080".into();
        assert_eq!(console_base(&s, 8080), "http://127.0.0.1:8080");
        s.public_url = Some("https://feedback.example.com/".into());
        assert_eq!(console_base(&s, 8080), "https://feedback.example.com");
    }
}
