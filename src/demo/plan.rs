//! When and with what each written text happens: a seeded generator dates the texts over the
//! eight weeks before `now` (in the workspace's zone) and gives them scores, respondents and
//! attributes, so the demo tells the same story every time. NPS falls week by week; 支付失败
//! rises over the last three weeks; crashes gather on Android 3.2.0 and 3.2.1.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

use super::texts::{self, Line, Mood};

/// Weeks of feedback, ending now.
pub const WEEKS: i64 = 8;

/// Score-only survey responses per week: people who answered the NPS question and skipped
/// the text, as most respondents do.
const SCORE_ONLY_PER_WEEK: usize = 14;

/// App versions and how many days before now each was released.
const RELEASES: [(&str, i64); 4] = [("3.1.4", 400), ("3.2.0", 35), ("3.2.1", 20), ("3.3.0", 6)];

/// How likely an item falls in each week (oldest first), by topic.
fn week_weights(topic: &str) -> [f64; WEEKS as usize] {
    match topic {
        // The rising complaint: a new payment channel three weeks ago.
        "payment" => [0.2, 0.2, 0.25, 0.25, 0.3, 1.2, 2.2, 3.4],
        // Crashes came with 3.2.0 (five weeks ago) and were fixed in 3.3.0 (last week).
        "crash" => [0.0, 0.0, 0.0, 2.0, 2.2, 2.0, 1.4, 0.4],
        _ => [1.0; WEEKS as usize],
    }
}

/// How many of `n` items fall in each week: the weights' shares, rounded so that they add
/// up to `n` (largest remainders first; equal remainders in the order of `ties`, a
/// shuffled list of the weeks, so that a topic of one or two lines is not always early).
fn quotas(n: usize, weights: &[f64; WEEKS as usize], ties: &[usize]) -> [usize; WEEKS as usize] {
    let total: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| w / total * n as f64).collect();
    let mut out = [0; WEEKS as usize];
    for (o, e) in out.iter_mut().zip(&exact) {
        *o = e.floor() as usize;
    }
    let mut by_remainder = ties.to_vec();
    // A stable sort: equal remainders keep the order of `ties`.
    by_remainder.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra)
    });
    let missing = n - out.iter().sum::<usize>();
    for &i in by_remainder.iter().take(missing) {
        out[i] += 1;
    }
    out
}

/// Local hours people write at, and how often.
const HOURS: [(u32, u32); 19] = [
    (7, 2),
    (8, 4),
    (9, 3),
    (10, 3),
    (11, 4),
    (12, 5),
    (13, 4),
    (14, 3),
    (15, 3),
    (16, 3),
    (17, 4),
    (18, 6),
    (19, 7),
    (20, 7),
    (21, 6),
    (22, 5),
    (23, 3),
    (0, 1),
    (1, 1),
];

const CITIES: [&str; 9] = [
    "上海", "上海", "上海", "杭州", "杭州", "南京", "苏州", "北京", "深圳",
];

/// Who answered, where, on what: the attributes segments are made of.
#[derive(Debug, Clone)]
pub struct Respondent {
    pub id: String,
    pub attributes: Map<String, Value>,
}

/// A response to the hosted survey; `reason` is its text answer, if any.
#[derive(Debug, Clone)]
pub struct SurveyAnswer {
    pub at: DateTime<Utc>,
    pub respondent: Respondent,
    pub nps: i16,
    pub csat: Option<i16>,
    pub ces: Option<i16>,
    pub reason: Option<String>,
}

/// A support ticket pushed by the help desk's webhook.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub at: DateTime<Utc>,
    pub id: String,
    pub respondent: Respondent,
    pub csat: Option<i16>,
    pub text: String,
}

/// A row of the member survey's CSV export.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub at: DateTime<Utc>,
    pub number: usize,
    pub card: &'static str,
    pub city: &'static str,
    pub csat: i16,
    pub text: String,
}

/// A 微博 or 小红书 post.
#[derive(Debug, Clone)]
pub struct Post {
    pub at: DateTime<Utc>,
    pub id: String,
    pub platform: String,
    pub author: String,
    pub text: String,
}

/// An App Store review.
#[derive(Debug, Clone)]
pub struct StoreReview {
    pub at: DateTime<Utc>,
    pub key: String,
    pub author: String,
    pub stars: i16,
    pub title: String,
    pub text: String,
    pub app_version: &'static str,
}

/// An interview and its transcript.
#[derive(Debug, Clone)]
pub struct Interview {
    pub at: DateTime<Utc>,
    pub external_id: &'static str,
    pub title: &'static str,
    pub transcript: &'static str,
    pub respondent: Respondent,
}

