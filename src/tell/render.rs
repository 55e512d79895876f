//! Renders a [`Digest`] for people: the mail subject, the mail body as HTML and as plain text,
//! and compact markdown for group robots. The three share wording and number formatting
//! here; each format escapes user text its own way, because every name and quote is untrusted.

use crate::domain::text::clip;
use chrono::{Datelike, TimeDelta};
use chrono_tz::Tz;

use super::digest::*;

/// Inbox lists cut subjects around here, and the headline must survive the cut.
const SUBJECT_MAX_CHARS: usize = 60;
/// Cut shorter than this a name says nothing, so the subject runs long rather than cut it more.
const SUBJECT_MIN_NAME_CHARS: usize = 4;
/// Lines shown per pain-point section; the console has the rest.
const MAX_LINES: usize = 5;
const MAX_KEYWORDS: usize = 6;
const MAX_CHANNELS: usize = 4;
/// Mail has room for a few full quotes; robot messages are capped (WeCom at 4096 bytes).
const MAIL_QUOTES: usize = 3;
const MAIL_QUOTE_CHARS: usize = 140;
const ROBOT_QUOTES: usize = 2;
const ROBOT_QUOTE_CHARS: usize = 40;

const TITLE_HEADLINE: &str = "核心指标";
const TITLE_PAIN: &str = "主要痛点";
const TITLE_NEW: &str = "新出现的抱怨";
const TITLE_CHANNELS: &str = "各渠道";
const TITLE_CHARTS: &str = "趋势";
const NO_CHARTS: &str = "暂无趋势数据";
/// Readers must not take noise for a trend, so every format explains the arrows once.
const NOTE_PLAIN: &str = "注：只有带箭头的变化在统计上显著，其余是正常波动，不代表趋势。";
const NOTE_HTML: &str = "只有带箭头的变化在统计上显著；灰色的变化是正常波动，不代表趋势。";

// ---------------------------------------------------------------------------------------------
// Shared: period wording
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cadence {
    Weekly,
    Daily,
}

impl Cadence {
    /// Weekly period keys are ISO weeks (`2026-W47`); any other key is a day.
    fn of(d: &Digest) -> Self {
        if d.period.contains("-W") {
            Cadence::Weekly
        } else {
            Cadence::Daily
        }
    }

    fn report(self) -> &'static str {
        match self {
            Cadence::Weekly => "听见周报",
            Cadence::Daily => "听见日报",
        }
    }

    fn this_period(self) -> &'static str {
        match self {
            Cadence::Weekly => "本周",
            Cadence::Daily => "当天",
        }
    }
}

/// `听见周报 · 2026年第47周（11月16日—11月22日）`.
fn report_line(d: &Digest) -> String {
    let span = date_span(d).map(|s| format!("（{s}）")).unwrap_or_default();
    format!(
        "{} · {}{span}",
        Cadence::of(d).report(),
        one_line(&d.period_label)
    )
}

/// The period's days in the workspace's zone, so a week label also says which days it means.
/// `None` for a single day, where the label already is the date.
fn date_span(d: &Digest) -> Option<String> {
    // An unknown zone name should not lose the digest; UTC days are still close.
    let tz: Tz = d.timezone.parse().unwrap_or(Tz::UTC);
    let first = d.from.with_timezone(&tz).date_naive();
    // `to` is exclusive: the last day is the one holding the instant just before it.
    let last =
        d.to.checked_sub_signed(TimeDelta::try_seconds(1)?)?
            .with_timezone(&tz)
            .date_naive();
    (last > first).then(|| {
        format!(
            "{}月{}日—{}月{}日",
            first.month(),
            first.day(),
            last.month(),
            last.day()
        )
    })
}

fn empty_pain(d: &Digest) -> String {
    format!("{}没有突出的痛点", Cadence::of(d).this_period())
}

fn empty_new(d: &Digest) -> String {
    format!("{}没有新的痛点", Cadence::of(d).this_period())
}

fn empty_channels(d: &Digest) -> String {
    format!("{}没有收到反馈", Cadence::of(d).this_period())
}

fn empty_headline(d: &Digest) -> String {
    format!("{}没有指标数据", Cadence::of(d).this_period())
}

fn more_note(rest: usize) -> String {
    format!("另有 {rest} 项，请在控制台查看")
}

// ---------------------------------------------------------------------------------------------
// Shared: numbers
// ---------------------------------------------------------------------------------------------

fn round_int(v: f64) -> i64 {
    // `as` saturates and maps NaN to 0, and -0.4 rounds to a plain 0 (never "-0").
    v.round() as i64
}

/// `12345` → `12,345`.
fn fmt_count(n: u64) -> String {
    let digits: Vec<char> = n.to_string().chars().collect();
    // Group from the right: the first group holds what is left over (1 to 3 digits).
    let head = match digits.len() % 3 {
        0 => 3,
        r => r,
    };
    let (first, rest) = digits.split_at(head.min(digits.len()));
    let mut out: String = first.iter().collect();
    for group in rest.chunks(3) {
        out.push(',');
        out.extend(group);
    }
    out
}

fn fmt_metric(metric: Metric, v: f64) -> String {
    match metric {
        Metric::Nps | Metric::Sentiment => round_int(v).to_string(),
        Metric::Csat => format!("{}%", round_int(v)),
        Metric::Ces => format!("{v:.1}"),
        Metric::Volume => fmt_count(round_int(v).max(0) as u64),
    }
}

/// A 0..1 share as a whole percentage; a sliver shows as `<1%` rather than a misleading `0%`.
fn fmt_share(share: f64) -> String {
    let pct = share * 100.0;
    if pct > 0.0 && pct < 0.5 {
        "<1%".to_string()
    } else {
        format!("{}%", round_int(pct))
    }
}

/// How a change reads: with an arrow only when it passed the significance test.
#[derive(Debug, Clone, PartialEq)]
enum Change {
    Marked {
        text: String,
        tone: Tone,
    },
    Plain(String),
    /// Nothing to compare against: the pain point is new.
    New,
}

/// Colour of a marked change in HTML: whether the move is good news for the team.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tone {
    Good,
    Bad,
    Neutral,
}

impl Change {
    fn text(&self) -> String {
        match self {
            Change::Marked { text, .. } | Change::Plain(text) => text.clone(),
            Change::New => "新".to_string(),
        }
    }
}

/// `amount` in display units; `up_is_good` is `None` where a rise is neither good nor bad.
fn change(
    amount: f64,
    decimals: usize,
    unit: &str,
    significant: bool,
    up_is_good: Option<bool>,
) -> Change {
    let magnitude = format!("{:.*}", decimals, amount.abs());
    // A change that rounds to nothing is not shown as a move, significant or not.
    if magnitude.chars().all(|c| c == '0' || c == '.') {
        return Change::Plain("持平".to_string());
    }
    let up = amount > 0.0;
    if !significant {
        return Change::Plain(format!("{}{magnitude}{unit}", if up { '+' } else { '-' }));
    }
    let tone = match up_is_good {
        Some(good) if good == up => Tone::Good,
        Some(_) => Tone::Bad,
        None => Tone::Neutral,
    };
    Change::Marked {
        text: format!("{}{magnitude}{unit}", if up { '↑' } else { '↓' }),
        tone,
    }
}

