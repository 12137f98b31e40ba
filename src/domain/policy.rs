//! Who may do what: users' roles and one function per action and resource.
//!
//! Every page, API route, search, lookup, briefing and export asks these functions; nothing
//! else decides access. Pure: the inputs are the signed-in principal and the facts about the
//! resource (its status, owner, the owner of the account it concerns), looked up by the caller.
//!
//! The rules (issue 6):
//! - everyone signed in reads published playbooks, courses, lessons and cases that are not tied
//!   to an account, and sees the tier of every account;
//! - a rep sees full figures and case reviews only of the accounts they own, and writes
//!   experience write-ups;
//! - a trainer creates, edits and publishes playbooks and courses;
//! - a manager sees every account's figures and case reviews, sets tier overrides, approves,
//!   reads the analytics, and imports last quarter's CRM export;
//! - an admin does what a manager does, and manages users, the tier model, reindexing and
//!   backups.
//!
//! Drafts are visible to their owner (author) and to those who approve them (managers, admins).

use serde::{Deserialize, Serialize};

use crate::domain::content::{ContentItem, Kind, Status};

/// A user's role. Each role is a set of permissions below, not a rank: a trainer is not "more"
/// than a rep for account figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Rep,
    Trainer,
    Manager,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Rep, Role::Trainer, Role::Manager, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Rep => "rep",
            Role::Trainer => "trainer",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(value.trim()))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in user a request acts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub user: String,
    pub role: Role,
}

impl Principal {
    pub fn new(user: impl Into<String>, role: Role) -> Principal {
        Principal {
            user: user.into(),
            role,
        }
    }

    fn is(&self, user: Option<&str>) -> bool {
        user == Some(self.user.as_str())
    }

    fn manages(&self) -> bool {
        matches!(self.role, Role::Manager | Role::Admin)
    }
}

// ---------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------

/// Revenue, profit, collections, overdue days and every other indicator of an account, and
/// anything computed from them that would reveal them (score, contributions).
pub fn can_see_figures(p: &Principal, account_owner: Option<&str>) -> bool {
    p.manages() || p.is(account_owner)
}

/// Every principal sees every account's name and tier (the pyramid is shared knowledge).
pub fn can_see_tier(_p: &Principal) -> bool {
    true
}

/// Set or remove a manual tier override.
pub fn can_override_tier(p: &Principal) -> bool {
    p.manages()
}

/// The Pareto picture, tier changes across the base, the full tier export.
pub fn can_see_analytics(p: &Principal) -> bool {
    p.manages()
}

/// Import accounts (a CRM export): managers, who own the customer base, and admins.
pub fn can_import_accounts(p: &Principal) -> bool {
    matches!(p.role, Role::Manager | Role::Admin)
}

/// Import existing notes and documents as drafts: trainers, who write the library, managers and
/// admins.
pub fn can_import_content(p: &Principal) -> bool {
    matches!(p.role, Role::Trainer | Role::Manager | Role::Admin)
}

/// Read or change the tier model (changing it recomputes every tier).
pub fn can_change_tier_model(p: &Principal) -> bool {
    p.role == Role::Admin
}

// ---------------------------------------------------------------------------------------------
// Content
// ---------------------------------------------------------------------------------------------

/// The facts about a content item that decide who may read it.
#[derive(Debug, Clone, Copy)]
pub struct ContentFacts<'a> {
    pub kind: Kind,
    pub status: Status,
    /// The item's owner (author).
    pub owner: Option<&'a str>,
    /// The account a case review is about.
    pub account: Option<&'a str>,
    /// An unpublished working copy of an item whose published version readers keep seeing
    /// (an edit waiting for approval), rather than an item that was never published.
    pub revises_published: bool,
}

