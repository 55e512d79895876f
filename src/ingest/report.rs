//! An analysis as JSON: the form the API and the CLI report, and the form stored beside each
//! feedback item.
//!
//! [`AnalysisJson`] borrows everything from the analysis and is serialised straight to the
//! output (no `serde_json::Value` in between): the CLI and `POST /api/v1/analyze` write it
//! with [`AnalysisJson::write_to`], the same bytes as serde's without its machinery between
//! each field. The stored form is written the same way, once, when the item is analysed. Its
//! fields are in the order a JSON object map sorts them, so the stored text reads back into
//! the same tree a `Value` would have printed.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::analysis::{Analysis, Aspect, Keyword, Label, Language};
use crate::domain::FeedbackAnalysis;

/// The JSON an analysis is reported as, by the CLI and the API alike.
#[derive(Debug, Serialize)]
pub struct AnalysisJson<'a> {
    pub aspects: &'a [Aspect],
    /// The caller's id as it was sent (any JSON value), `null` when there was none.
    #[serde(skip_serializing_if = "Skip::skip")]
    pub id: Skip<Option<&'a RawValue>>,
    pub keywords: &'a [Keyword],
    pub language: Language,
    /// The normalised text (`tingjian analyze --tokens`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalized: Option<&'a str>,
    pub pain_points: &'a [String],
    pub sentiment: SentimentJson,
    /// The tokens of the normalised text (`tingjian analyze --tokens`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Vec<&'a str>>,
    pub topics: &'a [String],
    pub version: &'static str,
}

/// A field that is left out of the stored form and written (even as `null`) elsewhere.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(transparent)]
pub struct Skip<T>(pub Option<T>);

impl<T> Skip<T> {
    fn skip(&self) -> bool {
        self.0.is_none()
    }
}

#[derive(Debug, Serialize)]
pub struct SentimentJson {
    pub confidence: f64,
    pub label: Label,
    pub score: f64,
}

impl<'a> AnalysisJson<'a> {
    /// The reported form, with the caller's id (`None` is written as `null`).
    pub fn new(id: Option<&'a RawValue>, a: &'a Analysis) -> Self {
        Self {
            id: Skip(Some(id)),
            ..Self::stored(a)
        }
    }

    /// The stored form: no id.
    fn stored(a: &'a Analysis) -> Self {
        Self {
            aspects: &a.aspects,
            id: Skip(None),
            keywords: &a.keywords,
            language: a.language,
            normalized: None,
            pain_points: &a.pain_points,
            sentiment: SentimentJson {
                confidence: round3(a.sentiment.confidence),
                label: a.sentiment.label,
                score: round3(a.sentiment.score),
            },
            tokens: None,
            topics: &a.topics,
            version: a.version,
        }
    }
}

impl AnalysisJson<'_> {
    /// Appends this analysis as one JSON object to `out`: byte for byte what
    /// `serde_json::to_writer` writes for it (the unit tests hold them equal), with the keys
    /// and punctuation written as fixed bytes. Under the API benchmark serde's serialiser
    /// took about 6 % of the server's time, this takes 3.6 % (performance.md, session 24).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"aspects\":[");
        for (i, a) in self.aspects.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"aspect\":");
            string(out, &a.aspect);
            out.extend_from_slice(b",\"opinion\":");
            string(out, &a.opinion);
            out.extend_from_slice(b",\"polarity\":");
            number(out, a.polarity);
            out.push(b'}');
        }
        out.push(b']');
        if let Skip(Some(id)) = self.id {
            out.extend_from_slice(b",\"id\":");
            out.extend_from_slice(id.map_or("null", RawValue::get).as_bytes());
        }
        out.extend_from_slice(b",\"keywords\":[");
        for (i, k) in self.keywords.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"word\":");
            string(out, &k.word);
            out.extend_from_slice(b",\"weight\":");
            thousandths(out, k.weight);
            out.push(b'}');
        }
        out.extend_from_slice(b"],\"language\":");
        string(out, self.language.as_str());
        if let Some(normalized) = self.normalized {
            out.extend_from_slice(b",\"normalized\":");
            string(out, normalized);
        }
        out.extend_from_slice(b",\"pain_points\":");
        strings(out, self.pain_points);
        out.extend_from_slice(b",\"sentiment\":{\"confidence\":");
        thousandths(out, self.sentiment.confidence);
        out.extend_from_slice(b",\"label\":");
        string(out, self.sentiment.label.as_str());
        out.extend_from_slice(b",\"score\":");
        thousandths(out, self.sentiment.score);
        out.push(b'}');
        if let Some(tokens) = &self.tokens {
            out.extend_from_slice(b",\"tokens\":");
            strings(out, tokens);
        }
        out.extend_from_slice(b",\"topics\":");
        strings(out, self.topics);
        out.extend_from_slice(b",\"version\":");
        string(out, self.version);
        out.push(b'}');
    }
}

