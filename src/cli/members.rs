//! `tingjian member add`: gives an email address a role in a workspace from the shell, the way
//! the first admin of a new installation gets in.

use serde_json::json;

use crate::config::Settings;
use crate::domain::{check_password, hash_password, Email, Role};
use crate::startup::open_store;
use crate::tell::invite::{self, Post};
use crate::tell::mail::Mailer;

pub(super) async fn add(
    settings: &Settings,
    workspace: &str,
    email: &str,
    role: &str,
    password: Option<String>,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|m| anyhow::anyhow!("--email {m}"))?;
    let role = Role::parse(role)
        .ok_or_else(|| anyhow::anyhow!("--role must be admin, editor or viewer"))?;
    let hash = match password {
        Some(p) => {
            check_password(&p).map_err(|m| anyhow::anyhow!("--password: {m}"))?;
            Some(
                tokio::task::spawn_blocking(move || hash_password(&p))
                    .await?
                    .map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))?,
            )
        }
        None => None,
    };
    let store = open_store(settings).await?;
    anyhow::ensure!(
        store.workspace(workspace).await?.is_some(),
        "no workspace {workspace}"
    );
    let from = settings
        .mail_from
        .parse::<lettre::message::Mailbox>()
        .map_err(|e| anyhow::anyhow!("TINGJIAN_MAIL_FROM is not a mail address: {e}"))?;
    let mailer = Mailer::new(
        settings.smtp_url.as_deref(),
        &settings.mail_dir(),
        settings.smtp_timeout,
    )?;
    let base = settings.link_base();
    let post = Post {
        mailer: &mailer,
        from: &from,
        link_base: &base,
    };
    let invited = invite::invite(&store, &post, workspace, &email, role, hash).await?;
    if let Some(url) = &invited.sign_in_url {
        let how = match (invited.mailed, mailer.is_smtp()) {
            (true, true) => "mailed to the member".to_owned(),
            (true, false) => format!(
                "written to {} (no SMTP server configured)",
                settings.mail_dir().display()
            ),
            (false, _) => "NOT mailed (see the log); pass the link on yourself".to_owned(),
        };
        eprintln!(
            "one-time link to set a password, valid {} days, {how}: {url}",
            invite::LINK_DAYS
        );
    }
    println!(
        "{}",
        json!({
            "member_id": invited.member_id,
            "email": invited.email,
            "role": invited.role,
            // With a password (or one set before) the member signs in on the sign-in page.
            "sign_in_url": invited
                .sign_in_url
                .clone()
                .unwrap_or_else(|| format!("{base}/console/login")),
        })
    );
    Ok(())
}
