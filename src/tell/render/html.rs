//! The digest as an HTML mail: tables and inline styles that mail clients render, system
//! fonts, every name and quote escaped.

use super::shared::*;
use super::subject::subject;
use crate::tell::digest::*;

// System fonts only: mail clients drop web fonts, and CJK faces are large.
pub(super) const FONT: &str = "font-family:-apple-system,BlinkMacSystemFont,'PingFang SC','Hiragino Sans GB','Microsoft YaHei',Arial,sans-serif;";
pub(super) const INK: &str = "#1f2328";
/// The lightest grey that keeps 4.5:1 contrast on white.
pub(super) const GREY: &str = "#767676";
pub(super) const RULE: &str = "#e6e8eb";
pub(super) const PAGE: &str = "#f3f4f6";
pub(super) const LINK: &str = "#1a64d6";
pub(super) const GOOD: &str = "#137333";
pub(super) const BAD: &str = "#c5221f";
pub(super) const PAD: &str = "padding-left:24px;padding-right:24px;";

/// Email HTML; the footer names the recipient's subscription and unsubscribe link when given.
pub fn html(d: &Digest, to: Option<&Recipient>) -> String {
    let rows = [
        html_title(d),
        html_headline(d),
        pain_sections(d).iter().map(html_pain_section).collect(),
        why_sections(d).iter().map(html_why_section).collect(),
        html_channels(d),
        html_charts(d),
        html_footer(d, to),
    ];
    html_document(&subject(d), &headline_summary(d), &rows.concat())
}

pub(crate) fn esc(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

pub(super) fn attr(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s).into_owned()
}

/// `inner_html` must already be escaped; it stays plain text when the URL is not a web link.
pub(super) fn html_link(url: &str, inner_html: &str, style: &str) -> String {
    if !is_web_url(url) {
        return inner_html.to_string();
    }
    format!(
        "<a href=\"{}\" style=\"{style}\">{inner_html}</a>",
        attr(url.trim())
    )
}

pub(super) fn html_document(title: &str, preheader: &str, rows: &str) -> String {
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

pub(super) fn html_row(style: &str, inner: &str) -> String {
    format!("<tr><td style=\"{PAD}{style}\">{inner}</td></tr>\n")
}

pub(super) fn html_p(style: &str, inner: &str) -> String {
    format!("<p style=\"margin:4px 0 0;{style}\">{inner}</p>")
}

pub(super) fn html_nowrap(inner: &str) -> String {
    format!("<span style=\"white-space:nowrap;\">{inner}</span>")
}

pub(super) fn html_section_title(title: &str) -> String {
    html_row(
        &format!("padding-top:24px;padding-bottom:4px;border-top:1px solid {RULE};font-size:17px;font-weight:bold;"),
        &esc(title),
    )
}

pub(super) fn html_empty(note: &str) -> String {
    html_row(
        &format!("padding-top:4px;padding-bottom:8px;font-size:14px;color:{GREY};"),
        &esc(note),
    )
}

pub(super) fn html_title(d: &Digest) -> String {
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

pub(super) fn html_change(c: &Change) -> String {
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
pub(super) fn html_headline(d: &Digest) -> String {
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
    let note = if shows_arrow(d) { NOTE_HTML } else { "" };
    out + &html_row(
        &format!("padding-top:4px;padding-bottom:16px;font-size:12px;color:{GREY};"),
        note,
    )
}

pub(super) fn html_headline_cell(h: &Headline) -> String {
    let change = match headline_change(h) {
        Some(c) => format!("较上期 {}", html_change(&c)),
        None => esc(&headline_change_label(h)),
    };
    // Volume's n is the value itself; elsewhere it tells how much to trust the number (a
    // value from too few says its count in the change line already).
    let sample = match h.metric {
        Metric::Volume => String::new(),
        _ if few(h) => String::new(),
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

pub(super) fn html_pain_section(s: &PainSection) -> String {
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

pub(super) fn html_pain_item(rank: usize, p: &PainPointLine, see_above: Option<String>) -> String {
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
pub(super) fn html_pain_heading(rank: usize, p: &PainPointLine) -> String {
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

pub(super) fn html_quote(q: &Quote) -> String {
    format!(
        "<p style=\"margin:8px 0 0;padding:2px 0 2px 10px;border-left:3px solid {RULE};font-size:14px;line-height:1.6;color:#3c4043;\">{} <span style=\"font-size:12px;color:{GREY};white-space:nowrap;\">{}</span></p>",
        esc(&quote_text(q, MAIL_QUOTE_CHARS)),
        esc(&quote_source(q)),
    )
}

pub(super) fn html_why_section(s: &WhySection) -> String {
    let mut out = html_section_title(s.title);
    out += &html_row(
        &format!("padding-top:2px;padding-bottom:4px;font-size:12px;color:{GREY};"),
        &esc(&s.note),
    );
    for (i, (sentence, url)) in s.items.iter().enumerate() {
        let link = html_link(
            url,
            &esc(&format!("{WHY_LINK} →")),
            &format!("color:{LINK};"),
        );
        let inner = format!(
            "{}{}",
            html_p(
                "font-size:15px;line-height:1.6;",
                &esc(&format!("{}. {sentence}", i + 1))
            ),
            html_p("font-size:13px;", &link),
        );
        out += &html_row("padding-top:8px;padding-bottom:8px;", &inner);
    }
    out
}

pub(super) fn html_channels(d: &Digest) -> String {
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
            esc(&one_line(&c.name)),
            stats.join(" · "),
        );
        out += &html_row(
            "padding-top:4px;padding-bottom:4px;font-size:14px;line-height:1.5;",
            &inner,
        );
    }
    out + &html_row("padding-bottom:8px;", "")
}

pub(super) fn html_charts(d: &Digest) -> String {
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

pub(super) fn html_footer(d: &Digest, to: Option<&Recipient>) -> String {
    let console = html_link(
        &d.console_url,
        &esc(&format!("{} →", console_label(d))),
        &format!("color:{LINK};font-weight:bold;"),
    );
    let mut inner = html_p("font-size:14px;", &console);
    if let Some(r) = to {
        let unsubscribe = html_link(
            r.unsubscribe_url,
            "退订",
            &format!("color:{GREY};text-decoration:underline;"),
        );
        inner += &html_p(
            "margin-top:12px;",
            &format!("{} {unsubscribe}", esc(&subscription_note(d, r.frequency))),
        );
    }
    inner += &html_p("", &esc(&format!("统计时区：{}", one_line(&d.timezone))));
    html_row(
        &format!("padding-top:20px;padding-bottom:24px;border-top:1px solid {RULE};font-size:12px;line-height:1.6;color:{GREY};"),
        &inner,
    )
}
