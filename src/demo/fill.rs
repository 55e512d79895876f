//! Writes the plan through the paths real feedback takes: the hosted survey's response
//! functions, a standard webhook delivery, a CSV import, pushed mentions, App Store reviews as
//! the poller stores them, interview uploads. Each item is analysed by the pipeline, and
//! stored with the store's clock set to when it arrived, so arrival times read as real ones.
//! Everything has a stable id: run again, nothing is stored twice.

use chrono::{DateTime, Duration, Offset, TimeZone, Utc};
use serde_json::{json, Map, Value};

use super::plan::{Interview, Plan};
use crate::analysis::CustomCategory;
use crate::collect::import::{parse_csv, ColumnMapping};
use crate::collect::interview::{self, interview_id, to_feedback, Start, TranscriptFormat};
use crate::collect::mentions::parse_mentions;
use crate::collect::source::{SettingsChange, SourceKind, SourceSettings};
use crate::collect::stores::{join_title, to_stored, Review};
use crate::collect::survey::{
    parse_submission_json, response_feedback, response_id, SurveyDefinition,
};
use crate::collect::webhook::{generate_secret, read_delivery};
use crate::domain::{Clock, FieldError};
use crate::ingest::Pipeline;
use crate::store::{NewInterview, NewSource, NewSurveyResponse, Source, Store, Survey};

pub const SURVEY_TITLE: &str = "鲜到家使用体验调研";
pub const WEBHOOK_NAME: &str = "客服工单系统";
pub const APP_STORE_NAME: &str = "App Store 评价（演示）";
/// The CSV import's source name (`import:member-survey`).
pub const IMPORT_SOURCE: &str = "member-survey";
/// The workspace's own words.
const DICTIONARY: [&str; 4] = ["鲜到家", "鲜卡", "会员日", "准时达"];
/// The workspace's own pain-point category: produce that arrives past its best.
pub const FRESHNESS: &str = "freshness";

fn invalid(what: &str, errors: Vec<FieldError>) -> anyhow::Error {
    let said: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect();
    anyhow::anyhow!("the demo's {what} is refused: {}", said.join("; "))
}

/// Writes one plan into one workspace: `store` for reading, `then` for writing, with a
/// clock the filler moves to each item's arrival.
pub struct Filler<'a> {
    store: &'a Store,
    pipeline: &'a Pipeline,
    workspace_id: &'a str,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
    clock: Clock,
    then: Store,
}

impl<'a> Filler<'a> {
    pub fn new(
        store: &'a Store,
        pipeline: &'a Pipeline,
        workspace_id: &'a str,
        tz: chrono_tz::Tz,
        now: DateTime<Utc>,
    ) -> Self {
        let clock = Clock::manual(Plan::start(now));
        let then = store.clone().with_clock(clock.clone());
        Self {
            store,
            pipeline,
            workspace_id,
            tz,
            now,
            clock,
            then,
        }
    }

    /// The store as it was at `at` (never later than now).
    fn at(&self, at: DateTime<Utc>) -> &Store {
        self.clock.set(at.min(self.now));
        &self.then
    }

    pub async fn all(&self, plan: &Plan) -> anyhow::Result<()> {
        // The brand and the membership card as words, as a team would add them first, so
        // 鲜到家 is one keyword rather than 鲜到 and 家.
        self.at(Plan::start(self.now) - Duration::hours(3))
            .add_dictionary_words(self.workspace_id, &DICTIONARY.map(str::to_owned))
            .await?;
        if !self
            .store
            .custom_categories(self.workspace_id)
            .await?
            .iter()
            .any(|c| c.id == FRESHNESS)
        {
            let category = CustomCategory {
                id: FRESHNESS.to_owned(),
                name: "商品新鲜度".to_owned(),
                keywords: [
                    "不新鲜",
                    "发黄",
                    "黄了",
                    "烂了",
                    "发霉",
                    "临期",
                    "过期",
                    "蔫了",
                    "有异味",
                    "有味道",
                    "坏的",
                ]
                .map(str::to_owned)
                .to_vec(),
                examples: vec!["水果送来就烂了好几个".to_owned()],
            };
            self.at(Plan::start(self.now) - Duration::hours(3))
                .create_category(self.workspace_id, &category)
                .await?;
        }
        self.pipeline.invalidate(self.workspace_id);
        self.survey(plan).await?;
        self.tickets(plan).await?;
        self.members(plan).await?;
        self.posts(plan).await?;
        self.reviews(plan).await?;
        for i in &plan.interviews {
            self.interview(i).await?;
        }
        Ok(())
    }

