//! Where a social post came from (its host and the platform behind it) and the bounded,
//! stable keys posts are stored under, for feeds and pushed mentions alike.

use crate::domain::{stable_id, Joint};

/// Longest external id / entry key kept verbatim; longer ones are replaced by their SHA-256 so the
/// dedupe column stays small while staying stable across polls.
pub const MAX_KEY_CHARS: usize = 256;

/// Longest author name kept (feeds sometimes put a whole bio in the author field).
pub const MAX_AUTHOR_CHARS: usize = 200;

/// Longest URL accepted in a pushed mention.
const MAX_URL_CHARS: usize = 2048;

/// Lowercased host of an http(s) URL, without user info, port or trailing dot.
pub fn url_host(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    let host = host.trim_end_matches('.');
    (!host.is_empty()).then(|| host.to_owned())
}

/// Chinese platforms by their domains (short-link domains included); other hosts are named as is.
pub fn platform_for_host(host: &str) -> String {
    const KNOWN: &[(&str, &str)] = &[
        ("weibo.com", "weibo"),
        ("weibo.cn", "weibo"),
        ("zhihu.com", "zhihu"),
        ("bilibili.com", "bilibili"),
        ("b23.tv", "bilibili"),
        ("xiaohongshu.com", "xiaohongshu"),
        ("xhslink.com", "xiaohongshu"),
        ("douyin.com", "douyin"),
        ("iesdouyin.com", "douyin"),
    ];
    for (domain, platform) in KNOWN {
        if host == *domain
            || host
                .strip_suffix(*domain)
                .is_some_and(|prefix| prefix.ends_with('.'))
        {
            return (*platform).to_owned();
        }
    }
    host.strip_prefix("www.").unwrap_or(host).to_owned()
}

pub fn is_http_url(s: &str) -> bool {
    s.len() <= MAX_URL_CHARS
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && url_host(s).is_some()
}

/// Keys longer than [`MAX_KEY_CHARS`] are hashed: still stable, but bounded.
pub fn bounded_key(key: &str) -> String {
    if key.chars().count() <= MAX_KEY_CHARS {
        key.to_owned()
    } else {
        stable_id(Joint::UnitSeparator, &[key])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_guessing() {
        let p = |u: &str| url_host(u).map(|h| platform_for_host(&h));
        assert_eq!(
            p("https://www.zhihu.com/question/1").as_deref(),
            Some("zhihu")
        );
        assert_eq!(
            p("https://zhuanlan.zhihu.com/p/1").as_deref(),
            Some("zhihu")
        );
        assert_eq!(p("https://b23.tv/abc").as_deref(), Some("bilibili"));
        assert_eq!(
            p("https://space.bilibili.com/1").as_deref(),
            Some("bilibili")
        );
        assert_eq!(
            p("http://www.xiaohongshu.com/explore/1").as_deref(),
            Some("xiaohongshu")
        );
        assert_eq!(
            p("https://www.douyin.com/video/1").as_deref(),
            Some("douyin")
        );
        assert_eq!(
            p("https://user:pw@WWW.Example.COM:8443/x").as_deref(),
            Some("example.com")
        );
        assert_eq!(p("https://notweibo.com/x").as_deref(), Some("notweibo.com"));
        assert_eq!(p("ftp://weibo.com/x"), None);
        assert_eq!(p("https:///x"), None);
        assert_eq!(p("javascript:alert(1)"), None);
    }

    #[test]
    fn long_ids_are_hashed() {
        let long = "x".repeat(300);
        assert_eq!(bounded_key(&long).len(), 64);
        assert_eq!(bounded_key("short"), "short");
    }
}
