//! Spike alerts, checked hourly: a pain point, an emerging cluster or a keyword whose count
//! in the last 24 hours is far above its daily baseline over the seven days before
//! ([`crate::insight::tally::is_spike`]: a Poisson tail below 0.001, at least twice the
//! baseline, at least five items) is sent, with quotes, to the workspace's subscriptions
//! with `alerts: true`, at most once per item and local day (the outbox's unique key). So is a
//! segment (an app version, a platform, a channel) whose share of a pain point jumped against
//! its own days before while it stands out from everyone else's in the same hours.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::render::{esc, md};
use crate::analysis::painpoint::cluster_emerging;
use crate::analysis::Analyzer;
use crate::domain::text::{clip, controls_as_spaces};
use crate::domain::Clock;
use crate::insight::quotes::{pick_quotes, Quote};
use crate::insight::ranking::category_names;
use crate::insight::segments::{confirm_jump, rising_segments, SegmentJump};
use crate::insight::tally::is_spike;
use crate::insight::{Aggregates, Sample, Segment};
use crate::store::{Store, StoreResult, Subscription};

/// Fewest items in 24 hours that can make a spike.
pub const MIN_SPIKE: u64 = 5;

/// Days of trailing baseline.
const BASELINE_DAYS: i64 = 7;

/// Keywords of the last 24 hours considered for keyword spikes (the most frequent).
const KEYWORD_CANDIDATES: u64 = 30;

/// What finding spikes needs, built once at start-up; cheap to clone.
#[derive(Clone)]
pub struct Alerts {
    pub store: Store,
    pub analyzer: Arc<Analyzer>,
    pub clock: Clock,
}

/// One item that spiked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Spike {
    /// `pain_point:payment`, `cluster:支付·失败`, `keyword:退款`.
    pub key: String,
    pub name: String,
    pub count: u64,
    /// Mean items per day over the baseline days.
    pub baseline: f64,
    pub quotes: Vec<Quote>,
    /// For a segment's jump: who, and the shares before and beside it. `count` is then the
    /// segment's items with the pain point in the 24 hours, and `baseline` what those hours
    /// would have had at its baseline share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<SegmentRate>,
}

/// A segment's jump as the alert tells it: the segment, the pain point, and three windows of
/// (items, items with the pain point).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SegmentRate {
    /// `channel` or the attribute's key, and its value.
    pub attr: String,
    pub value: String,
    pub pain_point: String,
    /// The segment's last 24 hours.
    pub items: u64,
    pub count: u64,
    /// Everyone else's same 24 hours.
    pub rest_items: u64,
    pub rest_count: u64,
    /// The 7 days before: the segment's own, or (`own_baseline: false`, too few of its own)
    /// every value's of the same attribute or channel.
    pub baseline_items: u64,
    pub baseline_count: u64,
    pub own_baseline: bool,
}

impl Alerts {
    /// Looks for spikes in every workspace with alert subscriptions as of `now` and queues an
    /// alert per spike and subscription. Returns how many deliveries were new.
    pub async fn check_spikes(&self, now: DateTime<Utc>) -> StoreResult<usize> {
        let mut by_workspace: BTreeMap<String, Vec<Subscription>> = BTreeMap::new();
        for sub in self.store.live_subscriptions().await? {
            if sub.alerts {
                by_workspace
                    .entry(sub.workspace_id.clone())
                    .or_default()
                    .push(sub);
            }
        }
        let mut queued = 0;
        for (ws, subs) in by_workspace {
            let Some(workspace) = self.store.workspace(&ws).await? else {
                continue;
            };
            let tz: Tz = workspace
                .timezone
                .parse()
                .unwrap_or(chrono_tz::Asia::Shanghai);
            let day = now.with_timezone(&tz).format("%Y-%m-%d").to_string();
            for spike in self.find_spikes(&ws, now).await? {
                let alert = AlertPayload {
                    spike,
                    workspace: workspace.name.clone(),
                    workspace_id: workspace.id.clone(),
                    at: now,
                };
                let payload = serde_json::to_value(&alert).unwrap_or_default();
                for sub in &subs {
                    let period = format!("{}@{day}", alert.spike.key);
                    if self
                        .store
                        .enqueue_delivery(sub, "alert", &period, Some(payload.clone()))
                        .await?
                    {
                        queued += 1;
                    }
                }
            }
        }
        Ok(queued)
    }