    /// The survey, made when the demo begins (found again on a second run).
    async fn find_or_create_survey(&self) -> anyhow::Result<(Survey, SurveyDefinition)> {
        let existing = self
            .store
            .list_surveys(self.workspace_id, None)
            .await?
            .into_iter()
            .find(|s| s.title == SURVEY_TITLE);
        let survey = match existing {
            Some(s) => s,
            None => {
                let def = SurveyDefinition::parse(&json!({
                    "title": SURVEY_TITLE,
                    "description": "花一分钟告诉我们您的感受，每一条我们都会认真看。",
                    "questions": [
                        {"id": "nps", "type": "nps", "required": true,
                         "title": "您有多大可能把鲜到家推荐给朋友或家人？"},
                        {"id": "reason", "type": "text",
                         "title": "您给出这个分数，主要是因为什么？"},
                        {"id": "csat", "type": "csat", "title": "您对最近一次订单满意吗？"},
                        {"id": "ces", "type": "ces", "title": "这次下单和付款顺利吗？"}
                    ],
                    "thank_you": "谢谢您的反馈！"
                }))
                .map_err(|e| invalid("survey", e))?;
                let stored = serde_json::to_value(&def)?;
                self.at(Plan::start(self.now) - Duration::hours(2))
                    .create_survey(self.workspace_id, &def.title, stored, json!([]))
                    .await?
            }
        };
        let def = serde_json::from_value(survey.questions.clone())?;
        Ok((survey, def))
    }

    /// Responses as the hosted page's endpoint takes them: parsed, validated, turned into
    /// items, analysed, the text answers redacted, stored with the response.
    async fn survey(&self, plan: &Plan) -> anyhow::Result<()> {
        let (survey, def) = self.find_or_create_survey().await?;
        for (i, s) in plan.survey.iter().enumerate() {
            let mut answers = Map::new();
            answers.insert("nps".into(), json!(s.nps));
            if let Some(r) = &s.reason {
                answers.insert("reason".into(), json!(r));
            }
            if let Some(c) = s.csat {
                answers.insert("csat".into(), json!(c));
            }
            if let Some(c) = s.ces {
                answers.insert("ces".into(), json!(c));
            }
            let body = json!({
                "answers": answers,
                "respondent": {"id": s.respondent.id, "attributes": s.respondent.attributes},
                "response_id": format!("demo-response-{i:04}"),
            });
            let submission = parse_submission_json(&body).map_err(|e| invalid("response", e))?;
            let valid = def
                .validate_answers(&submission.answers)
                .map_err(|e| invalid("response", e))?;
            let rid = response_id(&survey.id, submission.response_id.as_deref());
            let items = response_feedback(&survey.id, &def, &rid, &submission, &valid, s.at);
            let items = self.pipeline.prepare(self.workspace_id, items).await?;
            let mut stored_answers = valid.answers.clone();
            let mut texts: Vec<&mut String> = stored_answers
                .values_mut()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect();
            self.pipeline.redact(self.workspace_id, &mut texts).await?;
            let response = NewSurveyResponse {
                id: rid,
                survey_id: survey.id.clone(),
                respondent_id: submission.respondent_id.clone(),
                answers: Value::Object(stored_answers),
                attributes: Value::Object(submission.attributes.clone()),
                nps: valid.nps,
                csat: valid.csat,
                ces: valid.ces,
                rating: valid.rating,
            };
            self.at(s.at)
                .record_survey_response(self.workspace_id, response, items)
                .await?;
        }
        Ok(())
    }

