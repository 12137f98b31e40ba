//! From experience to playbook (经验萃取 → 复盘 → 最佳实践): the case-review template, the best
//! practices collected from cases, and the evidence links between playbooks and cases.

use serde::{Deserialize, Serialize};

use crate::domain::content::{parse_evidence, ContentItem, Kind, Move, Outcome};
use crate::domain::Lang;

/// A case review as a manager fills it in on the account page.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseReviewForm {
    /// Defaults to "复盘：<account name>" / "Case review: <account name>".
    #[serde(default)]
    pub title: Option<String>,
    pub scenario: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub background: String,
    /// What we did.
    #[serde(default)]
    pub actions: String,
    /// `won`, `lost` or `ongoing`.
    pub result: Option<String>,
    /// The moves that worked, one per entry.
    #[serde(default)]
    pub moves: Vec<String>,
    #[serde(default)]
    pub lessons: String,
    #[serde(default)]
    pub next_steps: String,
    #[serde(default)]
    pub lang: Option<String>,
}

/// A problem with one field of the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The parts of a case review item the template decides: title, outcome, moves, body.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseReviewDraft {
    pub title: String,
    pub outcome: Outcome,
    pub scenarios: Vec<String>,
    pub tags: Vec<String>,
    pub lang: Lang,
    pub moves: Vec<Move>,
    pub body: String,
}

/// Checks the form and writes the review's Markdown in the template's structure: background,
/// what we did, result, the moves that worked, lessons, next steps.
pub fn case_review(
    form: &CaseReviewForm,
    account_name: &str,
    is_scenario: impl Fn(&str) -> bool,
) -> Result<CaseReviewDraft, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut error = |field: &str, message: String| {
        errors.push(FieldError {
            field: field.to_owned(),
            message,
        })
    };
    let outcome = match form.result.as_deref().map(str::trim) {
        Some("won") => Some(Outcome::Won),
        Some("lost") => Some(Outcome::Lost),
        Some("ongoing") => Some(Outcome::Ongoing),
        None | Some("") => {
            error("result", "missing: choose won, lost or ongoing".into());
            None
        }
        Some(other) => {
            error(
                "result",
                format!("unknown result {other:?} (expected won, lost or ongoing)"),
            );
            None
        }
    };
    let scenario = form
        .scenario
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(scenario) = scenario {
        if !is_scenario(scenario) {
            error("scenario", format!("unknown scenario {scenario:?}"));
        }
    }
    if form.background.trim().is_empty() {
        error(
            "background",
            "missing: say who the customer is and what was at stake".into(),
        );
    }
    if form.actions.trim().is_empty() {
        error("actions", "missing: say what we did".into());
    }
    let lang = match form.lang.as_deref() {
        None | Some("") => Lang::Zh,
        Some(value) => Lang::parse(value).unwrap_or_else(|| {
            error(
                "lang",
                format!("unknown language {value:?} (expected zh or en)"),
            );
            Lang::Zh
        }),
    };
    let (Some(outcome), true) = (outcome, errors.is_empty()) else {
        return Err(errors);
    };
    let moves: Vec<Move> = form
        .moves
        .iter()
        .flat_map(|m| m.lines())
        .map(|m| m.trim().trim_start_matches(['-', '*']).trim())
        .filter(|m| !m.is_empty())
        .map(|text| Move {
            text: text.to_owned(),
            best: false,
        })
        .collect();
    let heads = match lang {
        Lang::Zh => [
            "背景",
            "我们的做法",
            "结果",
            "有效的做法",
            "经验教训",
            "下一步",
        ],
        Lang::En => [
            "Background",
            "What we did",
            "Result",
            "Moves that worked",
            "Lessons",
            "Next steps",
        ],
    };
    let result_text = match (lang, outcome) {
        (Lang::Zh, Outcome::Won) => "赢单",
        (Lang::Zh, Outcome::Lost) => "丢单",
        (Lang::Zh, Outcome::Ongoing) => "进行中",
        (Lang::En, Outcome::Won) => "Won",
        (Lang::En, Outcome::Lost) => "Lost",
        (Lang::En, Outcome::Ongoing) => "Ongoing",
    };
    let mut body = String::new();
    let mut section = |head: &str, text: &str| {
        let text = text.trim();
        if !text.is_empty() {
            body.push_str(&format!("## {head}\n\n{text}\n\n"));
        }
    };
    section(heads[0], &form.background);
    section(heads[1], &form.actions);
    section(heads[2], result_text);
    let list: String = moves
        .iter()
        .enumerate()
        .map(|(i, m)| format!("{}. {}\n", i + 1, m.text))
        .collect();
    section(heads[3], &list);
    section(heads[4], &form.lessons);
    section(heads[5], &form.next_steps);
    let title = form
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| match lang {
            Lang::Zh => format!("复盘：{account_name}"),
            Lang::En => format!("Case review: {account_name}"),
        });
    Ok(CaseReviewDraft {
        title,
        outcome,
        scenarios: scenario.map(str::to_owned).into_iter().collect(),
        tags: form
            .tags
            .iter()
            .flat_map(|t| t.split([',', '，']))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        lang,
        moves,
        body: body.trim_end().to_owned() + "\n",
    })
}