    /// Spikes of one workspace in the 24 hours before `now`: categories first, then emerging
    /// clusters, then keywords that neither already explains, then segments whose share of a
    /// pain point jumped.
    pub async fn find_spikes(&self, ws: &str, now: DateTime<Utc>) -> StoreResult<Vec<Spike>> {
        let store = &self.store;
        let from = now - Duration::hours(24);
        let base_from = from - Duration::days(BASELINE_DAYS);
        let per_day = |n: u64| n as f64 / BASELINE_DAYS as f64;
        let names = category_names(store, &self.analyzer, ws).await?;
        let before: BTreeMap<String, u64> = store
            .pain_point_counts(ws, base_from, from)
            .await?
            .into_iter()
            .collect();
        let mut spikes = Vec::new();
        let mut explained: HashSet<String> = HashSet::new();
        let recent_counts = store.pain_point_counts(ws, from, now).await?;
        // A segment needs MIN_SPIKE items of one pain point, so a day without that many of
        // any costs one more query at most.
        let segments = if recent_counts.iter().any(|(_, n)| *n >= MIN_SPIKE) {
            self.segment_spikes(ws, &names, from, now).await?
        } else {
            Vec::new()
        };
        for (category, count) in recent_counts {
            let baseline = per_day(before.get(&category).copied().unwrap_or(0));
            if !is_spike(count, baseline, MIN_SPIKE) {
                continue;
            }
            let samples = store
                .pain_point_samples(ws, &category, from, now, 100)
                .await?;
            explained.extend(keywords_of(&samples));
            spikes.push(Spike {
                key: format!("pain_point:{category}"),
                name: names
                    .get(&category)
                    .cloned()
                    .unwrap_or_else(|| category.clone()),
                count,
                baseline,
                quotes: pick_quotes(&samples, 3),
                segment: None,
            });
        }
        let recent = store
            .uncategorised_complaints(ws, Some(from), Some(now), 5_000, None)
            .await?;
        let older = store
            .uncategorised_complaints(ws, Some(base_from), Some(from), 20_000, None)
            .await?;
        for c in cluster_emerging(&recent, MIN_SPIKE as usize) {
            let lead = c.keywords.first().cloned().unwrap_or_default();
            let baseline = per_day(older.iter().filter(|(_, w)| w.contains(&lead)).count() as u64);
            let count = c.members.len() as u64;
            if !is_spike(count, baseline, MIN_SPIKE) {
                continue;
            }
            let samples = store
                .samples_by_id(ws, &c.members[..c.members.len().min(100)])
                .await?;
            explained.extend(c.keywords.iter().cloned());
            spikes.push(Spike {
                key: c.id.clone(),
                name: c.label.clone(),
                count,
                baseline,
                quotes: pick_quotes(&samples, 3),
                segment: None,
            });
        }
        let candidates: Vec<(String, u64)> = store
            .keyword_counts(ws, from, now, KEYWORD_CANDIDATES)
            .await?
            .into_iter()
            .filter(|(word, _)| !explained.contains(word))
            .collect();
        let words: Vec<String> = candidates.iter().map(|(w, _)| w.clone()).collect();
        let before: BTreeMap<String, u64> = store
            .keyword_counts_of(ws, &words, base_from, from)
            .await?
            .into_iter()
            .collect();
        for (word, count) in candidates {
            let baseline = per_day(before.get(&word).copied().unwrap_or(0));
            if !is_spike(count, baseline, MIN_SPIKE) {
                continue;
            }
            let samples = store.keyword_samples(ws, &word, from, now, 100).await?;
            spikes.push(Spike {
                key: format!("keyword:{word}"),
                name: word.clone(),
                count,
                baseline,
                quotes: pick_quotes(&samples, 3),
                segment: None,
            });
        }
        spikes.extend(segments);
        Ok(spikes)
    }

