//! The digest as plain text, the alternative part of the mail.

use super::shared::*;
use crate::tell::digest::*;

/// The mail's plain-text part: the same content as [`html`], one fact per line, no markup.
/// The footer names the recipient's subscription and unsubscribe link when given.
pub fn text(d: &Digest, to: Option<&Recipient>) -> String {
    let blocks = [
        format!("{}\n{}", one_line(&d.workspace_name), report_line(d)),
        text_headline(d),
        pain_sections(d)
            .iter()
            .map(text_pain_section)
            .collect::<Vec<_>>()
            .join("\n\n"),
        why_sections(d)
            .iter()
            .map(text_why_section)
            .collect::<Vec<_>>()
            .join("\n\n"),
        text_channels(d),
        text_charts(d),
        text_footer(d, to),
    ];
    // A section left out leaves no gap.
    blocks
        .into_iter()
        .filter(|b| !b.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
        + "\n"
}

pub(super) fn text_heading(title: &str) -> String {
    format!("【{title}】")
}

pub(super) fn text_headline(d: &Digest) -> String {
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
    if shows_arrow(d) {
        lines.push(NOTE_PLAIN.to_string());
    }
    lines.join("\n")
}

pub(super) fn text_pain_section(s: &PainSection) -> String {
    lined_pain_section(s, text_heading(s.title), text_pain_item, "\n")
}

pub(super) fn text_pain_item(rank: usize, p: &PainPointLine, see_above: Option<String>) -> String {
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

pub(super) fn text_why_section(s: &WhySection) -> String {
    let mut lines = vec![text_heading(s.title), s.note.clone()];
    for (i, (sentence, url)) in s.items.iter().enumerate() {
        lines.push(format!("{}. {sentence}\n   查看：{}", i + 1, one_line(url)));
    }
    lines.join("\n")
}

pub(super) fn text_channels(d: &Digest) -> String {
    let mut lines = vec![text_heading(TITLE_CHANNELS)];
    if d.channels.is_empty() {
        lines.push(empty_channels(d));
    }
    lines.extend(
        d.channels
            .iter()
            .map(|c| format!("{}：{}", one_line(&c.name), channel_stats(c).join(" · "))),
    );
    lines.join("\n")
}

pub(super) fn text_charts(d: &Digest) -> String {
    let mut lines = vec![text_heading(TITLE_CHARTS)];
    if d.charts.is_empty() {
        lines.push(NO_CHARTS.to_string());
    }
    lines.extend(d.charts.iter().map(chart_summary));
    lines.join("\n")
}

pub(super) fn text_footer(d: &Digest, to: Option<&Recipient>) -> String {
    let mut lines = vec![
        "——".to_string(),
        format!("{}：{}", console_label(d), one_line(&d.console_url)),
    ];
    if let Some(r) = to {
        lines.push(subscription_note(d, r.frequency));
        lines.push(format!("退订：{}", one_line(r.unsubscribe_url)));
    }
    lines.join("\n")
}
