//! The digest's renderers, read as a person and a hostile sender would.

use super::html::*;
use super::markdown::*;
use super::shared::*;
use super::subject::*;
use super::text::*;
use super::Recipient;
use crate::domain::text::clip;
use crate::domain::Frequency;
use crate::tell::digest::*;
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
        source_name: None,
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
        .map(|(i, v)| ChartPoint {
            period: format!("2026-W{}", 38 + i),
            value: Some(*v),
            n: 120,
            low: None,
            high: None,
        })
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
        drivers: Some(sample_drivers()),
        segments: sample_segments(),
        channels: vec![
            ChannelLine {
                channel: "应用商店".into(),
                name: "应用商店".into(),
                count: 520,
                previous_count: 480,
                sentiment: Some(-8.4),
                sentiment_n: 500,
                nps: Some(21.0),
                nps_n: 120,
            },
            ChannelLine {
                channel: "小程序客服".into(),
                name: "小程序客服".into(),
                count: 410,
                previous_count: 390,
                sentiment: Some(5.0),
                sentiment_n: 400,
                nps: None,
                nps_n: 0,
            },
            ChannelLine {
                channel: "问卷".into(),
                name: "问卷".into(),
                count: 304,
                previous_count: 230,
                sentiment: Some(22.0),
                sentiment_n: 300,
                nps: Some(35.0),
                nps_n: 12,
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

/// Payment: 86 of 312 NPS responses, 23 points below the other 226 (interval 15 to 31), so
/// the impact is 86/312 of that: −6.34 (−8.54 to −4.13).
fn sample_drivers() -> DriverSection {
    let w = 86.0 / 312.0;
    DriverSection {
        metric: Metric::Nps,
        n: 312,
        items: vec![DriverLine {
            driver: Driver {
                id: "payment".into(),
                name: "支付失败".into(),
                emerging: false,
                n_with: 86,
                value_with: 17.0,
                value_without: 40.0,
                impact: -23.0 * w,
                low: -31.0 * w,
                high: -15.0 * w,
                significant: true,
            },
            url: "https://tingjian.example.com/console/w/ws_qingning/inbox?pain_point=payment"
                .into(),
        }],
    }
}

fn sample_segments() -> Vec<OutlierLine> {
    let line = |attr: &str, value: &str, id: &str, name: &str, items, count, rest_share, lift| {
        OutlierLine {
            outlier: Outlier {
                attr: attr.into(),
                value: value.into(),
                id: id.into(),
                name: name.into(),
                items,
                count,
                share: count as f64 / items as f64,
                rest_share,
                lift,
            },
            url: format!(
                "https://tingjian.example.com/console/w/ws_qingning/inbox?attr.{attr}={value}&pain_point={id}"
            ),
        }
    };
    vec![
        line(
            "app_version",
            "3.2",
            "crash",
            "闪退",
            200,
            80,
            0.1,
            Some(4.0),
        ),
        line("channel", "review", "ads", "广告", 40, 12, 0.0, None),
    ]
}

fn hostile() -> Digest {
    let mut d = sample();
    d.pain_points[0].name = "<b>x</b>".into();
    d.pain_points[0].quotes[0].text = "<script>alert(1)</script>".into();
    d.pain_points[1].quotes[0].text = "[点我](http://evil)\n# 标题".into();
    d.pain_points[1].keywords = vec!["*粗体*".into(), "`代码`".into()];
    d.new_complaints[1].name = "_斜体_ #话题".into();
    d.workspace_name = "A&B \"店\"".into();
    d.segments[0].outlier.value = "<img src=x>[点我](http://evil)".into();
    if let Some(s) = d.drivers.as_mut() {
        s.items[0].driver.name = "<i>支付</i>".into();
    }
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
    let to = Recipient {
        unsubscribe_url: "https://tingjian.example.com/unsubscribe?t=a&b",
        frequency: Frequency::Weekly,
    };
    let h = html(&hostile(), Some(&to));
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
    let to = Recipient {
        unsubscribe_url: "https://x.example/u",
        frequency: Frequency::Weekly,
    };
    assert!(html(&sample(), Some(&to)).contains("href=\"https://x.example/u\""));
}

#[test]
fn text_lines_have_no_html_and_quotes_stay_on_one_line() {
    let to = Recipient {
        unsubscribe_url: "https://tingjian.example.com/unsubscribe?t=1",
        frequency: Frequency::Weekly,
    };
    let t = text(&sample(), Some(&to));
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
    let to = Recipient {
        unsubscribe_url: "https://tingjian.example.com/unsubscribe?t=abc",
        frequency: Frequency::Weekly,
    };
    let unsub = Some(&to);
    std::fs::write(format!("{dir}/sample.html"), html(&d, unsub)).expect("write html");
    std::fs::write(format!("{dir}/sample.txt"), text(&d, unsub)).expect("write text");
    std::fs::write(format!("{dir}/sample.md"), markdown(&d)).expect("write md");
    std::fs::write(format!("{dir}/hostile.html"), html(&hostile(), unsub)).expect("write hostile");
}

#[test]
fn a_rate_from_too_few_answers_shows_its_count_and_no_rate_change_or_arrow() {
    let mut d = sample();
    // CSAT 0% from 3 answers against 100% before: no alarm.
    d.headline[1] = headline(Metric::Csat, 0.0, 100.0, true, 3);
    let t = text(&d, None);
    assert!(
        t.contains("CSAT：样本少（仅 3 份评分，不足 30 不计算比率）"),
        "{t}"
    );
    let h = html(&d, None);
    let m = markdown(&d);
    for out in [&t, &h, &m] {
        assert!(
            !out.contains("CSAT 0%") && !out.contains("CSAT：0%"),
            "{out}"
        );
        assert!(!out.contains("100个百分点"), "{out}");
    }
    assert!(!subject(&d).contains("CSAT"));
    assert!(
        markdown(&d).contains("CSAT **样本少**（仅 3 份评分）"),
        "{}",
        markdown(&d)
    );
    // A chart of small samples only is summarised without comparing them.
    d.charts[0].points.iter_mut().for_each(|p| p.n = 4);
    assert!(
        text(&d, None).contains("NPS 近10周：每期样本不足 30，不作比较"),
        "{}",
        text(&d, None)
    );
    // NPS itself from too few: the subject falls back to the sentiment index.
    d.headline[0] = headline(Metric::Nps, -100.0, 100.0, true, 2);
    assert!(subject(&d).contains("情感指数"), "{}", subject(&d));
    assert!(!text(&d, None).contains("-100"), "{}", text(&d, None));
}

#[test]
fn the_arrow_note_appears_only_with_an_arrow() {
    let d = insignificant(sample());
    assert!(!text(&d, None).contains(NOTE_PLAIN));
    assert!(!markdown(&d).contains(NOTE_PLAIN));
    assert!(!html(&d, None).contains(NOTE_HTML));
    let d = sample();
    assert!(html(&d, None).contains(NOTE_HTML));
    assert!(markdown(&d).contains(NOTE_PLAIN));
}

#[test]
fn new_means_never_seen_before_and_nothing_else() {
    let mut d = sample();
    // Nothing last week, but seen before that: not new, and its count says so.
    d.pain_points[1].previous_count = 0;
    d.pain_points[1].change = None;
    d.pain_points[1].is_new = false;
    let t = text(&d, None);
    assert!(
        t.contains("2. 客服响应慢：54 条 · 占负面 19% · 上期 0 条"),
        "{t}"
    );
    // A change from a handful of items is given as counts, not as a percentage.
    d.pain_points[5].count = 4;
    d.pain_points[5].previous_count = 2;
    d.pain_points[5].change = Some(1.0);
    assert!(!text(&d, None).contains("+100%"), "{}", text(&d, None));
}

#[test]
fn the_footer_names_what_the_reader_subscribed_to() {
    let weekly = Recipient {
        unsubscribe_url: "https://x.example/u",
        frequency: Frequency::Weekly,
    };
    let t = text(&sample(), Some(&weekly));
    assert!(
        t.contains("您收到这封邮件，是因为订阅了「青柠生活 App」的听见周报。"),
        "{t}"
    );
    let mut day = sample();
    day.period = "2026-11-16".into();
    day.period_label = "2026年11月16日".into();
    let t = text(&day, Some(&weekly));
    assert!(!t.contains("订阅了「青柠生活 App」的听见日报"), "{t}");
    assert!(t.contains("您订阅的是「青柠生活 App」的听见周报"), "{t}");
    assert!(!t.contains("你"), "one register: {t}");
}

#[test]
fn sources_are_named_in_chinese() {
    let mut d = sample();
    d.pain_points[0].channels = vec![("social".into(), 40), ("import".into(), 46)];
    d.pain_points[0].quotes[0].channel = "social".into();
    d.pain_points[0].quotes[0].source_name = Some("小红书".into());
    d.pain_points[0].quotes[1].channel = "import".into();
    d.channels[0].channel = "social".into();
    d.channels[0].name = "社交媒体".into();
    let t = text(&d, None);
    assert!(t.contains("来源：社交媒体 40、文件导入 46"), "{t}");
    assert!(t.contains("—— 小红书"), "{t}");
    assert!(t.contains("—— 文件导入"), "{t}");
    assert!(t.contains("社交媒体：520 条"), "{t}");
    // 问卷's NPS rests on 12 answers: its count is shown, the rate is not.
    assert!(
        t.contains("问卷：304 条（上期 230） · 情感指数 22\n"),
        "{t}"
    );
    for word in ["social", "import"] {
        assert!(!t.contains(word), "{word}: {t}");
    }
}

#[test]
fn why_sections_read_as_plain_chinese_with_interval_sample_and_link() {
    let d = sample();
    let text = text(&d, None);
    assert!(
        text.contains(
            "【什么在拉低满意度】\n按本周 312 份 NPS 评分计算；只列出在统计上显著的痛点。\n\
             1. 提到「支付失败」的 86 位受访者，NPS 比其余受访者低 23 分（95% 区间 15 到 31 分），\
             把整体 NPS 拉低约 6 分。\n   查看：https://tingjian.example.com/console/w/ws_qingning/inbox?pain_point=payment"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "1. 版本为 3.2 的用户反馈中，提到「闪退」的比例是其他用户的 4.0 倍：200 条中有 80 条（40%），其他用户为 10%。"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "2. 应用商店评价渠道的反馈中有 12 条提到「广告」（40 条中的 30%），其他渠道没有。"
        ),
        "{text}"
    );
    // After the pain points, before the channels, in every format.
    let order = |s: &str| {
        let at = |t: &str| s.find(t).unwrap_or_else(|| panic!("{t} missing: {s}"));
        assert!(at(TITLE_NEW) < at(TITLE_DRIVERS));
        assert!(at(TITLE_DRIVERS) < at(TITLE_SEGMENTS));
        assert!(at(TITLE_SEGMENTS) < at(TITLE_CHANNELS));
    };
    order(&text);
    let markdown = markdown(&d);
    order(&markdown);
    assert!(markdown.contains("（95% 区间 15 到 31 分）"), "{markdown}");
    assert!(markdown.contains(
        "[查看相关反馈](https://tingjian.example.com/console/w/ws_qingning/inbox?attr.app_version=3.2&pain_point=crash)"
    ), "{markdown}");
    let mail = html(&d, None);
    order(&mail);
    assert!(mail.contains("把整体 NPS 拉低约 6 分。"));
    assert!(mail.contains(
        "href=\"https://tingjian.example.com/console/w/ws_qingning/inbox?attr.app_version=3.2&amp;pain_point=crash\""
    ), "{mail}");

    // Nothing significant: neither section, and no empty heading or gap left behind.
    let mut quiet = sample();
    quiet.drivers = None;
    quiet.segments.clear();
    for shown in [text_of(&quiet), markdown_of(&quiet), html(&quiet, None)] {
        assert!(!shown.contains(TITLE_DRIVERS) && !shown.contains(TITLE_SEGMENTS));
        assert!(!shown.contains("\n\n\n"));
    }
}

fn text_of(d: &Digest) -> String {
    text(d, None)
}

fn markdown_of(d: &Digest) -> String {
    markdown(d)
}

#[test]
fn driver_sentences_for_other_metrics_and_small_gaps() {
    let mut s = sample_drivers();
    // Sentiment: feedback, not respondents.
    s.metric = Metric::Sentiment;
    assert_eq!(
        driver_sentence(&s, &s.items[0].driver),
        "提到「支付失败」的 86 份反馈，情感指数比其余反馈低 23 分（95% 区间 15 到 31 分），把整体情感指数拉低约 6 分。"
    );
    // A near end under half a point keeps a decimal rather than read "0 到".
    let w = 86.0 / 312.0;
    s.metric = Metric::Csat;
    let d = &mut s.items[0].driver;
    d.high = -0.3 * w;
    d.low = -9.0 * w;
    d.value_with = 35.4;
    d.value_without = 40.0;
    d.impact = -4.6 * w;
    assert_eq!(
        driver_sentence(&s, &s.items[0].driver),
        "提到「支付失败」的 86 位受访者，CSAT 比其余受访者低 4.6 个百分点（95% 区间 0.3 到 9.0 个百分点），把整体 CSAT 拉低约 1.3 个百分点。"
    );
}

#[test]
fn chinese_and_latin_are_spaced_where_they_meet() {
    assert_eq!(cjk(&["版本为", "3.2", "的用户"]), "版本为 3.2 的用户");
    assert_eq!(cjk(&["套餐为", "付费", "的用户"]), "套餐为付费的用户");
    assert_eq!(cjk(&["，", "NPS", "比"]), "，NPS 比");
    assert_eq!(
        segment_who("platform", "Android").group,
        "平台为 Android 的用户"
    );
    assert_eq!(
        segment_who("tenant_tier", "金").group,
        "tenant_tier 为金的用户"
    );
    assert_eq!(segment_who("channel", "social").group, "社交媒体渠道的");
}
