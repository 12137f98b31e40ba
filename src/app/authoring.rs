//! Editing and publishing: the application core behind the editor, the workflow buttons, the
//! version history, case reviews on accounts, best practices, course progress and export.
//!
//! Every change is validated exactly like a file (`domain::content::parse_content` on the
//! item's Markdown, then the cross-item references), stored as a new version
//! (`Store::commit_edit`, refused if someone saved meanwhile), and followed by
//! `Library::content_changed` (catalog rebuilt, indexer woken). Who may do what is decided
//! before, by the caller, with `domain::policy`.

use crate::error_codes::code;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::app::access::Access;
use crate::app::library::{Library, LibraryError};
use crate::domain::capture::{self, CaseReviewForm, FieldError, Practice};
use crate::domain::content::{
    parse_content, to_markdown, ContentError, ContentItem, Kind, Source, Status,
};
use crate::domain::enablement::{self, Completion, Learner, MyCourse};
use crate::domain::ids::ItemId;
use crate::domain::policy;
use crate::domain::workflow::{diff_lines, next_status, Action, DiffLine, Version};
use crate::store::{ContentRecord, StoreError, VersionSummary};

/// Today as `YYYY-MM-DD` (UTC), for review dates and campaign windows.
pub fn today() -> String {
    let date = time::OffsetDateTime::now_utc().date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Where a change failed validation: every problem, each naming its field.
pub fn rejected(problems: Vec<ContentError>) -> LibraryError {
    LibraryError::Rejected(
        problems
            .into_iter()
            .map(|p| FieldError {
                field: p.field.unwrap_or_default(),
                message: p.message,
            })
            .collect(),
    )
}

/// One problem with one field.
fn field_problem(file: &str, field: &str, message: String) -> LibraryError {
    rejected(vec![ContentError {
        file: file.to_owned(),
        field: Some(field.to_owned()),
        line: None,
        message,
    }])
}

fn workflow_error(e: crate::domain::workflow::WorkflowError) -> LibraryError {
    LibraryError::Invalid {
        code: code::INVALID_TRANSITION,
        message: e.0,
    }
}

fn edit_error(e: StoreError) -> LibraryError {
    match e {
        StoreError::EditConflict {
            id,
            expected,
            found,
        } => LibraryError::Conflict(format!(
            "{id} was changed by someone else meanwhile (you edited version {expected}, the latest is version {found}): reload it, apply your change again and save"
        )),
        e => LibraryError::Store(e),
    }
}

/// The answer to a change of owner by someone who may not make it.
fn owner_problem(file: &str, owner: &str) -> LibraryError {
    field_problem(
        file,
        "owner",
        format!(
            "owner: only managers and admins can make {owner:?} the owner; remove the owner \
             line or leave it as it is"
        ),
    )
}

/// Whether the front matter of `text` sets `id` (else the id is made from the title).
fn names_id(text: &str) -> bool {
    crate::domain::content::split_front_matter(text)
        .is_some_and(|(yaml, _, _)| yaml.lines().any(|l| l.starts_with("id:")))
}

/// A new id from a title (or a wanted id): its slug, made unique with `-2`, `-3`, ….
fn fresh_id(library: &Library, title: &str) -> Result<String, LibraryError> {
    let mut base = crate::domain::content::slug_from_path(title);
    if base.is_empty() {
        base = "item".into();
    }
    base = base.chars().take(100).collect();
    let mut id = base.clone();
    let mut n = 1;
    while library.store().get_record(&id)?.is_some() {
        n += 1;
        id = format!("{base}-{n}");
    }
    Ok(id)
}

impl Library {
    /// The stored record of `id` (working copy, live version, version number).
    pub fn record(&self, id: &str) -> Result<ContentRecord, LibraryError> {
        self.store()
            .get_record(id)?
            .ok_or_else(|| LibraryError::NotFound(id.to_owned()))
    }

    /// Parses Markdown with front matter as the editor received it and checks its references
    /// to other items. `id` is the item's id when it exists (the text may not change it).
    /// Evidence may cite only cases `author` may read: a case they may not read gets the same
    /// answer as an unknown id, so citing never tells that a hidden item exists.
    pub fn validate_markdown(
        &self,
        text: &str,
        id: Option<&str>,
        author: &Access,
    ) -> Result<ContentItem, LibraryError> {
        let name = id.unwrap_or("new item");
        let mut item =
            parse_content(name, &format!("{name}.md"), text, self.taxonomy()).map_err(rejected)?;
        if let Some(id) = id {
            if names_id(text) && item.id != id {
                return Err(field_problem(
                    name,
                    "id",
                    format!(
                        "id: {:?} differs from the item's id {id:?}; an id cannot be changed",
                        item.id
                    ),
                ));
            }
            item.id = id.to_owned();
        }
        // Evidence the author may not see (a case they may not read, unless the move cited is
        // a shared best practice) is checked as if the case did not exist.
        let mut visible: HashMap<String, ContentItem> = HashMap::new();
        let mut problems: Vec<(&str, String)> = Vec::new();
        let mut checked = item.clone();
        checked
            .evidence
            .retain(|reference| match self.cited_case(reference, author) {
                Some(case) => {
                    visible.insert(case.id.clone(), case);
                    true
                }
                None => {
                    if let Some((id, _)) = crate::domain::content::parse_evidence(reference) {
                        problems
                            .push(("evidence", format!("{reference:?}: no case with id {id:?}")));
                    }
                    false
                }
            });
        let store = self.store();
        let find = |other: &str| match visible.get(other) {
            Some(case) => Some(case.clone()),
            // Other references (a lesson's course, a campaign's courses, a translation).
            None => store
                .get_record(other)
                .ok()
                .flatten()
                .and_then(|record| author.readable_version(record)),
        };
        problems.extend(capture::reference_problems(&checked, find));
        let problems: Vec<ContentError> = problems
            .into_iter()
            .map(|(field, message)| ContentError {
                file: name.to_owned(),
                field: Some(field.into()),
                line: None,
                message: format!("{field}: {message}"),
            })
            .collect();
        if !problems.is_empty() {
            return Err(rejected(problems));
        }
        Ok(item)
    }

    /// Creates an item from Markdown with front matter, as a draft owned by its author (only
    /// managers and admins may name another owner). Without an `id`, one is made from the
    /// title; an `id` taken by an item the author may not read is replaced by a fresh one, so
    /// that creating never tells that a hidden item exists.
    pub fn create_item(&self, text: &str, author: &Access) -> Result<Version, LibraryError> {
        let by = author.principal.user.as_str();
        let mut item = self.validate_markdown(text, None, author)?;
        if names_id(text) {
            if let Some(taken) = self.store().get_record(&item.id)? {
                if author.readable_version(taken).is_some() {
                    return Err(LibraryError::Conflict(format!(
                        "id {:?} is taken: choose another id, or edit that item",
                        item.id
                    )));
                }
                item.id = fresh_id(self, &item.id)?;
            }
        } else {
            item.id = fresh_id(self, &item.title)?;
        }
        if let Some(owner) = item.owner.as_deref().filter(|o| *o != by) {
            if !policy::can_change_owner(&author.principal) {
                return Err(owner_problem(&item.id, owner));
            }
        }
        item.source = Source::Editor;
        item.status = Status::Draft;
        item.owner = item.owner.or_else(|| Some(by.to_owned()));
        item.hash = crate::domain::content::content_hash(&to_markdown(&item));
        let version = self
            .store()
            .commit_edit(&item, None, 0, by, Action::Created, None)
            .map_err(edit_error)?;
        self.content_changed()?;
        Ok(version)
    }

    /// Saves a new working copy of `id` made from version `base`. It becomes a draft; readers
    /// keep seeing the published version until the draft is approved. Only managers and admins
    /// change the owner; the version's note records the change.
    pub fn save_item(
        &self,
        id: &str,
        text: &str,
        base: u64,
        author: &Access,
        note: Option<String>,
    ) -> Result<Version, LibraryError> {
        let by = author.principal.user.as_str();
        let record = self.record(id)?;
        let mut item = self.validate_markdown(text, Some(id), author)?;
        if item.kind != record.item.kind {
            return Err(field_problem(
                id,
                "kind",
                format!(
                    "kind: a {} cannot become a {}; create a new item instead",
                    record.item.kind.as_str(),
                    item.kind.as_str()
                ),
            ));
        }
        // References to cases the author may not see were never shown to them: they stay as
        // they were (they were checked when someone who could read the case added them).
        let mut seen = record.item.clone();
        self.hide_unshared_evidence(&mut seen, author);
        for kept in &record.item.evidence {
            if !seen.evidence.contains(kept) && !item.evidence.contains(kept) {
                item.evidence.push(kept.clone());
            }
        }
        let mut note = note;
        match (item.owner.as_deref(), record.item.owner.as_deref()) {
            (Some(new), old) if Some(new) != old => {
                if !policy::can_change_owner(&author.principal) {
                    return Err(owner_problem(id, new));
                }
                let change = format!("owner: {} → {new}", old.unwrap_or("-"));
                note = Some(match note {
                    Some(note) => format!("{note}; {change}"),
                    None => change,
                });
            }
            _ => {}
        }
        item.source = record.item.source.clone();
        item.owner = item.owner.or_else(|| record.item.owner.clone());
        item.status = next_status(record.item.status, Action::Saved).map_err(workflow_error)?;
        item.hash = crate::domain::content::content_hash(&to_markdown(&item));
        self.commit(&record, item, base, by, Action::Saved, note)
    }

    /// Moves `id` one step in the workflow (submit, approve, send back with a comment, archive).
    pub fn workflow_step(
        &self,
        id: &str,
        action: Action,
        by: &str,
        comment: Option<String>,
    ) -> Result<Version, LibraryError> {
        let record = self.record(id)?;
        if action == Action::SentBack && comment.as_deref().is_none_or(|c| c.trim().is_empty()) {
            return Err(LibraryError::Invalid {
                code: code::COMMENT_REQUIRED,
                message: "comment: say what to change when sending an item back".into(),
            });
        }
        let mut item = record.item.clone();
        item.status = next_status(item.status, action).map_err(workflow_error)?;
        let base = record.version;
        self.commit(&record, item, base, by, action, comment)
    }

    /// Brings back version `n` of `id` as a new draft (history is kept: nothing is deleted).
    pub fn restore_version(&self, id: &str, n: u64, by: &str) -> Result<Version, LibraryError> {
        let record = self.record(id)?;
        let old = self
            .store()
            .version(id, n)?
            .ok_or_else(|| LibraryError::NotFound(format!("{id} version {n}")))?;
        let mut item = old.item;
        item.source = record.item.source.clone();
        item.status = next_status(record.item.status, Action::Restored).map_err(workflow_error)?;
        let base = record.version;
        self.commit(
            &record,
            item,
            base,
            by,
            Action::Restored,
            Some(format!("version {n}")),
        )
    }

    /// Stores `item` as the next version of `record`, keeping the published version live for
    /// readers while the working copy is unpublished.
    fn commit(
        &self,
        record: &ContentRecord,
        item: ContentItem,
        base: u64,
        by: &str,
        action: Action,
        comment: Option<String>,
    ) -> Result<Version, LibraryError> {
        let live = match item.status {
            Status::Published | Status::Archived => None,
            _ if record.item.status == Status::Published => Some(record.item.clone()),
            _ => record.live.clone(),
        };
        let version = self
            .store()
            .commit_edit(&item, live.as_ref(), base, by, action, comment)
            .map_err(edit_error)?;
        self.content_changed()?;
        Ok(version)
    }

    /// Who sent `item` back and why, while it is a draft that has not been submitted again
    /// since (the author's "sent back" state).
    pub fn last_send_back(
        &self,
        item: &ContentItem,
    ) -> Result<Option<(String, String)>, LibraryError> {
        if item.status != Status::Draft {
            return Ok(None);
        }
        Ok(self
            .versions(&item.id)?
            .into_iter()
            .take_while(|v| v.action != Action::Submitted)
            .find(|v| v.action == Action::SentBack)
            .map(|v| (v.by, v.comment.unwrap_or_default())))
    }

    pub fn versions(&self, id: &str) -> Result<Vec<VersionSummary>, LibraryError> {
        Ok(self.store().versions(id)?)
    }

    pub fn version(&self, id: &str, n: u64) -> Result<Version, LibraryError> {
        self.store()
            .version(id, n)?
            .ok_or_else(|| LibraryError::NotFound(format!("{id} version {n}")))
    }

    /// The line diff between two versions of `id`, as Markdown with front matter.
    /// Version `n` of `id` as `reader` may see it (see [`Library::hide_unshared_evidence`]).
    pub fn version_as_seen(
        &self,
        id: &str,
        n: u64,
        reader: &Access,
    ) -> Result<Version, LibraryError> {
        let mut version = self.version(id, n)?;
        self.hide_unshared_evidence(&mut version.item, reader);
        Ok(version)
    }

    /// The changes from version `from` to `to`, as `reader` may see them (evidence they may
    /// not see is left out of both sides).
    pub fn diff(
        &self,
        id: &str,
        from: u64,
        to: u64,
        reader: &Access,
    ) -> Result<Vec<DiffLine>, LibraryError> {
        let mut old = self.version(id, from)?.item;
        let mut new = self.version(id, to)?.item;
        self.hide_unshared_evidence(&mut old, reader);
        self.hide_unshared_evidence(&mut new, reader);
        Ok(diff_lines(&to_markdown(&old), &to_markdown(&new)))
    }

    /// The item `id` as `reader` may read it: the working copy if they may, else the published
    /// version readers keep while a newer draft waits, its evidence as they may see it;
    /// otherwise "not found", exactly as for an unknown id, so a hidden item's existence is
    /// not revealed.
    pub fn readable_item(&self, reader: &Access, id: &ItemId) -> Result<ContentItem, LibraryError> {
        let mut item = reader
            .readable_version(self.record(id)?)
            .ok_or_else(|| LibraryError::NotFound(id.to_string()))?;
        self.hide_unshared_evidence(&mut item, reader);
        Ok(item)
    }

    /// Leaves out of `item.evidence` the references `reader` may not see: a case they may not
    /// read is cited visibly only by a move marked as a best practice (shared with everyone).
    /// Every view of an item — page, API, editor, versions — goes through this, so the id of a
    /// hidden case review never reaches someone who may not read it.
    pub fn hide_unshared_evidence(&self, item: &mut ContentItem, reader: &Access) {
        item.evidence
            .retain(|reference| self.cited_case(reference, reader).is_some());
    }

    /// The case `reference` cites, as `reader` may see it: the case when they may read it, or
    /// its published version when the cited move is a shared best practice; else none (as for
    /// a case that does not exist).
    fn cited_case(&self, reference: &str, reader: &Access) -> Option<ContentItem> {
        let (id, n) = crate::domain::content::parse_evidence(reference)?;
        let record = self.store().get_record(id).ok().flatten()?;
        if reader.can_read_working_copy(&record) {
            return Some(record.item);
        }
        let published = match record.live {
            Some(live) => live,
            None if record.item.status == Status::Published => record.item,
            None => return None,
        };
        (reader.can_read(&published) || capture::shares_move(&published, n)).then_some(published)
    }

    /// Items in review, oldest change first: the approvers' queue.
    pub fn review_queue(&self) -> Result<Vec<ContentRecord>, LibraryError> {
        let mut queue: Vec<ContentRecord> = self
            .store()
            .list_records()?
            .into_iter()
            .filter(|r| r.item.status == Status::InReview)
            .collect();
        queue.sort_by(|a, b| a.updated_at.cmp(&b.updated_at));
        Ok(queue)
    }

    /// The items of `owner` (every owner's with `None`), newest change first.
    pub fn owned_by(&self, owner: Option<&str>) -> Result<Vec<ContentRecord>, LibraryError> {
        let mut items: Vec<ContentRecord> = self
            .store()
            .list_records()?
            .into_iter()
            .filter(|r| owner.is_none_or(|o| r.item.owner.as_deref() == Some(o)))
            .collect();
        items.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
        Ok(items)
    }

    /// Items past their `review_by` date, of `owner` (all with `None`), most overdue first.
    pub fn stale(&self, owner: Option<&str>) -> Result<Vec<ContentItem>, LibraryError> {
        let today = today();
        let mut items: Vec<ContentItem> = self
            .owned_by(owner)?
            .into_iter()
            .map(|r| r.item)
            .filter(|item| item.is_stale(&today))
            .collect();
        items.sort_by(|a, b| a.review_by.cmp(&b.review_by));
        Ok(items)
    }

    /// Attaches a case review to an account: a published case owned by `by`, recording the
    /// account's tier at the time.
    pub fn attach_case_review(
        &self,
        account_id: &str,
        account_name: &str,
        tier: Option<&str>,
        form: &CaseReviewForm,
        by: &str,
    ) -> Result<Version, LibraryError> {
        let taxonomy = self.taxonomy();
        let draft = capture::case_review(form, account_name, |s| taxonomy.is_scenario(s))
            .map_err(LibraryError::Rejected)?;
        let base_id = format!("review-{}-{}", account_id, today());
        let mut id = crate::domain::content::slug_from_path(&base_id);
        let mut n = 1;
        while self.store().get_record(&id)?.is_some() {
            n += 1;
            id = format!("{}-{n}", crate::domain::content::slug_from_path(&base_id));
        }
        let mut item = ContentItem {
            tiers: tier.map(str::to_owned).into_iter().collect(),
            scenarios: draft.scenarios,
            tags: draft.tags,
            lang: draft.lang,
            account: Some(account_id.to_owned()),
            outcome: Some(draft.outcome),
            owner: Some(by.to_owned()),
            moves: draft.moves,
            account_tier: tier.map(str::to_owned),
            body: draft.body,
            ..ContentItem::blank(&id, Kind::Case, &draft.title)
        };
        // The same validation as any file (account ids are free text, the tier is checked).
        let text = to_markdown(&item);
        parse_content(&item.id, &format!("{}.md", item.id), &text, taxonomy).map_err(rejected)?;
        item.hash = crate::domain::content::content_hash(&text);
        let version = self
            .store()
            .commit_edit(&item, None, 0, by, Action::Created, None)
            .map_err(edit_error)?;
        self.content_changed()?;
        Ok(version)
    }

    /// Marks (or unmarks) move `n` (from 1) of case `id` as a best practice. The published
    /// version is curated too, so readers see the mark without a new review round.
    pub fn mark_best_practice(
        &self,
        id: &str,
        n: usize,
        best: bool,
        by: &str,
    ) -> Result<Version, LibraryError> {
        let record = self.record(id)?;
        if record.item.kind != Kind::Case {
            return Err(LibraryError::Invalid {
                code: code::NOT_A_CASE,
                message: format!(
                    "{id} is a {}: only cases have moves",
                    record.item.kind.as_str()
                ),
            });
        }
        let count = record.item.moves.len();
        if n == 0 || n > count {
            return Err(LibraryError::NotFound(format!(
                "move {n} of {id} (it has {count} moves)"
            )));
        }
        let mut item = record.item.clone();
        let text = item.moves[n - 1].text.clone();
        item.moves[n - 1].best = best;
        let mut live = record.live.clone();
        if let Some(live) = &mut live {
            for m in live.moves.iter_mut().filter(|m| m.text == text) {
                m.best = best;
            }
        }
        let version = self
            .store()
            .commit_edit(
                &item,
                live.as_ref(),
                record.version,
                by,
                Action::Curated,
                Some(format!(
                    "move {n}: {}",
                    if best { "best practice" } else { "unmarked" }
                )),
            )
            .map_err(edit_error)?;
        self.content_changed()?;
        Ok(version)
    }

    /// Best practices in published cases for a tier and scenario (`None`: any).
    /// The best practices of published cases, for a tier and a scenario (blank: any), each
    /// marked readable when `reader` may open its case (the practice itself is shared with
    /// everyone); an unknown tier or scenario is an error naming the parameter.
    pub fn practices(
        &self,
        reader: &Access,
        tier: Option<&str>,
        scenario: Option<&str>,
    ) -> Result<Vec<Practice>, LibraryError> {
        let (tier, scenario) = self.vocabulary_filters(tier, scenario)?;
        let catalog = self.indexed_catalog();
        let mut practices =
            capture::practices(self.catalog().iter(), tier.as_deref(), scenario.as_deref());
        for practice in &mut practices {
            practice.readable = catalog
                .get(&practice.case_id)
                .is_some_and(|case| reader.can_read(case));
        }
        Ok(practices)
    }

    /// Published playbooks that cite case `id`.
    pub fn cited_by(&self, id: &str) -> Vec<ContentItem> {
        self.catalog()
            .iter()
            .filter(|p| p.kind == Kind::Playbook && capture::cites(p, id))
            .cloned()
            .collect()
    }

    /// `learner`'s courses today, with their progress.
    pub fn my_courses(&self, learner: &Learner<'_>) -> Result<Vec<MyCourse>, LibraryError> {
        let done = self.store().lessons_done(learner.user)?;
        Ok(enablement::my_courses(
            &self.catalog(),
            learner,
            &today(),
            &done,
        ))
    }

    /// Marks a published lesson done (or not) for `user`.
    pub fn set_lesson_done(
        &self,
        user: &str,
        lesson: &str,
        done: bool,
    ) -> Result<(), LibraryError> {
        let item = self.published(lesson)?;
        if item.kind != Kind::Lesson {
            return Err(LibraryError::Invalid {
                code: code::NOT_A_LESSON,
                message: format!("{lesson} is a {}, not a lesson", item.kind.as_str()),
            });
        }
        Ok(self.store().set_lesson_done(user, lesson, done)?)
    }

    pub fn lessons_done(&self, user: &str) -> Result<HashSet<String>, LibraryError> {
        Ok(self.store().lessons_done(user)?)
    }

    /// Everyone's progress through a published course, and which of `learners` (the users)
    /// it is assigned to without their having started it.
    pub fn completion(
        &self,
        course: &str,
        learners: &[Learner<'_>],
    ) -> Result<Completion, LibraryError> {
        let item = self.published(course)?;
        if item.kind != Kind::Course {
            return Err(LibraryError::NotFound(course.to_owned()));
        }
        let catalog = self.catalog();
        let lessons = enablement::lessons_of(&catalog, course);
        let progress = self.store().all_progress()?;
        let mut completion = enablement::completion(
            course,
            &lessons,
            progress.iter().map(|(u, d)| (u.as_str(), d)),
        );
        enablement::add_not_started(&mut completion, &catalog, &item, learners, &today());
        Ok(completion)
    }
}

/// Writes every stored item (its working copy) as Markdown with front matter under `dir`: file
/// items at their path, editor items at `<kind>s/<id>.md`. Returns how many were written.
pub fn export_dir(records: &[ContentRecord], dir: &Path) -> std::io::Result<usize> {
    for record in records {
        let path = dir.join(record.item.export_path());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, to_markdown(&record.item))?;
    }
    Ok(records.len())
}