/// The headline's change against the previous period; `None` without a previous value.
fn headline_change(h: &Headline) -> Option<Change> {
    h.previous?;
    let amount = h.change?;
    Some(match h.metric {
        Metric::Nps | Metric::Sentiment => change(amount, 0, "", h.significant, Some(true)),
        // CSAT is a percentage already, so its change is in points, not percent.
        Metric::Csat => change(amount, 0, "个百分点", h.significant, Some(true)),
        // Whether a higher CES is better depends on the survey's scale; stay neutral.
        Metric::Ces => change(amount, 1, "", h.significant, None),
        Metric::Volume => change(amount * 100.0, 0, "%", h.significant, None),
    })
}

fn pain_change(p: &PainPointLine) -> Change {
    match p.change {
        Some(rel) if !p.is_new => change(rel * 100.0, 0, "%", p.significant, Some(false)),
        _ => Change::New,
    }
}

fn headline_value(h: &Headline) -> String {
    h.value
        .map(|v| fmt_metric(h.metric, v))
        .unwrap_or_else(|| "暂无数据".to_string())
}

/// `较上期 ↑4`; without a change, what the previous period had (volume's relative change is
/// undefined after a period of zero).
fn headline_change_label(h: &Headline) -> String {
    match (headline_change(h), h.previous) {
        (Some(c), _) => format!("较上期 {}", c.text()),
        (None, Some(p)) => format!("上期 {}", fmt_metric(h.metric, p)),
        (None, None) => "上期无数据".to_string(),
    }
}

/// `NPS 32 · CSAT 86% · …` for the mail preview line.
fn headline_summary(d: &Digest) -> String {
    if d.headline.is_empty() {
        return report_line(d);
    }
    d.headline
        .iter()
        .map(|h| format!("{} {}", h.metric.display(), headline_value(h)))
        .collect::<Vec<_>>()
        .join(" · ")
}

// ---------------------------------------------------------------------------------------------
// Shared: user text as plain strings (each format escapes these)
// ---------------------------------------------------------------------------------------------

/// Puts user text on one line, so it can neither break a line layout nor start a markdown
/// block: each run of whitespace becomes one space, except that a line break between two
/// CJK characters simply joins them.
fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // A pending run of whitespace, and whether it broke a line.
    let mut gap: Option<bool> = None;
    for c in s.trim().chars() {
        if c.is_whitespace() {
            gap = Some(gap.unwrap_or(false) || matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}'));
            continue;
        }
        if let Some(broke_line) = gap.take() {
            // Chinese puts no spaces between words, so there a space would read as a gap.
            let joins =
                broke_line && !c.is_ascii() && out.chars().last().is_some_and(|p| !p.is_ascii());
            if !joins {
                out.push(' ');
            }
        }
        out.push(c);
    }
    out
}

/// The first pain-point lines, and how many were left out.
fn top(lines: &[PainPointLine]) -> (&[PainPointLine], usize) {
    let n = lines.len().min(MAX_LINES);
    (&lines[..n], lines.len() - n)
}

/// One pain-point section: its lines, and the top pain points shown in full above it, so a
/// new complaint that already ranks among them is not told twice.
struct PainSection<'a> {
    title: &'static str,
    lines: &'a [PainPointLine],
    empty: String,
    above: &'a [PainPointLine],
}

fn pain_sections(d: &Digest) -> [PainSection<'_>; 2] {
    [
        PainSection {
            title: TITLE_PAIN,
            lines: &d.pain_points,
            empty: empty_pain(d),
            above: &[],
        },
        PainSection {
            title: TITLE_NEW,
            lines: &d.new_complaints,
            empty: empty_new(d),
            above: top(&d.pain_points).0,
        },
    ]
}

/// `详见主要痛点第 3 条` when the line is already shown in full above.
/// A section's shown items, numbered, each with its "see above" note, and the note on how
/// many more were left out.
fn pain_items(
    s: &PainSection,
    item: impl Fn(usize, &PainPointLine, Option<String>) -> String,
) -> (Vec<String>, Option<String>) {
    let (shown, rest) = top(s.lines);
    let items = shown
        .iter()
        .enumerate()
        .map(|(i, p)| item(i + 1, p, see_above(s, p)))
        .collect();
    (items, (rest > 0).then(|| more_note(rest)))
}

/// A pain section as lines (text and markdown): heading, then the items or the empty note,
/// joined by `sep` (the empty note always follows its heading on the next line).
fn lined_pain_section(
    s: &PainSection,
    heading: String,
    item: impl Fn(usize, &PainPointLine, Option<String>) -> String,
    sep: &str,
) -> String {
    if s.lines.is_empty() {
        return format!("{heading}\n{}", s.empty);
    }
    let (items, more) = pain_items(s, item);
    let mut out = vec![heading];
    out.extend(items);
    out.extend(more);
    out.join(sep)
}

fn see_above(s: &PainSection, p: &PainPointLine) -> Option<String> {
    let rank = s.above.iter().position(|q| q.id == p.id)? + 1;
    Some(format!("详见{TITLE_PAIN}第 {rank} 条"))
}

fn pain_name(p: &PainPointLine) -> String {
    one_line(&p.name)
}

/// Emerging clusters have no category yet; readers should know the name is only keywords.
fn pain_tag(p: &PainPointLine) -> Option<&'static str> {
    p.emerging.then_some("新兴话题")
}

/// `86 条 · 占负面 31%`.
fn pain_facts(p: &PainPointLine) -> String {
    format!("{} 条 · 占负面 {}", fmt_count(p.count), fmt_share(p.share))
}

fn joined(items: &[String], max: usize) -> Option<String> {
    let kept: Vec<String> = items
        .iter()
        .map(|s| one_line(s))
        .filter(|s| !s.is_empty())
        .take(max)
        .collect();
    (!kept.is_empty()).then(|| kept.join("、"))
}

fn pain_keywords(p: &PainPointLine) -> Option<String> {
    joined(&p.keywords, MAX_KEYWORDS).map(|k| format!("关键词：{k}"))
}

fn pain_aspects(p: &PainPointLine) -> Option<String> {
    joined(&p.aspects, MAX_KEYWORDS).map(|a| format!("具体问题：{a}"))
}

fn pain_channels(p: &PainPointLine) -> Option<String> {
    let parts: Vec<String> = p
        .channels
        .iter()
        .take(MAX_CHANNELS)
        .map(|(name, n)| format!("{} {}", one_line(name), fmt_count(*n)))
        .collect();
    (!parts.is_empty()).then(|| format!("来源：{}", parts.join("、")))
}

