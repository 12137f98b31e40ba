//! The library: the application core the web handlers call.
//!
//! It joins the store (source of truth), the taxonomy and the problems found in the content
//! directory, and answers questions in domain terms. It knows nothing of HTTP or templates.

use std::sync::Arc;

use crate::content::LoadReport;
use crate::domain::content::{ContentError, ContentItem, Kind};
use crate::domain::coverage::{coverage, Coverage};
use crate::domain::taxonomy::Taxonomy;
use crate::store::{Store, StoreError, SyncSummary};

#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("no content item with id {0:?}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Everything a request needs, shared by all workers.
pub struct Library {
    store: Store,
    taxonomy: Arc<Taxonomy>,
    problems: Vec<ContentError>,
}

impl Library {
    /// Syncs the loaded content directory into the store and returns the library.
    pub fn from_load(
        store: Store,
        report: LoadReport,
    ) -> Result<(Library, SyncSummary), StoreError> {
        let summary = store.sync_files(&report.items, &report.failed_paths)?;
        Ok((
            Library {
                store,
                taxonomy: Arc::new(report.taxonomy),
                problems: report.problems,
            },
            summary,
        ))
    }

    /// A library over what the store holds when the content directory could not be read.
    pub fn without_content(store: Store, problem: ContentError) -> Library {
        Library {
            store,
            taxonomy: Arc::new(Taxonomy::default()),
            problems: vec![problem],
        }
    }

    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Problems found in the content directory at start.
    pub fn problems(&self) -> &[ContentError] {
        &self.problems
    }

    /// A published item. Drafts are not shown to readers (authors and approvers arrive with
    /// user accounts), so a draft id answers like an unknown one and reveals nothing.
    pub fn published(&self, id: &str) -> Result<ContentItem, LibraryError> {
        match self.store.get_content(id)? {
            Some(item) if item.is_published() => Ok(item),
            _ => Err(LibraryError::NotFound(id.to_owned())),
        }
    }

    /// Published items, optionally of one kind, ordered by title.
    pub fn list_published(&self, kind: Option<Kind>) -> Result<Vec<ContentItem>, LibraryError> {
        let mut items: Vec<ContentItem> = self
            .store
            .list_content()?
            .into_iter()
            .filter(|item| item.is_published() && kind.is_none_or(|k| item.kind == k))
            .collect();
        items.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.id.cmp(&b.id)));
        Ok(items)
    }

    /// The published lessons of a course, in course order.
    pub fn lessons_of(&self, course_id: &str) -> Result<Vec<ContentItem>, LibraryError> {
        let mut lessons: Vec<ContentItem> = self
            .list_published(Some(Kind::Lesson))?
            .into_iter()
            .filter(|lesson| lesson.course.as_deref() == Some(course_id))
            .collect();
        lessons.sort_by_key(|lesson| lesson.order);
        Ok(lessons)
    }

    /// Published items that are translations of `id`, and the original if `item` is one.
    pub fn translations_of(&self, item: &ContentItem) -> Result<Vec<ContentItem>, LibraryError> {
        let original = item.translation_of.as_deref().unwrap_or(&item.id);
        Ok(self
            .list_published(None)?
            .into_iter()
            .filter(|other| {
                other.id != item.id
                    && (other.id == original || other.translation_of.as_deref() == Some(original))
            })
            .collect())
    }

    pub fn coverage(&self) -> Result<Coverage, LibraryError> {
        let items = self.store.list_content()?;
        Ok(coverage(&items, &self.taxonomy))
    }
}