/// Everything the demo stores, each list oldest first.
#[derive(Debug, Clone)]
pub struct Plan {
    pub survey: Vec<SurveyAnswer>,
    pub tickets: Vec<Ticket>,
    pub members: Vec<MemberRow>,
    pub posts: Vec<Post>,
    pub reviews: Vec<StoreReview>,
    pub interviews: Vec<Interview>,
}

impl Plan {
    /// The plan for a demo made at `now` in `tz`; the same for the same `now`.
    pub fn new(now: DateTime<Utc>, tz: Tz) -> Self {
        let mut g = Generator {
            rng: StdRng::seed_from_u64(20_261_206),
            now,
            tz,
            hours: WeightedIndex::new(HOURS.iter().map(|h| h.1))
                .expect("the hour weights are positive"),
            respondents: Vec::new(),
        };
        g.respondents = (0..240)
            .map(|_| format!("u-{}", g.rng.gen_range(10_000..100_000)))
            .collect();
        let mut plan = Plan {
            survey: g.survey(),
            tickets: g.tickets(),
            members: g.members(),
            posts: g.posts(),
            reviews: g.reviews(),
            interviews: g.interviews(),
        };
        plan.survey.sort_by_key(|s| s.at);
        plan.tickets.sort_by_key(|t| t.at);
        for (i, t) in plan.tickets.iter_mut().enumerate() {
            t.id = format!("T{}", 230_511 + i * 7);
        }
        plan.members.sort_by_key(|m| m.at);
        for (i, m) in plan.members.iter_mut().enumerate() {
            m.number = i + 1;
        }
        plan.posts.sort_by_key(|p| p.at);
        plan.reviews.sort_by_key(|r| r.at);
        plan
    }

    /// When the demo begins: the start of its first week.
    pub fn start(now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::weeks(WEEKS)
    }
}

struct Generator {
    rng: StdRng,
    now: DateTime<Utc>,
    tz: Tz,
    hours: WeightedIndex<u32>,
    respondents: Vec<String>,
}

/// A moment and how many whole days before now it is.
struct When {
    at: DateTime<Utc>,
    days_back: i64,
}