fn quote_text(q: &Quote, max_chars: usize) -> String {
    format!("“{}”", clip(&one_line(&q.text), max_chars))
}

/// Channel names are short in practice; clipping keeps an odd long one from widening a
/// phone layout, where the source is kept on one line.
fn quote_source(q: &Quote) -> String {
    format!("—— {}", clip(&one_line(&q.channel), 16))
}

/// `520 条（上期 480）`, `情感指数 -8`, `NPS 21`: a channel's numbers, without its name.
fn channel_stats(c: &ChannelLine) -> Vec<String> {
    let mut parts = vec![format!(
        "{} 条（上期 {}）",
        fmt_count(c.count),
        fmt_count(c.previous_count)
    )];
    if let Some(s) = c.sentiment {
        parts.push(format!("情感指数 {}", round_int(s)));
    }
    if let Some(n) = c.nps {
        parts.push(format!("NPS {}", round_int(n)));
    }
    parts
}

/// `NPS 近10周：28 → 32`: the first and last periods that had data.
fn chart_summary(c: &TrendChart) -> String {
    let unit = match c.points.first() {
        Some((key, _)) if !key.contains("-W") => "天",
        _ => "周",
    };
    let values: Vec<f64> = c.points.iter().filter_map(|(_, v)| *v).collect();
    let span = match (values.first(), values.last()) {
        (Some(a), Some(b)) if values.len() > 1 => {
            format!(
                "{} → {}",
                fmt_metric(c.metric, *a),
                fmt_metric(c.metric, *b)
            )
        }
        (Some(a), _) => fmt_metric(c.metric, *a),
        _ => "暂无数据".to_string(),
    };
    format!("{} 近{}{unit}：{span}", c.metric.display(), c.points.len())
}

fn console_label(d: &Digest) -> String {
    format!("在控制台查看{}全部反馈", Cadence::of(d).this_period())
}

fn subscription_note(d: &Digest) -> String {
    format!(
        "你收到这封邮件，是因为订阅了「{}」的{}。",
        one_line(&d.workspace_name),
        Cadence::of(d).report()
    )
}

/// Only web links become links: a `javascript:` or `data:` URL must never be clickable.
fn is_web_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

// ---------------------------------------------------------------------------------------------
// Subject
// ---------------------------------------------------------------------------------------------

/// `【听见周报】2026年第47周：NPS 32（↑4），新痛点：支付失败` (daily: `【听见日报】2026年11月16日：…`).
pub fn subject(d: &Digest) -> String {
    let mut head = format!(
        "【{}】{}",
        Cadence::of(d).report(),
        one_line(&d.period_label)
    );
    let metric = subject_metric(d);
    if let Some(m) = &metric {
        head = format!("{head}：{m}");
    }
    let Some((label, name)) = subject_pain(d) else {
        return head;
    };
    // One separator char (`：` or `，`) plus the label come before the name.
    let used = head.chars().count() + 1 + label.chars().count();
    let room = SUBJECT_MAX_CHARS
        .saturating_sub(used)
        .max(SUBJECT_MIN_NAME_CHARS);
    let sep = if metric.is_some() { '，' } else { '：' };
    format!("{head}{sep}{label}{}", clip(&one_line(name), room))
}

/// NPS when the period has one, else the sentiment index.
fn subject_metric(d: &Digest) -> Option<String> {
    let pick = |m: Metric| {
        d.headline
            .iter()
            .find(|h| h.metric == m && h.value.is_some())
    };
    let h = pick(Metric::Nps).or_else(|| pick(Metric::Sentiment))?;
    let change = headline_change(h)
        .map(|c| format!("（{}）", c.text()))
        .unwrap_or_default();
    Some(format!(
        "{} {}{change}",
        h.metric.display(),
        headline_value(h)
    ))
}

fn subject_pain(d: &Digest) -> Option<(&'static str, &str)> {
    if let Some(p) = d.new_complaints.first() {
        return Some(("新痛点：", p.name.as_str()));
    }
    d.pain_points
        .first()
        .map(|p| ("最大痛点：", p.name.as_str()))
}

// ---------------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------------

// System fonts only: mail clients drop web fonts, and CJK faces are large.
const FONT: &str = "font-family:-apple-system,BlinkMacSystemFont,'PingFang SC','Hiragino Sans GB','Microsoft YaHei',Arial,sans-serif;";
const INK: &str = "#1f2328";
/// The lightest grey that keeps 4.5:1 contrast on white.
const GREY: &str = "#767676";
const RULE: &str = "#e6e8eb";
const PAGE: &str = "#f3f4f6";
const LINK: &str = "#1a64d6";
const GOOD: &str = "#137333";
const BAD: &str = "#c5221f";
const PAD: &str = "padding-left:24px;padding-right:24px;";

/// Email HTML. `unsubscribe_url` shown in the footer when given.
pub fn html(d: &Digest, unsubscribe_url: Option<&str>) -> String {
    let rows = [
        html_title(d),
        html_headline(d),
        pain_sections(d).iter().map(html_pain_section).collect(),
        html_channels(d),
        html_charts(d),
        html_footer(d, unsubscribe_url),
    ];
    html_document(&subject(d), &headline_summary(d), &rows.concat())
}

pub(crate) fn esc(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

fn attr(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s).into_owned()
}

/// `inner_html` must already be escaped; it stays plain text when the URL is not a web link.
fn html_link(url: &str, inner_html: &str, style: &str) -> String {
    if !is_web_url(url) {
        return inner_html.to_string();
    }
    format!(
        "<a href=\"{}\" style=\"{style}\">{inner_html}</a>",
        attr(url.trim())
    )
}

fn html_document(title: &str, preheader: &str, rows: &str) -> String {
    let (title, preheader) = (esc(title), esc(preheader));
    // Spacer entities keep the body's first words out of the inbox preview after the preheader.
    let spacer = "&#847;&zwnj;&nbsp;".repeat(40);
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<title>{title}</title>
</head>
<body style="margin:0;padding:0;background-color:{PAGE};">
<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;font-size:1px;line-height:1px;color:{PAGE};opacity:0;">{preheader}{spacer}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:{PAGE};">
<tr><td align="center" style="padding:16px 8px;">
<!--[if mso]><table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;background-color:#ffffff;border-radius:8px;{FONT}color:{INK};">
{rows}</table>
<!--[if mso]></td></tr></table><![endif]-->
</td></tr>
</table>
</body>
</html>
"#
    )
}

fn html_row(style: &str, inner: &str) -> String {
    format!("<tr><td style=\"{PAD}{style}\">{inner}</td></tr>\n")
}

fn html_p(style: &str, inner: &str) -> String {
    format!("<p style=\"margin:4px 0 0;{style}\">{inner}</p>")
}

fn html_nowrap(inner: &str) -> String {
    format!("<span style=\"white-space:nowrap;\">{inner}</span>")
}

