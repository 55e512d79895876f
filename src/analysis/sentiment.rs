//! Sentiment: clause by clause, word weights from the hand-written lexicon (and, for words it
//! lacks, the trained model) adjusted by negation and degree words; then rules where rules
//! beat data: contrast (the clause after 但是 decides, a 虽然 clause is conceded), "then vs
//! now" (以前…现在…), questions and feature requests as neutral, sarcasm cues, and clauses of
//! both polarities without a contrast as mixed.

use rustc_hash::FxHashMap as HashMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::lexicon::{cue, Cues, Lexicon};
use super::words::{Contrast, Negation, WordInfo};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    Positive,
    Negative,
    Neutral,
    Mixed,
    /// A language the engine does not read (Japanese, Korean): no sentiment was judged. Never
    /// one of the labels a person gives (a correction cannot set it), never counted as
    /// neutral.
    #[serde(skip_deserializing)]
    Unknown,
}

impl Label {
    pub const ALL: [Label; 4] = [
        Label::Positive,
        Label::Negative,
        Label::Neutral,
        Label::Mixed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Label::Positive => "positive",
            Label::Negative => "negative",
            Label::Neutral => "neutral",
            Label::Mixed => "mixed",
            Label::Unknown => "unknown",
        }
    }

    /// A label as a filter names it: one of the four, or `unknown`.
    pub fn parse_filter(s: &str) -> Option<Self> {
        Label::parse(s).or((s == "unknown").then_some(Label::Unknown))
    }

    pub fn parse(s: &str) -> Option<Self> {
        Label::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sentiment {
    pub label: Label,
    /// From −1 (very negative) to 1 (very positive).
    pub score: f32,
    /// How sure the engine is of the label, 0 to 1.
    pub confidence: f32,
}

/// The tunable part: how much the trained word weights count, and the label thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Scale of the trained model's weights for words the lexicon lacks.
    pub model_scale: f32,
    pub positive_at: f32,
    pub negative_at: f32,
    /// Both polarities at least this strong (and no contrast) make a text mixed.
    pub mixed_at: f32,
    /// How much likelier than any other label the last stage must find `mixed` to say it.
    pub mixed_margin: f32,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            model_scale: 0.35,
            positive_at: 0.6,
            negative_at: 0.5,
            mixed_at: 0.9,
            mixed_margin: 0.0,
        }
    }
}

/// What the rules saw in a text, for the trained last stage to weigh (`stack.rs`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence {
    /// The weighted sum over clauses, after contrast and sarcasm.
    pub total: f32,
    pub pos_mass: f32,
    pub neg_mass: f32,
    /// The strongest clause of praise and of complaint.
    pub praised: f32,
    pub blamed: f32,
    /// The clauses after the last contrast marker (0 without one).
    pub decisive: f32,
    pub first: f32,
    pub last: f32,
    /// How much the named problems (pain-point triggers) weighed as complaints.
    pub complaint: f32,
    pub clauses: usize,
    pub questions: usize,
    pub sarcastic: bool,
    pub contrast: bool,
    pub request: bool,
    pub inquiry: bool,
    pub resolved: bool,
    pub not_ours: bool,
    pub acknowledgement: bool,
    /// Praise before a plain "but" (挺好的，就是有点贵): its strongest clause, 0 when there
    /// is none or it does not count (conceded, past, courtesy, a consolation, sarcasm).
    pub praise_before_but: f32,
    /// The writer says the text weighs both ways (喜忧参半, 优点…缺点).
    pub declared_mixed: bool,
    /// The label the rules alone give (before `Evidence::overrule`: the last stage was
    /// trained on it).
    pub rule: Label,
}

impl Evidence {
    /// The label reported: praise then a complaint after a plain "but" (挺好的，就是有点贵)
    /// is mixed whoever decided, when both carry weight (labeling.md). The complaint carries
    /// weight when the rules find it clear, or when the decided label says the text
    /// complains and the rules find nothing good after the "but". A text whose writer says
    /// it weighs both ways (喜忧参半) is mixed unless it was found neutral. The score is
    /// kept.
    pub fn overrule(&self, decided: Sentiment) -> Sentiment {
        let praise = self.praise_before_but;
        let complaint = -self.decisive;
        let carries = praise >= PRAISE_CARRIES
            && (complaint >= COMPLAINT_CARRIES
                || (decided.label == Label::Negative && complaint >= 0.0));
        if self.declared_mixed && matches!(decided.label, Label::Positive | Label::Negative) {
            return Sentiment {
                label: Label::Mixed,
                ..decided
            };
        }
        if !carries || decided.label == Label::Mixed {
            return decided;
        }
        let complaint = complaint.max(COMPLAINT_CARRIES);
        Sentiment {
            label: Label::Mixed,
            score: decided.score,
            confidence: (praise.min(complaint) / praise.max(complaint)).clamp(0.3, 1.0),
        }
    }
}

