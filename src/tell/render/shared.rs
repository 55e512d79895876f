//! What every format of the digest shares: the limits, the section titles, the wording of
//! periods, numbers and changes, and user text as plain strings (each format escapes them its
//! own way).

use chrono::{Datelike, TimeDelta};
use chrono_tz::Tz;

use crate::domain::names::{attribute_name, channel_label};
use crate::domain::text::clip;
use crate::domain::Frequency;
use crate::insight::tally::{too_few, MIN_CHANGE_COUNT, MIN_RATE_SAMPLE};
use crate::tell::digest::*;

/// Who a mail goes to: the subscription's unsubscribe link and its cadence, which the footer
/// names. A preview has none.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    pub unsubscribe_url: &'a str,
    pub frequency: Frequency,
}

/// Inbox lists cut subjects around here, and the headline must survive the cut.
pub(super) const SUBJECT_MAX_CHARS: usize = 60;
/// Cut shorter than this a name says nothing, so the subject runs long rather than cut it more.
pub(super) const SUBJECT_MIN_NAME_CHARS: usize = 4;
/// Lines shown per pain-point section; the console has the rest.
pub(super) const MAX_LINES: usize = 5;
pub(super) const MAX_KEYWORDS: usize = 6;
pub(super) const MAX_CHANNELS: usize = 4;
/// Mail has room for a few full quotes; robot messages are capped (WeCom at 4096 bytes).
pub(super) const MAIL_QUOTES: usize = 3;
pub(super) const MAIL_QUOTE_CHARS: usize = 140;
pub(super) const ROBOT_QUOTES: usize = 2;
pub(super) const ROBOT_QUOTE_CHARS: usize = 40;

pub(super) const TITLE_HEADLINE: &str = "核心指标";
pub(super) const TITLE_PAIN: &str = "主要痛点";
pub(super) const TITLE_NEW: &str = "新出现的抱怨";
pub(super) const TITLE_CHANNELS: &str = "各渠道";
pub(super) const TITLE_DRIVERS: &str = "什么在拉低满意度";
pub(super) const TITLE_SEGMENTS: &str = "值得关注的人群";
pub(super) const WHY_LINK: &str = "查看相关反馈";
pub(super) const TITLE_CHARTS: &str = "趋势";
pub(super) const NO_CHARTS: &str = "暂无趋势数据";
/// Readers must not take noise for a trend, so every format that shows an arrow explains the
/// arrows once.
pub(super) const NOTE_PLAIN: &str =
    "注：只有带箭头的变化在统计上显著，其余是正常波动，不代表趋势。";
pub(super) const NOTE_HTML: &str =
    "只有带箭头的变化在统计上显著；灰色的变化是正常波动，不代表趋势。";

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Cadence {
    Weekly,
    Daily,
}

impl Cadence {
    pub(super) fn of_subscription(f: Frequency) -> Self {
        match f {
            Frequency::Daily => Cadence::Daily,
            Frequency::Weekly => Cadence::Weekly,
        }
    }

    /// Weekly period keys are ISO weeks (`2026-W47`); any other key is a day.
    pub(super) fn of(d: &Digest) -> Self {
        if d.period.contains("-W") {
            Cadence::Weekly
        } else {
            Cadence::Daily
        }
    }

    pub(super) fn report(self) -> &'static str {
        match self {
            Cadence::Weekly => "听见周报",
            Cadence::Daily => "听见日报",
        }
    }

    pub(super) fn this_period(self) -> &'static str {
        match self {
            Cadence::Weekly => "本周",
            Cadence::Daily => "当天",
        }
    }
}

/// `听见周报 · 2026年第47周（11月16日—11月22日）`.
pub(super) fn report_line(d: &Digest) -> String {
    let span = date_span(d).map(|s| format!("（{s}）")).unwrap_or_default();
    format!(
        "{} · {}{span}",
        Cadence::of(d).report(),
        one_line(&d.period_label)
    )
}

