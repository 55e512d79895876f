//! Ids derived from what a sender gave, so that a retry lands on the same row: the one
//! function behind the stored-once promise of every channel that has no id of its own to
//! send (survey responses, interviews, feed entries, mentions, CSV rows).

use sha2::{Digest, Sha256};

/// How the parts of an id are joined before hashing. Each channel keeps the joint its stored
/// ids were first made with, so ids stored before stay the ids of the same input.
#[derive(Debug, Clone, Copy)]
pub enum Joint {
    /// `U+0000`: a primary key scoped by its owner (`sr_`, `iv_`), as 16 bytes of hex.
    Nul,
    /// `U+001F` (unit separator): an external id of a feed entry, a mention or a CSV row,
    /// as the whole 32-byte digest in hex.
    UnitSeparator,
}

/// SHA-256 over `parts` joined by `joint`, in lowercase hex: the first 16 bytes for
/// [`Joint::Nul`], all 32 for [`Joint::UnitSeparator`]. Joining keeps `("ab", "c")` apart
/// from `("a", "bc")`.
pub fn stable_id(joint: Joint, parts: &[&str]) -> String {
    let (separator, bytes): (&[u8], usize) = match joint {
        Joint::Nul => (b"\0", 16),
        Joint::UnitSeparator => (b"\x1f", 32),
    };
    let mut h = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            h.update(separator);
        }
        h.update(part.as_bytes());
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes * 2);
    for &b in h.finalize().iter().take(bytes) {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_standard_sha256_and_keeps_parts_apart() {
        assert_eq!(
            stable_id(Joint::UnitSeparator, &["abc"]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(
            stable_id(Joint::UnitSeparator, &["ab", "c"]),
            stable_id(Joint::UnitSeparator, &["a", "bc"])
        );
        assert_ne!(
            stable_id(Joint::Nul, &["ab", "c"]),
            stable_id(Joint::Nul, &["a", "bc"])
        );
    }

    #[test]
    fn keeps_the_ids_stored_before() {
        // The first 16 bytes of SHA-256("sv_1\0r-1"), as `sr_` ids were made before this
        // function existed.
        let d = Sha256::digest("sv_1\u{0}r-1".as_bytes());
        let old: String = d.iter().take(16).map(|b| format!("{b:02x}")).collect();
        assert_eq!(stable_id(Joint::Nul, &["sv_1", "r-1"]), old);
    }
}