/// Scale of the word weights a workspace learned from its own corrections.
const WORKSPACE_SCALE: f32 = 0.35;

/// Words of a consolation: a small good thing said after a complaint (不过床还是蛮干净的,
/// 位置倒是不错, 价格还算公道).
const CONSOLATIONS: [&str; 9] = [
    "还是蛮",
    "还是挺",
    "还算",
    "倒是",
    "倒还",
    "也还行",
    "也还可以",
    "总算",
    "好歹",
];

/// How strong the complaint before a consolation must be (its clauses' sum) to keep the label.
const CONSOLED_AT: f32 = 1.0;

/// The markers of a plain "but" that bring a complaint after praise (挺好的，就是有点贵):
/// not those of a story that turned out badly (结果, 没想到: the praise was an expectation)
/// nor of a redeeming point (好在, 至少).
const PLAIN_BUTS: [&str; 22] = [
    "但是",
    "但",
    "可是",
    "可",
    "不过",
    "然而",
    "只是",
    "只不过",
    "就是",
    "却",
    "但却",
    "却是",
    "可惜",
    "只可惜",
    "遗憾的是",
    "美中不足的是",
    "美中不足",
    "唯一的缺点是",
    "唯一的缺点",
    "唯一不足的是",
    "唯一不足",
    "缺点是",
];

/// How strong the praise before a plain "but" must be (its strongest clause), and the
/// complaint after it (its clauses' sum), for both to carry weight: 还行 and 还可以 (0.5) are
/// faint praise, 挺好的 and 还不错 are not.
const PRAISE_CARRIES: f32 = 0.9;
const COMPLAINT_CARRIES: f32 = 0.5;

/// Courtesy, thanks and agreement with someone else (谢谢, 辛苦了, 答主说得对): kind words,
/// but not praise of the product or service.
const COURTESIES: [&str; 12] = [
    "谢谢",
    "辛苦",
    "麻烦你",
    "麻烦您",
    "说得对",
    "说的对",
    "说得好",
    "说的好",
    "说得没错",
    "说的没错",
    "说的都对",
    "说得都对",
];

/// Words learned from data: the shipped model, or a workspace's corrections on top of it.
pub trait WordWeights {
    fn weight(&self, word: &str) -> Option<f32>;
}

impl WordWeights for HashMap<String, f32> {
    fn weight(&self, word: &str) -> Option<f32> {
        self.get(word).copied()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    None,
    /// The clause opens with 但是/不过…: it carries the label.
    After,
    /// The clause is conceded (虽然/尽管…).
    Concessive,
    /// The clause talks about the past (以前/原来…).
    Past,
}

/// A clause as other stages see it: its bytes in the text, its tokens, its weighted score,
/// and whether it speaks of a past that a later clause says is over (以前老闪退，现在好了).
#[derive(Debug, Clone)]
pub struct ClauseView {
    pub span: Range<usize>,
    pub tokens: Range<usize>,
    /// The clause's weight in the whole (a conceded clause counts less).
    pub score: f32,
    /// The clause on its own, before contrast weighting.
    pub raw: f32,
    pub past: bool,
    /// It says a problem is over (修好了) or is about someone else's product (隔壁那家…).
    pub resolved: bool,
    pub not_ours: bool,
}

#[derive(Debug, Clone)]
struct Clause {
    tokens: Range<usize>,
    marker: Marker,
    score: f32,
    raw: f32,
    question: bool,
    span: Range<usize>,
    resolved: bool,
    not_ours: bool,
    /// Opened by a plain "but" (`PLAIN_BUTS`).
    but: bool,
}

/// Openings of a polite inquiry or report.
const POLITE_OPENINGS: [&str; 9] = [
    "请问",
    "想问",
    "问一下",
    "请教",
    "反馈一下",
    "反馈个",
    "咨询",
    "你好,请问",
    "您好,请问",
];

/// The longest acknowledgement, in bytes: a longer clause is compared with none of them.
const ACKNOWLEDGEMENT_BYTES: usize = longest(&ACKNOWLEDGEMENTS);

const fn longest(list: &[&str]) -> usize {
    let (mut i, mut most) = (0, 0);
    while i < list.len() {
        if list[i].len() > most {
            most = list[i].len();
        }
        i += 1;
    }
    most
}

/// Replies that acknowledge and evaluate nothing (客服对话里的 好的/嗯嗯/知道了).
const ACKNOWLEDGEMENTS: [&str; 14] = [
    "好的",
    "好的谢谢",
    "好的,谢谢",
    "嗯嗯",
    "嗯",
    "知道了",
    "收到",
    "没有了",
    "没了",
    "无",
    "暂无",
    "暂时没有",
    "ok",
    "谢谢",
];

const OPEN_QUOTES: [char; 4] = ['“', '"', '「', '『'];
const CLOSE_QUOTES: [char; 4] = ['”', '"', '」', '』'];

/// Byte offset of a token inside the text it was cut from.
fn offset(text: &str, token: &str) -> usize {
    (token.as_ptr() as usize).saturating_sub(text.as_ptr() as usize)
}

pub struct Scorer<'a> {
    pub lexicon: &'a Lexicon,
    pub params: Params,
}

