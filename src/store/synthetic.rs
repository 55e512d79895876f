//! Synthetic feedback for the digest benchmark: many analysed items spread over twelve
//! weeks, written in large multi-row inserts (far faster than the ingest path, which
//! analyses each item).

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{EntityTrait, Set, TransactionTrait};
use serde_json::json;

use super::entity::{feedback, feedback_pain_point, survey_answer, survey_response};
use super::rows::answer_models;
use super::{Store, StoreResult};
use crate::domain::new_id;

/// Rows per INSERT: 21 columns × 500 stays under both databases' parameter limits.
const CHUNK: usize = 500;

const COMPLAINTS: [(&str, &str, &str); 6] = [
    ("payment", "支付失败了，钱扣了但是订单没成功", "支付"),
    ("crash", "打开就闪退，重装了也没用", "闪退"),
    ("slow", "加载太慢了，每次都要转半天", "加载"),
    ("login", "验证码一直收不到，登录不上", "验证码"),
    ("customer_service", "客服半天不回复，态度也很差", "客服"),
    ("delivery", "快递三天了还没发货", "发货"),
];

const VERSIONS: [&str; 3] = ["3.0", "3.1", "3.2"];
const PLANS: [&str; 2] = ["free", "pro"];

impl Store {
    /// Writes `n` analysed feedback items to the workspace, occurring over the twelve weeks
    /// before `now`; a seeded generator makes the same data every time.
    pub async fn seed_synthetic(
        &self,
        workspace_id: &str,
        n: u64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut rng = StdRng::seed_from_u64(47);
        let span = Duration::weeks(12).num_seconds();
        let mut written = 0u64;
        while written < n {
            let rows = (n - written).min(CHUNK as u64 * 20);
            let txn = self.db.begin().await?;
            let mut items = Vec::with_capacity(CHUNK);
            let mut pains = Vec::with_capacity(CHUNK);
            for _ in 0..rows {
                let at = now - Duration::seconds(rng.gen_range(0..span));
                let id = format!("fb_{}", new_id());
                let roll: f64 = rng.gen();
                let (sentiment, score) = match roll {
                    r if r < 0.35 => ("positive", 0.7),
                    r if r < 0.70 => ("negative", -0.7),
                    r if r < 0.90 => ("neutral", 0.0),
                    _ => ("mixed", 0.0),
                };
                let complaint = (sentiment == "negative" || sentiment == "mixed")
                    .then(|| COMPLAINTS[rng.gen_range(0..COMPLAINTS.len())]);
                let text = complaint.map_or("用起来挺顺手的，界面也清爽", |c| c.1);
                let keyword = complaint.map_or("顺手", |c| c.2);
                let channel =
                    ["survey", "webhook", "social", "import", "interview"][rng.gen_range(0..5)];
                let nps = (rng.gen::<f64>() < 0.3).then(|| rng.gen_range(0..=10i16));
                let csat = (rng.gen::<f64>() < 0.2).then(|| rng.gen_range(1..=5i16));
                if let Some(c) = complaint {
                    pains.push(feedback_pain_point::ActiveModel {
                        feedback_id: Set(id.clone()),
                        category: Set(c.0.to_owned()),
                        workspace_id: Set(workspace_id.to_owned()),
                        occurred_at: Set(at),
                        channel: Set(channel.to_owned()),
                    });
                }
                items.push(feedback::ActiveModel {
                    id: Set(id),
                    workspace_id: Set(workspace_id.to_owned()),
                    channel: Set(channel.to_owned()),
                    source_key: Set("synthetic".to_owned()),
                    source_id: Set(None),
                    external_id: Set(None),
                    respondent_id: Set(None),
                    author: Set(None),
                    text: Set(text.to_owned()),
                    nps: Set(nps),
                    csat: Set(csat),
                    ces: Set(None),
                    // Two respondent attributes for the segments, from the time (not the
                    // generator, so the rest of the data stays as it was).
                    attributes: Set(json!({
                        "app_version": VERSIONS[at.timestamp().rem_euclid(3) as usize],
                        "plan": PLANS[(at.timestamp() / 3).rem_euclid(2) as usize],
                    })),
                    context: Set(json!({})),
                    occurred_at: Set(at),
                    received_at: Set(at),
                    sentiment: Set(Some(sentiment.to_owned())),
                    sentiment_score: Set(Some(score)),
                    analysis: Set(Some(
                        json!({"keywords": [{"word": keyword, "weight": 1.0}], "aspects": []}),
                    )),
                    analyzer_version: Set(Some("synthetic".to_owned())),
                    corrected: Set(false),
                    rating: Set(None),
                    response_id: Set(None),
                    has_pain_point: Set(complaint.is_some()),
                });
                // Pain points refer to their items: write them after the items they follow.
                if items.len() == CHUNK {
                    feedback::Entity::insert_many(std::mem::take(&mut items))
                        .exec_without_returning(&txn)
                        .await?;
                    if !pains.is_empty() {
                        feedback_pain_point::Entity::insert_many(std::mem::take(&mut pains))
                            .exec_without_returning(&txn)
                            .await?;
                    }
                }
            }
            if !items.is_empty() {
                feedback::Entity::insert_many(items)
                    .exec_without_returning(&txn)
                    .await?;
            }
            if !pains.is_empty() {
                feedback_pain_point::Entity::insert_many(pains)
                    .exec_without_returning(&txn)
                    .await?;
            }
            txn.commit().await?;
            written += rows;
        }
        Ok(())
    }
}