    async fn find_or_create_source(
        &self,
        name: &str,
        kind: SourceKind,
        change: SettingsChange,
    ) -> anyhow::Result<Source> {
        let existing = self
            .store
            .list_sources(self.workspace_id)
            .await?
            .into_iter()
            .find(|s| s.name == name && s.kind == kind.as_str());
        if let Some(s) = existing {
            return Ok(s);
        }
        let settings = SourceSettings::create(kind, change).map_err(|e| invalid(name, vec![e]))?;
        let secret = (kind == SourceKind::Webhook).then(generate_secret);
        let new = NewSource {
            kind: kind.as_str(),
            name: name.to_owned(),
            settings: settings.to_value(),
            secret,
            // Never polled: the demo's reviews are written here, not fetched.
            next_poll_at: None,
        };
        Ok(self
            .at(Plan::start(self.now) - Duration::hours(1))
            .create_source(self.workspace_id, new)
            .await?)
    }

    /// Tickets as the help desk delivers them: one signed delivery each, in Tingjian's own
    /// webhook shape.
    async fn tickets(&self, plan: &Plan) -> anyhow::Result<()> {
        let src = self
            .find_or_create_source(WEBHOOK_NAME, SourceKind::Webhook, SettingsChange::default())
            .await?;
        for t in &plan.tickets {
            let mut item = json!({
                "text": t.text,
                "external_id": t.id,
                "respondent_id": t.respondent.id,
                "occurred_at": t.at.to_rfc3339(),
                "attributes": t.respondent.attributes,
            });
            if let Some(c) = t.csat {
                item["scores"] = json!({"csat": c});
            }
            let delivered =
                read_delivery(&json!({"items": [item]}), None, &src.id, self.now, self.tz)
                    .map_err(|e| invalid("ticket", e))?;
            let items = self
                .pipeline
                .prepare(self.workspace_id, delivered.items)
                .await?;
            self.at(t.at + Duration::seconds(20))
                .ingest_webhook(
                    self.workspace_id,
                    &src.id,
                    &format!("msg_demo_{}", t.id),
                    &items,
                )
                .await?;
        }
        Ok(())
    }

    /// The member survey's export from 问卷星, imported as a CSV file with Chinese headers.
    async fn members(&self, plan: &Plan) -> anyhow::Result<()> {
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.write_record([
            "序号",
            "提交答卷时间",
            "会员类型",
            "用户类型",
            "城市",
            "满意度",
            "您对鲜卡会员有什么意见和建议？",
        ])?;
        for m in &plan.members {
            let local = m.at.with_timezone(&self.tz).format("%Y/%m/%d %H:%M:%S");
            csv.write_record([
                m.number.to_string(),
                local.to_string(),
                m.card.to_owned(),
                "付费".to_owned(),
                m.city.to_owned(),
                format!("{}分", m.csat),
                m.text.clone(),
            ])?;
        }
        let bytes = csv.into_inner()?;
        let mapping = ColumnMapping::parse(
            &[
                "text=您对鲜卡会员有什么意见和建议？",
                "external_id=序号",
                "occurred_at=提交答卷时间",
                "csat=满意度",
                "attr.membership=会员类型",
                "attr.plan=用户类型",
                "attr.city=城市",
            ]
            .map(str::to_owned),
        )
        .map_err(|e| invalid("CSV mapping", vec![e]))?;
        let offset = self
            .tz
            .offset_from_utc_datetime(&self.now.naive_utc())
            .fix();
        let report = parse_csv(&bytes, &mapping, IMPORT_SOURCE, offset, self.now)
            .map_err(|e| invalid("CSV file", vec![e]))?;
        anyhow::ensure!(
            report.rejected.is_empty(),
            "the demo's CSV rows are refused: {:?}",
            report.rejected
        );
        let items = self
            .pipeline
            .prepare(self.workspace_id, report.accepted)
            .await?;
        // Imported an hour after the last answer, as a team would after the survey closed.
        let imported = plan.members.iter().map(|m| m.at).max().unwrap_or(self.now);
        self.at(imported + Duration::hours(1))
            .ingest(self.workspace_id, &items)
            .await?;
        Ok(())
    }