impl Generator {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p.clamp(0.0, 1.0))
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.rng.gen_range(0..from.len())]
    }

    /// A moment in week `week` (0 the oldest, 7 the last seven days), at a local hour people
    /// write at, never in the future.
    fn in_week(&mut self, week: usize) -> When {
        let days_back = (WEEKS - 1 - week as i64) * 7 + self.rng.gen_range(0..7);
        self.on_day(days_back, None)
    }

    fn on_day(&mut self, days_back: i64, hour: Option<u32>) -> When {
        let hour = hour.unwrap_or_else(|| HOURS[self.hours.sample(&mut self.rng)].0);
        let time =
            NaiveTime::from_hms_opt(hour, self.rng.gen_range(0..60), self.rng.gen_range(0..60))
                .unwrap_or_default();
        let today = self.now.with_timezone(&self.tz).date_naive();
        let day = today - Duration::days(days_back);
        let local = day.and_time(time);
        let mut at = self
            .tz
            .from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| local.and_utc());
        if at >= self.now {
            at = self.now - Duration::minutes(self.rng.gen_range(3..120));
        }
        When {
            at,
            days_back: (self.now - at).num_days(),
        }
    }

    /// The week of each line: each topic's lines shared out over the weeks by its weights
    /// (largest remainders), in a shuffled order, so every week gets its share of each topic
    /// and the weeks differ by the story rather than by chance.
    fn weeks(&mut self, lines: &[Line]) -> Vec<usize> {
        let mut out = vec![0; lines.len()];
        let mut topics: Vec<&str> = lines.iter().map(|l| l.topic.as_str()).collect();
        topics.sort_unstable();
        topics.dedup();
        for topic in topics {
            let of_topic: Vec<usize> = (0..lines.len())
                .filter(|&i| lines[i].topic == topic)
                .collect();
            let mut ties: Vec<usize> = (0..WEEKS as usize).collect();
            ties.shuffle(&mut self.rng);
            let mut slots: Vec<usize> = quotas(of_topic.len(), &week_weights(topic), &ties)
                .iter()
                .enumerate()
                .flat_map(|(week, &n)| std::iter::repeat_n(week, n))
                .collect();
            slots.shuffle(&mut self.rng);
            for (i, week) in of_topic.into_iter().zip(slots) {
                out[i] = week;
            }
        }
        out
    }

    /// The app version someone runs `days_back` days ago: mostly the newest released, a
    /// quarter of people one behind. Crashes on Android happen on 3.2.x.
    fn version(&mut self, days_back: i64, android_crash: bool) -> &'static str {
        let released: Vec<&'static str> = RELEASES
            .iter()
            .filter(|(_, d)| *d > days_back)
            .map(|(v, _)| *v)
            .collect();
        let newest = released.len() - 1;
        let mut v = if newest > 0 && self.chance(0.25) {
            released[newest - 1]
        } else {
            released[newest]
        };
        if android_crash && !v.starts_with("3.2") {
            v = if days_back < 20 { "3.2.1" } else { "3.2.0" };
        }
        v
    }

    fn respondent(&mut self, topic: &str, when: &When, paid: f64) -> Respondent {
        let id = self.respondents[self.rng.gen_range(0..self.respondents.len())].clone();
        let crash = topic == "crash";
        let android = self.chance(if crash { 0.85 } else { 0.55 });
        let version = self.version(when.days_back, crash && android);
        let plan = if self.chance(paid) {
            "付费"
        } else {
            "免费"
        };
        let city = self.pick(&CITIES);
        let attributes = Map::from_iter([
            (
                "platform".to_owned(),
                json!(if android { "Android" } else { "iOS" }),
            ),
            ("app_version".to_owned(), json!(version)),
            ("plan".to_owned(), json!(plan)),
            ("city".to_owned(), json!(city)),
        ]);
        Respondent { id, attributes }
    }

    fn nps(&mut self, mood: Mood) -> i16 {
        match mood {
            Mood::Pos if self.chance(0.15) => 8,
            Mood::Pos => self.pick(&[9, 10, 10]),
            Mood::Neu if self.chance(0.25) => 6,
            Mood::Neu => self.pick(&[7, 8]),
            Mood::Mixed => self.pick(&[5, 6, 7, 7, 8]),
            Mood::Neg => self.pick(&[0, 1, 2, 3, 3, 4, 4, 5, 5, 6]),
        }
    }

    fn csat(&mut self, mood: Mood) -> i16 {
        match mood {
            Mood::Pos => self.pick(&[4, 5, 5]),
            Mood::Neu => self.pick(&[3, 4]),
            Mood::Mixed => self.pick(&[2, 3, 3, 4]),
            Mood::Neg => self.pick(&[1, 1, 2]),
        }
    }

    /// Customer effort, 7 = very easy: a payment that failed was hard work.
    fn ces(&mut self, mood: Mood, topic: &str) -> i16 {
        match mood {
            Mood::Pos => self.pick(&[6, 7, 7]),
            Mood::Neu => self.pick(&[5, 6]),
            Mood::Mixed => self.pick(&[3, 4, 5]),
            Mood::Neg if topic == "payment" => self.pick(&[1, 1, 2]),
            Mood::Neg => self.pick(&[2, 3, 4]),
        }
    }

    fn survey(&mut self) -> Vec<SurveyAnswer> {
        let mut out = Vec::new();
        let lines = texts::lines(texts::SURVEY);
        let weeks = self.weeks(&lines);
        for (line, week) in lines.into_iter().zip(weeks) {
            let when = self.in_week(week);
            let respondent = self.respondent(&line.topic, &when, 0.3);
            let nps = self.nps(line.mood);
            let csat = self.chance(0.7).then(|| self.csat(line.mood));
            let ces = self.chance(0.55).then(|| self.ces(line.mood, &line.topic));
            out.push(SurveyAnswer {
                at: when.at,
                respondent,
                nps,
                csat,
                ces,
                reason: Some(line.text),
            });
        }
        // Those who gave a score only: more detractors and fewer promoters each week.
        for week in 0..WEEKS as usize {
            let w = week as f64;
            let n = SCORE_ONLY_PER_WEEK as f64;
            let promoters = (n * (0.68 - 0.03 * w)).round() as usize;
            let detractors = (n * (0.08 + 0.035 * w)).round() as usize;
            let mut moods: Vec<Mood> = (0..SCORE_ONLY_PER_WEEK)
                .map(|i| {
                    if i < promoters {
                        Mood::Pos
                    } else if i < promoters + detractors {
                        Mood::Neg
                    } else {
                        Mood::Neu
                    }
                })
                .collect();
            moods.shuffle(&mut self.rng);
            for mood in moods {
                let when = self.in_week(week);
                let topic = if mood == Mood::Neg && week >= 5 {
                    "payment"
                } else {
                    "none"
                };
                let respondent = self.respondent(topic, &when, 0.3);
                let nps = match mood {
                    Mood::Neu => self.pick(&[7, 8]),
                    m => self.nps(m),
                };
                let csat = self.chance(0.5).then(|| self.csat(mood));
                let ces = self.chance(0.4).then(|| self.ces(mood, topic));
                out.push(SurveyAnswer {
                    at: when.at,
                    respondent,
                    nps,
                    csat,
                    ces,
                    reason: None,
                });
            }
        }
        out
    }

    fn tickets(&mut self) -> Vec<Ticket> {
        let lines = texts::lines(texts::TICKETS);
        let weeks = self.weeks(&lines);
        lines
            .into_iter()
            .zip(weeks)
            .map(|(line, week)| {
                let when = self.in_week(week);
                let respondent = self.respondent(&line.topic, &when, 0.35);
                let csat = self.chance(0.5).then(|| self.csat(line.mood));
                Ticket {
                    at: when.at,
                    id: String::new(),
                    respondent,
                    csat,
                    text: line.text,
                }
            })
            .collect()
    }

    fn members(&mut self) -> Vec<MemberRow> {
        let lines = texts::lines(texts::MEMBERS);
        let weeks = self.weeks(&lines);
        lines
            .into_iter()
            .zip(weeks)
            .map(|(line, week)| {
                let when = self.in_week(week);
                let card = if self.chance(0.3) { "年卡" } else { "月卡" };
                let city = self.pick(&CITIES);
                MemberRow {
                    at: when.at,
                    number: 0,
                    card,
                    city,
                    csat: self.csat(line.mood),
                    text: line.text,
                }
            })
            .collect()
    }

    fn posts(&mut self) -> Vec<Post> {
        let lines = texts::lines(texts::SOCIAL);
        let weeks = self.weeks(&lines);
        lines
            .into_iter()
            .zip(weeks)
            .map(|(line, week)| {
                let when = self.in_week(week);
                let platform = line.platform.unwrap_or_default();
                let id = if platform == "weibo" {
                    format!("49{:014}", self.rng.gen_range(0..100_000_000_000_000u64))
                } else {
                    format!("{:024x}", self.rng.gen::<u128>() >> 32)
                };
                Post {
                    at: when.at,
                    id,
                    platform,
                    author: line.author.unwrap_or_default(),
                    text: line.text,
                }
            })
            .collect()
    }

    fn reviews(&mut self) -> Vec<StoreReview> {
        let lines = texts::lines(texts::REVIEWS);
        let weeks = self.weeks(&lines);
        lines
            .into_iter()
            .zip(weeks)
            .map(|(line, week)| {
                let when = self.in_week(week);
                let app_version = self.version(when.days_back, false);
                StoreReview {
                    at: when.at,
                    key: format!(
                        "cn:{}",
                        self.rng.gen_range(10_000_000_000u64..99_999_999_999)
                    ),
                    author: line.author.unwrap_or_default(),
                    stars: line.stars.unwrap_or(3),
                    title: line.title.unwrap_or_default(),
                    text: line.text,
                    app_version,
                }
            })
            .collect()
    }

    fn interviews(&mut self) -> Vec<Interview> {
        let member = self.on_day(33, Some(14));
        let mut member_respondent = self.respondent("none", &member, 1.0);
        member_respondent
            .attributes
            .insert("platform".into(), json!("iOS"));
        let payment = self.on_day(9, Some(19));
        let payment_respondent = self.respondent("payment", &payment, 0.0);
        vec![
            Interview {
                at: member.at,
                external_id: "demo-interview-member",
                title: "付费会员访谈 · 王女士",
                transcript: texts::INTERVIEW_MEMBER,
                respondent: member_respondent,
            },
            Interview {
                at: payment.at,
                external_id: "demo-interview-payment",
                title: "支付失败用户回访 · 陈先生",
                transcript: texts::INTERVIEW_PAYMENT,
                respondent: payment_respondent,
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-06T14:21:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn weekly<T>(
        items: &[T],
        at: impl Fn(&T) -> DateTime<Utc>,
        keep: impl Fn(&T) -> bool,
    ) -> Vec<usize> {
        let mut out = vec![0; WEEKS as usize];
        for i in items.iter().filter(|i| keep(i)) {
            let back = (now() - at(i)).num_days();
            out[(WEEKS - 1 - back / 7) as usize] += 1;
        }
        out
    }

    #[test]
    fn quotas_add_up_and_follow_the_weights() {
        let ties: Vec<usize> = (0..WEEKS as usize).rev().collect();
        assert_eq!(quotas(1, &[1.0; 8], &ties), [0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(quotas(20, &[1.0; 8], &ties).iter().sum::<usize>(), 20);
        let rising = quotas(20, &week_weights("payment"), &ties);
        assert_eq!(rising.iter().sum::<usize>(), 20);
        assert!(rising[7] > rising[4] && rising[4] <= 1, "{rising:?}");
    }

    #[test]
    fn the_same_moment_makes_the_same_plan() {
        let (a, b) = (
            Plan::new(now(), Tz::Asia__Shanghai),
            Plan::new(now(), Tz::Asia__Shanghai),
        );
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }

    #[test]
    fn everything_happens_in_the_eight_weeks_before_now() {
        let plan = Plan::new(now(), Tz::Asia__Shanghai);
        let times = plan
            .survey
            .iter()
            .map(|s| s.at)
            .chain(plan.tickets.iter().map(|t| t.at))
            .chain(plan.members.iter().map(|m| m.at))
            .chain(plan.posts.iter().map(|p| p.at))
            .chain(plan.reviews.iter().map(|r| r.at))
            .chain(plan.interviews.iter().map(|i| i.at));
        for t in times {
            assert!(t < now() && t >= Plan::start(now()), "{t}");
        }
        let written = plan.survey.iter().filter(|s| s.reason.is_some()).count()
            + plan.tickets.len()
            + plan.members.len()
            + plan.posts.len()
            + plan.reviews.len();
        // The two interviews add their interviewees' turns (13).
        assert!((300..=500).contains(&(written + 13)), "{written}");
    }

    #[test]
    fn nps_falls_and_payment_rises() {
        let plan = Plan::new(now(), Tz::Asia__Shanghai);
        let score = |week: usize| {
            let (mut p, mut d, mut n) = (0.0, 0.0, 0.0);
            for s in &plan.survey {
                let back = (now() - s.at).num_days();
                if (WEEKS - 1 - back / 7) as usize == week {
                    n += 1.0;
                    p += f64::from(u8::from(s.nps >= 9));
                    d += f64::from(u8::from(s.nps <= 6));
                }
            }
            100.0 * (p - d) / n
        };
        let first = (score(0) + score(1) + score(2)) / 3.0;
        let last = (score(5) + score(6) + score(7)) / 3.0;
        assert!(first - last > 25.0, "NPS {first:.0} → {last:.0}");
        let payment = |s: &String| s.contains("支付") || s.contains("付款") || s.contains("扣");
        let survey = weekly(
            &plan.survey,
            |s| s.at,
            |s| s.reason.as_ref().is_some_and(payment),
        );
        let early: usize = survey[..5].iter().sum();
        let late: usize = survey[5..].iter().sum();
        assert!(late > 2 * early, "{survey:?}");
    }

    /// What the trends API shows: NPS by calendar week in the workspace's zone, whatever
    /// the weekday and hour the demo was made at.
    #[test]
    fn nps_falls_by_calendar_week_on_any_day() {
        use chrono::Datelike;
        let tz = Tz::Asia__Shanghai;
        for hours in (0..7 * 24).step_by(5) {
            let now = now() + Duration::hours(hours);
            let plan = Plan::new(now, tz);
            let mut weeks: std::collections::BTreeMap<(i32, u32), (f64, f64, f64)> =
                Default::default();
            for s in &plan.survey {
                let week = s.at.with_timezone(&tz).iso_week();
                let e = weeks.entry((week.year(), week.week())).or_default();
                e.0 += 1.0;
                e.1 += f64::from(u8::from(s.nps >= 9));
                e.2 += f64::from(u8::from(s.nps <= 6));
            }
            let nps: Vec<f64> = weeks
                .values()
                .filter(|(n, _, _)| *n >= 10.0)
                .map(|(n, p, d)| 100.0 * (p - d) / n)
                .collect();
            assert!(nps.len() >= 7, "{nps:?}");
            let first = nps[..3].iter().sum::<f64>() / 3.0;
            let last = nps[nps.len() - 3..].iter().sum::<f64>() / 3.0;
            assert!(first - last >= 25.0, "made at {now}: {nps:?}");
        }
    }

    #[test]
    fn crashes_gather_on_android_3_2() {
        let plan = Plan::new(now(), Tz::Asia__Shanghai);
        let crashes: Vec<_> = plan
            .survey
            .iter()
            .filter(|s| {
                s.reason
                    .as_deref()
                    .is_some_and(|r| r.contains("闪退") || r.contains("崩"))
            })
            .collect();
        let on_android_32 = crashes
            .iter()
            .filter(|s| {
                let a = &s.respondent.attributes;
                a["platform"] == "Android" && a["app_version"].as_str().unwrap().starts_with("3.2")
            })
            .count();
        assert!(
            on_android_32 * 10 >= crashes.len() * 7,
            "{on_android_32} of {}",
            crashes.len()
        );
    }
}
