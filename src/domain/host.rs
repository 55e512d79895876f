//! Host names people type into settings (a survey's allowed origins, a robot's webhook URL):
//! one rule for what a host name is.

/// Dot-separated labels of 1–63 letters (international ones too, which the HTTP client
/// converts), digits, `-` and `_`, not starting or ending with `-`; 253 characters at most;
/// one trailing dot (the DNS root) allowed.
pub fn is_host_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.chars().count() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
}

#[cfg(test)]
mod tests {
    use super::is_host_name;

    #[test]
    fn host_names() {
        for ok in [
            "example.com",
            "a-b.example.com.",
            "内部.example",
            "x_y.local",
            "Example.COM",
        ] {
            assert!(is_host_name(ok), "{ok}");
        }
        let long_label = "a".repeat(64);
        for bad in [
            "",
            ".",
            "a..b",
            "-a.com",
            "a-.com",
            "a b.com",
            "a/b",
            long_label.as_str(),
        ] {
            assert!(!is_host_name(bad), "{bad}");
        }
    }
}