impl Scorer<'_> {
    /// A word's weight: the lexicon's (or its glued form's), else the trained one, scaled.
    fn word_weight(
        &self,
        token: &str,
        info: &WordInfo,
        workspace: Option<&dyn WordWeights>,
    ) -> f32 {
        if info.sentiment != 0.0 {
            return info.sentiment;
        }
        let extra = workspace.and_then(|w| w.weight(token)).unwrap_or(0.0);
        info.learned * self.params.model_scale + extra * WORKSPACE_SCALE
    }

    fn split_clauses(&self, text: &str, tokens: &[&str], infos: &[WordInfo]) -> Vec<Clause> {
        let mut clauses = Vec::new();
        let mut start = 0;
        let mut marker = Marker::None;
        let mut prev_end = 0;
        // Whether the clause's After marker is a plain "but".
        let mut but = false;
        let push = |clauses: &mut Vec<Clause>,
                    range: Range<usize>,
                    marker: Marker,
                    but: bool,
                    question: bool| {
            if !range.is_empty() {
                clauses.push(Clause {
                    tokens: range,
                    marker,
                    score: 0.0,
                    raw: 0.0,
                    question,
                    span: 0..0,
                    resolved: false,
                    not_ours: false,
                    but: but && marker == Marker::After,
                });
            }
        };
        for (i, tok) in tokens.iter().enumerate() {
            let at = offset(text, tok);
            // A space between two CJK tokens separates clauses the way a comma does.
            let gap = text.get(prev_end..at).unwrap_or("");
            let spaced = !gap.is_empty()
                && i > start
                && !(tokens[i - 1]
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
                    && tok
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphanumeric()));
            prev_end = at + tok.len();
            if spaced {
                push(&mut clauses, start..i, marker, but, false);
                start = i;
                marker = Marker::None;
            }
            if infos[i].shape.ends_clause {
                let question = tok.contains('?') || tok.contains('？');
                push(&mut clauses, start..i, marker, but, question);
                start = i + 1;
                marker = Marker::None;
                continue;
            }
            let at_clause_start = i == start;
            let info = &infos[i];
            if info.contrast == Contrast::After {
                // 就是 opening the very first clause is a filler (就是说…), not a "but".
                let filler = matches!(*tok, "就是" | "只是") && clauses.is_empty();
                if *tok == "却" && i > start {
                    // 却 splits the clause it sits in: what follows carries the label.
                    push(&mut clauses, start..i, marker, but, false);
                    start = i;
                    marker = Marker::After;
                    but = true;
                } else if at_clause_start && !filler {
                    marker = Marker::After;
                    but = PLAIN_BUTS.contains(tok);
                }
            } else if info.contrast == Contrast::Concessive {
                marker = Marker::Concessive;
            } else if info.past && marker == Marker::None {
                marker = Marker::Past;
            }
        }
        push(&mut clauses, start..tokens.len(), marker, but, false);
        clauses
    }

    fn score_clause(
        &self,
        tokens: &[&str],
        infos: &[WordInfo],
        workspace: Option<&dyn WordWeights>,
    ) -> f32 {
        let mut score = 0.0;
        for (i, (tok, info)) in tokens.iter().zip(infos).enumerate() {
            if info.negation != Negation::None {
                continue;
            }
            // A degree word only modifies: 好 in 好卡 is "very", but 物流好 is praise.
            if info.degree != 0.0
                && (!info.lexical
                    || tokens
                        .get(i + 1)
                        .is_some_and(|n| self.word_weight(n, &infos[i + 1], workspace) != 0.0))
            {
                continue;
            }
            let base = self.word_weight(tok, info, workspace);
            if base == 0.0 || polite(tokens, i) || almost(tokens, i) {
                continue;
            }
            let mut mult = 1.0;
            let mut negations = 0;
            let mut weak = false;
            let mut emphatic = false;
            for j in (i.saturating_sub(3)..i).rev() {
                let before = &infos[j];
                if before.degree != 0.0 {
                    // A degree word before the negation stresses the negation (一点都不卡):
                    // it does not scale the word.
                    if negations == 0 {
                        mult *= before.degree;
                    } else {
                        emphatic = true;
                    }
                } else if before.prohibitive {
                    break;
                } else if before.negation == Negation::Weak {
                    negations += 1;
                    weak = true;
                } else if before.negation == Negation::Strong {
                    negations += 1;
                    emphatic |= before.emphatic;
                } else if before.lexical {
                    break;
                }
            }
            let w = match negations {
                0 => base,
                n if n % 2 == 0 => base * 0.6,
                _ if weak => -base * 0.5,
                // 不好用 is a complaint; 不难用 is praise, but faint unless stressed (一点都不卡).
                _ if base > 0.0 => -base * 0.9,
                _ if emphatic => -base * 0.9,
                _ => -base * 0.6,
            };
            score += w * mult.min(2.5);
        }
        score
    }

    /// Scores a text. `complaint` gives extra (negative) evidence for a clause's text: the
    /// pain-point triggers it names, which are complaints whatever words surround them.
    pub fn score(
        &self,
        text: &str,
        tokens: &[&str],
        infos: &[WordInfo],
        workspace: Option<&dyn WordWeights>,
        complaint: &dyn Fn(&Range<usize>) -> f32,
        cues: &Cues,
    ) -> (Sentiment, Vec<ClauseView>, Evidence) {
        let mut clauses = self.split_clauses(text, tokens, infos);
        for c in &mut clauses {
            let toks = &tokens[c.tokens.clone()];
            let start = toks.first().map_or(0, |t| offset(text, t));
            c.span = start..toks.last().map_or(start, |t| offset(text, t) + t.len());
            c.resolved = cues.any(&c.span, cue::RESOLUTION);
            c.not_ours = cues
                .each(&c.span, cue::NOT_OURS)
                .any(|(s, e)| !next_door(text, s, e));
        }
        let has_after = clauses.iter().any(|c| c.marker == Marker::After);
        let has_concession = clauses.iter().any(|c| c.marker == Marker::Concessive);
        // A later word of the present (现在, 这次) or a problem said to be fixed (测试版完全
        // 解决了) puts the past clauses behind.
        let has_now = infos.iter().any(|i| i.now) || clauses.iter().skip(1).any(|c| c.resolved);
        let last_after = clauses.iter().rposition(|c| c.marker == Marker::After);
        // A text that opens with a request (建议增加离线编辑，出差时没法用) explains it
        // afterwards; the explanation is not a complaint unless it is a strong one.
        let opens_with_request = clauses
            .first()
            .is_some_and(|c| cues.starts(&c.span, cue::REQUEST));
        // A polite inquiry (请问…, 反馈一下…) reports calmly: what it names is no complaint
        // unless its own words are.
        let inquiry = POLITE_OPENINGS.iter().any(|p| text.starts_with(p))
            || (text.contains('请') && text.contains("请问"));
        let mut pos_mass = 0.0f32;
        let mut neg_mass = 0.0f32;
        let mut total = 0.0f32;
        let mut strongest_negative = 0.0f32;
        let (mut complaint_mass, mut questions, mut requested, mut acknowledged) =
            (0.0f32, 0, false, false);
        for (ci, clause) in clauses.iter_mut().enumerate() {
            let toks = &tokens[clause.tokens.clone()];
            let toks_info = &infos[clause.tokens.clone()];
            let range = clause.span.clone();
            let span = text.get(range.clone()).unwrap_or("");
            // A problem said to be fixed (修复了好多bug, 现在修好了) is good news.
            let resolved = clause.resolved;
            let reply = span.trim_end_matches(['!', '.', '~', '。']);
            let ack = reply.len() <= ACKNOWLEDGEMENT_BYTES && ACKNOWLEDGEMENTS.contains(&reply);
            let not_ours = clause.not_ours;
            let named = if not_ours || inquiry {
                0.0
            } else {
                complaint(&range)
            };
            complaint_mass += named;
            acknowledged |= ack;
            let complaint_question = cues.any(&range, cue::COMPLAINT_QUESTION);
            let question = clause.question || is_question(text, &range, cues, self.lexicon);
            questions += question as usize;
            let base = if ack {
                0.0
            } else {
                self.score_clause(toks, toks_info, workspace)
            };
            let mut s = if ack {
                0.0
            } else if resolved {
                base.abs().max(2.0)
            } else if complaint_question && !inquiry {
                base + named - 1.2
            } else if question && base.abs() < 2.0 {
                // A plain question (会员怎么退款？) names a topic; it does not complain.
                base * 0.3
            } else {
                base + named
            };
            // Another product's problem, or a fear that did not come true (别家要转半天,
            // 原以为要等很久), speaks well of this one rather than ill.
            if not_ours && s < 0.0 {
                s = 0.0;
            }
            strongest_negative = strongest_negative.min(s);
            let request = cues.any(&range, cue::REQUEST);
            requested |= request;
            if (request || opens_with_request) && s > -2.0 {
                s *= 0.2;
            }
            let mut weight: f32 = 1.0;
            if let Some(k) = last_after {
                if ci < k {
                    weight = 0.35;
                }
            }
            match clause.marker {
                Marker::Concessive => weight = weight.min(0.35),
                Marker::Past if has_now => weight = weight.min(0.2),
                _ => {}
            }
            clause.raw = s;
            clause.score = s * weight;
            total += clause.score;
            if clause.score > 0.0 {
                pos_mass += clause.score;
            } else {
                neg_mass -= clause.score;
            }
        }
        // The clause after a contrast decides (挺好用的，就是有点卡; 贵了点，但值这个价): when
        // it has a clear polarity of its own, the text takes it.
        let decisive = last_after.map_or(0.0, |k| clauses[k..].iter().map(|c| c.raw).sum::<f32>());
        // A consolation after a complaint (服务太差，床单上还有血渍，不过床还是蛮干净的) does not
        // decide: what was said against outweighs the small thing said for.
        let before: f32 = last_after.map_or(0.0, |k| clauses[..k].iter().map(|c| c.raw).sum());
        let consoled = last_after.is_some_and(|k| {
            decisive > 0.0
                && before <= -CONSOLED_AT
                && before + decisive < 0.0
                && clauses[k..].iter().any(|c| {
                    text.get(c.span.clone())
                        .is_some_and(|t| CONSOLATIONS.iter().any(|w| t.contains(w)))
                })
        });
        if consoled {
            total = before + decisive;
        } else if last_after.is_some() {
            let floor = if decisive > 0.0 {
                self.params.positive_at
            } else {
                self.params.negative_at
            };
            if decisive.abs() >= 0.5
                && (decisive.signum() != total.signum() || total.abs() <= floor)
            {
                total = decisive.signum() * total.abs().max(floor + 0.01);
            }
        }
        // Praise, then a complaint after a plain "but" (挺好的，就是有点贵): both carry weight,
        // so the text is mixed. Not when the praise is conceded (虽然), of the past, someone
        // else's, or only courtesy (谢谢, 辛苦了, 答主说得对), nor when a consolation follows.
        let mut praise_before = match last_after {
            Some(k) if clauses[k].but && !has_concession && !consoled => {
                let said = text.get(..clauses[k].span.start).unwrap_or("");
                // Praise told as part of a past now over (一开始觉得还挺方便的，东西也便宜。
                // 但是最近…) is the then of a then-versus-now story.
                let then = has_now && clauses[..k].iter().any(|c| c.marker == Marker::Past);
                // A request that is all there is after the "but" (就是希望加个夜间模式) asks;
                // it does not complain, unless its words do.
                let asks = decisive > -COMPLAINT_CARRIES
                    && clauses[k..].iter().all(|c| cues.any(&c.span, cue::REQUEST));
                if then || asks || COURTESIES.iter().any(|w| said.contains(w)) {
                    0.0
                } else {
                    clauses[..k]
                        .iter()
                        .filter(|c| !(c.question || c.not_ours))
                        .map(|c| c.raw)
                        .fold(0.0f32, f32::max)
                }
            }
            _ => 0.0,
        };
        // Sarcasm: a cue, or praise in quotes, beside a complaint turns the praise around.
        let negative_evidence = neg_mass > 0.5 || strongest_negative < -0.5;
        let sarcastic = negative_evidence
            && (cues.any(&(0..text.len()), cue::SARCASM) || quoted_praise(text, tokens, infos));
        if sarcastic {
            total = -neg_mass - pos_mass.min(2.0) - 0.5;
            pos_mass = 0.0;
            praise_before = 0.0;
        }
        let p = self.params;
        let contrast = has_after
            || has_concession
            || (has_now && clauses.iter().any(|c| c.marker == Marker::Past));
        // Mixed: a clause of clear praise and another of clear complaint, side by side.
        let praised = clauses.iter().map(|c| c.score).fold(0.0f32, f32::max);
        let blamed = clauses.iter().map(|c| -c.score).fold(0.0f32, f32::max);
        let (label, confidence) = {
            {
                let label =
                    if !contrast && !sarcastic && praised >= p.mixed_at && blamed >= p.mixed_at {
                        Label::Mixed
                    } else if total >= p.positive_at {
                        Label::Positive
                    } else if total <= -p.negative_at {
                        Label::Negative
                    } else {
                        Label::Neutral
                    };
                let confidence = match label {
                    Label::Mixed => {
                        (pos_mass.min(neg_mass) / pos_mass.max(neg_mass)).clamp(0.0, 1.0)
                    }
                    Label::Neutral => {
                        (1.0 - total.abs() / p.positive_at.max(p.negative_at)).clamp(0.2, 1.0)
                    }
                    _ => (total.abs() / 3.0).tanh().max(0.3),
                };
                (label, confidence)
            }
        };
        let score = (total / 2.5).tanh();
        let evidence = Evidence {
            total,
            pos_mass,
            neg_mass,
            praised,
            blamed,
            decisive,
            first: clauses.first().map_or(0.0, |c| c.raw),
            last: clauses.last().map_or(0.0, |c| c.raw),
            complaint: complaint_mass,
            clauses: clauses.len(),
            questions,
            sarcastic,
            contrast,
            request: requested || opens_with_request,
            inquiry,
            resolved: clauses.iter().any(|c| c.resolved),
            not_ours: clauses.iter().any(|c| c.not_ours),
            acknowledgement: acknowledged,
            praise_before_but: praise_before,
            declared_mixed: declares_mixed(text),
            rule: label,
        };
        let views = clauses
            .iter()
            .map(|c| ClauseView {
                span: c.span.clone(),
                tokens: c.tokens.clone(),
                score: c.score,
                raw: c.raw,
                past: c.marker == Marker::Past && has_now,
                resolved: c.resolved,
                not_ours: c.not_ours,
            })
            .collect();
        (
            Sentiment {
                label,
                score,
                confidence,
            },
            views,
            evidence,
        )
    }
}