fn html_section_title(title: &str) -> String {
    html_row(
        &format!("padding-top:24px;padding-bottom:4px;border-top:1px solid {RULE};font-size:17px;font-weight:bold;"),
        &esc(title),
    )
}

fn html_empty(note: &str) -> String {
    html_row(
        &format!("padding-top:4px;padding-bottom:8px;font-size:14px;color:{GREY};"),
        &esc(note),
    )
}

fn html_title(d: &Digest) -> String {
    let line = html_row(
        &format!("padding-top:24px;font-size:13px;color:{GREY};"),
        &esc(&report_line(d)),
    );
    let name = html_row(
        "padding-top:4px;padding-bottom:16px;font-size:22px;font-weight:bold;line-height:1.3;",
        &esc(&one_line(&d.workspace_name)),
    );
    line + &name
}

fn html_change(c: &Change) -> String {
    let style = match c {
        Change::Marked { tone, .. } => {
            let colour = match tone {
                Tone::Good => GOOD,
                Tone::Bad => BAD,
                Tone::Neutral => INK,
            };
            format!("color:{colour};font-weight:bold;")
        }
        Change::Plain(_) => format!("color:{GREY};"),
        Change::New => {
            format!("color:{BAD};background-color:#fce8e6;border-radius:3px;padding:0 4px;")
        }
    };
    format!("<span style=\"{style}\">{}</span>", esc(&c.text()))
}

/// Two numbers per row: four columns are too narrow on a phone.
fn html_headline(d: &Digest) -> String {
    let mut out = html_section_title(TITLE_HEADLINE);
    if d.headline.is_empty() {
        return out + &html_empty(&empty_headline(d));
    }
    let rows: Vec<String> = d
        .headline
        .chunks(2)
        .map(|pair| {
            let mut cells: Vec<String> = pair.iter().map(html_headline_cell).collect();
            cells.resize(2, "<td width=\"50%\"></td>".to_string());
            format!("<tr>{}</tr>", cells.concat())
        })
        .collect();
    let grid = format!(
        "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\">{}</table>",
        rows.concat()
    );
    out += &html_row("padding-top:4px;", &grid);
    out + &html_row(
        &format!("padding-top:4px;padding-bottom:16px;font-size:12px;color:{GREY};"),
        NOTE_HTML,
    )
}

fn html_headline_cell(h: &Headline) -> String {
    let change = match headline_change(h) {
        Some(c) => format!("较上期 {}", html_change(&c)),
        None => esc(&headline_change_label(h)),
    };
    // Volume's n is the value itself; elsewhere it tells how much to trust the number.
    let sample = match h.metric {
        Metric::Volume => String::new(),
        _ => html_p(
            &format!("font-size:12px;color:{GREY};"),
            &format!("样本 {}", fmt_count(h.n)),
        ),
    };
    format!(
        "<td width=\"50%\" valign=\"top\" style=\"padding:8px 8px 8px 0;\">{}{}{}{sample}</td>",
        html_p(&format!("font-size:13px;color:{GREY};"), h.metric.display()),
        html_p(
            "font-size:26px;font-weight:bold;line-height:1.2;",
            &esc(&headline_value(h))
        ),
        html_p(&format!("font-size:13px;color:{GREY};"), &change),
    )
}

fn html_pain_section(s: &PainSection) -> String {
    let mut out = html_section_title(s.title);
    if s.lines.is_empty() {
        return out + &html_empty(&s.empty);
    }
    let (items, more) = pain_items(s, html_pain_item);
    out += &items.concat();
    if let Some(more) = more {
        out += &html_empty(&more);
    }
    out
}

fn html_pain_item(rank: usize, p: &PainPointLine, see_above: Option<String>) -> String {
    let small = format!("font-size:13px;color:{GREY};line-height:1.5;");
    let mut parts = vec![html_pain_heading(rank, p)];
    if let Some(note) = see_above {
        parts.push(html_p(&small, &esc(&format!("{} · {note}", pain_facts(p)))));
        return html_row("padding-top:12px;padding-bottom:12px;", &parts.concat());
    }
    let details = [
        Some(pain_facts(p)),
        pain_keywords(p),
        pain_aspects(p),
        pain_channels(p),
    ];
    parts.extend(
        details
            .into_iter()
            .flatten()
            .map(|line| html_p(&small, &esc(&line))),
    );
    parts.extend(p.quotes.iter().take(MAIL_QUOTES).map(html_quote));
    let more = esc(&format!("查看这 {} 条反馈 →", fmt_count(p.count)));
    parts.push(html_p(
        "margin-top:8px;font-size:13px;",
        &html_link(&p.url, &more, &format!("color:{LINK};")),
    ));
    html_row("padding-top:12px;padding-bottom:12px;", &parts.concat())
}

/// Name (linked) on the left, the change on the right so it lines up down the list.
fn html_pain_heading(rank: usize, p: &PainPointLine) -> String {
    let name = html_link(
        &p.url,
        &esc(&pain_name(p)),
        &format!("color:{INK};text-decoration:none;"),
    );
    let tag = pain_tag(p)
        .map(|t| {
            format!(" <span style=\"font-size:12px;font-weight:normal;color:{GREY};\">{t}</span>")
        })
        .unwrap_or_default();
    format!(
        "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>\
         <td valign=\"top\" style=\"font-size:16px;font-weight:bold;line-height:1.4;\">{rank}. {name}{tag}</td>\
         <td valign=\"top\" align=\"right\" style=\"padding-left:8px;white-space:nowrap;font-size:14px;\">{}</td>\
         </tr></table>",
        html_change(&pain_change(p))
    )
}

fn html_quote(q: &Quote) -> String {
    format!(
        "<p style=\"margin:8px 0 0;padding:2px 0 2px 10px;border-left:3px solid {RULE};font-size:14px;line-height:1.6;color:#3c4043;\">{} <span style=\"font-size:12px;color:{GREY};white-space:nowrap;\">{}</span></p>",
        esc(&quote_text(q, MAIL_QUOTE_CHARS)),
        esc(&quote_source(q)),
    )
}

fn html_channels(d: &Digest) -> String {
    let mut out = html_section_title(TITLE_CHANNELS);
    if d.channels.is_empty() {
        return out + &html_empty(&empty_channels(d));
    }
    for c in &d.channels {
        // Each number stays whole when a narrow screen wraps the line.
        let stats: Vec<String> = channel_stats(c)
            .iter()
            .map(|s| html_nowrap(&esc(s)))
            .collect();
        let inner = format!(
            "<span style=\"font-weight:bold;\">{}</span><span style=\"color:{GREY};\">　{}</span>",
            esc(&one_line(&c.channel)),
            stats.join(" · "),
        );
        out += &html_row(
            "padding-top:4px;padding-bottom:4px;font-size:14px;line-height:1.5;",
            &inner,
        );
    }
    out + &html_row("padding-bottom:8px;", "")
}

