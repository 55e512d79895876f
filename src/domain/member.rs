//! People who sign in to the console: their role in a workspace, their email address, and
//! the passwords and one-time tokens that sign them in. Passwords are hashed with argon2id;
//! tokens carry 256 random bits and are stored by their SHA-256 only (like API keys).

use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::hash_key;

/// What a member may do in one workspace. Each role includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything: the home page, pain points, the inbox, survey results; exports.
    Viewer,
    /// Also builds surveys, corrects labels, manages digest subscriptions, dictionary words
    /// and categories, imports files and uploads interviews.
    Editor,
    /// Also manages API keys, sources, members and the workspace's settings.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Editor, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// The role as the console names it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "查看者",
            Role::Editor => "编辑",
            Role::Admin => "管理员",
        }
    }

    /// The API-key scopes a member of this role acts with when the console calls the API.
    pub fn scopes(self) -> super::Scopes {
        use super::Scope;
        super::Scopes::new(match self {
            Role::Viewer => vec![Scope::Read],
            Role::Editor => vec![Scope::Read, Scope::Ingest],
            Role::Admin => vec![Scope::Admin],
        })
    }
}

/// An email address as members are known by: trimmed and lower-cased, one `@` with something
/// on both sides and a dot in the domain. Mail servers judge the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let e = raw.trim().to_lowercase();
        if e.is_empty() {
            return Err("is required");
        }
        // Invisible format characters (a right-to-left override, a zero-width space) would
        // make an address read as another one in every list that shows it.
        let shown = |c: char| super::text::has_visible(c.encode_utf8(&mut [0; 4]));
        if e.len() > 254
            || e.chars()
                .any(|c| c.is_whitespace() || c.is_control() || !shown(c))
        {
            return Err("is not an email address");
        }
        // The mailer's own parser decides: an address it would refuse when an invitation or
        // a digest is sent is refused here, where whoever typed it can still correct it.
        let mailer_takes = e.parse::<lettre::Address>().is_ok();
        match e.split_once('@') {
            Some((local, domain))
                if mailer_takes
                    && !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.') =>
            {
                Ok(Self(e))
            }
            _ => Err("is not an email address"),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Shortest password accepted: long enough that a rate-limited guesser gets nowhere.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest: argon2 takes any length, but hashing megabytes on request is a denial of service.
pub const MAX_PASSWORD_CHARS: usize = 200;

/// A new password, checked for length; the error is in Chinese for the form that shows it.
pub fn check_password(p: &str) -> Result<(), String> {
    let n = p.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(format!("密码至少 {MIN_PASSWORD_CHARS} 个字符"));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(format!("密码最多 {MAX_PASSWORD_CHARS} 个字符"));
    }
    Ok(())
}

/// The argon2id PHC string of a password, with a fresh salt. CPU-heavy (tens of
/// milliseconds): call it off the executor.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::PasswordHasher;
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes())?
        .to_string())
}

/// Whether `password` matches a stored PHC string; a malformed string matches nothing.
pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{phc::PasswordHash, PasswordVerifier};
    PasswordHash::new(phc).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A new secret token (for a session cookie, a sign-in link or a CSRF field): the plaintext to
/// hand out and the hash to store.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let plaintext = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_key(&plaintext);
    (plaintext, hash)
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_and_parse() {
        assert!(Role::Admin > Role::Editor && Role::Editor > Role::Viewer);
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("owner"), None);
        assert!(Role::Admin.scopes().allows(super::super::Scope::Admin));
        assert!(!Role::Editor.scopes().allows(super::super::Scope::Admin));
        assert!(!Role::Viewer.scopes().allows(super::super::Scope::Ingest));
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Li.Lei@Example.COM ").unwrap().as_str(),
            "li.lei@example.com"
        );
        for bad in [
            "",
            "lilei",
            "@example.com",
            "li@",
            "li@example",
            "li lei@example.com",
            "a@b@c.com",
            // Refused by the mailer's parser (lettre), so by us.
            "a..b@example.com",
            "li,lei@example.com",
            "li<lei>@example.com",
            "li@exa mple.com",
            "li@-example.com",
            // Invisible characters that make one address read as another.
            "li\u{202e}moc.elpmaxe@example.com",
            "li\u{200b}@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse battery!", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(check_password("short").is_err());
        assert!(check_password("long enough pw").is_ok());
    }

    #[test]
    fn tokens_differ_and_compare() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(ha, hash_key(&a));
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
    }
}
