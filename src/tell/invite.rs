//! Inviting a member: the store gives the address a role in the workspace, and a member
//! without a password (a new one, or one who never set it) gets a one-time link to set one,
//! by mail and in the answer (so an admin can pass it on when mail is not set up). The CLI's
//! `member add` and the console's member page both come through here.

use chrono::Duration;
use serde::Serialize;

use super::mail::{compose_notice, Mailer};
use crate::domain::{Email, Role};
use crate::store::{Store, StoreError};

/// How long a sign-in link works.
pub const LINK_DAYS: i64 = 7;

/// What an invitation did.
#[derive(Debug, Clone, Serialize)]
pub struct Invited {
    pub member_id: String,
    pub email: String,
    pub role: Role,
    /// The one-time link to set a password; `None` when the member already has one.
    pub sign_in_url: Option<String>,
    /// Whether the link went out by mail.
    #[serde(skip)]
    pub mailed: bool,
    /// New to the workspace (not a role change of a member already in it).
    #[serde(skip)]
    pub joined: bool,
}

/// Where mail goes from, and the base of links.
pub struct Post<'a> {
    pub mailer: &'a Mailer,
    pub from: &'a lettre::message::Mailbox,
    pub link_base: &'a str,
}

/// Gives `email` the role in the workspace. With a password the member can sign in at once;
/// without one (and none set before) a link is made and mailed. A mail that fails is logged
/// and reported as not mailed: the member is in, and the link is in the answer.
pub async fn invite(
    store: &Store,
    post: &Post<'_>,
    workspace_id: &str,
    email: &Email,
    role: Role,
    password_hash: Option<String>,
) -> Result<Invited, StoreError> {
    let (member, joined) = store
        .add_member(workspace_id, email, role, password_hash)
        .await?;
    let mut out = Invited {
        member_id: member.id.clone(),
        email: member.email.clone(),
        role,
        sign_in_url: None,
        mailed: false,
        joined,
    };
    if member.password_hash.is_none() {
        let (url, mailed) = send_link(store, post, &member.id, &member.email, workspace_id).await?;
        out.sign_in_url = Some(url);
        out.mailed = mailed;
    }
    Ok(out)
}

/// Makes a new one-time link for the member and mails it; returns the link and whether the
/// mail went out.
pub async fn send_link(
    store: &Store,
    post: &Post<'_>,
    member_id: &str,
    email: &str,
    workspace_id: &str,
) -> Result<(String, bool), StoreError> {
    let token = store
        .issue_member_link(member_id, Some(workspace_id), Duration::days(LINK_DAYS))
        .await?;
    let url = format!(
        "{}/console/set-password?token={token}",
        post.link_base.trim_end_matches('/')
    );
    let workspace = store
        .workspace(workspace_id)
        .await?
        .map(|w| w.name)
        .unwrap_or_default();
    let (subject, text, html) = invitation(&workspace, &url);
    let message_id = format!("<invite-{}@tingjian>", crate::domain::new_id());
    let mailed = match compose_notice(post.from, email, &subject, text, html, message_id) {
        Ok(msg) => match post.mailer.send(msg).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(member = member_id, error = %e, "invitation mail not sent");
                false
            }
        },
        Err(e) => {
            tracing::warn!(member = member_id, error = %e, "invitation mail not composed");
            false
        }
    };
    Ok((url, mailed))
}

/// Subject, text and HTML of the mail with the link.
fn invitation(workspace: &str, url: &str) -> (String, String, String) {
    let subject = format!("【听见】邀请你加入工作区“{workspace}”");
    let text = format!(
        "你好：\n\n你被邀请加入听见的工作区“{workspace}”。打开下面的链接设置密码，之后用这个邮箱和密码登录控制台：\n\n{url}\n\n链接 {LINK_DAYS} 天内有效，只能使用一次。如果你没有预期收到这封邮件，忽略它即可。\n\n—— 听见"
    );
    let (w, u) = (
        html_escape::encode_text(workspace),
        html_escape::encode_double_quoted_attribute(url),
    );
    let html = format!(
        "<!doctype html><html lang=\"zh-CN\"><body style=\"font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;color:#1f2329;line-height:1.6\">\
         <p>你好：</p><p>你被邀请加入听见的工作区“{w}”。点击下面的按钮设置密码，之后用这个邮箱和密码登录控制台。</p>\
         <p><a href=\"{u}\" style=\"display:inline-block;padding:10px 18px;background:#1a66d9;color:#fff;border-radius:6px;text-decoration:none\">设置密码</a></p>\
         <p style=\"color:#5c636e;font-size:13px\">链接 {LINK_DAYS} 天内有效，只能使用一次。如果你没有预期收到这封邮件，忽略它即可。</p>\
         <p style=\"color:#5c636e;font-size:13px\">按钮打不开时，复制这个地址到浏览器：<br>{u}</p></body></html>"
    );
    (subject, text, html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_invitation_names_the_workspace_and_escapes_it() {
        let (subject, text, html) =
            invitation("<运营>", "https://t.example/console/set-password?token=a&b");
        assert!(subject.contains("“<运营>”"));
        assert!(text.contains("https://t.example/console/set-password?token=a&b"));
        assert!(html.contains("&lt;运营&gt;"));
        assert!(html.contains("token=a&amp;b"));
    }
}