    /// Segments whose share of a pain point jumped in the 24 hours before `now`
    /// ([`rising_segments`], then [`confirm_jump`] against the 7 days before), split as the
    /// digest splits: by channel and by the attributes most of the day's feedback carries.
    /// The days before are read only for the splits with a candidate.
    async fn segment_spikes(
        &self,
        ws: &str,
        names: &std::collections::HashMap<String, String>,
        from: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Spike>> {
        let store = &self.store;
        let base_from = from - Duration::days(BASELINE_DAYS);
        let splits = super::why::splits(store, ws, from, now).await?;
        let recent = super::why::split_counts(store, ws, &splits, from, now).await?;
        let rising = rising_segments(&recent, MIN_SPIKE);
        let wanted: Vec<_> = splits
            .into_iter()
            .filter(|(attr, _)| rising.iter().any(|j| &j.attr == attr))
            .collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let before = super::why::split_counts(store, ws, &wanted, base_from, from).await?;
        let mut spikes = Vec::new();
        for j in rising {
            let Some(baseline) = before.iter().find(|b| b.attr == j.attr) else {
                continue;
            };
            let Some(j) = confirm_jump(j, baseline, MIN_SPIKE) else {
                continue;
            };
            let segment = match j.attr.as_str() {
                "channel" => Segment::Channel(j.value.clone()),
                key => Segment::Attr(key.to_owned(), j.value.clone()),
            };
            let samples = store
                .narrowed(Some(segment))
                .pain_point_samples(ws, &j.category, from, now, 100)
                .await?;
            spikes.push(segment_spike(&j, names, pick_quotes(&samples, 3)));
        }
        Ok(spikes)
    }
}

/// The spike of a confirmed segment jump. Its key names the segment and the pain point, so
/// the outbox sends it once per local day like every other alert.
fn segment_spike(
    j: &SegmentJump,
    names: &std::collections::HashMap<String, String>,
    quotes: Vec<Quote>,
) -> Spike {
    let value: String = j.value.chars().take(64).collect();
    Spike {
        key: format!("segment:{}={value}:{}", j.attr, j.category),
        name: names
            .get(&j.category)
            .cloned()
            .unwrap_or_else(|| j.category.clone()),
        count: j.recent.count,
        baseline: j.recent.items as f64 * j.baseline.share(),
        quotes,
        segment: Some(SegmentRate {
            attr: j.attr.clone(),
            value: j.value.clone(),
            pain_point: j.category.clone(),
            items: j.recent.items,
            count: j.recent.count,
            rest_items: j.rest.items,
            rest_count: j.rest.count,
            baseline_items: j.baseline.items,
            baseline_count: j.baseline.count,
            own_baseline: j.own_baseline,
        }),
    }
}

fn keywords_of(samples: &[Sample]) -> HashSet<String> {
    samples
        .iter()
        .filter_map(|s| s.analysis.as_ref())
        .flat_map(|a| a["keywords"].as_array().cloned().unwrap_or_default())
        .filter_map(|k| k["word"].as_str().map(str::to_owned))
        .take(50)
        .collect()
}

/// What the outbox keeps for an alert: the spike as found, rendered when it is sent (with
/// that subscription's unsubscribe link).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlertPayload {
    #[serde(flatten)]
    pub spike: Spike,
    pub workspace: String,
    /// The workspace's id, for the console link (absent in alerts queued before it was added).
    #[serde(default)]
    pub workspace_id: String,
    /// When the spike was found: the end of its 24 hours.
    pub at: DateTime<Utc>,
}

/// An alert in each form a transport needs.
pub struct Alert {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub markdown: String,
}

