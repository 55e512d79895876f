//! Golden samples: each line is a behaviour the engine must keep (see docs/analysis.md).

use super::*;

fn analyzer() -> &'static Analyzer {
    static A: once_cell::sync::Lazy<Analyzer> = once_cell::sync::Lazy::new(Analyzer::new);
    &A
}

fn label(text: &str) -> Label {
    analyzer().analyze(text).sentiment.label
}

fn pains(text: &str) -> Vec<String> {
    analyzer().analyze(text).pain_points
}

fn assert_labels(cases: &[(&str, Label)]) {
    for (text, want) in cases {
        assert_eq!(label(text), *want, "{text}");
    }
}

#[test]
fn sentiment_rules() {
    assert_labels(&[
        ("太好用了，强烈推荐", Label::Positive),
        ("打开就闪退，垃圾软件", Label::Negative),
        ("并不难用", Label::Positive),
        ("一点也不差", Label::Positive),
        ("虽然便宜，但是质量太差", Label::Negative),
        ("挺好用的，就是有点卡", Label::Mixed),
        ("真是\"太好用\"了，三天闪退五次", Label::Negative),
        ("希望增加夜间模式", Label::Neutral),
        ("会员怎么退款？", Label::Neutral),
        ("界面好看，物流太慢", Label::Mixed),
        ("以前老闪退，现在修好了", Label::Positive),
        ("yyds！", Label::Positive),
        ("拉胯😡", Label::Negative),
    ]);
}

/// Plain, direct feedback (none of it in the training data): the trained last stage must
/// not talk the rules out of what a reader sees at once.
#[test]
fn plain_sentences() {
    assert_labels(&[
        ("太卡了", Label::Negative),
        ("垃圾软件", Label::Negative),
        ("很好用", Label::Positive),
        ("物流很快，包装很好", Label::Positive),
        ("客服态度很差，物流也慢", Label::Negative),
        ("界面好看，但是老闪退", Label::Mixed),
        ("希望增加夜间模式", Label::Neutral),
        ("怎么退款？", Label::Neutral),
        ("一点也不卡", Label::Positive),
        ("不好用", Label::Negative),
        ("电池续航差到离谱", Label::Negative),
        ("手表电池续航太差了", Label::Negative),
        ("这个电池续航真差，失望", Label::Negative),
        ("并不难用", Label::Positive),
        ("广告太多了，烦死了", Label::Negative),
        ("挺好的，推荐", Label::Positive),
        ("老是闪退，什么破app", Label::Negative),
        ("东西不错，就是物流有点慢", Label::Mixed),
        ("虽然贵了点，但是质量很好", Label::Positive),
        ("界面好看，物流太慢。", Label::Mixed),
        ("真是\"太好用\"了，三天闪退五次", Label::Negative),
        ("以前老闪退，现在好了", Label::Positive),
        ("打开就闪退", Label::Negative),
        ("手机没电了", Label::Neutral),
        ("还行吧", Label::Neutral),
        ("客服很耐心，问题很快解决了", Label::Positive),
        ("登录不上，验证码一直收不到", Label::Negative),
        ("会员太贵了", Label::Negative),
        ("相机拍照效果很棒", Label::Positive),
        ("耳机音质很差", Label::Negative),
        ("外卖送得很快，还是热的", Label::Positive),
        ("加载太慢了", Label::Negative),
        ("yyds", Label::Positive),
        ("拉胯", Label::Negative),
        ("我一般晚上用", Label::Neutral),
    ]);
}

/// Praise, then a complaint after a plain "but", is mixed when both carry weight
/// (labeling.md); a conceded, faint, past or courteous praise, a complaint that comes first,
/// or a "but" that only asks for something, leaves the label to the clause after it.
#[test]
fn praise_then_complaint_is_mixed() {
    assert_labels(&[
        ("挺好的，就是有点贵", Label::Mixed),
        ("视频画质很清晰，但是缓冲太久", Label::Mixed),
        ("司机师傅都挺好的，就是app定位老是飘", Label::Mixed),
        ("画面很好，可惜剧情太拖沓了", Label::Mixed),
        ("优点：续航长，屏幕大。缺点：太重，充电慢。", Label::Mixed),
        ("虽然便宜，但是质量太差", Label::Negative),
        ("贵了点，但是质量很好", Label::Positive),
        ("一开始有点难上手，不过用习惯了真香", Label::Positive),
        ("协作还行，但是同步老出错，内容都丢了", Label::Negative),
        ("好的，谢谢，辛苦了，不过我的退款还没到账", Label::Negative),
        ("一开始觉得还挺方便的，但是现在越来越卡了", Label::Negative),
    ]);
    assert_ne!(label("挺好用的，就是希望加个夜间模式"), Label::Mixed);
    // The score keeps the side the text leans to; the pain point is still reported.
    let a = analyzer().analyze("好用是好用，就是太贵");
    assert_eq!(a.sentiment.label, Label::Mixed);
    assert_eq!(a.pain_points, ["price"]);
}