/// A move marked as a best practice, with the case it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Practice {
    pub case_id: String,
    pub case_title: String,
    /// The move's number in its case, from 1.
    pub n: usize,
    pub text: String,
    /// How a playbook cites it in `evidence`.
    pub reference: String,
    /// The tiers it applies to: the account's tier at the time, else the case's tiers (empty:
    /// every tier).
    pub tiers: Vec<String>,
    pub scenarios: Vec<String>,
    pub outcome: Option<Outcome>,
    /// Whether the viewer may open the whole case (a review of an account is as private as
    /// the account's figures; its best practices are shared, its story is not).
    pub readable: bool,
}

/// The tiers a case speaks for.
fn case_tiers(case: &ContentItem) -> Vec<String> {
    match &case.account_tier {
        Some(tier) => vec![tier.clone()],
        None => case.tiers.clone(),
    }
}

/// The best practices of `cases` for a tier and a scenario (`None`: any).
pub fn practices<'a>(
    cases: impl IntoIterator<Item = &'a ContentItem>,
    tier: Option<&str>,
    scenario: Option<&str>,
) -> Vec<Practice> {
    let mut out = Vec::new();
    for case in cases.into_iter().filter(|c| c.kind == Kind::Case) {
        let tiers = case_tiers(case);
        let tier_ok = tier.is_none_or(|t| tiers.is_empty() || tiers.iter().any(|x| x == t));
        let scenario_ok = scenario.is_none_or(|s| case.scenarios.iter().any(|x| x == s));
        if !(tier_ok && scenario_ok) {
            continue;
        }
        for (n, m) in case.best_moves() {
            out.push(Practice {
                case_id: case.id.clone(),
                case_title: case.title.clone(),
                n,
                text: m.text.clone(),
                reference: format!("{}#{n}", case.id),
                tiers: tiers.clone(),
                scenarios: case.scenarios.clone(),
                outcome: case.outcome,
                readable: true,
            });
        }
    }
    out
}

/// One piece of a playbook's evidence, resolved.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Evidence {
    pub case_id: String,
    pub case_title: String,
    /// The cited move, when the reference names one.
    pub n: Option<usize>,
    pub text: Option<String>,
    /// Whether the viewer may open the whole case.
    pub readable: bool,
}

/// The evidence of `playbook` that `find` can resolve (others are gone or unpublished), as a
/// viewer sees it: `readable` says whether the viewer may open a case. A case the viewer may
/// not read shows only what was shared from it — a move marked as a best practice, with the
/// case's title; a citation of the whole case or of an unmarked move is left out for them.
pub fn evidence_of<'a>(
    playbook: &ContentItem,
    find: impl Fn(&str) -> Option<&'a ContentItem>,
    readable: impl Fn(&ContentItem) -> bool,
) -> Vec<Evidence> {
    playbook
        .evidence
        .iter()
        .filter_map(|reference| {
            let (id, n) = parse_evidence(reference)?;
            let case = find(id).filter(|c| c.kind == Kind::Case)?;
            let cited = n.and_then(|n| case.moves.get(n - 1));
            let readable = readable(case);
            if !readable && !shares_move(case, n) {
                return None;
            }
            Some(Evidence {
                case_id: case.id.clone(),
                case_title: case.title.clone(),
                n,
                text: cited.map(|m| m.text.clone()),
                readable,
            })
        })
        .collect()
}

/// Whether the citation of move `n` (from 1) of `case` shows something `case` shares with
/// everyone: a move marked as a best practice. A citation of the whole case shares nothing.
pub fn shares_move(case: &ContentItem, n: Option<usize>) -> bool {
    n.and_then(|n| case.moves.get(n.checked_sub(1)?))
        .is_some_and(|m| m.best)
}