/// 麻烦 in 麻烦帮我查一下 is a polite "please", not "troublesome".
fn polite(tokens: &[&str], i: usize) -> bool {
    tokens[i] == "麻烦"
        && tokens.get(i + 1).is_some_and(|n| {
            [
                "帮", "帮忙", "您", "你", "看", "查", "处理", "尽快", "问", "一下",
            ]
            .contains(n)
        })
}

/// What follows 隔壁 when it means the place next door (送到隔壁楼, 能听见隔壁说话), not
/// another company's product (隔壁那家): a delivery sent next door is this one's problem.
const NEXT_DOOR: [&str; 16] = [
    "楼",
    "小区",
    "单元",
    "栋",
    "号",
    "房",
    "屋",
    "邻",
    "桌",
    "床",
    "座",
    "宿舍",
    "村",
    "说话",
    "吵",
    "的声音",
];

fn next_door(text: &str, start: usize, end: usize) -> bool {
    text.get(start..end) == Some("隔壁")
        && text
            .get(end..)
            .is_some_and(|rest| NEXT_DOOR.iter().any(|w| rest.starts_with(w)))
}

/// The writer says the text weighs both ways (喜忧参半, 有好有坏, 优点…缺点, 好的地方…不好的地
/// 方): an evaluation that comes out positive or negative is mixed.
const DECLARED_MIXED: [&str; 10] = [
    "喜忧参半",
    "有好有坏",
    "有利有弊",
    "优缺点",
    "褒贬不一",
    "有得有失",
    "好坏参半",
    "又爱又恨",
    "爱恨交加",
    "有惊喜也有失望",
];
/// The same said in two halves: the second must follow the first.
const DECLARED_PAIRS: [(&str, &[&str]); 5] = [
    ("一方面", &["另一方面"]),
    ("优点", &["缺点", "不足"]),
    ("好的地方", &["不好的地方", "坏的地方", "差的地方"]),
    ("好的方面", &["不好的方面", "坏的方面", "差的方面"]),
    ("好的是", &["不好的是", "坏的是", "差的是"]),
];