/// The period's days in the workspace's zone, so a week label also says which days it means.
/// `None` for a single day, where the label already is the date.
pub(super) fn date_span(d: &Digest) -> Option<String> {
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

pub(super) fn empty_pain(d: &Digest) -> String {
    format!("{}没有突出的痛点", Cadence::of(d).this_period())
}

pub(super) fn empty_new(d: &Digest) -> String {
    format!("{}没有新的痛点", Cadence::of(d).this_period())
}

pub(super) fn empty_channels(d: &Digest) -> String {
    format!("{}没有收到反馈", Cadence::of(d).this_period())
}

pub(super) fn empty_headline(d: &Digest) -> String {
    format!("{}没有指标数据", Cadence::of(d).this_period())
}

pub(super) fn more_note(rest: usize) -> String {
    format!("另有 {rest} 项，请在控制台查看")
}

pub(super) fn round_int(v: f64) -> i64 {
    // `as` saturates and maps NaN to 0, and -0.4 rounds to a plain 0 (never "-0").
    v.round() as i64
}

/// `12345` → `12,345`.
pub(crate) fn fmt_count(n: u64) -> String {
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

pub(super) fn fmt_metric(metric: Metric, v: f64) -> String {
    match metric {
        Metric::Nps | Metric::Sentiment => round_int(v).to_string(),
        Metric::Csat => format!("{}%", round_int(v)),
        Metric::Ces => format!("{v:.1}"),
        Metric::Volume => fmt_count(round_int(v).max(0) as u64),
    }
}

/// A 0..1 share as a whole percentage; a sliver shows as `<1%` rather than a misleading `0%`.
pub(crate) fn fmt_share(share: f64) -> String {
    let pct = share * 100.0;
    if pct > 0.0 && pct < 0.5 {
        "<1%".to_string()
    } else {
        format!("{}%", round_int(pct))
    }
}

/// How a change reads: with an arrow only when it passed the significance test.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Change {
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
pub(super) enum Tone {
    Good,
    Bad,
    Neutral,
}

impl Change {
    pub(super) fn text(&self) -> String {
        match self {
            Change::Marked { text, .. } | Change::Plain(text) => text.clone(),
            Change::New => "新".to_string(),
        }
    }
}

/// `amount` in display units; `up_is_good` is `None` where a rise is neither good nor bad.
pub(super) fn change(
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

/// Whether the headline rests on too few observations to be read as a rate (below
/// [`MIN_RATE_SAMPLE`]): then only its count is shown, with no rate, change or arrow.
pub(super) fn few(h: &Headline) -> bool {
    too_few(h.metric, h.n)
}

/// The headline's change against the previous period; `None` without a previous value, and
/// for a rate from too few observations.
pub(super) fn headline_change(h: &Headline) -> Option<Change> {
    h.previous?;
    if few(h) {
        return None;
    }
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

/// `新` exactly for a pain point never seen before the period (the one meaning of new, which
/// the section of new complaints lists); a change in percent only when one of the two periods
/// had [`MIN_CHANGE_COUNT`] items; otherwise the previous count as it is.
pub(super) fn pain_change(p: &PainPointLine) -> Change {
    if p.is_new {
        return Change::New;
    }
    match p.change {
        Some(rel) if p.count.max(p.previous_count) >= MIN_CHANGE_COUNT => {
            change(rel * 100.0, 0, "%", p.significant, Some(false))
        }
        _ => Change::Plain(format!("上期 {} 条", fmt_count(p.previous_count))),
    }
}

/// Whether any change the digest shows carries an arrow, so that the note explaining arrows
/// appears only then.
pub(super) fn shows_arrow(d: &Digest) -> bool {
    let marked = |c: &Change| matches!(c, Change::Marked { .. });
    d.headline
        .iter()
        .filter_map(headline_change)
        .any(|c| marked(&c))
        || top(&d.pain_points)
            .0
            .iter()
            .chain(top(&d.new_complaints).0)
            .any(|p| marked(&pain_change(p)))
}

/// The value, or `样本少` for a rate from too few observations.
pub(super) fn headline_value(h: &Headline) -> String {
    if h.value.is_some() && few(h) {
        return "样本少".to_string();
    }
    h.value
        .map(|v| fmt_metric(h.metric, v))
        .unwrap_or_else(|| "暂无数据".to_string())
}

/// What a headline's number rests on: `3 份评分`, `12 条已分析反馈`.
pub(super) fn sample_label(h: &Headline) -> String {
    let n = fmt_count(h.n);
    match h.metric {
        Metric::Nps | Metric::Csat | Metric::Ces => format!("{n} 份评分"),
        Metric::Sentiment => format!("{n} 条已分析反馈"),
        Metric::Volume => format!("{n} 条"),
    }
}

/// `较上期 ↑4`; without a change, what the previous period had (volume's relative change is
/// undefined after a period of zero); for too few observations, their count and that no
/// rate is given below the minimum.
pub(super) fn headline_change_label(h: &Headline) -> String {
    if h.value.is_some() && few(h) {
        return format!("仅 {}，不足 {MIN_RATE_SAMPLE} 不计算比率", sample_label(h));
    }
    match (headline_change(h), h.previous) {
        (Some(c), _) => format!("较上期 {}", c.text()),
        (None, Some(p)) => format!("上期 {}", fmt_metric(h.metric, p)),
        (None, None) => "上期无数据".to_string(),
    }
}

/// `NPS 32 · CSAT 86% · …` for the mail preview line.
pub(super) fn headline_summary(d: &Digest) -> String {
    if d.headline.is_empty() {
        return report_line(d);
    }
    d.headline
        .iter()
        .filter(|h| !few(h))
        .map(|h| format!("{} {}", h.metric.display(), headline_value(h)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Puts user text on one line, so it can neither break a line layout nor start a markdown
/// block: each run of whitespace becomes one space, except that a line break between two
/// CJK characters simply joins them.
pub(super) fn one_line(s: &str) -> String {
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
pub(super) fn top(lines: &[PainPointLine]) -> (&[PainPointLine], usize) {
    let n = lines.len().min(MAX_LINES);
    (&lines[..n], lines.len() - n)
}

/// One pain-point section: its lines, and the top pain points shown in full above it, so a
/// new complaint that already ranks among them is not told twice.
pub(super) struct PainSection<'a> {
    pub(super) title: &'static str,
    pub(super) lines: &'a [PainPointLine],
    pub(super) empty: String,
    pub(super) above: &'a [PainPointLine],
}

pub(super) fn pain_sections(d: &Digest) -> [PainSection<'_>; 2] {
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
pub(super) fn pain_items(
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
pub(super) fn lined_pain_section(
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

pub(super) fn see_above(s: &PainSection, p: &PainPointLine) -> Option<String> {
    let rank = s.above.iter().position(|q| q.id == p.id)? + 1;
    Some(format!("详见{TITLE_PAIN}第 {rank} 条"))
}

pub(super) fn pain_name(p: &PainPointLine) -> String {
    one_line(&p.name)
}

/// Emerging clusters have no category yet; readers should know the name is only keywords.
pub(super) fn pain_tag(p: &PainPointLine) -> Option<&'static str> {
    p.emerging.then_some("新兴话题")
}

/// `86 条 · 占负面 31%`.
pub(super) fn pain_facts(p: &PainPointLine) -> String {
    format!("{} 条 · 占负面 {}", fmt_count(p.count), fmt_share(p.share))
}

pub(super) fn joined(items: &[String], max: usize) -> Option<String> {
    let kept: Vec<String> = items
        .iter()
        .map(|s| one_line(s))
        .filter(|s| !s.is_empty())
        .take(max)
        .collect();
    (!kept.is_empty()).then(|| kept.join("、"))
}

pub(super) fn pain_keywords(p: &PainPointLine) -> Option<String> {
    joined(&p.keywords, MAX_KEYWORDS).map(|k| format!("关键词：{k}"))
}

pub(super) fn pain_aspects(p: &PainPointLine) -> Option<String> {
    joined(&p.aspects, MAX_KEYWORDS).map(|a| format!("具体问题：{a}"))
}

pub(super) fn pain_channels(p: &PainPointLine) -> Option<String> {
    let parts: Vec<String> = p
        .channels
        .iter()
        .take(MAX_CHANNELS)
        .map(|(code, n)| format!("{} {}", one_line(&channel_label(code)), fmt_count(*n)))
        .collect();
    (!parts.is_empty()).then(|| format!("来源：{}", parts.join("、")))
}

pub(super) fn quote_text(q: &Quote, max_chars: usize) -> String {
    format!("“{}”", clip(&one_line(&q.text), max_chars))
}

/// Where the quote came from by name (the survey's title, 微博 …), else its channel's name.
/// Clipping keeps an odd long name from widening a phone layout, where the source is kept on
/// one line.
pub(super) fn quote_source(q: &Quote) -> String {
    let name = q
        .source_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| channel_label(&q.channel));
    format!("—— {}", clip(&one_line(&name), 16))
}

/// `520 条（上期 480）`, `情感指数 -8`, `NPS 21`: a channel's numbers, without its name; a
/// rate from too few observations is left out (the count says how few).
pub(super) fn channel_stats(c: &ChannelLine) -> Vec<String> {
    let mut parts = vec![format!(
        "{} 条（上期 {}）",
        fmt_count(c.count),
        fmt_count(c.previous_count)
    )];
    if let Some(s) = c
        .sentiment
        .filter(|_| !too_few(Metric::Sentiment, c.sentiment_n))
    {
        parts.push(format!("情感指数 {}", round_int(s)));
    }
    if let Some(n) = c.nps.filter(|_| !too_few(Metric::Nps, c.nps_n)) {
        parts.push(format!("NPS {}", round_int(n)));
    }
    parts
}

/// `NPS 近10周：28 → 32`: the first and last periods that had data, a rate only from a period
/// with enough observations.
pub(super) fn chart_summary(c: &TrendChart) -> String {
    let unit = match c.points.first() {
        Some(p) if !p.period.contains("-W") => "天",
        _ => "周",
    };
    let values: Vec<f64> = c
        .points
        .iter()
        .filter(|p| !too_few(c.metric, p.n))
        .filter_map(|p| p.value)
        .collect();
    if values.is_empty() && c.points.iter().any(|p| p.value.is_some()) {
        return format!(
            "{} 近{}{unit}：每期样本不足 {MIN_RATE_SAMPLE}，不作比较",
            c.metric.display(),
            c.points.len()
        );
    }
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

pub(super) fn console_label(d: &Digest) -> String {
    format!("在控制台查看{}全部反馈", Cadence::of(d).this_period())
}

/// Why the reader gets this mail, in the words of what they subscribed to; a digest of
/// another cadence (sent by hand, `POST /digests/{period}/send`) says so.
pub(super) fn subscription_note(d: &Digest, frequency: Frequency) -> String {
    let (theirs, this) = (Cadence::of_subscription(frequency), Cadence::of(d));
    let name = one_line(&d.workspace_name);
    if theirs == this {
        format!(
            "您收到这封邮件，是因为订阅了「{name}」的{}。",
            theirs.report()
        )
    } else {
        format!(
            "您订阅的是「{name}」的{}；这份{}是另行发送给所有订阅者的。",
            theirs.report(),
            this.report()
        )
    }
}

/// Only web links become links: a `javascript:` or `data:` URL must never be clickable.
pub(super) fn is_web_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Joins pieces of a Chinese sentence, with a space where a Latin letter or digit meets a
/// Chinese character (`版本为` `3.2` → `版本为 3.2`), as Chinese typesetting does, and none
/// next to full-width punctuation.
pub(crate) fn cjk(parts: &[&str]) -> String {
    let han =
        |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c);
    let mut out = String::new();
    for part in parts.iter().filter(|p| !p.is_empty()) {
        if let (Some(a), Some(b)) = (out.chars().last(), part.chars().next()) {
            if (a.is_ascii_alphanumeric() && han(b)) || (han(a) && b.is_ascii_alphanumeric()) {
                out.push(' ');
            }
        }
        out.push_str(part);
    }
    out
}

/// A segment as a sentence names it: `group` goes before 反馈 (`版本为 3.2 的用户`,
/// `应用商店评价渠道的`), `others` names everyone else (`其他用户`, `其他渠道`).
pub(crate) struct SegmentWho {
    pub group: String,
    pub others: &'static str,
}

/// Attribute values are the respondents' own data: one line, and clipped.
const SEGMENT_VALUE_CHARS: usize = 30;

pub(crate) fn segment_who(attr: &str, value: &str) -> SegmentWho {
    let value = clip(&one_line(value), SEGMENT_VALUE_CHARS);
    match attr {
        "channel" => SegmentWho {
            group: cjk(&[&channel_label(&value), "渠道的"]),
            others: "其他渠道",
        },
        "source" => SegmentWho {
            group: cjk(&["来源为", &value, "的"]),
            others: "其他来源",
        },
        key => SegmentWho {
            group: cjk(&[attribute_name(key).unwrap_or(key), "为", &value, "的用户"]),
            others: "其他用户",
        },
    }
}

/// One of the "why" sections as every format shows it: a note on what it rests on, then
/// numbered sentences, each with its link.
pub(super) struct WhySection {
    pub(super) title: &'static str,
    pub(super) note: String,
    pub(super) items: Vec<(String, String)>,
}

/// The sections present: each is left out when nothing in it is significant.
pub(super) fn why_sections(d: &Digest) -> Vec<WhySection> {
    let mut out = Vec::new();
    if let Some(s) = d.drivers.as_ref().filter(|s| !s.items.is_empty()) {
        out.push(WhySection {
            title: TITLE_DRIVERS,
            note: drivers_note(d, s),
            items: s
                .items
                .iter()
                .map(|l| (driver_sentence(s, &l.driver), l.url.clone()))
                .collect(),
        });
    }
    if !d.segments.is_empty() {
        out.push(WhySection {
            title: TITLE_SEGMENTS,
            note: "按渠道和常见的用户属性比较，只列出在统计上显著的人群（已按比较次数校正）。"
                .to_string(),
            items: d
                .segments
                .iter()
                .map(|o| (outlier_sentence(&o.outlier), o.url.clone()))
                .collect(),
        });
    }
    out
}

/// What the drivers rest on, and why another metric stands in for NPS when it does.
pub(super) fn drivers_note(d: &Digest, s: &DriverSection) -> String {
    let this = Cadence::of(d).this_period();
    let n = fmt_count(s.n);
    let min = crate::tell::why::MIN_SCORED;
    let basis = match s.metric {
        Metric::Nps => format!("按{this} {n} 份 NPS 评分计算"),
        Metric::Csat => format!("{this} NPS 评分不足 {min} 份，改按 {n} 份 CSAT 评分计算"),
        _ => format!("{this}评分不足 {min} 份，改按 {n} 份反馈的情感指数计算"),
    };
    format!("{basis}；只列出在统计上显著的痛点。")
}

/// `提到「支付失败」的 86 位受访者，NPS 比其余受访者低 23 分（95% 区间 15 到 31 分），把整体 NPS
/// 拉低约 5 分。` The gap and its interval are the driver's impact and interval divided by
/// the share of responses that mention it (impact = share × gap), so they are the API's
/// figures in other words.
pub(super) fn driver_sentence(s: &DriverSection, d: &Driver) -> String {
    let metric = s.metric.display();
    let (who, others) = match s.metric {
        Metric::Sentiment => (format!("{} 份反馈", fmt_count(d.n_with)), "其余反馈"),
        _ => (format!("{} 位受访者", fmt_count(d.n_with)), "其余受访者"),
    };
    let w = d.n_with as f64 / s.n.max(1) as f64;
    let gap = d.value_without - d.value_with;
    let (near, far) = (-d.high / w, -d.low / w);
    let unit = match s.metric {
        Metric::Csat => " 个百分点",
        Metric::Ces => "",
        _ => " 分",
    };
    // Whole points read best; a near end that would round to 0 needs its decimal.
    let decimals = if s.metric == Metric::Ces || near < 0.5 {
        1
    } else {
        0
    };
    let f = |x: f64| format!("{:.*}", decimals, x);
    let cost = -d.impact;
    let cost = if decimals == 0 && cost < 0.5 {
        format!("不到 1{unit}")
    } else {
        format!("约 {}{unit}", f(cost))
    };
    let name = one_line(&d.name);
    cjk(&[
        &format!("提到「{name}」的 {who}，"),
        metric,
        &format!(
            "比{others}低 {}{unit}（95% 区间 {} 到 {}{unit}），把整体",
            f(gap),
            f(near),
            f(far)
        ),
        metric,
        &format!("拉低{cost}。"),
    ])
}

/// `版本为 3.2 的用户反馈中，提到「闪退」的比例是其他用户的 4.0 倍：200 条中有 80 条（40%），其他用户为 10%。`
pub(super) fn outlier_sentence(o: &Outlier) -> String {
    let who = segment_who(&o.attr, &o.value);
    let (group, others) = (who.group, who.others);
    let pain = one_line(&o.name);
    let (items, count) = (fmt_count(o.items), fmt_count(o.count));
    let share = fmt_share(o.share);
    match o.lift {
        Some(lift) => format!(
            "{group}反馈中，提到「{pain}」的比例是{others}的 {lift:.1} 倍：{items} 条中有 {count} 条（{share}），{others}为 {}。",
            fmt_share(o.rest_share)
        ),
        None => format!(
            "{group}反馈中有 {count} 条提到「{pain}」（{items} 条中的 {share}），{others}没有。"
        ),
    }
}