/// The questions of the benchmark survey ([`Store::seed_synthetic_survey`]).
pub const BENCH_SURVEY: &str = r#"{"title": "基准问卷", "questions": [
  {"id": "nps", "type": "nps", "required": true, "title": "您有多大可能向朋友推荐我们？"},
  {"id": "plan", "type": "single_choice", "title": "您用的是哪个版本？",
   "options": ["基础版", "专业版", "企业版"]},
  {"id": "features", "type": "multi_choice", "title": "您常用哪些功能？",
   "options": ["配送", "支付", "客服", "优惠券"]},
  {"id": "csat", "type": "csat", "title": "您对最近一次订单满意吗？"},
  {"id": "reason", "type": "text", "title": "您给出这个分数，主要是因为什么？"}]}"#;

impl Store {
    /// Writes `n` responses to the survey (made from [`BENCH_SURVEY`]) over the twelve weeks
    /// before `now`, each with its text answer as an analysed feedback item, in large
    /// multi-row inserts.
    pub async fn seed_synthetic_survey(
        &self,
        workspace_id: &str,
        survey_id: &str,
        n: u64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut rng = StdRng::seed_from_u64(48);
        let span = Duration::weeks(12).num_seconds();
        let plans = ["基础版", "专业版", "企业版"];
        let features = ["配送", "支付", "客服", "优惠券"];
        let mut written = 0u64;
        while written < n {
            let rows = (n - written).min(CHUNK as u64 * 20);
            let txn = self.db.begin().await?;
            let (mut responses, mut answers, mut items, mut pains) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for i in 0..rows {
                let at = now - Duration::seconds(rng.gen_range(0..span));
                let rid = format!("rs_{}", new_id());
                let nps = rng.gen_range(0..=10i16);
                let csat = rng.gen_range(1..=5i16);
                let chosen: Vec<&str> = features
                    .iter()
                    .filter(|_| rng.gen::<f64>() < 0.4)
                    .copied()
                    .collect();
                let complaint = (nps <= 6).then(|| COMPLAINTS[rng.gen_range(0..COMPLAINTS.len())]);
                let text = complaint.map_or("用起来挺顺手的，界面也清爽", |c| c.1);
                let answer = json!({
                    "nps": nps,
                    "plan": plans[rng.gen_range(0..plans.len())],
                    "features": chosen,
                    "csat": csat,
                    "reason": text,
                });
                answers.extend(answer_models(
                    workspace_id,
                    survey_id,
                    &rid,
                    at,
                    &answer,
                    &["reason"],
                ));
                let fid = format!("fb_{}", new_id());
                if let Some(c) = complaint {
                    pains.push(feedback_pain_point::ActiveModel {
                        feedback_id: Set(fid.clone()),
                        category: Set(c.0.to_owned()),
                        workspace_id: Set(workspace_id.to_owned()),
                        occurred_at: Set(at),
                        channel: Set("survey".to_owned()),
                    });
                }
                items.push(feedback::ActiveModel {
                    id: Set(fid),
                    workspace_id: Set(workspace_id.to_owned()),
                    channel: Set("survey".to_owned()),
                    source_key: Set(format!("survey:{survey_id}")),
                    source_id: Set(Some(survey_id.to_owned())),
                    external_id: Set(Some(format!("{rid}:reason"))),
                    respondent_id: Set(None),
                    author: Set(None),
                    text: Set(text.to_owned()),
                    nps: Set(Some(nps)),
                    csat: Set(Some(csat)),
                    ces: Set(None),
                    attributes: Set(json!({})),
                    context: Set(json!({"survey_id": survey_id, "response_id": rid, "question_id": "reason"})),
                    occurred_at: Set(at),
                    received_at: Set(at),
                    sentiment: Set(Some(if complaint.is_some() { "negative" } else { "positive" }.to_owned())),
                    sentiment_score: Set(Some(if complaint.is_some() { -0.7 } else { 0.7 })),
                    analysis: Set(Some(json!({"keywords": [], "aspects": []}))),
                    analyzer_version: Set(Some("synthetic".to_owned())),
                    corrected: Set(false),
                    rating: Set(None),
                    response_id: Set(Some(rid.clone())),
                    has_pain_point: Set(complaint.is_some()),
                });
                responses.push(survey_response::ActiveModel {
                    id: Set(rid),
                    workspace_id: Set(workspace_id.to_owned()),
                    survey_id: Set(survey_id.to_owned()),
                    respondent_id: Set(None),
                    answers: Set(answer),
                    attributes: Set(json!({})),
                    nps: Set(Some(nps)),
                    csat: Set(Some(csat)),
                    ces: Set(None),
                    rating: Set(None),
                    received_at: Set(at),
                    occurred_at: Set(Some(at)),
                    updated_at: Set(Some(at)),
                });
                // Rows refer to their responses and items: write those first.
                if responses.len() == CHUNK || i + 1 == rows {
                    survey_response::Entity::insert_many(std::mem::take(&mut responses))
                        .exec_without_returning(&txn)
                        .await?;
                    feedback::Entity::insert_many(std::mem::take(&mut items))
                        .exec_without_returning(&txn)
                        .await?;
                    for chunk in std::mem::take(&mut answers).chunks(1000) {
                        survey_answer::Entity::insert_many(chunk.to_vec())
                            .exec_without_returning(&txn)
                            .await?;
                    }
                    if !pains.is_empty() {
                        feedback_pain_point::Entity::insert_many(std::mem::take(&mut pains))
                            .exec_without_returning(&txn)
                            .await?;
                    }
                }
            }
            txn.commit().await?;
            written += rows;
        }
        Ok(())
    }
}