fn declares_mixed(text: &str) -> bool {
    maybe_declares_mixed(text)
        && (DECLARED_MIXED.iter().any(|w| text.contains(w))
            || DECLARED_PAIRS.iter().any(|(first, second)| {
                text.find(first).is_some_and(|at| {
                    let rest = &text[at + first.len()..];
                    second.iter().any(|w| rest.contains(w))
                })
            }))
}

/// A quick test that every text [`declares_mixed`] passes: each of its phrases, and each
/// second half of a pair, holds one of these characters or 不好的 (tested). This runs on every
/// text; the phrases themselves are looked for in the few that pass (one in twenty here).
fn maybe_declares_mixed(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(
            c,
            '忧' | '坏' | '弊' | '缺' | '褒' | '失' | '恨' | '另' | '足' | '差'
        )
    }) || text.contains("不好的")
}

/// 快 before a number is "almost" (拖了快一个月, 快两年了), not "fast".
fn almost(tokens: &[&str], i: usize) -> bool {
    tokens[i] == "快"
        && tokens.get(i + 1).is_some_and(|n| {
            n.chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit() || "一二两三四五六七八九十半几".contains(c))
        })
}

/// A question by its words, even without a question mark: 请问会员可以共用吗, 怎么退款.
fn is_question(text: &str, range: &Range<usize>, cues: &Cues, lex: &Lexicon) -> bool {
    let span = text.get(range.clone()).unwrap_or("");
    let end = span.trim_end_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace());
    if end
        .chars()
        .next_back()
        .is_some_and(|c| lex.question_particles.contains(&c))
    {
        return true;
    }
    // 不怎么样 is a verdict, not a question.
    cues.each(range, cue::QUESTION)
        .any(|(s, e)| !(text[s..e].starts_with('怎') && text[..s].ends_with('不')))
}