/// Words a workspace learned from its corrections move its texts (through the rules' sums,
/// which the last stage reads), and only its texts.
#[test]
fn workspace_weights_move_the_label() {
    let text = "小蓝喵又更新了一版";
    let plain = analyzer().analyze(text).sentiment;
    assert_eq!(plain.label, Label::Neutral, "{plain:?}");
    for (weight, want) in [(2.5, Label::Positive), (-2.5, Label::Negative)] {
        let ctx = WorkspaceContext {
            weights: [("小蓝喵".to_owned(), weight)].into_iter().collect(),
            ..Default::default()
        };
        let dictionary = UserDictionary::new(vec!["小蓝喵".to_owned()]);
        let ctx = WorkspaceContext {
            dictionary: Some(dictionary),
            ..ctx
        };
        assert_eq!(analyzer().analyze_with(text, &ctx).sentiment.label, want);
    }
}

#[test]
fn pain_points_and_aspects() {
    assert_eq!(pains("打开就闪退"), ["crash"]);
    assert_eq!(pains("物流太慢了"), ["delivery"]);
    assert_eq!(pains("客服态度很差"), ["customer_service"]);
    assert!(pains("客服很耐心，点赞").is_empty());
    assert!(pains("一点都不卡").is_empty());
    assert_eq!(pains("希望增加夜间模式"), ["feature_request"]);
    assert_eq!(pains("验证码一直收不到，登录不上"), ["login"]);
    // Defects told without the word (no reaction, lost data, a dropped connection).
    assert_eq!(pains("点击提交作业没有任何反应"), ["bug"]);
    assert_eq!(pains("存档丢了，练了三个月的号回到一级"), ["bug"]);
    assert_eq!(pains("耳机音质不错，蓝牙连接老断开"), ["bug"]);
    assert_eq!(pains("网关三天两头掉线"), ["bug"]);
    // A display that contradicts a payment is the payment's problem.
    assert_eq!(pains("钱扣了订单却显示未支付"), ["payment"]);
    // 隔壁 next door is a place, not a competitor: the delivery problem counts.
    assert_eq!(pains("快递又送到隔壁楼了"), ["delivery"]);
    let a = analyzer().analyze("客服态度很差，物流也慢");
    assert!(
        a.aspects
            .iter()
            .any(|x| x.aspect == "客服" && x.opinion.contains('差')),
        "{:?}",
        a.aspects
    );
    assert!(
        a.aspects
            .iter()
            .any(|x| x.aspect == "物流" && x.opinion.contains('慢')),
        "{:?}",
        a.aspects
    );
}

#[test]
fn keywords_skip_stop_words() {
    let a = analyzer().analyze("就是感觉这个app的夜间模式太刺眼了，夜间模式能不能调暗一点");
    // The thing with the complaint said of it (see keywords_join_a_thing_and_its_complaint).
    assert_eq!(a.keywords[0].word, "夜间模式刺眼");
    assert!(a
        .keywords
        .iter()
        .all(|k| k.word != "就是" && k.word != "感觉" && k.word != "app"));
}

#[test]
fn batch_keeps_order() {
    let texts: Vec<String> = (0..200).map(|i| format!("第{i}次闪退")).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let out = analyzer().analyze_batch(&refs, &WorkspaceContext::default());
    assert_eq!(out.len(), 200);
    assert!(out[150].normalized.contains("150"));
}

fn keywords(text: &str) -> Vec<String> {
    analyzer()
        .analyze(text)
        .keywords
        .into_iter()
        .map(|k| k.word)
        .collect()
}

