//! Who asked and who answered: the interviewer(s) by name, by label (主持人, 采访者 …) or,
//! failing both, as the speaker who asks the most questions.

use super::shared::*;
use super::speakers::*;
use super::turn::*;

pub(super) struct SpeakerStats<'a> {
    pub(super) name: &'a str,
    pub(super) turns: usize,
    pub(super) questions: usize,
    pub(super) role: Option<Role>,
}

pub(super) fn fold_name(name: &str) -> String {
    collapse_whitespace(name).to_lowercase()
}

/// Roles per turn: caller-given names first, then conventional labels, then (when no
/// interviewer is known yet) the most questioning named speaker; everyone else responds.
pub(super) fn assign_roles(turns: &[RawTurn], interviewer_names: &[String]) -> Vec<Role> {
    let mut speakers = speaker_stats(turns);
    let wanted: Vec<String> = interviewer_names
        .iter()
        .map(|n| fold_name(n))
        .filter(|n| !n.is_empty())
        .collect();
    for s in &mut speakers {
        s.role = if wanted.contains(&fold_name(s.name)) {
            Some(Role::Interviewer)
        } else {
            known_label_role(s.name)
        };
    }
    let interviewer_known = speakers.iter().any(|s| s.role == Some(Role::Interviewer));
    // A lone speaker is someone talking about their experience, not an interviewer.
    if !interviewer_known && speakers.len() > 1 {
        if let Some(i) = most_questioning(&speakers) {
            speakers[i].role = Some(Role::Interviewer);
        }
    }
    turns
        .iter()
        .map(|t| {
            speakers
                .iter()
                .find(|s| s.name == t.speaker)
                .and_then(|s| s.role)
                .unwrap_or(Role::Respondent)
        })
        .collect()
}

/// Speakers in order of first appearance with their turn and question counts.
pub(super) fn speaker_stats(turns: &[RawTurn]) -> Vec<SpeakerStats<'_>> {
    let mut speakers: Vec<SpeakerStats<'_>> = Vec::new();
    for turn in turns {
        let questions = turn.text.chars().filter(|&c| c == '?' || c == '？').count();
        let found = speakers.iter().position(|s| s.name == turn.speaker);
        match found {
            Some(i) => {
                speakers[i].turns += 1;
                speakers[i].questions += questions;
            }
            None => speakers.push(SpeakerStats {
                name: turn.speaker.as_str(),
                turns: 1,
                questions,
                role: None,
            }),
        }
    }
    speakers
}

/// The undecided speaker with the most question marks per turn; ties go to whoever
/// spoke first, since interviews usually open with the interviewer.
pub(super) fn most_questioning(speakers: &[SpeakerStats<'_>]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, s) in speakers.iter().enumerate() {
        if s.role.is_some() {
            continue;
        }
        let better = match best.and_then(|b| speakers.get(b)) {
            None => true,
            // Compare questions/turns as cross products to stay in integers.
            Some(b) => s.questions.saturating_mul(b.turns) > b.questions.saturating_mul(s.turns),
        };
        if better {
            best = Some(i);
        }
    }
    best
}
