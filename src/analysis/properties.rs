//! Properties of `analyze` on arbitrary text (proptest): it never panics, and what it reports
//! stays in range whatever it is given — mixed scripts, control characters, emoji, markup.

use proptest::prelude::*;

use std::collections::HashSet as StdSet;

use super::*;

fn analyzer() -> &'static Analyzer {
    static A: once_cell::sync::Lazy<Analyzer> = once_cell::sync::Lazy::new(Analyzer::new);
    &A
}

/// Text as feedback arrives: Chinese words the lexicons know, punctuation, Latin, digits,
/// emoji, zero-width and direction marks, and any character at all.
fn feedback_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(vec![
            "太", "慢", "了", "闪退", "不", "好用", "但是", "就是", "有点", "贵", "客服", "垃圾",
            "推荐", "登录", "支付", "失败", "！", "？", "，", "。", "😡", "👍", "\u{200b}",
            "\u{202e}", "\u{feff}", "\n", " ", "@小明", "#话题#", "https://a.cn/x", "¥99",
            "<b>", "&amp;", "并不", "一点也不", "没有", "太好了", "卡顿", "退款",
        ])
        .prop_map(str::to_owned),
        2 => "[a-zA-Z0-9 .,!?']{1,12}",
        1 => any::<char>().prop_map(String::from),
        1 => "[\\u{3040}-\\u{30ff}\\u{ac00}-\\u{ac40}]{1,6}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|p| p.concat())
}

fn check(a: &Analysis) -> Result<(), TestCaseError> {
    let s = a.sentiment;
    prop_assert!(
        s.score.is_finite() && (-1.0..=1.0).contains(&s.score),
        "score {}",
        s.score
    );
    prop_assert!(
        s.confidence.is_finite() && (0.0..=1.0).contains(&s.confidence),
        "confidence {}",
        s.confidence
    );
    prop_assert!(a.keywords.len() <= KEYWORDS);
    let mut seen = StdSet::new();
    // A keyword is made of the text's own words (a phrase may join words that a space or a
    // degree word kept apart, 登录有点失败 → 登录失败): every character is the text's.
    let lower = a.normalized.to_lowercase();
    for k in &a.keywords {
        prop_assert!(!k.word.trim().is_empty(), "empty keyword");
        prop_assert!(
            k.weight.is_finite() && k.weight >= 0.0,
            "weight {}",
            k.weight
        );
        prop_assert!(seen.insert(k.word.to_lowercase()), "{} twice", k.word);
        prop_assert!(
            k.word.to_lowercase().chars().all(|c| lower.contains(c)),
            "keyword {:?} not in {:?}",
            k.word,
            a.normalized
        );
    }
    let names: StdSet<&str> = analyzer()
        .taxonomy()
        .categories
        .iter()
        .flat_map(|c| [c.id.as_str(), c.name.as_str()])
        .collect();
    for p in &a.pain_points {
        prop_assert!(names.contains(p.as_str()), "unknown pain point {p}");
    }
    for asp in &a.aspects {
        // A lexicon weight (documented as such, e.g. 2.0 or −2.5): finite and not zero.
        prop_assert!(asp.polarity.is_finite() && asp.polarity != 0.0);
        prop_assert!(
            a.normalized.contains(&asp.aspect),
            "aspect {:?}",
            asp.aspect
        );
    }
    if a.sentiment.label == Label::Unknown {
        prop_assert!(a.keywords.is_empty() || a.language.chinese_engine());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn analyze_keeps_its_invariants(text in feedback_text()) {
        let a = analyzer().analyze(&text);
        check(&a)?;
        // The same text gives the same analysis.
        let b = analyzer().analyze(&text);
        prop_assert_eq!(
            serde_json::to_value(&a).expect("analysis as JSON"),
            serde_json::to_value(&b).expect("analysis as JSON")
        );
    }

    #[test]
    fn analyze_never_panics_on_any_string(text in any::<String>()) {
        check(&analyzer().analyze(&text))?;
    }

    #[test]
    fn a_batch_is_its_items_one_by_one(texts in prop::collection::vec(feedback_text(), 0..6)) {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let batch = analyzer().analyze_batch(&refs, &WorkspaceContext::default());
        prop_assert_eq!(batch.len(), texts.len());
        for (t, a) in texts.iter().zip(&batch) {
            prop_assert_eq!(
                serde_json::to_value(a).expect("analysis as JSON"),
                serde_json::to_value(analyzer().analyze(t)).expect("analysis as JSON")
            );
        }
    }
}