/// Keywords a person would pick: no numerals, measure words or time spans, no fragments
/// jieba's HMM glued together, no exclamations.
#[test]
fn keywords_are_words_a_person_would_pick() {
    for (text, never) in [
        ("真是\"太好用\"了，三天闪退五次", &["三天", "五次"][..]),
        (
            "转了半个小时的圈，四五十秒才出来",
            &["半个", "半个小时", "四五十"],
        ),
        ("吓死我了，才付完款订单就消失了", &["吓死", "才付"]),
        ("关都关不掉的弹窗广告", &["关都"]),
        ("明明写着次日达，结果等了两个多月", &["明明", "两个多月"]),
        ("第一次用，每天打开十几次", &["第一次", "每天", "十几次"]),
    ] {
        let got = keywords(text);
        for w in never {
            assert!(!got.iter().any(|k| k == w), "{text}: {got:?}");
        }
    }
    // The people around the writer, verdicts and verbs of whether it can be done.
    for (text, never) in [
        (
            "页面字太小了，我爸妈根本看不清菜名",
            &["爸妈", "爸妈看不清"][..],
        ),
        ("孩子的学习平板护眼模式没什么用", &["孩子"]),
        ("洗面奶用完脸特别干，敏感肌慎入", &["慎入"]),
        ("面部解锁戴口罩就认不出来", &["认不出来"]),
        ("景区门票在线买了还要排队换票", &["在线"]),
    ] {
        let got = keywords(text);
        for w in never {
            assert!(!got.iter().any(|k| k == w), "{text}: {got:?}");
        }
    }
    assert!(keywords("打开就闪退，三天闪退五次").contains(&"闪退".to_owned()));
    assert!(keywords("关都关不掉的弹窗广告")
        .iter()
        .any(|k| k.contains("弹窗")));
}

#[test]
fn numerals_and_measures() {
    for w in [
        "三天",
        "五次",
        "半个",
        "四五十",
        "第一次",
        "两个多月",
        "30分钟",
        "十几次",
        "一下",
    ] {
        assert!(keywords::numeral(w), "{w}");
    }
    for w in ["数据", "分数", "人数", "双十一", "三星", "次日达", "一加"] {
        assert!(!keywords::numeral(w), "{w}");
    }
}

/// A thing with the complaint said of it is one keyword.
#[test]
fn keywords_join_a_thing_and_its_complaint() {
    assert_eq!(keywords("加载太慢了")[0], "加载慢");
    assert_eq!(keywords("验证码一直收不到")[0], "验证码收不到");
    assert_eq!(keywords("退款也太慢了吧")[0], "退款慢");
    // A denied complaint is no complaint, and a named problem stays alone.
    assert!(!keywords("加载一点都不慢").iter().any(|k| k == "加载慢"));
    let crash = keywords("打开就闪退");
    assert!(crash.contains(&"闪退".to_owned()) && !crash.iter().any(|k| k == "打开闪退"));
}

/// The workspace's brand is in every text: it never outweighs what the text is about.
#[test]
fn the_brand_does_not_dominate() {
    let text = "喵购的客服态度很差，喵购的物流也慢";
    let dictionary = UserDictionary::new(vec!["喵购".to_owned()]);
    let ctx = WorkspaceContext {
        dictionary: Some(dictionary.clone()),
        ..Default::default()
    };
    let plain = analyzer().analyze_with(text, &ctx).keywords;
    assert_eq!(plain[0].word, "喵购", "{plain:?}");
    let ctx = WorkspaceContext {
        dictionary: Some(dictionary),
        brands: vec!["喵购".to_owned()],
        ..Default::default()
    };
    let branded = analyzer().analyze_with(text, &ctx).keywords;
    assert_ne!(branded[0].word, "喵购", "{branded:?}");
}

/// Japanese and Korean are recognised and not read as Chinese: no sentiment (`unknown`), no
/// pain points, aspects or keywords from the Chinese lexicons, the text not simplified.
#[test]
fn japanese_and_korean_are_not_read_as_chinese() {
    for (text, language) in [
        (
            "最悪です。アプリが起動しません。返金してください",
            Language::Ja,
        ),
        (
            "星1つ。配送が遅すぎて、サポートの対応も最悪でした",
            Language::Ja,
        ),
        ("앱이 계속 꺼져요. 환불해 주세요", Language::Ko),
        ("배송이 너무 느려요 최악입니다", Language::Ko),
    ] {
        let a = analyzer().analyze(text);
        assert_eq!(a.language, language, "{text}");
        assert_eq!(a.sentiment.label, Label::Unknown, "{text}");
        assert_eq!(a.sentiment.score, 0.0);
        assert!(a.pain_points.is_empty() && a.aspects.is_empty() && a.keywords.is_empty());
        assert_eq!(a.normalized, text.to_lowercase(), "{text}");
    }
    // English keeps working, and Chinese with English as before.
    let en = analyzer().analyze("The app keeps crashing, terrible update");
    assert_eq!(en.language, Language::En);
    assert_ne!(en.sentiment.label, Label::Unknown);
    assert_eq!(label("这个app太卡了，bug很多"), Label::Negative);
    let stray = analyzer().analyze("我の天，这个app太好用了");
    assert_eq!(stray.language, Language::Zh);
    assert_eq!(stray.sentiment.label, Label::Positive);
}
