//! The publishing workflow: draft → in review → published → archived, the actions that move an
//! item between those states, the versions every save leaves behind, and diffs between them.
//!
//! Pure: who may take an action is `domain::policy`'s question; storing versions is the store's.

use serde::{Deserialize, Serialize};

use crate::domain::content::{ContentItem, Status};

/// What a version records as its cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Loaded from a Markdown file of the content directory.
    Imported,
    /// Created in the editor or over the API.
    Created,
    /// Saved in the editor or over the API.
    Saved,
    Submitted,
    Approved,
    SentBack,
    Archived,
    /// An earlier version brought back (as a draft).
    Restored,
    /// A manager marked or unmarked a move as a best practice.
    Curated,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Imported => "imported",
            Action::Created => "created",
            Action::Saved => "saved",
            Action::Submitted => "submitted",
            Action::Approved => "approved",
            Action::SentBack => "sent_back",
            Action::Archived => "archived",
            Action::Restored => "restored",
            Action::Curated => "curated",
        }
    }
}

/// One saved state of an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Version {
    /// 1, 2, … per item.
    pub n: u64,
    /// RFC 3339.
    pub at: String,
    /// The user who made it (`"files"` for the content directory).
    pub by: String,
    pub action: Action,
    /// Why: the comment of a send-back, the note of a save.
    pub comment: Option<String>,
    pub item: ContentItem,
}

/// A step refused by the workflow, with what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WorkflowError(pub String);

/// The status an item has after `action`, or why the action does not apply to it.
pub fn next_status(current: Status, action: Action) -> Result<Status, WorkflowError> {
    let refuse = |what: &str, allowed: &str| {
        Err(WorkflowError(format!(
            "cannot {what} an item that is {}: only {allowed} items can be",
            current.as_str()
        )))
    };
    match action {
        Action::Saved | Action::Created | Action::Restored => Ok(Status::Draft),
        Action::Submitted => match current {
            Status::Draft => Ok(Status::InReview),
            _ => refuse("submit", "draft"),
        },
        Action::Approved => match current {
            Status::Draft | Status::InReview => Ok(Status::Published),
            _ => refuse("approve", "draft or in_review"),
        },
        Action::SentBack => match current {
            Status::InReview => Ok(Status::Draft),
            _ => refuse("send back", "in_review"),
        },
        Action::Archived => match current {
            Status::Archived => refuse("archive", "draft, in_review or published"),
            _ => Ok(Status::Archived),
        },
        Action::Imported | Action::Curated => Ok(current),
    }
}

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DiffLine {
    /// `" "` unchanged, `"+"` added, `"-"` removed.
    pub op: &'static str,
    pub text: String,
}

/// A line diff of two texts (the items as Markdown with front matter).
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    similar::TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|change| DiffLine {
            op: match change.tag() {
                similar::ChangeTag::Equal => " ",
                similar::ChangeTag::Insert => "+",
                similar::ChangeTag::Delete => "-",
            },
            text: change.value().trim_end_matches(['\n', '\r']).to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workflow_goes_draft_review_published_archived() {
        let s = next_status(Status::Draft, Action::Submitted).unwrap();
        assert_eq!(s, Status::InReview);
        assert_eq!(next_status(s, Action::SentBack).unwrap(), Status::Draft);
        let s = next_status(s, Action::Approved).unwrap();
        assert_eq!(s, Status::Published);
        assert_eq!(next_status(s, Action::Saved).unwrap(), Status::Draft);
        assert_eq!(next_status(s, Action::Archived).unwrap(), Status::Archived);
    }

    #[test]
    fn steps_out_of_order_are_refused_with_the_reason() {
        let e = next_status(Status::Published, Action::Submitted).unwrap_err();
        assert!(e.0.contains("published"), "{e}");
        assert!(next_status(Status::Draft, Action::SentBack).is_err());
        assert!(next_status(Status::Archived, Action::Approved).is_err());
        assert!(next_status(Status::Archived, Action::Archived).is_err());
    }

    #[test]
    fn a_diff_marks_added_and_removed_lines() {
        let diff = diff_lines("a\nb\nc\n", "a\nc\nd\n");
        let ops: Vec<(&str, &str)> = diff.iter().map(|l| (l.op, l.text.as_str())).collect();
        assert_eq!(ops, [(" ", "a"), ("-", "b"), (" ", "c"), ("+", "d")]);
    }
}