fn html_charts(d: &Digest) -> String {
    let mut out = html_section_title(TITLE_CHARTS);
    if d.charts.is_empty() {
        return out + &html_empty(NO_CHARTS);
    }
    for c in &d.charts {
        // The summary under the image still tells the story when images are blocked.
        let inner = format!(
            "<img src=\"cid:{}\" alt=\"{}\" width=\"100%\" style=\"max-width:560px\">{}",
            attr(&c.cid),
            attr(&one_line(&c.title)),
            html_p(
                &format!("font-size:12px;color:{GREY};"),
                &esc(&chart_summary(c))
            ),
        );
        out += &html_row("padding-top:8px;padding-bottom:12px;", &inner);
    }
    out
}

fn html_footer(d: &Digest, unsubscribe_url: Option<&str>) -> String {
    let console = html_link(
        &d.console_url,
        &esc(&format!("{} →", console_label(d))),
        &format!("color:{LINK};font-weight:bold;"),
    );
    let mut inner = html_p("font-size:14px;", &console);
    let unsubscribe = unsubscribe_url
        .map(|u| {
            format!(
                " {}",
                html_link(
                    u,
                    "退订",
                    &format!("color:{GREY};text-decoration:underline;")
                )
            )
        })
        .unwrap_or_default();
    inner += &html_p(
        "margin-top:12px;",
        &format!("{}{unsubscribe}", esc(&subscription_note(d))),
    );
    inner += &html_p("", &esc(&format!("统计时区：{}", one_line(&d.timezone))));
    html_row(
        &format!("padding-top:20px;padding-bottom:24px;border-top:1px solid {RULE};font-size:12px;line-height:1.6;color:{GREY};"),
        &inner,
    )
}

// ---------------------------------------------------------------------------------------------
// Plain text
// ---------------------------------------------------------------------------------------------

/// The mail's plain-text part: the same content as [`html`], one fact per line, no markup.
/// `unsubscribe_url` shown in the footer when given.
pub fn text(d: &Digest, unsubscribe_url: Option<&str>) -> String {
    let blocks = [
        format!("{}\n{}", one_line(&d.workspace_name), report_line(d)),
        text_headline(d),
        pain_sections(d)
            .iter()
            .map(text_pain_section)
            .collect::<Vec<_>>()
            .join("\n\n"),
        text_channels(d),
        text_charts(d),
        text_footer(d, unsubscribe_url),
    ];
    blocks.join("\n\n") + "\n"
}

fn text_heading(title: &str) -> String {
    format!("【{title}】")
}

fn text_headline(d: &Digest) -> String {
    let mut lines = vec![text_heading(TITLE_HEADLINE)];
    if d.headline.is_empty() {
        lines.push(empty_headline(d));
        return lines.join("\n");
    }
    lines.extend(d.headline.iter().map(|h| {
        format!(
            "{}：{}（{}）",
            h.metric.display(),
            headline_value(h),
            headline_change_label(h)
        )
    }));
    lines.push(NOTE_PLAIN.to_string());
    lines.join("\n")
}

fn text_pain_section(s: &PainSection) -> String {
    lined_pain_section(s, text_heading(s.title), text_pain_item, "\n")
}

fn text_pain_item(rank: usize, p: &PainPointLine, see_above: Option<String>) -> String {
    let tag = pain_tag(p).map(|t| format!("（{t}）")).unwrap_or_default();
    let first = format!(
        "{rank}. {}{tag}：{} · {}",
        pain_name(p),
        pain_facts(p),
        pain_change(p).text()
    );
    if let Some(note) = see_above {
        return format!("{first}（{note}）");
    }
    let mut lines = vec![first];
    let details = [pain_keywords(p), pain_aspects(p), pain_channels(p)];
    lines.extend(details.into_iter().flatten());
    lines.extend(
        p.quotes
            .iter()
            .take(MAIL_QUOTES)
            .map(|q| format!("{} {}", quote_text(q, MAIL_QUOTE_CHARS), quote_source(q))),
    );
    lines.push(format!("查看：{}", one_line(&p.url)));
    // Indent the details under the numbered line.
    lines.join("\n   ")
}

fn text_channels(d: &Digest) -> String {
    let mut lines = vec![text_heading(TITLE_CHANNELS)];
    if d.channels.is_empty() {
        lines.push(empty_channels(d));
    }
    lines.extend(
        d.channels
            .iter()
            .map(|c| format!("{}：{}", one_line(&c.channel), channel_stats(c).join(" · "))),
    );
    lines.join("\n")
}

fn text_charts(d: &Digest) -> String {
    let mut lines = vec![text_heading(TITLE_CHARTS)];
    if d.charts.is_empty() {
        lines.push(NO_CHARTS.to_string());
    }
    lines.extend(d.charts.iter().map(chart_summary));
    lines.join("\n")
}

fn text_footer(d: &Digest, unsubscribe_url: Option<&str>) -> String {
    let mut lines = vec![
        "——".to_string(),
        format!("{}：{}", console_label(d), one_line(&d.console_url)),
        subscription_note(d),
    ];
    if let Some(u) = unsubscribe_url {
        lines.push(format!("退订：{}", one_line(u)));
    }
    lines.join("\n")
}

// ---------------------------------------------------------------------------------------------
// Markdown for group robots
// ---------------------------------------------------------------------------------------------

/// For group robots (WeCom/DingTalk/Feishu markdown): compact, no images, links kept.
pub fn markdown(d: &Digest) -> String {
    let blocks = [
        format!("### {}\n{}", md(&d.workspace_name), md(&report_line(d))),
        md_headline(d),
        pain_sections(d)
            .iter()
            .map(md_pain_section)
            .collect::<Vec<_>>()
            .join("\n\n"),
        md_channels(d),
        md_charts(d),
        md_link(&d.console_url, &md(&console_label(d))),
    ];
    blocks.join("\n\n")
}

