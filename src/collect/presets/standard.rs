//! Standard Webhooks (<https://www.standardwebhooks.com>): `webhook-id`, `webhook-timestamp`
//! and `webhook-signature` (HMAC-SHA256 over `id.timestamp.body`), as Tingjian's own generic
//! shape and Formbricks sign.

use chrono::{DateTime, Utc};

use super::{Incoming, Secrets};
use crate::collect::webhook::{self, SignatureError};

pub fn verify(
    req: &Incoming<'_>,
    secrets: &Secrets<'_>,
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    webhook::verify(
        &secrets.live,
        req.header("webhook-id"),
        req.header("webhook-timestamp"),
        req.header("webhook-signature"),
        req.body,
        now.timestamp(),
    )
}