/// Whether `playbook` cites `case_id` (the case or one of its moves).
pub fn cites(playbook: &ContentItem, case_id: &str) -> bool {
    playbook
        .evidence
        .iter()
        .filter_map(|r| parse_evidence(r))
        .any(|(id, _)| id == case_id)
}

/// Problems with the references of `item` to other items, as `(field, message)`: evidence must
/// name an existing case (and move), a campaign's courses must exist. `find` answers only what
/// the author may read, so a hidden case reads exactly like an unknown one.
pub fn reference_problems(
    item: &ContentItem,
    find: impl Fn(&str) -> Option<ContentItem>,
) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    for reference in &item.evidence {
        let Some((id, n)) = parse_evidence(reference) else {
            continue;
        };
        match find(id) {
            Some(case) if case.kind == Kind::Case => {
                if let Some(n) = n {
                    if n > case.moves.len() {
                        problems.push((
                            "evidence",
                            format!("{reference:?}: case {id:?} has {} moves", case.moves.len()),
                        ));
                    }
                }
            }
            _ => problems.push(("evidence", format!("{reference:?}: no case with id {id:?}"))),
        }
    }
    for course in &item.courses {
        if find(course).is_none_or(|c| c.kind != Kind::Course) {
            problems.push(("courses", format!("no course with id {course:?}")));
        }
    }
    if let Some(course) = &item.course {
        if find(course).is_none_or(|c| c.kind != Kind::Course) {
            problems.push((
                "course",
                format!(
                    "no course with id {course:?} (a lesson must name the `id` of a course item)"
                ),
            ));
        }
    }
    if let Some(original) = &item.translation_of {
        if original == &item.id || find(original).is_none() {
            problems.push((
                "translation_of",
                format!("no item with id {original:?} to translate"),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::content::parse_content;
    use crate::domain::taxonomy::Taxonomy;

    fn item(text: &str) -> ContentItem {
        parse_content("t.md", "t.md", text, &Taxonomy::default()).unwrap()
    }

    fn form() -> CaseReviewForm {
        CaseReviewForm {
            scenario: Some("collections".into()),
            background: "年底回款压力大".into(),
            actions: "先约财务总监".into(),
            result: Some("won".into()),
            moves: vec!["约财务总监面谈\n- 分三期回款".into()],
            lessons: "早介入".into(),
            ..CaseReviewForm::default()
        }
    }

    #[test]
    fn a_case_review_follows_the_template_and_numbers_its_moves() {
        let draft = case_review(&form(), "华辰科技", |s| s == "collections").unwrap();
        assert_eq!(draft.title, "复盘：华辰科技");
        assert_eq!(draft.outcome, Outcome::Won);
        assert_eq!(draft.moves.len(), 2);
        assert_eq!(draft.moves[1].text, "分三期回款");
        for head in [
            "## 背景",
            "## 我们的做法",
            "## 结果",
            "## 有效的做法",
            "## 经验教训",
        ] {
            assert!(draft.body.contains(head), "{head} missing: {}", draft.body);
        }
        assert!(
            !draft.body.contains("## 下一步"),
            "empty sections are left out"
        );
    }

    #[test]
    fn a_case_review_without_result_or_background_names_the_fields() {
        let bad = CaseReviewForm {
            result: Some("maybe".into()),
            background: " ".into(),
            scenario: Some("nope".into()),
            ..form()
        };
        let errors = case_review(&bad, "x", |s| s == "collections").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["result", "scenario", "background"]);
    }

    #[test]
    fn practices_are_collected_per_tier_and_scenario_and_cited_both_ways() {
        let case = item("---\nid: c1\nkind: case\ntitle: C\nscenarios: [collections]\naccount_tier: strategic\nmoves:\n  - plain\n  - {text: 分三期回款, best: true}\n---\n");
        let found = practices([&case], Some("strategic"), Some("collections"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].reference, "c1#2");
        assert!(practices([&case], Some("small"), None).is_empty());
        assert!(practices([&case], None, Some("bidding")).is_empty());
        let playbook = item("---\nid: p\nkind: playbook\ntitle: P\nevidence: [c1#2]\n---\n");
        let evidence = evidence_of(&playbook, |id| (id == "c1").then_some(&case), |_| true);
        assert_eq!(evidence[0].text.as_deref(), Some("分三期回款"));
        assert!(cites(&playbook, "c1"));
        let dangling = item("---\nid: p\nkind: playbook\ntitle: P\nevidence: [c1#5, gone]\n---\n");
        let problems = reference_problems(&dangling, |id| (id == "c1").then(|| case.clone()));
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}
