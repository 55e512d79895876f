//! The hashes the engine keys its tables by: FNV-1a of a word, the key of a last-stage
//! feature mixed from the hashes of its prefix and words, and the spreading of a key over a
//! table's slots. A leaf: it uses no other file of the engine.

/// FNV-1a of a string: each token is hashed once per text, and a feature's key is mixed
/// from its prefix's and its words' hashes, so no feature name is built to look it up.
pub fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One more part folded into a feature key. Order matters: `b:不 好用` and `b:好用 不` are
/// different features.
pub fn mix(key: u64, part: u64) -> u64 {
    (key.rotate_left(5) ^ part).wrapping_mul(0x517c_c1b7_2722_0a95)
}

/// The key of a feature named by a prefix and the hashes of its words: what `key_of` gives
/// for the name spelled out, without building it.
pub fn key(prefix: &str, parts: &[u64]) -> u64 {
    parts.iter().fold(fnv(prefix), |k, h| mix(k, *h))
}

/// The key of a feature name as the model file spells it: a prefix up to and including its
/// first `:` (`u:`, `b:`, `d:` …), then words separated by single spaces (`b:不 好用`).
pub fn key_of(name: &str) -> u64 {
    match name.find(':') {
        Some(i) => name[i + 1..]
            .split(' ')
            .fold(fnv(&name[..=i]), |k, part| mix(k, fnv(part))),
        None => fnv(name),
    }
}

/// A key multiplied by 2⁶⁴/φ (Fibonacci hashing): its high bits depend on all of its bits,
/// so a table indexed by them is filled evenly even by keys whose low bits repeat (the
/// phrase search's character pairs) or that also serve as tags (the last stage's keys).
pub fn spread(key: u64) -> u64 {
    key.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_same_from_names_and_from_parts() {
        assert_eq!(key_of("b:不 好用"), key("b:", &[fnv("不"), fnv("好用")]));
        assert_eq!(key_of("u:http:"), mix(fnv("u:"), fnv("http:")));
        assert_eq!(key_of("bias"), fnv("bias"));
        // The FNV-1a test vectors.
        assert_eq!(fnv(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