/// A positive word inside quotation marks: 真是"太好用"了.
fn quoted_praise(text: &str, tokens: &[&str], infos: &[WordInfo]) -> bool {
    if !text.chars().any(|c| OPEN_QUOTES.contains(&c)) {
        return false;
    }
    let mut inside = false;
    let mut last_quote_end = 0;
    for (tok, info) in tokens.iter().zip(infos) {
        let at = offset(text, tok);
        let before = text.get(last_quote_end..at).unwrap_or("");
        for c in before.chars() {
            if OPEN_QUOTES.contains(&c) && !inside {
                inside = true;
            } else if CLOSE_QUOTES.contains(&c) && inside {
                inside = false;
            }
        }
        if tok
            .chars()
            .all(|c| OPEN_QUOTES.contains(&c) || CLOSE_QUOTES.contains(&c))
        {
            inside = !inside;
        } else if inside && info.lexical && info.sentiment > 0.5 {
            return true;
        }
        last_quote_end = at + tok.len();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_test_passes_every_declared_mixed_phrase() {
        for w in DECLARED_MIXED {
            assert!(maybe_declares_mixed(w), "{w}");
            assert!(declares_mixed(&format!("这个版本{w}吧")), "{w}");
        }
        for (first, second) in DECLARED_PAIRS {
            for w in second {
                assert!(maybe_declares_mixed(w), "{w}");
                assert!(
                    declares_mixed(&format!("{first}很快，{w}太贵")),
                    "{first} {w}"
                );
                assert!(
                    !declares_mixed(&format!("{w}太贵，{first}很快")),
                    "{w} {first}"
                );
            }
        }
        assert!(!declares_mixed("挺好的，就是有点贵"));
    }
}