/// Renders an alert; every piece of user text is escaped for its form.
pub fn render_alert(p: &AlertPayload, base: &str, unsubscribe: Option<&str>) -> Alert {
    let s = &p.spike;
    let narrow = match (&s.segment, s.key.split_once(':')) {
        (Some(r), _) => super::links::Narrow::SegmentPainPoint {
            attr: &r.attr,
            value: &r.value,
            pain_point: &r.pain_point,
        },
        (None, Some(("pain_point", id))) => super::links::Narrow::PainPoint(id),
        (None, Some(("keyword", word))) => super::links::Narrow::Keyword(word),
        _ => super::links::Narrow::pain_point(&s.key),
    };
    let link = super::links::console_link(
        base,
        &p.workspace_id,
        Some(narrow),
        p.at - Duration::hours(24),
        p.at,
    );
    let (subject, lead) = match &s.segment {
        Some(r) => segment_words(p, r),
        None => (
            format!(
                "【听见预警】{}：24小时 {} 条（平时约 {:.0} 条/天）",
                clip(&controls_as_spaces(&s.name), 20),
                s.count,
                s.baseline
            ),
            format!(
                "{} · 「{}」在过去 24 小时出现 {} 次，前 {BASELINE_DAYS} 天平均每天 {:.1} 次。",
                p.workspace, s.name, s.count, s.baseline
            ),
        ),
    };
    let mut text = format!("{subject}\n\n{lead}\n\n");
    // The robot message shows the subject as its title already (see `robots::build_request`).
    let mut markdown = format!("{}\n\n", md(&lead));
    let mut html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"></head>\
         <body style=\"margin:0;padding:16px;background:#f4f5f7;font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;\">\
         <table role=\"presentation\" width=\"100%\" style=\"max-width:600px;margin:0 auto;background:#ffffff;border-radius:8px;\" cellpadding=\"16\"><tr><td>\
         <h2 style=\"margin:0 0 8px;font-size:18px;color:#b42318;\">{}</h2><p style=\"margin:0 0 12px;color:#333;\">{}</p>",
        esc(&subject),
        esc(&lead)
    );
    for q in &s.quotes {
        text.push_str(&format!("  「{}」\n", q.text));
        markdown.push_str(&format!("> {}\n\n", md(&q.text)));
        html.push_str(&format!(
            "<p style=\"margin:0 0 8px;padding:8px 12px;border-left:3px solid #d0d5dd;color:#444;\">{}</p>",
            esc(&q.text)
        ));
    }
    text.push_str(&format!("\n查看详情：{link}\n"));
    markdown.push_str(&format!("[查看详情]({link})\n"));
    html.push_str(&format!(
        "<p style=\"margin:12px 0 0;\"><a href=\"{}\" style=\"color:#1d4ed8;\">查看详情</a></p></td></tr></table>",
        html_escape::encode_double_quoted_attribute(&link)
    ));
    if let Some(url) = unsubscribe {
        text.push_str(&format!("\n退订：{url}\n"));
        html.push_str(&format!(
            "<p style=\"text-align:center;font-size:12px;color:#888;\"><a href=\"{}\" style=\"color:#888;\">退订</a></p>",
            html_escape::encode_double_quoted_attribute(url)
        ));
    }
    html.push_str("</body></html>");
    Alert {
        subject,
        text,
        html,
        markdown,
    }
}

