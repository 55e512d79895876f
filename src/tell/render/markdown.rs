//! The digest as compact markdown for WeCom, DingTalk and Feishu group robots, within their
//! message limits, with markdown's own characters escaped in user text.

use super::shared::*;
use crate::tell::digest::*;

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
        why_sections(d)
            .iter()
            .map(md_why_section)
            .collect::<Vec<_>>()
            .join("\n\n"),
        md_channels(d),
        md_charts(d),
        md_link(&d.console_url, &md(&console_label(d))),
    ];
    // A section left out leaves no gap.
    blocks
        .into_iter()
        .filter(|b| !b.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
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
pub(super) fn md_link(url: &str, label_md: &str) -> String {
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

pub(super) fn md_heading(title: &str) -> String {
    format!("**{title}**")
}

pub(super) fn md_headline(d: &Digest) -> String {
    let mut lines = vec![md_heading(TITLE_HEADLINE)];
    if d.headline.is_empty() {
        lines.push(empty_headline(d));
        return lines.join("\n");
    }
    lines.extend(d.headline.iter().map(|h| {
        let change = if h.value.is_some() && few(h) {
            format!("（仅 {}）", sample_label(h))
        } else {
            headline_change(h)
                .map(|c| format!("（{}）", c.text()))
                .unwrap_or_default()
        };
        format!(
            "{} **{}**{change}",
            h.metric.display(),
            md(&headline_value(h))
        )
    }));
    if shows_arrow(d) {
        lines.push(NOTE_PLAIN.to_string());
    }
    lines.join("\n")
}

pub(super) fn md_pain_section(s: &PainSection) -> String {
    // Blank lines between items: a numbered line may not interrupt the quote above it.
    lined_pain_section(s, md_heading(s.title), md_pain_item, "\n\n")
}

pub(super) fn md_pain_item(rank: usize, p: &PainPointLine, see_above: Option<String>) -> String {
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

pub(super) fn md_why_section(s: &WhySection) -> String {
    let mut lines = vec![md_heading(s.title), md(&s.note)];
    for (i, (sentence, url)) in s.items.iter().enumerate() {
        lines.push(format!(
            "{}. {} {}",
            i + 1,
            md(sentence),
            md_link(url, WHY_LINK)
        ));
    }
    lines.join("\n")
}

pub(super) fn md_channels(d: &Digest) -> String {
    let mut lines = vec![md_heading(TITLE_CHANNELS)];
    if d.channels.is_empty() {
        lines.push(empty_channels(d));
    }
    lines.extend(
        d.channels
            .iter()
            .map(|c| format!("{}：{}", md(&c.name), md(&channel_stats(c).join(" · ")))),
    );
    lines.join("\n")
}

pub(super) fn md_charts(d: &Digest) -> String {
    let mut lines = vec![md_heading(TITLE_CHARTS)];
    if d.charts.is_empty() {
        lines.push(NO_CHARTS.to_string());
    }
    lines.extend(d.charts.iter().map(|c| md(&chart_summary(c))));
    lines.join("\n")
}
