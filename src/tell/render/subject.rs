//! The mail subject: the period, then the one change that matters most, cut to what inboxes
//! show.

use super::shared::*;
use crate::domain::text::clip;
use crate::tell::digest::*;

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

/// NPS when the period has one from enough answers, else the sentiment index; a rate from
/// too few is no headline.
pub(super) fn subject_metric(d: &Digest) -> Option<String> {
    let pick = |m: Metric| {
        d.headline
            .iter()
            .find(|h| h.metric == m && h.value.is_some() && !few(h))
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

pub(super) fn subject_pain(d: &Digest) -> Option<(&'static str, &str)> {
    if let Some(p) = d.new_complaints.first() {
        return Some(("新痛点：", p.name.as_str()));
    }
    d.pain_points
        .first()
        .map(|p| ("最大痛点：", p.name.as_str()))
}