    /// 微博 and 小红书 posts as a listening tool pushes them, a little after they were posted.
    async fn posts(&self, plan: &Plan) -> anyhow::Result<()> {
        for p in &plan.posts {
            let body = json!({"items": [{
                "platform": p.platform,
                "id": p.id,
                "author": p.author,
                "text": p.text,
                "published_at": p.at.to_rfc3339(),
            }]});
            let items = parse_mentions(&body, self.now, self.tz).map_err(|e| invalid("post", e))?;
            let items = self.pipeline.prepare(self.workspace_id, items).await?;
            self.at(p.at + Duration::minutes(25))
                .ingest(self.workspace_id, &items)
                .await?;
        }
        Ok(())
    }

    /// App Store reviews, each stored as the poller stores a review it read.
    async fn reviews(&self, plan: &Plan) -> anyhow::Result<()> {
        let src = self
            .find_or_create_source(
                APP_STORE_NAME,
                SourceKind::AppStore,
                SettingsChange {
                    app_id: Some("6450000001".into()),
                    country: Some("cn".into()),
                    // Nothing answers here: polling it by hand fetches nothing from anyone.
                    url: Some("http://127.0.0.1:9".into()),
                    ..SettingsChange::default()
                },
            )
            .await?;
        for r in &plan.reviews {
            let review = Review {
                key: r.key.clone(),
                author: Some(r.author.clone()),
                text: join_title(&r.title, &r.text),
                rating: Some(r.stars),
                updated_at: Some(r.at),
                attributes: Map::from_iter([
                    ("app_version".to_owned(), json!(r.app_version)),
                    ("platform".to_owned(), json!("iOS")),
                ]),
                context: Map::from_iter([("country".to_owned(), json!("cn"))]),
                raw: Map::from_iter([
                    ("title".to_owned(), json!(r.title)),
                    ("content".to_owned(), json!(r.text)),
                    ("rating".to_owned(), json!(r.stars)),
                    ("version".to_owned(), json!(r.app_version)),
                ]),
            };
            let (response, items) = to_stored(&src.id, &src.name, "app_store", &review, self.now);
            let items = self.pipeline.prepare(self.workspace_id, items).await?;
            self.at(r.at + Duration::hours(1))
                .ingest_responses(self.workspace_id, None, &[(response, items)])
                .await?;
        }
        Ok(())
    }

    /// An interview uploaded an hour after it ended, as `POST /api/v1/interviews` stores it.
    async fn interview(&self, i: &Interview) -> anyhow::Result<()> {
        let mut turns = interview::parse(TranscriptFormat::Text, i.transcript, &["主持人".into()])
            .map_err(|e| anyhow::anyhow!("the demo's interview {} is refused: {e}", i.title))?;
        let mut texts: Vec<&mut String> = turns.iter_mut().map(|t| &mut t.text).collect();
        self.pipeline.redact(self.workspace_id, &mut texts).await?;
        let id = interview_id(self.workspace_id, Some(i.external_id));
        let items = to_feedback(
            &id,
            i.title,
            &turns,
            Some(&i.respondent.id),
            &i.respondent.attributes,
            Start::Given(i.at),
        );
        let items = self.pipeline.prepare(self.workspace_id, items).await?;
        let new = NewInterview {
            id,
            title: i.title.to_owned(),
            format: "text".to_owned(),
            interviewee_id: Some(i.respondent.id.clone()),
            attributes: Value::Object(i.respondent.attributes.clone()),
            turns: json!(turns),
        };
        self.at(i.at + Duration::hours(2))
            .create_interview(self.workspace_id, new, &items)
            .await?;
        Ok(())
    }
}