/// Subject and opening sentence of a segment's jump: the segment, the pain point, and both
/// shares with their counts, then everyone else's share in the same hours.
fn segment_words(p: &AlertPayload, r: &SegmentRate) -> (String, String) {
    use super::render::{fmt_count, fmt_share, segment_who};
    let who = segment_who(&r.attr, &r.value);
    let name = controls_as_spaces(&p.spike.name);
    let share = |count: u64, items: u64| fmt_share(count as f64 / items.max(1) as f64);
    let (now, before) = (
        share(r.count, r.items),
        share(r.baseline_count, r.baseline_items),
    );
    let subject = format!(
        "【听见预警】{}反馈中「{}」升至 {now}（平时 {before}）",
        clip(&who.group, 24),
        clip(&name, 12)
    );
    let basis = if r.own_baseline {
        "前 7 天同一人群为".to_owned()
    } else {
        format!(
            "这一人群前 7 天的反馈不足 {} 条，按同类全部反馈计，前 7 天为",
            crate::insight::segments::MIN_SEGMENT
        )
    };
    let lead = format!(
        "{} · 过去 24 小时，{}反馈共 {} 条，其中 {} 条提到「{name}」（{now}）；{basis} {} 条中 {} 条（{before}）。同期{}为 {} 条中 {} 条（{}）。",
        p.workspace,
        who.group,
        fmt_count(r.items),
        fmt_count(r.count),
        fmt_count(r.baseline_items),
        fmt_count(r.baseline_count),
        who.others,
        fmt_count(r.rest_items),
        fmt_count(r.rest_count),
        share(r.rest_count, r.rest_items),
    );
    (subject, lead)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_text_is_escaped_everywhere() {
        let s = Spike {
            key: "keyword:<b>x</b>".into(),
            name: "<b>x</b>".into(),
            count: 30,
            baseline: 2.0,
            quotes: vec![Quote {
                feedback_id: "f".into(),
                text: "<script>alert(1)</script> [点我](http://evil)".into(),
                channel: "survey".into(),
                source_name: None,
                occurred_at: Utc::now(),
            }],
            segment: None,
        };
        let p = AlertPayload {
            spike: s,
            workspace: "演示".into(),
            workspace_id: "ws_1".into(),
            at: Utc::now(),
        };
        let a = render_alert(
            &p,
            "https://t.example",
            Some("https://t.example/unsubscribe/x"),
        );
        assert!(!a.html.contains("<script>") && !a.html.contains("<b>x"));
        assert!(!a.markdown.contains("[点我](http://evil)"));
        assert!(a.subject.starts_with("【听见预警】"));
        for kind in [
            super::super::robots::RobotKind::Dingtalk,
            super::super::robots::RobotKind::Wecom,
        ] {
            let req = super::super::robots::build_request(
                kind,
                "https://h/robot/send?access_token=t",
                None,
                &a.subject,
                &a.markdown,
                &[],
                Utc::now(),
            );
            let shown = req.body["markdown"]["text"]
                .as_str()
                .or(req.body["markdown"]["content"].as_str())
                .unwrap();
            assert_eq!(shown.matches("【听见预警】").count(), 1, "{shown}");
        }
        assert!(
            !a.markdown.contains("【听见预警】"),
            "the robot's title is the subject; the body does not repeat it: {}",
            a.markdown
        );
    }
}

#[cfg(test)]
mod segment_tests {
    use super::*;

    fn payload(own_baseline: bool) -> AlertPayload {
        AlertPayload {
            spike: Spike {
                key: "segment:app_version=3.2:crash".into(),
                name: "闪退".into(),
                count: 24,
                baseline: 3.0,
                quotes: vec![],
                segment: Some(SegmentRate {
                    attr: "app_version".into(),
                    value: "3.2".into(),
                    pain_point: "crash".into(),
                    items: 60,
                    count: 24,
                    rest_items: 300,
                    rest_count: 6,
                    baseline_items: 300,
                    baseline_count: 15,
                    own_baseline,
                }),
            },
            workspace: "青柠生活".into(),
            workspace_id: "ws_1".into(),
            at: DateTime::parse_from_rfc3339("2026-11-23T02:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        }
    }

    #[test]
    fn a_segment_alert_names_the_segment_the_pain_point_and_both_shares() {
        let a = render_alert(&payload(true), "https://t.example", None);
        assert_eq!(
            a.subject,
            "【听见预警】版本为 3.2 的用户反馈中「闪退」升至 40%（平时 5%）"
        );
        assert!(
            a.text.contains(
                "青柠生活 · 过去 24 小时，版本为 3.2 的用户反馈共 60 条，其中 24 条提到「闪退」（40%）；\
                 前 7 天同一人群为 300 条中 15 条（5%）。同期其他用户为 300 条中 6 条（2%）。"
            ),
            "{}",
            a.text
        );
        assert!(a.text.contains(
            "/console/w/ws_1/inbox?attr.app_version=3.2&pain_point=crash&from=2026-11-22T02%3A00%3A00Z"
        ));
        let other = render_alert(&payload(false), "https://t.example", None);
        assert!(other.text.contains(
            "这一人群前 7 天的反馈不足 20 条，按同类全部反馈计，前 7 天为 300 条中 15 条（5%）"
        ));
        // Queued before segments existed: a payload without the field still reads.
        let old: AlertPayload = serde_json::from_value(serde_json::json!({
            "key": "pain_point:payment", "name": "支付问题", "count": 9, "baseline": 1.0,
            "quotes": [], "workspace": "x", "at": "2026-11-23T02:00:00Z"}))
        .unwrap();
        assert!(old.spike.segment.is_none());
    }
}