/// Neutralises markdown in user text: one line, and every character that could open a link,
/// heading, quote, emphasis, code span, autolink or tag is backslash-escaped; the backslash
/// too, so a user's own backslash cannot cancel an escape.
pub(crate) fn md(s: &str) -> String {
    let mut out = String::new();
    for c in one_line(s).chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '>' | '<' | '`' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `label_md` must already be escaped. Characters that would end the link target early are
/// percent-encoded; a non-web URL leaves the label unlinked.
fn md_link(url: &str, label_md: &str) -> String {
    if !is_web_url(url) {
        return label_md.to_string();
    }
    let mut target = String::new();
    for c in url.trim().chars() {
        match c {
            '(' => target.push_str("%28"),
            ')' => target.push_str("%29"),
            '<' => target.push_str("%3C"),
            '>' => target.push_str("%3E"),
            c if c.is_whitespace() => target.push_str("%20"),
            c => target.push(c),
        }
    }
    format!("[{label_md}]({target})")
}

fn md_heading(title: &str) -> String {
    format!("**{title}**")
}

fn md_headline(d: &Digest) -> String {
    let mut lines = vec![md_heading(TITLE_HEADLINE)];
    if d.headline.is_empty() {
        lines.push(empty_headline(d));
        return lines.join("\n");
    }
    lines.extend(d.headline.iter().map(|h| {
        let change = headline_change(h)
            .map(|c| format!("（{}）", c.text()))
            .unwrap_or_default();
        format!(
            "{} **{}**{change}",
            h.metric.display(),
            md(&headline_value(h))
        )
    }));
    lines.push(NOTE_PLAIN.to_string());
    lines.join("\n")
}

fn md_pain_section(s: &PainSection) -> String {
    // Blank lines between items: a numbered line may not interrupt the quote above it.
    lined_pain_section(s, md_heading(s.title), md_pain_item, "\n\n")
}

fn md_pain_item(rank: usize, p: &PainPointLine, see_above: Option<String>) -> String {
    let tag = pain_tag(p).map(|t| format!("（{t}）")).unwrap_or_default();
    let name = md_link(&p.url, &md(&pain_name(p)));
    let first = format!(
        "{rank}. {name}{tag} {} · {}",
        md(&pain_facts(p)),
        pain_change(p).text()
    );
    if let Some(note) = see_above {
        return format!("{first}（{note}）");
    }
    let mut lines = vec![first];
    lines.extend(pain_keywords(p).map(|k| md(&k)));
    lines.extend(p.quotes.iter().take(ROBOT_QUOTES).map(|q| {
        format!(
            "> {} {}",
            md(&quote_text(q, ROBOT_QUOTE_CHARS)),
            md(&quote_source(q))
        )
    }));
    lines.join("\n")
}

fn md_channels(d: &Digest) -> String {
    let mut lines = vec![md_heading(TITLE_CHANNELS)];
    if d.channels.is_empty() {
        lines.push(empty_channels(d));
    }
    lines.extend(
        d.channels
            .iter()
            .map(|c| format!("{}：{}", md(&c.channel), md(&channel_stats(c).join(" · ")))),
    );
    lines.join("\n")
}

fn md_charts(d: &Digest) -> String {
    let mut lines = vec![md_heading(TITLE_CHARTS)];
    if d.charts.is_empty() {
        lines.push(NO_CHARTS.to_string());
    }
    lines.extend(d.charts.iter().map(|c| md(&chart_summary(c))));
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .expect("valid time")
    }

    fn headline(metric: Metric, value: f64, previous: f64, significant: bool, n: u64) -> Headline {
        let change = match metric {
            Metric::Volume => (value - previous) / previous,
            _ => value - previous,
        };
        Headline {
            metric,
            value: Some(value),
            previous: Some(previous),
            change: Some(change),
            significant,
            n,
        }
    }

    fn quote(id: &str, text: &str, channel: &str) -> Quote {
        Quote {
            feedback_id: id.into(),
            text: text.into(),
            channel: channel.into(),
            occurred_at: at(2026, 11, 18, 3),
        }
    }

    fn pain(
        id: &str,
        name: &str,
        count: u64,
        previous: u64,
        keywords: &[&str],
        quotes: &[(&str, &str)],
    ) -> PainPointLine {
        let change = (previous > 0).then(|| (count as f64 - previous as f64) / previous as f64);
        PainPointLine {
            id: id.into(),
            name: name.into(),
            count,
            share: count as f64 / 280.0,
            previous_count: previous,
            change,
            significant: false,
            first_seen: Some(at(2026, 3, 2, 8)),
            is_new: previous == 0,
            emerging: false,
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            aspects: keywords.iter().take(2).map(|k| format!("{k}→差")).collect(),
            quotes: quotes
                .iter()
                .enumerate()
                .map(|(i, (t, c))| quote(&format!("{id}-{i}"), t, c))
                .collect(),
            channels: vec![
                ("应用商店".into(), count / 2),
                ("小程序客服".into(), count - count / 2),
            ],
            url: format!(
                "https://tingjian.example.com/w/qingning/feedback?category={id}&period=2026-W47"
            ),
        }
    }

    fn trend(cid: &str, title: &str, metric: Metric, values: &[f64]) -> TrendChart {
        let points = values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("2026-W{}", 38 + i), Some(*v)))
            .collect();
        TrendChart {
            cid: cid.into(),
            title: title.into(),
            metric,
            points,
        }
    }

    fn pain_points() -> Vec<PainPointLine> {
        let mut crash = pain(
            "crash",
            "闪退",
            22,
            9,
            &["闪退", "打开", "更新"],
            &[
                ("更新到 5.2 以后一打开订单页就闪退", "应用商店"),
                ("华为手机上\n点开直播就闪退，重装也没用", "小程序客服"),
            ],
        );
        crash.significant = true;
        vec![
            pain(
                "logistics",
                "物流太慢",
                86,
                70,
                &["物流", "发货", "快递", "等待"],
                &[
                    ("等了三天都没发货，客服只会说请耐心等待", "应用商店"),
                    ("第二次遇到了，\n真的很影响心情", "小程序客服"),
                    ("下单一周了物流信息还停在揽收", "问卷"),
                    ("第四条不该出现", "问卷"),
                ],
            ),
            pain(
                "support",
                "客服响应慢",
                54,
                60,
                &["客服", "回复", "人工"],
                &[
                    ("转人工排队四十分钟", "小程序客服"),
                    ("机器人一直答非所问", "应用商店"),
                ],
            ),
            pain(
                "payment",
                "支付失败",
                48,
                0,
                &["支付", "失败", "扣款"],
                &[
                    ("微信支付一直提示失败，可是钱已经扣了", "应用商店"),
                    ("付款转圈圈然后报错 E102", "问卷"),
                ],
            ),
            pain(
                "coupon",
                "优惠券无法使用",
                31,
                29,
                &["优惠券", "满减", "不可用"],
                &[("满 99 减 20 的券结算时说不可用", "小程序客服")],
            ),
            crash,
            pain(
                "login",
                "登录异常",
                10,
                11,
                &["登录", "验证码"],
                &[("收不到验证码", "问卷")],
            ),
        ]
    }

    /// A week of a Chinese lifestyle app: NPS and volume up significantly, the rest drifting.
    fn sample() -> Digest {
        let pain_points = pain_points();
        let mut emerging = pain(
            "cluster-7",
            "扣款·重复·退款",
            12,
            0,
            &["扣款", "重复", "退款"],
            &[
                ("同一笔订单被扣了两次款，退款要等七天", "小程序客服"),
                ("重复扣款，客服说要走退款流程", "应用商店"),
            ],
        );
        emerging.emerging = true;
        Digest {
            workspace_id: "ws_qingning".into(),
            workspace_name: "青柠生活 App".into(),
            period: "2026-W47".into(),
            period_label: "2026年第47周".into(),
            from: at(2026, 11, 15, 16),
            to: at(2026, 11, 22, 16),
            timezone: "Asia/Shanghai".into(),
            headline: vec![
                headline(Metric::Nps, 32.0, 28.0, true, 312),
                headline(Metric::Csat, 86.4, 85.1, false, 298),
                headline(Metric::Sentiment, 12.3, 15.1, false, 1180),
                headline(Metric::Volume, 1234.0, 1100.0, true, 1234),
            ],
            new_complaints: vec![pain_points[2].clone(), emerging],
            pain_points,
            channels: vec![
                ChannelLine {
                    channel: "应用商店".into(),
                    count: 520,
                    previous_count: 480,
                    sentiment: Some(-8.4),
                    nps: Some(21.0),
                },
                ChannelLine {
                    channel: "小程序客服".into(),
                    count: 410,
                    previous_count: 390,
                    sentiment: Some(5.0),
                    nps: None,
                },
                ChannelLine {
                    channel: "问卷".into(),
                    count: 304,
                    previous_count: 230,
                    sentiment: Some(22.0),
                    nps: Some(35.0),
                },
            ],
            charts: vec![
                trend(
                    "nps-trend@tingjian",
                    "NPS 趋势",
                    Metric::Nps,
                    &[28.0, 27.0, 30.0, 29.0, 31.0, 26.0, 30.0, 29.0, 28.0, 32.0],
                ),
                trend(
                    "sentiment-trend@tingjian",
                    "情感指数趋势",
                    Metric::Sentiment,
                    &[18.0, 17.5, 16.0, 15.1, 12.3],
                ),
                trend(
                    "volume-trend@tingjian",
                    "反馈量趋势",
                    Metric::Volume,
                    &[980.0, 1020.0, 1100.0, 1234.0],
                ),
            ],
            console_url: "https://tingjian.example.com/w/qingning/feedback?period=2026-W47".into(),
        }
    }

    fn hostile() -> Digest {
        let mut d = sample();
        d.pain_points[0].name = "<b>x</b>".into();
        d.pain_points[0].quotes[0].text = "<script>alert(1)</script>".into();
        d.pain_points[1].quotes[0].text = "[点我](http://evil)\n# 标题".into();
        d.pain_points[1].keywords = vec!["*粗体*".into(), "`代码`".into()];
        d.new_complaints[1].name = "_斜体_ #话题".into();
        d.workspace_name = "A&B \"店\"".into();
        d
    }

    fn insignificant(mut d: Digest) -> Digest {
        d.headline.iter_mut().for_each(|h| h.significant = false);
        d.pain_points.iter_mut().for_each(|p| p.significant = false);
        d
    }

    #[test]
    fn subject_with_a_significant_change_has_an_arrow() {
        assert_eq!(
            subject(&sample()),
            "【听见周报】2026年第47周：NPS 32（↑4），新痛点：支付失败"
        );
    }

    #[test]
    fn subject_with_a_plain_change_is_signed() {
        assert_eq!(
            subject(&insignificant(sample())),
            "【听见周报】2026年第47周：NPS 32（+4），新痛点：支付失败"
        );
    }

    #[test]
    fn subject_without_nps_uses_the_sentiment_index() {
        let mut d = sample();
        d.headline[0].value = None;
        assert_eq!(
            subject(&d),
            "【听见周报】2026年第47周：情感指数 12（-3），新痛点：支付失败"
        );
    }

    #[test]
    fn subject_without_previous_omits_the_change() {
        let mut d = sample();
        d.headline[0].previous = None;
        d.headline[0].change = None;
        assert_eq!(
            subject(&d),
            "【听见周报】2026年第47周：NPS 32，新痛点：支付失败"
        );
    }

    #[test]
    fn subject_falls_back_to_the_top_pain_point_then_to_nothing() {
        let mut d = sample();
        d.new_complaints.clear();
        assert_eq!(
            subject(&d),
            "【听见周报】2026年第47周：NPS 32（↑4），最大痛点：物流太慢"
        );
        d.pain_points.clear();
        d.headline.clear();
        assert_eq!(subject(&d), "【听见周报】2026年第47周");
    }

    #[test]
    fn daily_subject_names_the_day() {
        let mut d = sample();
        d.period = "2026-11-16".into();
        d.period_label = "2026年11月16日".into();
        assert_eq!(
            subject(&d),
            "【听见日报】2026年11月16日：NPS 32（↑4），新痛点：支付失败"
        );
    }

    #[test]
    fn long_names_are_cut_to_keep_the_subject_short() {
        let mut d = sample();
        d.new_complaints[0].name =
            "支付页面在弱网环境下反复提示失败但银行卡已经被扣款且长时间没有退款到账的问题".into();
        let s = subject(&d);
        assert!(s.chars().count() <= SUBJECT_MAX_CHARS, "{s}");
        assert!(s.ends_with('…'), "{s}");
        assert!(
            s.starts_with("【听见周报】2026年第47周：NPS 32（↑4），新痛点：支付页面"),
            "{s}"
        );
    }

    #[test]
    fn html_escapes_user_text() {
        let h = html(
            &hostile(),
            Some("https://tingjian.example.com/unsubscribe?t=a&b"),
        );
        assert!(!h.contains("<script"), "raw script tag");
        assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!h.contains("<b>x"));
        assert!(h.contains("&lt;b&gt;x&lt;/b&gt;"));
        assert!(h.contains("A&amp;B"));
        assert!(h.contains("unsubscribe?t=a&amp;b"));
    }

    #[test]
    fn html_never_links_a_script_url() {
        let mut d = sample();
        d.pain_points[0].url = "javascript:alert(1)".into();
        assert!(!html(&d, None).contains("javascript:"));
        assert!(!markdown(&d).contains("javascript:"));
    }

    #[test]
    fn markdown_cannot_be_injected_by_a_quote() {
        let m = markdown(&hostile());
        assert!(!m.contains("[点我](http://evil)"));
        assert!(m.contains("\\[点我\\]\\(http://evil\\)"));
        assert!(m.contains("\\*粗体\\*"));
        assert!(m.contains("\\`代码\\`"));
        assert!(m.contains("\\_斜体\\_ \\#话题"), "{m}");
        // The quote's newline must not start a heading of its own.
        assert!(m.lines().all(|l| !l.trim_start().starts_with("# ")), "{m}");
    }

    #[test]
    fn markdown_keeps_links_and_fits_a_wecom_message() {
        let m = markdown(&sample());
        assert!(m.contains("[物流太慢](https://tingjian.example.com/w/qingning/feedback?category=logistics&period=2026-W47)"));
        assert!(m.contains("NPS 近10周：28 → 32"));
        assert!(!m.contains("cid:") && !m.contains("!["));
        assert!(m.len() <= 4096, "{} bytes", m.len());
    }

    #[test]
    fn no_arrow_when_not_significant() {
        let d = insignificant(sample());
        for out in [html(&d, None), text(&d, None), markdown(&d), subject(&d)] {
            assert!(!out.contains('↑') && !out.contains('↓'), "{out}");
        }
        assert!(text(&d, None).contains("NPS：32（较上期 +4）"));
        assert!(html(&d, None).contains(&format!("<span style=\"color:{GREY};\">+4</span>")));
    }

    #[test]
    fn significant_changes_carry_arrows_and_plain_ones_do_not() {
        let t = text(&sample(), None);
        assert!(t.contains("NPS：32（较上期 ↑4）"), "{t}");
        assert!(t.contains("CSAT：86%（较上期 +1个百分点）"), "{t}");
        assert!(t.contains("情感指数：12（较上期 -3）"), "{t}");
        assert!(t.contains("反馈量：1,234（较上期 ↑12%）"), "{t}");
        assert!(t.contains("5. 闪退：22 条 · 占负面 8% · ↑144%"), "{t}");
        assert!(t.contains("3. 支付失败：48 条 · 占负面 17% · 新"), "{t}");
        assert_eq!(t.matches(NOTE_PLAIN).count(), 1);
    }

    #[test]
    fn empty_sections_say_so() {
        let mut d = sample();
        d.pain_points.clear();
        d.new_complaints.clear();
        d.channels.clear();
        d.charts.clear();
        for out in [html(&d, None), text(&d, None), markdown(&d)] {
            assert!(out.contains("本周没有突出的痛点"), "{out}");
            assert!(out.contains("本周没有新的痛点"), "{out}");
            assert!(out.contains("本周没有收到反馈"), "{out}");
            assert!(out.contains(NO_CHARTS), "{out}");
        }
    }

    #[test]
    fn html_shows_every_chart_by_content_id() {
        let d = sample();
        let h = html(&d, None);
        for c in &d.charts {
            let tag = format!(
                "<img src=\"cid:{}\" alt=\"{}\" width=\"100%\" style=\"max-width:560px\">",
                c.cid, c.title
            );
            assert!(h.contains(&tag), "{}", c.cid);
        }
    }

    #[test]
    fn html_follows_the_mail_client_rules() {
        let h = html(&sample(), None);
        assert!(h.contains("<meta charset=\"utf-8\">"));
        assert!(h.contains("name=\"viewport\""));
        assert!(h.contains("style=\"max-width:600px;"));
        for banned in [
            "<script", "<style", "<link", "flex", "grid", "@import", "class=",
        ] {
            assert!(!h.contains(banned), "{banned}");
        }
        assert!(h.contains("display:none"), "preheader");
        assert!(!h.contains("退订"));
        assert!(
            html(&sample(), Some("https://x.example/u")).contains("href=\"https://x.example/u\"")
        );
    }

    #[test]
    fn text_lines_have_no_html_and_quotes_stay_on_one_line() {
        let t = text(
            &sample(),
            Some("https://tingjian.example.com/unsubscribe?t=1"),
        );
        for line in t.lines() {
            assert!(!line.contains('<') && !line.contains('>'), "{line}");
            assert!(
                !line.contains("&lt;") && !line.contains("&amp;") && !line.contains("&nbsp;"),
                "{line}"
            );
        }
        assert!(
            t.contains("“第二次遇到了，真的很影响心情” —— 小程序客服"),
            "{t}"
        );
        assert!(!t.contains("第四条不该出现"));
        assert!(t.contains("退订：https://tingjian.example.com/unsubscribe?t=1"));
        assert!(t.contains("NPS 近10周：28 → 32"));
    }

    #[test]
    fn sections_come_in_order_with_the_period() {
        let t = text(&sample(), None);
        assert!(
            t.starts_with("青柠生活 App\n听见周报 · 2026年第47周（11月16日—11月22日）"),
            "{t}"
        );
        let at = |s: &str| t.find(s).unwrap_or(usize::MAX);
        let mut order: Vec<String> = [
            TITLE_HEADLINE,
            TITLE_PAIN,
            TITLE_NEW,
            TITLE_CHANNELS,
            TITLE_CHARTS,
        ]
        .map(text_heading)
        .to_vec();
        order.push("在控制台查看本周全部反馈".into());
        assert!(order.windows(2).all(|w| at(&w[0]) < at(&w[1])), "{t}");
        assert!(t.contains("另有 1 项，请在控制台查看"));
    }

    #[test]
    fn a_new_complaint_already_ranked_is_not_told_twice() {
        let d = sample();
        let t = text(&d, None);
        assert!(
            t.contains("1. 支付失败：48 条 · 占负面 17% · 新（详见主要痛点第 3 条）"),
            "{t}"
        );
        assert_eq!(t.matches("微信支付一直提示失败").count(), 1);
        assert!(markdown(&d).contains("新（详见主要痛点第 3 条）"));
        assert!(html(&d, None).contains("详见主要痛点第 3 条"));
        assert!(t.contains("2. 扣款·重复·退款（新兴话题）：12 条"), "{t}");
        assert!(t.contains("同一笔订单被扣了两次款"), "{t}");
    }

    #[test]
    fn line_breaks_join_chinese_and_space_latin() {
        assert_eq!(
            one_line("  青柠\n生活 \r\n App\tv2\n\n好 评 "),
            "青柠生活 App v2 好 评"
        );
        assert_eq!(one_line("很好\n\n推荐"), "很好推荐");
        assert_eq!(one_line("hello\nworld"), "hello world");
        assert_eq!(clip("支付失败退款", 4), "支付失…");
    }

    #[test]
    fn a_change_that_cannot_be_computed_shows_the_previous_value() {
        let mut d = sample();
        d.headline[3].previous = Some(0.0);
        d.headline[3].change = None;
        d.headline[0].previous = None;
        d.headline[0].change = None;
        let t = text(&d, None);
        assert!(t.contains("反馈量：1,234（上期 0）"), "{t}");
        assert!(t.contains("NPS：32（上期无数据）"), "{t}");
    }

    #[test]
    fn numbers_read_as_people_expect() {
        assert_eq!(fmt_count(0), "0");
        assert_eq!(fmt_count(999), "999");
        assert_eq!(fmt_count(1234567), "1,234,567");
        assert_eq!(fmt_share(0.003), "<1%");
        assert_eq!(fmt_share(0.0), "0%");
        assert_eq!(fmt_metric(Metric::Sentiment, -0.4), "0");
        assert_eq!(
            change(0.3, 0, "", true, Some(true)),
            Change::Plain("持平".into())
        );
    }

    #[test]
    fn writes_a_sample_for_eyes() {
        let dir = std::env::var("RENDER_SAMPLE_DIR").unwrap_or_default();
        if dir.is_empty() {
            return;
        }
        let d = sample();
        let unsub = Some("https://tingjian.example.com/unsubscribe?t=abc");
        std::fs::write(format!("{dir}/sample.html"), html(&d, unsub)).expect("write html");
        std::fs::write(format!("{dir}/sample.txt"), text(&d, unsub)).expect("write text");
        std::fs::write(format!("{dir}/sample.md"), markdown(&d)).expect("write md");
        std::fs::write(format!("{dir}/hostile.html"), html(&hostile(), unsub))
            .expect("write hostile");
    }
}
