//! Cutting text to a length, by characters (never inside one), for every place that shows or
//! stores a bounded piece of someone's text.

/// At most `max` characters, cut on a character boundary, nothing added.
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => s[..cut].to_owned(),
        None => s.to_owned(),
    }
}

/// At most `max` characters, the last of them `…` when the text was cut.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let kept: String = s.chars().take(max.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// Control characters (newlines, tabs) as spaces, so a quote stays on one line.
pub fn controls_as_spaces(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_on_characters() {
        assert_eq!(truncate_chars("一二三四五", 3), "一二三");
        assert_eq!(truncate_chars("abc", 5), "abc");
        assert_eq!(clip("一二三四五", 3), "一二…");
        assert_eq!(clip("支付失败退款", 4), "支付失…");
        assert_eq!(clip("一二三", 3), "一二三");
        assert_eq!(clip(&controls_as_spaces("a\nb"), 10), "a b");
    }
}
