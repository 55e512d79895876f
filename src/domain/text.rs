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

/// Does the text show anything? Whitespace, control characters and the invisible format
/// characters (zero-width spaces and joiners, the byte-order mark, direction marks and
/// isolates, variation selectors, tags, Hangul fillers, the soft hyphen …) do not: a text of
/// only those is empty, however long.
pub fn has_visible(s: &str) -> bool {
    s.chars()
        .any(|c| !(c.is_whitespace() || c.is_control() || invisible(c)))
}

/// Characters that render as nothing on their own (Unicode's format characters and
/// default-ignorable code points, and the blank fillers).
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{2800}' | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFFB}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_invisible_characters_show_nothing() {
        for blank in [
            "",
            " \t\n",
            "\u{200B}",
            "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}",
            "\u{3000}\u{00A0}\u{202E}\u{FE0F}\u{E0041}",
            "\u{3164}\u{115F}\u{00AD}",
        ] {
            assert!(!has_visible(blank), "{blank:?}");
        }
        for shown in ["好", "a\u{200B}", "\u{200D}👍", "1"] {
            assert!(has_visible(shown), "{shown:?}");
        }
    }

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