/// A number as serde_json writes it (shortest form that reads back the same; `null` when
/// it is not finite). Writing to a `Vec` cannot fail.
fn number(out: &mut Vec<u8>, x: impl Serialize) {
    let _ = serde_json::to_writer(out, &x);
}

/// A number rounded to three decimals ([`round3`]), as serde_json writes it: the shortest
/// form of the double nearest to `k / 1000` is that decimal itself (any other with three
/// decimals or fewer lies a thousandth away, far outside the double's rounding interval),
/// so it is written from the integer `k` without the general float formatting. Anything
/// else goes to [`number`]. A unit test compares both over every thousandth up to ±10⁶.
fn thousandths(out: &mut Vec<u8>, x: f64) {
    // Rounded by adding a half and truncating (an instruction, where `round` is a call into
    // libm): whichever way `k` was found, it is written only if `k / 1000` gives `x` back.
    // |k| < 10⁹ then: exact as an integer.
    let k = (x * 1000.0 + 0.5f64.copysign(x)) as i64;
    if !(x.abs() < 1e6 && k as f64 / 1000.0 == x) || (x == 0.0 && x.is_sign_negative()) {
        return number(out, x);
    }
    if k < 0 {
        out.push(b'-');
    }
    let (whole, mut frac) = (k.unsigned_abs() / 1000, k.unsigned_abs() % 1000);
    decimal(out, whole, 1);
    out.push(b'.');
    if frac == 0 {
        out.push(b'0');
        return;
    }
    let mut places = 3;
    while frac % 10 == 0 {
        frac /= 10;
        places -= 1;
    }
    decimal(out, frac, places);
}