impl<'a> ContentFacts<'a> {
    pub fn of(item: &'a ContentItem) -> ContentFacts<'a> {
        ContentFacts {
            kind: item.kind,
            status: item.status,
            owner: item.owner.as_deref(),
            account: item.account.as_deref(),
            revises_published: false,
        }
    }

    /// The facts of a working copy; `has_published` says whether a published version of the
    /// item exists beside it.
    pub fn of_working_copy(item: &'a ContentItem, has_published: bool) -> ContentFacts<'a> {
        ContentFacts {
            revises_published: has_published && item.status != Status::Published,
            ..ContentFacts::of(item)
        }
    }
}

/// Read a content item. `account_owner` is the owner of the account the item is about (if it
/// is about one); a case review of an account is as private as the account's figures.
pub fn can_read_content(
    p: &Principal,
    item: ContentFacts<'_>,
    account_owner: Option<&str>,
) -> bool {
    let author = p.is(item.owner);
    // Drafts are their author's and their approvers'. Trainers keep the whole library, so they
    // also see (and edit) a pending revision of a published playbook; a draft that was never
    // published stays its author's.
    let status_ok = item.status == Status::Published
        || author
        || can_approve(p)
        || (item.revises_published && can_edit_content(p, item));
    let account_ok = item.account.is_none() || author || can_see_case_reviews_of(p, account_owner);
    status_ok && account_ok
}

/// Case reviews attached to an account.
pub fn can_see_case_reviews_of(p: &Principal, account_owner: Option<&str>) -> bool {
    can_see_figures(p, account_owner)
}

/// Unpublished items of others: those who approve them see them.
pub fn can_see_all_drafts(p: &Principal) -> bool {
    can_approve(p)
}

/// Create or edit an item of `kind` (trainers: playbooks and courses; reps: experience
/// write-ups; managers: everything, case reviews included).
pub fn can_write_content(p: &Principal, kind: Kind) -> bool {
    match kind {
        Kind::Playbook | Kind::Course | Kind::Lesson | Kind::Campaign => {
            matches!(p.role, Role::Trainer | Role::Manager | Role::Admin)
        }
        Kind::Case => true,
    }
}

/// Change an existing item: its kind must be one `p` writes, and it must be theirs — except that
/// approvers edit everything and trainers edit any playbook, course, lesson or campaign (the
/// library is theirs to keep).
pub fn can_edit_content(p: &Principal, item: ContentFacts<'_>) -> bool {
    can_write_content(p, item.kind)
        && (p.is(item.owner)
            || can_approve(p)
            || (p.role == Role::Trainer && item.kind != Kind::Case))
}

/// Make someone else an item's owner (by `owner` in its front matter): managers and admins.
pub fn can_change_owner(p: &Principal) -> bool {
    p.manages()
}

/// Archive an item: its owner or an approver.
pub fn can_archive(p: &Principal, item: ContentFacts<'_>) -> bool {
    can_approve(p) || (p.is(item.owner) && can_write_content(p, item.kind))
}

/// Attach a case review to an account, mark a case's move as a best practice.
pub fn can_review_cases(p: &Principal) -> bool {
    p.manages()
}

/// How everyone is doing with a course.
pub fn can_see_course_completion(p: &Principal) -> bool {
    matches!(p.role, Role::Trainer | Role::Manager | Role::Admin)
}

/// Approve (publish) or send back items in review.
pub fn can_approve(p: &Principal) -> bool {
    p.manages()
}

/// The content problems page (file paths and parse errors) and the search-miss list: for
/// those who write and curate content.
pub fn can_curate_content(p: &Principal) -> bool {
    matches!(p.role, Role::Trainer | Role::Manager | Role::Admin)
}

// ---------------------------------------------------------------------------------------------
// Administration
// ---------------------------------------------------------------------------------------------

/// Add, disable, re-role users and reset their passwords.
pub fn can_manage_users(p: &Principal) -> bool {
    p.role == Role::Admin
}

/// Rebuild the search index, make backups.
pub fn can_operate(p: &Principal) -> bool {
    p.role == Role::Admin
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(role: Role) -> Principal {
        Principal::new("ann", role)
    }

    fn facts(
        status: Status,
        owner: Option<&'static str>,
        account: Option<&'static str>,
    ) -> ContentFacts<'static> {
        ContentFacts {
            kind: Kind::Case,
            status,
            owner,
            account,
            revises_published: false,
        }
    }

    #[test]
    fn figures_belong_to_the_owner_and_to_managers() {
        assert!(can_see_figures(&p(Role::Rep), Some("ann")));
        assert!(!can_see_figures(&p(Role::Rep), Some("bob")));
        assert!(!can_see_figures(&p(Role::Rep), None));
        assert!(!can_see_figures(&p(Role::Trainer), Some("bob")));
        assert!(can_see_figures(&p(Role::Manager), Some("bob")));
        assert!(can_see_figures(&p(Role::Admin), None));
    }

    #[test]
    fn published_items_without_an_account_are_for_everyone() {
        for role in Role::ALL {
            assert!(can_read_content(
                &p(role),
                facts(Status::Published, None, None),
                None
            ));
        }
    }

    #[test]
    fn a_case_review_is_as_private_as_its_accounts_figures() {
        let review = facts(Status::Published, Some("mgr"), Some("ACC-1"));
        assert!(can_read_content(&p(Role::Rep), review, Some("ann")));
        assert!(!can_read_content(&p(Role::Rep), review, Some("bob")));
        assert!(!can_read_content(&p(Role::Trainer), review, Some("bob")));
        assert!(can_read_content(&p(Role::Manager), review, Some("bob")));
        // Its author keeps seeing it after the account moved to someone else.
        let own = facts(Status::Published, Some("ann"), Some("ACC-1"));
        assert!(can_read_content(&p(Role::Rep), own, Some("bob")));
    }

    #[test]
    fn drafts_are_for_their_author_and_approvers() {
        let draft = facts(Status::Draft, Some("bob"), None);
        assert!(!can_read_content(&p(Role::Rep), draft, None));
        assert!(!can_read_content(&p(Role::Trainer), draft, None));
        assert!(can_read_content(&p(Role::Manager), draft, None));
        assert!(can_read_content(
            &Principal::new("bob", Role::Rep),
            draft,
            None
        ));
        let unowned = facts(Status::Draft, None, None);
        assert!(!can_read_content(&p(Role::Trainer), unowned, None));
        assert!(can_read_content(&p(Role::Admin), unowned, None));
    }

    #[test]
    fn a_trainer_reads_another_trainers_draft_only_when_it_revises_a_published_playbook() {
        let playbook = |status, revises_published| ContentFacts {
            kind: Kind::Playbook,
            status,
            owner: Some("bob"),
            account: None,
            revises_published,
        };
        let trainer = p(Role::Trainer);
        assert!(!can_read_content(
            &trainer,
            playbook(Status::Draft, false),
            None
        ));
        assert!(!can_read_content(
            &trainer,
            playbook(Status::InReview, false),
            None
        ));
        assert!(can_read_content(
            &trainer,
            playbook(Status::Draft, true),
            None
        ));
        assert!(!can_read_content(
            &p(Role::Rep),
            playbook(Status::Draft, true),
            None
        ));
        assert!(can_read_content(
            &p(Role::Manager),
            playbook(Status::Draft, false),
            None
        ));
    }

    #[test]
    fn only_trainers_and_up_write_playbooks_and_everyone_writes_cases() {
        assert!(!can_write_content(&p(Role::Rep), Kind::Playbook));
        assert!(can_write_content(&p(Role::Rep), Kind::Case));
        assert!(can_write_content(&p(Role::Trainer), Kind::Course));
        assert!(can_write_content(&p(Role::Manager), Kind::Playbook));
    }

    #[test]
    fn administration_is_for_admins() {
        for role in [Role::Rep, Role::Trainer, Role::Manager] {
            assert!(!can_manage_users(&p(role)));
            assert!(!can_change_tier_model(&p(role)));
            assert!(!can_operate(&p(role)));
        }
        assert!(can_manage_users(&p(Role::Admin)));
    }

    #[test]
    fn managers_and_admins_import_accounts_reps_and_trainers_do_not() {
        assert!(!can_import_accounts(&p(Role::Rep)));
        assert!(!can_import_accounts(&p(Role::Trainer)));
        assert!(can_import_accounts(&p(Role::Manager)));
        assert!(can_import_accounts(&p(Role::Admin)));
    }

    #[test]
    fn roles_parse_case_insensitively_and_reject_unknown_names() {
        assert_eq!(Role::parse("Manager"), Some(Role::Manager));
        assert_eq!(Role::parse("boss"), None);
    }
}
