//! API keys and their scopes. A key is shown once; only its SHA-256 is stored (keys carry
//! 256 random bits, so a fast hash is enough: there is nothing to brute-force).

use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Push feedback: webhooks' management excluded, mentions, interviews, imports.
    Ingest,
    /// Read feedback and configuration.
    Read,
    /// Everything, including keys, sources, surveys and erasure.
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "ingest" => Some(Scope::Ingest),
            "read" => Some(Scope::Read),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }
}

/// Who is calling: the workspace a key belongs to, and what it may do.
#[derive(Debug, Clone)]
pub struct Caller {
    pub workspace_id: String,
    pub key_id: String,
    pub scopes: Scopes,
}

/// A set of scopes, stored as `ingest,read`. `admin` implies the others.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    pub fn new(mut scopes: Vec<Scope>) -> Self {
        scopes.sort();
        scopes.dedup();
        Self(scopes)
    }

    pub fn all() -> Self {
        Self::new(vec![Scope::Ingest, Scope::Read, Scope::Admin])
    }

    /// Reads the stored form; unknown names (from a newer version) are ignored.
    pub fn from_stored(s: &str) -> Self {
        Self::new(s.split(',').filter_map(Scope::parse).collect())
    }

    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn allows(&self, needed: Scope) -> bool {
        self.0.contains(&needed) || self.0.contains(&Scope::Admin)
    }

    pub fn list(&self) -> &[Scope] {
        &self.0
    }
}

/// A freshly made key: the plaintext (shown once) and what is stored.
pub struct NewKeySecret {
    pub plaintext: String,
    pub prefix: String,
    pub hash: String,
}

impl NewKeySecret {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let plaintext = format!(
            "tj_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        );
        Self {
            prefix: plaintext.chars().take(10).collect(),
            hash: hash_key(&plaintext),
            plaintext,
        }
    }
}

pub fn hash_key(plaintext: &str) -> String {
    let digest = Sha256::digest(plaintext.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_implies_everything() {
        let s = Scopes::from_stored("admin");
        assert!(s.allows(Scope::Read) && s.allows(Scope::Ingest));
        let s = Scopes::from_stored("ingest,bogus");
        assert!(s.allows(Scope::Ingest) && !s.allows(Scope::Read));
        assert_eq!(s.to_stored(), "ingest");
    }

    #[test]
    fn keys_are_random_and_hashed() {
        let a = NewKeySecret::generate();
        let b = NewKeySecret::generate();
        assert_ne!(a.plaintext, b.plaintext);
        assert_eq!(a.hash, hash_key(&a.plaintext));
        assert_eq!(a.hash.len(), 64);
        assert!(a.plaintext.starts_with(&a.prefix));
    }
}
