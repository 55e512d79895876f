//! Email: a digest or an alert composed as multipart/alternative (plain text, and HTML
//! related to its inline PNG charts), with RFC 8058 one-click unsubscribe headers, sent over
//! SMTP (lettre, from `TINGJIAN_SMTP_URL`) or written as `.eml` files when no SMTP is set.

use std::path::Path;
use std::time::Duration;

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::response::Severity;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Why a message did not go out, and whether trying again later can help.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub retryable: bool,
    /// The message went out and no answer came: it may have been delivered. A group robot's
    /// delivery is then not sent again (it would be a second message in the group).
    pub outcome_unknown: bool,
    pub message: String,
}

impl SendError {
    pub fn retry(message: impl Into<String>) -> Self {
        Self {
            retryable: true,
            outcome_unknown: false,
            message: message.into(),
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            retryable: false,
            outcome_unknown: false,
            message: message.into(),
        }
    }

    /// The request went out and its answer never came (cut off, timed out).
    pub fn outcome_unknown(message: impl Into<String>) -> Self {
        Self {
            retryable: false,
            outcome_unknown: true,
            message: message.into(),
        }
    }
}

/// Where mail goes.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    /// Longest a whole exchange may take. lettre's own timeout covers only the connect, so a
    /// server that stalls after its greeting would hold a worker for ever without this.
    timeout: Duration,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// One `.eml` file per message in a directory (`DATA_DIR/mail` by default).
    Files(AsyncFileTransport<Tokio1Executor>),
}

impl Mailer {
    /// SMTP from a lettre URL (`smtp://host:2525`, `smtps://user:pass@host`,
    /// `smtp://host:587?tls=required`), else files in `dir`.
    pub fn new(smtp_url: Option<&str>, dir: &Path, timeout: Duration) -> anyhow::Result<Self> {
        let transport = match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("TINGJIAN_SMTP_URL is not a valid SMTP URL: {e}"))?
                    .timeout(Some(timeout))
                    .build();
                Transport::Smtp(transport)
            }
            None => {
                std::fs::create_dir_all(dir)?;
                Transport::Files(AsyncFileTransport::new(dir))
            }
        };
        Ok(Self { transport, timeout })
    }

    /// Whether mail goes to an SMTP server (rather than files).
    pub fn is_smtp(&self) -> bool {
        matches!(self.transport, Transport::Smtp(_))
    }

    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        let sent =
            tokio::time::timeout(self.timeout, async {
                match &self.transport {
                    Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(classify_smtp),
                    Transport::Files(t) => t.send(message).await.map(|_| ()).map_err(|e| {
                        SendError::retry(format!("writing the mail file failed: {e}"))
                    }),
                }
            })
            .await;
        sent.unwrap_or_else(|_| Err(SendError::retry("the SMTP server did not answer in time")))
    }
}

/// 5xx replies are final; 4xx replies, dropped connections and unreadable replies are worth
/// another try.
fn classify_smtp(e: lettre::transport::smtp::Error) -> SendError {
    match e.status() {
        Some(code) if code.severity == Severity::PermanentNegativeCompletion => {
            SendError::permanent(format!("the SMTP server refused the message ({code})"))
        }
        Some(code) => SendError::retry(format!("the SMTP server deferred the message ({code})")),
        None => SendError::retry(format!("SMTP failed: {e}")),
    }
}

/// `List-Unsubscribe: <https://…/unsubscribe/TOKEN>` (RFC 2369).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// An inline image of the HTML part, referenced as `cid:{content_id}`.
pub struct InlineImage {
    pub content_id: String,
    pub png: Vec<u8>,
}

/// What one email says, in both forms.
pub struct Email<'a> {
    pub from: &'a Mailbox,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: String,
    pub html: String,
    pub images: Vec<InlineImage>,
    pub unsubscribe_url: &'a str,
    /// Stable per delivery, so a message resent after SMTP's lost-reply window can be
    /// recognised as the same one.
    pub message_id: String,
}

pub fn compose(email: Email<'_>) -> Result<Message, SendError> {
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|e| SendError::permanent(format!("invalid recipient address: {e}")))?;
    let png = ContentType::parse("image/png").map_err(|e| SendError::permanent(e.to_string()))?;
    let mut related = MultiPart::related().singlepart(SinglePart::html(email.html));
    for image in email.images {
        related = related
            .singlepart(Attachment::new_inline(image.content_id).body(image.png, png.clone()));
    }
    Message::builder()
        .from(email.from.clone())
        .to(to)
        .subject(email.subject)
        .message_id(Some(email.message_id))
        .header(ListUnsubscribe(format!("<{}>", email.unsubscribe_url)))
        .header(ListUnsubscribePost)
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::plain(email.text))
                .multipart(related),
        )
        .map_err(|e| SendError::permanent(format!("the message could not be built: {e}")))
}

/// A message to one person about their account (an invitation, a new sign-in link): plain
/// text and HTML, no list headers (it is not a mailing).
pub fn compose_notice(
    from: &Mailbox,
    to: &str,
    subject: &str,
    text: String,
    html: String,
    message_id: String,
) -> Result<Message, SendError> {
    let to: Mailbox = to
        .parse()
        .map_err(|e| SendError::permanent(format!("invalid recipient address: {e}")))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .message_id(Some(message_id))
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| SendError::permanent(format!("the message could not be built: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_message_has_both_parts_images_and_unsubscribe_headers() {
        let from: Mailbox = "听见 <digest@example.com>".parse().unwrap();
        let msg = compose(Email {
            from: &from,
            to: "ops@example.com",
            subject: "【听见周报】2026年第47周",
            text: "纯文本".into(),
            html: "<p>网页</p><img src=\"cid:nps@tingjian\">".into(),
            images: vec![InlineImage {
                content_id: "nps@tingjian".into(),
                png: vec![0x89, b'P', b'N', b'G'],
            }],
            unsubscribe_url: "https://t.example/unsubscribe/abc",
            message_id: "<dlv_1@tingjian>".into(),
        })
        .unwrap();
        let raw = String::from_utf8(msg.formatted()).unwrap();
        assert!(raw.contains("List-Unsubscribe: <https://t.example/unsubscribe/abc>"));
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("multipart/related"));
        assert!(raw.contains("Content-ID: <nps@tingjian>"));
        assert!(raw.contains("Message-ID: <dlv_1@tingjian>"));
        assert!(compose(Email {
            from: &from,
            to: "not an address",
            subject: "x",
            text: String::new(),
            html: String::new(),
            images: vec![],
            unsubscribe_url: "u",
            message_id: "<x@y>".into(),
        })
        .is_err_and(|e| !e.retryable));
    }
}