/// `n` in decimal digits, with leading zeros to `width` digits.
fn decimal(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    while n > 0 || digits.len() - at < width {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    // Byte by byte: a call to `memcpy` for one to four digits cost more than the digits.
    for &d in &digits[at..] {
        out.push(d);
    }
}

/// An array of strings.
fn strings(out: &mut Vec<u8>, items: &[impl AsRef<str>]) {
    out.push(b'[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, s.as_ref());
    }
    out.push(b']');
}

/// A JSON string, escaped as serde_json escapes it: `"`, `\\` and the control characters
/// below U+0020 (the five with a short form by it, the rest as `\u00XX`); everything else,
/// non-ASCII included, as it is.
fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    // Most strings need no escape: looked at whole (a loop without an early exit, which the
    // compiler runs over many bytes at a time) and copied at once.
    let plain = bytes
        .iter()
        .fold(true, |ok, &b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'));
    if plain {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Three decimals, as f64 so that JSON shows 0.873 rather than 0.8730000257492065.
fn round3(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

/// The stored form of an analysis.
pub fn stored_analysis(a: &Analysis) -> FeedbackAnalysis {
    let mut json = Vec::with_capacity(256);
    AnalysisJson::stored(a).write_to(&mut json);
    // `write_to` writes UTF-8 only: its strings come from `&str`s.
    let json = String::from_utf8(json).unwrap_or_default();
    FeedbackAnalysis {
        sentiment: a.sentiment.label.as_str().to_owned(),
        score: f64::from(a.sentiment.score),
        pain_points: a.pain_points.clone(),
        keywords: a.keywords.iter().map(|k| k.word.clone()).collect(),
        json,
        version: a.version.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::analysis::Sentiment;
    use serde_json::Value;

    /// Every number of a tree as the nearest `f32`.
    fn as_f32(v: Value) -> Value {
        match v {
            Value::Number(n) => serde_json::json!(n.as_f64().map(|x| x as f32)),
            Value::Array(a) => Value::Array(a.into_iter().map(as_f32).collect()),
            Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, as_f32(v))).collect()),
            v => v,
        }
    }

    fn serde_bytes(row: &AnalysisJson) -> Vec<u8> {
        serde_json::to_vec(row).expect("serialises")
    }

    fn written(row: &AnalysisJson) -> Vec<u8> {
        let mut out = b"prefix".to_vec();
        row.write_to(&mut out);
        out.split_off(6)
    }

    /// Any string: control characters, quotes, backslashes, escapes' look-alikes, CJK, emoji.
    fn text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            3 => any::<char>().prop_map(String::from),
            2 => prop::sample::select(vec![
                "\"", "\\", "\\u0000", "\n", "\r", "\t", "\u{8}", "\u{c}", "\u{1f}", "\u{7f}",
                "\u{2028}", "\u{feff}", "加载慢", "😡", "</script>", "&", "/",
            ])
            .prop_map(str::to_owned),
        ];
        prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
    }

    /// Numbers as the engine reports them, and any f64 and f32 at all (NaN and the
    /// infinities included, which both write as `null`).
    fn float() -> impl Strategy<Value = f64> {
        prop_oneof![
            (-20_000i32..20_000).prop_map(|m| f64::from(m) / 1000.0),
            any::<f64>(),
            Just(-0.0),
            Just(f64::NAN),
            Just(f64::INFINITY),
        ]
    }

    fn id() -> impl Strategy<Value = Option<Box<RawValue>>> {
        prop_oneof![
            Just(None),
            text()
                .prop_map(|t| Some(serde_json::value::to_raw_value(&t).expect("a string is JSON"))),
            any::<i64>().prop_map(|n| Some(RawValue::from_string(n.to_string()).expect("JSON"))),
            Just(Some(
                RawValue::from_string("{\"a\": [1, 2.5, null]}".into()).expect("JSON")
            )),
        ]
    }

    fn analysis() -> impl Strategy<Value = Analysis> {
        let aspects = prop::collection::vec(
            (text(), text(), any::<f32>()).prop_map(|(aspect, opinion, polarity)| Aspect {
                aspect,
                opinion,
                polarity,
            }),
            0..3,
        );
        let keywords = prop::collection::vec(
            (text(), float()).prop_map(|(word, weight)| Keyword { word, weight }),
            0..5,
        );
        let label = prop::sample::select(vec![
            Label::Positive,
            Label::Negative,
            Label::Neutral,
            Label::Mixed,
            Label::Unknown,
        ]);
        let language = prop::sample::select(vec![
            Language::Zh,
            Language::En,
            Language::Mixed,
            Language::Ja,
            Language::Ko,
        ]);
        (
            (text(), aspects, keywords),
            (label, any::<f32>(), -1.0f32..=1.0),
            (
                prop::collection::vec(text(), 0..3),
                prop::collection::vec(text(), 0..3),
                language,
            ),
        )
            .prop_map(
                |((normalized, aspects, keywords), (label, score, confidence), rest)| Analysis {
                    normalized,
                    keywords,
                    sentiment: Sentiment {
                        label,
                        score,
                        confidence,
                    },
                    pain_points: rest.0,
                    aspects,
                    topics: rest.1,
                    language: rest.2,
                    version: "2026.12.07-1",
                },
            )
    }

    proptest! {
        #[test]
        fn written_as_serde_writes_it(
            a in analysis(),
            id in id(),
            with_id in any::<bool>(),
            tokens in prop::option::of(prop::collection::vec(text(), 0..4)),
        ) {
            let mut row = if with_id {
                AnalysisJson::new(id.as_deref(), &a)
            } else {
                AnalysisJson::stored(&a)
            };
            prop_assert_eq!(written(&row), serde_bytes(&row));
            if let Some(tokens) = &tokens {
                row.tokens = Some(tokens.iter().map(String::as_str).collect());
                row.normalized = Some(&a.normalized);
                prop_assert_eq!(written(&row), serde_bytes(&row));
            }
        }

        /// The stored text reads back as the tree of values the store kept before: a
        /// keyword's fields may come in another order, and an `f32` is written as itself
        /// (`0.7`, where the tree widened it to `0.699999988079071`). The rows already in a
        /// database and the new ones read alike.
        #[test]
        fn stored_text_reads_as_the_stored_tree(a in analysis()) {
            let tree = serde_json::to_value(AnalysisJson::stored(&a)).expect("serialises");
            prop_assert_eq!(as_f32(stored_analysis(&a).value()), as_f32(tree));
        }

        #[test]
        fn strings_escaped_as_serde_escapes_them(s in text()) {
            let mut out = Vec::new();
            string(&mut out, &s);
            prop_assert_eq!(out, serde_json::to_vec(&s).expect("a string serialises"));
        }
    }

    #[test]
    fn every_thousandth_written_as_serde_writes_it() {
        let mut out = Vec::new();
        for k in (-1_000_000i64..=1_000_000).chain([999_999_999, -999_999_999, 1 << 40]) {
            for x in [k as f64 / 1000.0, round3(k as f32 / 1000.0)] {
                out.clear();
                thousandths(&mut out, x);
                let serde = serde_json::to_vec(&x).unwrap();
                assert_eq!(out, serde, "{x}: {}", String::from_utf8_lossy(&serde));
            }
        }
        for x in [-0.0, f64::NAN, f64::INFINITY, 1e-7, 0.1 + 0.2, 1e300] {
            out.clear();
            thousandths(&mut out, x);
            assert_eq!(out, serde_json::to_vec(&x).unwrap(), "{x}");
        }
    }

    #[test]
    fn every_control_character_and_the_engines_own_output() {
        for b in 0u8..0x80 {
            let s = char::from(b).to_string();
            let mut out = Vec::new();
            string(&mut out, &s);
            assert_eq!(out, serde_json::to_vec(&s).unwrap(), "byte {b:#x}");
        }
        let analyzer = crate::analysis::Analyzer::new();
        for text in [
            "挺好的，就是有点贵",
            "登录一直失败，验证码收不到，客服也不回\n\"太慢了\"",
            "This app crashes every time I open it",
            "アプリがすぐ落ちる",
            "",
        ] {
            let a = analyzer.analyze(text);
            let id = RawValue::from_string("\"x-1\"".into()).unwrap();
            for row in [
                AnalysisJson::new(Some(&id), &a),
                AnalysisJson::new(None, &a),
            ] {
                assert_eq!(written(&row), serde_bytes(&row), "{text}");
            }
        }
    }
}
