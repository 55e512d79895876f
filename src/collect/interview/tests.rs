//! Transcripts as meeting tools export them, and the hard cases.

use super::shared::*;
use super::transcript::parse;
use super::turn::Role::{Interviewer, Respondent};
use super::turn::TranscriptFormat::{Srt, Text, Vtt};
use super::turn::*;

fn parse_ok(format: TranscriptFormat, input: &str) -> Vec<Turn> {
    match parse(format, input, &[]) {
        Ok(turns) => turns,
        Err(e) => panic!("expected turns, got {e:?} for {input:?}"),
    }
}

fn who(turns: &[Turn]) -> Vec<(&str, Role)> {
    turns.iter().map(|t| (t.speaker.as_str(), t.role)).collect()
}

fn texts(turns: &[Turn]) -> Vec<&str> {
    turns.iter().map(|t| t.text.as_str()).collect()
}

fn times(turns: &[Turn]) -> Vec<(Option<u64>, Option<u64>)> {
    turns.iter().map(|t| (t.start_ms, t.end_ms)).collect()
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn malformed_line(result: Result<Vec<Turn>, TranscriptError>) -> usize {
    match result {
        Err(TranscriptError::Malformed { line, .. }) => line,
        other => panic!("expected Malformed, got {other:?}"),
    }
}

// --- format names and serde -------------------------------------------------

#[test]
fn format_names() {
    assert_eq!(TranscriptFormat::parse("text"), Some(Text));
    assert_eq!(TranscriptFormat::parse(" TXT "), Some(Text));
    assert_eq!(TranscriptFormat::parse("srt"), Some(Srt));
    assert_eq!(TranscriptFormat::parse("vtt"), Some(Vtt));
    assert_eq!(TranscriptFormat::parse("WebVTT"), Some(Vtt));
    assert_eq!(TranscriptFormat::parse("docx"), None);
    assert_eq!(TranscriptFormat::parse(""), None);
}

#[test]
fn serde_names_are_lowercase() {
    assert_eq!(
        serde_json::to_string(&Role::Interviewer).unwrap(),
        "\"interviewer\""
    );
    assert_eq!(serde_json::to_string(&Text).unwrap(), "\"text\"");
    assert_eq!(
        serde_json::from_str::<TranscriptFormat>("\"vtt\"").unwrap(),
        Vtt
    );
}

#[test]
fn clock_parsing() {
    assert_eq!(parse_clock("01:02:03,456"), Some(3_723_456));
    assert_eq!(parse_clock("00:01:23"), Some(83_000));
    assert_eq!(parse_clock("02:03.5"), Some(123_500));
    assert_eq!(parse_clock("1:23"), Some(83_000));
    assert_eq!(parse_clock("00:61"), None);
    assert_eq!(parse_clock("00:60:00"), None);
    assert_eq!(parse_clock("00:00:01.0000"), None);
    assert_eq!(parse_clock("00:00:01."), None);
}

// --- plain text labels ---------------------------------------------------------

#[test]
fn chinese_labels_with_continuation_lines() {
    let turns = parse_ok(
        Text,
        "访谈者：你平时怎么记账？\n用户：用手机App。\n主要是随手记。\n访谈者：为什么？\n用户：方便。",
    );
    assert_eq!(
        who(&turns),
        vec![
            ("访谈者", Interviewer),
            ("用户", Respondent),
            ("访谈者", Interviewer),
            ("用户", Respondent)
        ]
    );
    assert_eq!(
        texts(&turns),
        vec![
            "你平时怎么记账？",
            "用手机App。\n主要是随手记。",
            "为什么？",
            "方便。"
        ]
    );
    assert_eq!(
        turns.iter().map(|t| t.index).collect::<Vec<_>>(),
        vec![0, 1, 2, 3]
    );
    assert!(turns
        .iter()
        .all(|t| t.start_ms.is_none() && t.end_ms.is_none()));
}

#[test]
fn every_known_interviewer_label() {
    for label in [
        "访谈者",
        "采访者",
        "主持人",
        "研究员",
        "调研员",
        "面试官",
        "提问者",
        "记者",
        "问",
        "Q",
        "Interviewer",
        "MODERATOR",
        "host",
    ] {
        let turns = parse_ok(Text, &format!("{label}：你好吗？\n用户：很好。"));
        assert_eq!(
            who(&turns),
            vec![(label, Interviewer), ("用户", Respondent)],
            "{label}"
        );
    }
}

#[test]
fn every_known_respondent_label() {
    for label in [
        "用户",
        "受访者",
        "被访者",
        "客户",
        "访谈对象",
        "A",
        "答",
        "Interviewee",
        "respondent",
        "USER",
        "Customer",
    ] {
        let turns = parse_ok(Text, &format!("主持人: 你好吗？\n{label}: 很好。"));
        assert_eq!(
            who(&turns),
            vec![("主持人", Interviewer), (label, Respondent)],
            "{label}"
        );
        assert_eq!(turns[1].text, "很好。");
    }
}

#[test]
fn english_labels() {
    let turns = parse_ok(
        Text,
        "Interviewer: How do you pay?\nRespondent: By card, mostly.\nModerator: Why?\nuser: Habit.",
    );
    assert_eq!(
        who(&turns),
        vec![
            ("Interviewer", Interviewer),
            ("Respondent", Respondent),
            ("Moderator", Interviewer),
            ("user", Respondent)
        ]
    );
    assert_eq!(turns[1].text, "By card, mostly.");
}

#[test]
fn numbered_q_and_a() {
    let turns = parse_ok(
        Text,
        "Q1: What's hard?\nA1: Exporting data.\nQ2: Anything else?\nA2: No.",
    );
    assert_eq!(
        who(&turns),
        vec![
            ("Q1", Interviewer),
            ("A1", Respondent),
            ("Q2", Interviewer),
            ("A2", Respondent)
        ]
    );
    let chinese = parse_ok(Text, "问：你用过吗？\n答：用过。");
    assert_eq!(who(&chinese), vec![("问", Interviewer), ("答", Respondent)]);
}

#[test]
fn labels_with_suffixes() {
    let turns = parse_ok(
        Text,
        "主持人：请介绍一下。\n用户A：我是设计师。\n受访者1：我是学生。\n用户（张女士）：我是老师。\n\
         被访者-李先生：我是医生。\nUser B: I'm a nurse.\nRespondent (Li): Me too.",
    );
    assert_eq!(
        who(&turns),
        vec![
            ("主持人", Interviewer),
            ("用户A", Respondent),
            ("受访者1", Respondent),
            ("用户（张女士）", Respondent),
            ("被访者-李先生", Respondent),
            ("User B", Respondent),
            ("Respondent (Li)", Respondent),
        ]
    );
    assert_eq!(turns[5].text, "I'm a nurse.");
}

#[test]
fn crlf_bom_and_both_colons() {
    let turns = parse_ok(
        Text,
        "\u{feff}主持人: 你好？\r\n用户：你好。\r\n\r\n  主持人：再见\r用户: 拜拜  \r\n",
    );
    assert_eq!(
        who(&turns),
        vec![
            ("主持人", Interviewer),
            ("用户", Respondent),
            ("主持人", Interviewer),
            ("用户", Respondent)
        ]
    );
    assert_eq!(texts(&turns), vec!["你好？", "你好。", "再见", "拜拜"]);
}

#[test]
fn consecutive_turns_of_one_speaker_merge() {
    let turns = parse_ok(Text, "用户：第一句。\n用户：第二句。\n主持人：好？");
    assert_eq!(
        who(&turns),
        vec![("用户", Respondent), ("主持人", Interviewer)]
    );
    assert_eq!(turns[0].text, "第一句。\n第二句。");
    assert_eq!(turns[1].index, 1);
}

#[test]
fn markdown_bold_labels() {
    let turns = parse_ok(Text, "**主持人**：你好？\n**用户：**还行。");
    assert_eq!(
        who(&turns),
        vec![("主持人", Interviewer), ("用户", Respondent)]
    );
    assert_eq!(texts(&turns), vec!["你好？", "还行。"]);
}

#[test]
fn header_lines_before_first_label_are_skipped() {
    let turns = parse_ok(
        Text,
        "访谈记录\n会议主题：用户访谈\n会议时间：2024-05-01 10:00\n参会人：张三、李四\n\n主持人：你好？\n用户：你好。",
    );
    assert_eq!(
        who(&turns),
        vec![("主持人", Interviewer), ("用户", Respondent)]
    );
}

#[test]
fn clock_times_and_urls_in_text_are_not_labels() {
    let turns = parse_ok(
        Text,
        "主持人：几点开始？\n用户：我们约在\n10:30 开会\nhttps://example.com",
    );
    assert_eq!(turns.len(), 2);
    assert_eq!(turns[1].text, "我们约在\n10:30 开会\nhttps://example.com");
}

// --- meeting-tool exports --------------------------------------------------------

#[test]
fn feishu_style_header_lines() {
    let turns = parse_ok(
        Text,
        "张三  00:01:23\n你们平时怎么收集反馈？\n\n李四  00:01:30\n主要靠客服。\n也有问卷。",
    );
    assert_eq!(
        who(&turns),
        vec![("张三", Interviewer), ("李四", Respondent)]
    );
    assert_eq!(
        texts(&turns),
        vec!["你们平时怎么收集反馈？", "主要靠客服。\n也有问卷。"]
    );
    assert_eq!(
        times(&turns),
        vec![(Some(83_000), None), (Some(90_000), None)]
    );
}

#[test]
fn tencent_style_numbered_speakers() {
    let turns = parse_ok(
        Text,
        "说话人1 00:00:05\n你好，请问你是做什么的？\n说话人2 00:00:09\n我是产品经理。",
    );
    assert_eq!(
        who(&turns),
        vec![("说话人1", Interviewer), ("说话人2", Respondent)]
    );
    assert_eq!(
        times(&turns),
        vec![(Some(5_000), None), (Some(9_000), None)]
    );
}

#[test]
fn minutes_seconds_headers() {
    let turns = parse_ok(Text, "张三 01:05\n你好吗？\n李四 01:10\n很好。");
    assert_eq!(
        times(&turns),
        vec![(Some(65_000), None), (Some(70_000), None)]
    );
    assert_eq!(
        who(&turns),
        vec![("张三", Interviewer), ("李四", Respondent)]
    );
}

#[test]
fn name_with_parenthesised_time() {
    let turns = parse_ok(
        Text,
        "张三(00:01:23): 最近用得怎么样？\nLi Si(00:01:30.500): Pretty good.",
    );
    assert_eq!(
        who(&turns),
        vec![("张三", Interviewer), ("Li Si", Respondent)]
    );
    assert_eq!(texts(&turns), vec!["最近用得怎么样？", "Pretty good."]);
    assert_eq!(
        times(&turns),
        vec![(Some(83_000), None), (Some(90_500), None)]
    );

    let next_line = parse_ok(
        Text,
        "主持人（00:00:02）：\n你好？\n用户（00:00:04）：\n你好。",
    );
    assert_eq!(texts(&next_line), vec!["你好？", "你好。"]);
    assert_eq!(next_line[1].start_ms, Some(4_000));
}

#[test]
fn bracketed_timestamp_before_label() {
    let turns = parse_ok(
        Text,
        "[00:00:01] Interviewer: What do you use?\n[00:00:04,250] 王女士: 记事本。",
    );
    assert_eq!(
        who(&turns),
        vec![("Interviewer", Interviewer), ("王女士", Respondent)]
    );
    assert_eq!(
        times(&turns),
        vec![(Some(1_000), None), (Some(4_250), None)]
    );
    assert_eq!(turns[1].text, "记事本。");

    let plain = parse_ok(Text, "00:00:05 张三：你好吗？\n00:00:09 李四：挺好。");
    assert_eq!(
        times(&plain),
        vec![(Some(5_000), None), (Some(9_000), None)]
    );
    assert_eq!(
        who(&plain),
        vec![("张三", Interviewer), ("李四", Respondent)]
    );
}

#[test]
fn time_ranges_set_end_ms() {
    let turns = parse_ok(
        Text,
        "[00:00:01 - 00:00:04] 主持人: 你好？\n[00:00:04 - 00:00:09] 用户: 你好。",
    );
    assert_eq!(
        times(&turns),
        vec![(Some(1_000), Some(4_000)), (Some(4_000), Some(9_000))]
    );
}

// --- roles -------------------------------------------------------------------------

#[test]
fn questioner_is_interviewer() {
    let first = parse_ok(
        Text,
        "张三：你平时用什么工具？\n李四：Excel。\n张三：为什么不用别的？\n李四：习惯了。",
    );
    assert_eq!(
        who(&first)[..2],
        [("张三", Interviewer), ("李四", Respondent)]
    );

    let second = parse_ok(
        Text,
        "李四：我最近换了工具。\n张三：换成什么了？\n李四：Notion。\n张三：好用吗？",
    );
    assert_eq!(
        who(&second)[..2],
        [("李四", Respondent), ("张三", Interviewer)]
    );
}

#[test]
fn questions_are_counted_per_turn() {
    // Ann asks as many questions as Ben in total, but Ben asks in every turn.
    let turns = parse_ok(
        Text,
        "Ann: Is it ok? Really?\nBen: Why?\nAnn: Fine.\nBen: How?\nAnn: Good.",
    );
    assert_eq!(
        who(&turns)[..2],
        [("Ann", Respondent), ("Ben", Interviewer)]
    );
}

#[test]
fn question_tie_goes_to_first_speaker() {
    let turns = parse_ok(Text, "Alice: hello\nBob: hi");
    assert_eq!(
        who(&turns),
        vec![("Alice", Interviewer), ("Bob", Respondent)]
    );
}

#[test]
fn known_interviewer_label_makes_names_respondents() {
    let turns = parse_ok(
        Text,
        "主持人：你怎么看？\n张女士：我觉得不错，你呢？\n李先生：一般。",
    );
    assert_eq!(
        who(&turns),
        vec![
            ("主持人", Interviewer),
            ("张女士", Respondent),
            ("李先生", Respondent)
        ]
    );
}

#[test]
fn named_speaker_next_to_respondent_label_is_interviewer() {
    let turns = parse_ok(Text, "张三：你用过吗？\n用户：用过。");
    assert_eq!(
        who(&turns),
        vec![("张三", Interviewer), ("用户", Respondent)]
    );
}

#[test]
fn single_named_speaker_is_respondent() {
    let turns = parse_ok(Text, "张三：我觉得挺好用的？\n还有一点就是快。");
    assert_eq!(who(&turns), vec![("张三", Respondent)]);
    assert_eq!(turns[0].text, "我觉得挺好用的？\n还有一点就是快。");
}

#[test]
fn interviewer_names_override_heuristic() {
    let input = "王五：你好。\n赵六：请问你用过吗？";
    let guessed = parse_ok(Text, input);
    assert_eq!(
        who(&guessed),
        vec![("王五", Respondent), ("赵六", Interviewer)]
    );

    let named = parse(Text, input, &names(&["王五"])).unwrap();
    assert_eq!(
        who(&named),
        vec![("王五", Interviewer), ("赵六", Respondent)]
    );

    let english = parse(
        Text,
        "Alice: I use it daily.\nBob: Why? How?",
        &names(&[" alice "]),
    )
    .unwrap();
    assert_eq!(
        who(&english),
        vec![("Alice", Interviewer), ("Bob", Respondent)]
    );
}

// --- SRT -----------------------------------------------------------------------------

#[test]
fn srt_with_name_prefixes_and_merging() {
    let input = "1\n00:00:01,000 --> 00:00:04,000\n主持人：你好，最近怎么样？\n\n\
                 2\n00:00:04,500 --> 00:00:07,000\n用户：还行。\n\n\
                 3\n00:00:07,000 --> 00:00:09,000\n就是有点忙。\n";
    let turns = parse_ok(Srt, input);
    assert_eq!(
        who(&turns),
        vec![("主持人", Interviewer), ("用户", Respondent)]
    );
    assert_eq!(
        texts(&turns),
        vec!["你好，最近怎么样？", "还行。就是有点忙。"]
    );
    assert_eq!(
        times(&turns),
        vec![(Some(1_000), Some(4_000)), (Some(4_500), Some(9_000))]
    );
}

#[test]
fn srt_english_multiline_cue_with_tags() {
    let input =
        "1\n00:00:01,000 --> 00:00:03,000\nInterviewer: How do you\n<i>track expenses?</i>\n\n\
                 2\n01:00:03,500 --> 01:00:06,000\nSam: I use a spreadsheet\n";
    let turns = parse_ok(Srt, input);
    assert_eq!(
        who(&turns),
        vec![("Interviewer", Interviewer), ("Sam", Respondent)]
    );
    assert_eq!(
        texts(&turns),
        vec!["How do you track expenses?", "I use a spreadsheet"]
    );
    assert_eq!(turns[1].start_ms, Some(3_603_500));
}

#[test]
fn srt_without_speakers_is_one_respondent() {
    let input = "1\n00:00:01,000 --> 00:00:02,500\nI like it.\n\n2\n00:00:02,500 --> 00:00:04,000\nIt is fast.\n";
    let turns = parse_ok(Srt, input);
    assert_eq!(who(&turns), vec![("受访者", Respondent)]);
    assert_eq!(turns[0].text, "I like it. It is fast.");
    assert_eq!(times(&turns), vec![(Some(1_000), Some(4_000))]);
}

#[test]
fn srt_strips_ass_and_html_tags() {
    let input = "1\n00:00:01,000 --> 00:00:02,000\n{\\an8}<b>用户</b>：很好用\n";
    let turns = parse_ok(Srt, input);
    assert_eq!(who(&turns), vec![("用户", Respondent)]);
    assert_eq!(turns[0].text, "很好用");
}

#[test]
fn srt_with_crlf_and_bom() {
    let input = "\u{feff}1\r\n00:00:01,000 --> 00:00:02,000\r\nUser: hi\r\n\r\n2\r\n00:00:02,000 --> 00:00:03,000\r\nHost: ok?\r\n";
    let turns = parse_ok(Srt, input);
    assert_eq!(
        who(&turns),
        vec![("User", Respondent), ("Host", Interviewer)]
    );
}

#[test]
fn srt_bad_timing_reports_its_line() {
    let arrow =
        "1\n00:00:01,000 --> 00:00:04,000\nhello\n\n2\n00:00:05,000 -> 00:00:06,000\nworld\n";
    assert_eq!(malformed_line(parse(Srt, arrow, &[])), 6);

    let garbage = "1\n00:00:01,000 --> 00:00:04,000x\nhi\n";
    assert_eq!(malformed_line(parse(Srt, garbage, &[])), 2);

    let backwards = "1\n00:00:05,000 --> 00:00:01,000\nhi\n";
    assert_eq!(malformed_line(parse(Srt, backwards, &[])), 2);

    let missing = "1\nhello there\n";
    assert_eq!(malformed_line(parse(Srt, missing, &[])), 2);

    let crlf = "\u{feff}1\r\n00:00:01,000 --> 00:00:02,000\r\nhi\r\n\r\n2\r\n00:00:03,000 --> 00:00:0x,000\r\nthere\r\n";
    assert_eq!(malformed_line(parse(Srt, crlf, &[])), 6);

    let text_first = "hello\n\n1\n00:00:01,000 --> 00:00:02,000\nhi\n";
    assert_eq!(malformed_line(parse(Srt, text_first, &[])), 1);
}

// --- WebVTT ----------------------------------------------------------------------------

#[test]
fn vtt_voice_tags_metadata_and_entities() {
    let input = "WEBVTT - 用户访谈\nKind: captions\nLanguage: zh\n\n\
                 NOTE 这是注释\n第二行\n\n\
                 STYLE\n::cue { color: white }\n\n\
                 intro\n00:00.000 --> 00:02.000 align:start position:10%\n<v.loud 主持人>你们怎么收集反馈？</v>\n\n\
                 00:02.500 --> 00:04.000\n<v 王女士>主要靠<c.yellow>微信群</c>。</v>\n\n\
                 00:04.000 --> 00:05.000\n<00:00:04.100><i>还有问卷。</i>\n\n\
                 00:05.000 --> 00:07.000\n<v 主持人>Tom &amp; Jerry&nbsp;呢？\n";
    let turns = parse_ok(Vtt, input);
    assert_eq!(
        who(&turns),
        vec![
            ("主持人", Interviewer),
            ("王女士", Respondent),
            ("主持人", Interviewer)
        ]
    );
    assert_eq!(
        texts(&turns),
        vec![
            "你们怎么收集反馈？",
            "主要靠微信群。还有问卷。",
            "Tom & Jerry 呢？"
        ]
    );
    assert_eq!(
        times(&turns),
        vec![
            (Some(0), Some(2_000)),
            (Some(2_500), Some(5_000)),
            (Some(5_000), Some(7_000))
        ]
    );
}

#[test]
fn vtt_name_prefixes_zoom_style() {
    let input =
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nAlice: How often do you export reports?\n\n\
                 2\n00:00:03.000 --> 00:00:05.000\nBob: Every week.\n\n\
                 3\n00:00:05.000 --> 00:00:06.000\nUsually on Monday.\n\n\
                 4\n00:01:00.000 --> 00:01:02.000\nAlice: Why Monday?\n";
    let turns = parse_ok(Vtt, input);
    assert_eq!(
        who(&turns),
        vec![
            ("Alice", Interviewer),
            ("Bob", Respondent),
            ("Alice", Interviewer)
        ]
    );
    assert_eq!(turns[1].text, "Every week. Usually on Monday.");
    assert_eq!(
        times(&turns)[1..],
        [(Some(3_000), Some(6_000)), (Some(60_000), Some(62_000))]
    );
}

#[test]
fn vtt_full_width_prefix_and_cjk_merge() {
    let input = "WEBVTT\n\n00:01.000 --> 00:03.000\n主持人：最近用得怎么样？\n\n\
                 00:03.000 --> 00:05.000\n张女士：还不错，\n\n00:05.000 --> 00:06.000\n就是有点慢。\n";
    let turns = parse_ok(Vtt, input);
    assert_eq!(
        who(&turns),
        vec![("主持人", Interviewer), ("张女士", Respondent)]
    );
    assert_eq!(turns[1].text, "还不错，就是有点慢。");
    assert_eq!(times(&turns)[1], (Some(3_000), Some(6_000)));
}

#[test]
fn vtt_two_voices_in_one_cue() {
    let input = "WEBVTT\n\n00:00.000 --> 00:02.000\n<v Ann>Do you like it?</v> <v Ben>Yes.</v>\n";
    let turns = parse_ok(Vtt, input);
    assert_eq!(who(&turns), vec![("Ann", Interviewer), ("Ben", Respondent)]);
    assert_eq!(texts(&turns), vec!["Do you like it?", "Yes."]);
    assert_eq!(
        times(&turns),
        vec![(Some(0), Some(2_000)), (Some(0), Some(2_000))]
    );
}

#[test]
fn vtt_without_speakers_is_one_respondent() {
    let input = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n我很喜欢\n\n00:00:02.000 --> 00:00:03.000\n这个功能\n";
    let turns = parse_ok(Vtt, input);
    assert_eq!(who(&turns), vec![("受访者", Respondent)]);
    assert_eq!(turns[0].text, "我很喜欢这个功能");
    assert_eq!(times(&turns), vec![(Some(1_000), Some(3_000))]);
}

#[test]
fn vtt_leading_unnamed_cues_join_first_named_speaker() {
    let input = "WEBVTT\n\n00:01.000 --> 00:02.000\nhello\n\n00:02.000 --> 00:03.000\nBob: more\n";
    let turns = parse_ok(Vtt, input);
    assert_eq!(who(&turns), vec![("Bob", Respondent)]);
    assert_eq!(turns[0].text, "hello more");
}

#[test]
fn vtt_lenient_header_handling() {
    let no_blank = parse_ok(Vtt, "WEBVTT\n00:00:01.000 --> 00:00:02.000\n客户：挺好的");
    assert_eq!(who(&no_blank), vec![("客户", Respondent)]);
    let no_header = parse_ok(Vtt, "00:00:01.000 --> 00:00:02.000\nUser: hi");
    assert_eq!(who(&no_header), vec![("User", Respondent)]);
}

#[test]
fn vtt_bad_timing_reports_its_line() {
    let input = "WEBVTT\n\nid1\n00:00:01.000 --> 00:00:0x.000\ntext\n";
    assert_eq!(malformed_line(parse(Vtt, input, &[])), 4);
}

// --- errors ------------------------------------------------------------------------------

#[test]
fn empty_inputs() {
    for format in [Text, Srt, Vtt] {
        for input in ["", "   \n\t \r\n", "\u{feff}", "\u{feff}\r\n"] {
            assert_eq!(
                parse(format, input, &[]),
                Err(TranscriptError::Empty),
                "{input:?}"
            );
        }
    }
    assert_eq!(
        parse(Text, "用户：\n主持人：", &[]),
        Err(TranscriptError::Empty)
    );
    assert_eq!(parse(Vtt, "WEBVTT\n", &[]), Err(TranscriptError::Empty));
}

#[test]
fn text_without_any_label_is_malformed() {
    assert_eq!(
        malformed_line(parse(Text, "随便写点东西\n没有标签", &[])),
        1
    );
    assert_eq!(malformed_line(parse(Text, "\n\n随便写点东西", &[])), 3);
    assert_eq!(malformed_line(parse(Text, "：", &[])), 1);
    assert_eq!(malformed_line(parse(Text, "00:01:23", &[])), 1);
}

#[test]
fn no_respondent() {
    assert_eq!(
        parse(Text, "主持人：你好？\n访谈者：在吗？", &[]),
        Err(TranscriptError::NoRespondent)
    );
    assert_eq!(
        parse(Text, "Q: anyone?", &[]),
        Err(TranscriptError::NoRespondent)
    );
    assert_eq!(
        parse(Text, "张三：有人吗？", &names(&["张三"])),
        Err(TranscriptError::NoRespondent)
    );
    let vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Host>Anyone there?\n";
    assert_eq!(parse(Vtt, vtt, &[]), Err(TranscriptError::NoRespondent));
}

#[test]
fn error_messages() {
    assert_eq!(malformed(3, "bad").to_string(), "line 3: bad");
    assert_eq!(
        TranscriptError::Empty.to_string(),
        "the transcript is empty"
    );
}

#[test]
fn odd_inputs_never_panic() {
    let long = "中文：".repeat(500);
    let odd = [
        "：",
        ":",
        "：：：",
        "00:01:23",
        "[00:00:01]",
        "-->",
        "1\n-->\n",
        "WEBVTT\n\n-->",
        "WEBVTT\n\nNOTE",
        "\u{feff}\r\r\n",
        "😀😀：🙂",
        "用户：😀",
        "e\u{301}\u{301}：x",
        "<v ",
        "<v A",
        "1\n00:00:01,000 --> 00:00:02,000\n<v",
        "1\n00:00:01,000 --> 00:00:02,000\n<v 😀>：",
        "&amp",
        "1\n00:00:01,000 --> 00:00:02,000\n&#xFFFFFFF; &#55296; &#0;",
        "[",
        "【】：",
        "（00:01）：",
        "张三(99:99:99)：",
        "张三 999:99",
        "\u{0}",
        "用户：你好\r\r\r",
        "Q:\u{3000}",
        "9999999999999:00:00,000 --> 9999999999999:00:01,000",
        "1\n99:00:00,000 --> 999:59:59,999\nx",
        long.as_str(),
    ];
    for input in odd {
        for format in [Text, Srt, Vtt] {
            let _ = parse(format, input, &[]);
            let _ = parse(format, input, &names(&["", "：", "😀"]));
        }
    }
    assert_eq!(malformed_line(parse(Srt, "00:01:23", &[])), 1);
    assert_eq!(malformed_line(parse(Vtt, "WEBVTT\n\n-->", &[])), 3);
}

#[test]
fn cues_out_of_order_merge_into_a_turn_that_spans_them() {
    let srt = "1\n00:00:09,000 --> 00:00:10,000\n用户：后来\n\n2\n00:00:01,000 --> 00:00:02,000\n用户：先前\n";
    let turns = parse_ok(Srt, srt);
    assert_eq!(times(&turns), vec![(Some(1_000), Some(10_000))]);
}
