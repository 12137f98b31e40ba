//! "Recently viewed": the accounts and items a user opened last, for the home page.

use crate::app::access::Access;
use crate::app::account_book::AccountBook;
use crate::app::library::Library;
use crate::store::recent::ViewedKind;

/// An account or item opened lately, still there and still readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentLink {
    pub kind: ViewedKind,
    pub title: String,
    pub url: String,
    /// RFC 3339.
    pub at: String,
}

/// Remembers that `user` opened `id`. A failure is logged, never shown: the page was read.
pub fn record(library: &Library, user: &str, kind: ViewedKind, id: &str) {
    if let Err(e) = library.store().record_view(user, kind, id) {
        tracing::warn!(error = %e, user, id, "the view could not be remembered");
    }
}

/// What the principal of `access` opened last, newest first: accounts by name, items by title
/// (published or readable by them); what is gone or no longer readable is left out.
pub fn recently_viewed(library: &Library, book: &AccountBook, access: &Access) -> Vec<RecentLink> {
    let views = match library.store().recent_views(&access.principal.user) {
        Ok(views) => views,
        Err(e) => {
            tracing::warn!(error = %e, "recently viewed could not be read");
            return Vec::new();
        }
    };
    let state = book.state();
    let catalog = library.indexed_catalog();
    views
        .into_iter()
        .filter_map(|view| {
            let (title, url) = match view.kind {
                ViewedKind::Account => {
                    let account = state
                        .accounts()
                        .binary_search_by(|a| a.id.as_str().cmp(&view.id))
                        .ok()
                        .map(|i| &state.accounts()[i])?;
                    (
                        account.name.to_string(),
                        format!(
                            "/accounts/{}",
                            crate::domain::ids::path_segment(&account.id)
                        ),
                    )
                }
                ViewedKind::Content => {
                    let item = catalog.get(&view.id).filter(|item| access.can_read(item))?;
                    (
                        item.title.clone(),
                        format!("/content/{}", crate::domain::ids::path_segment(&item.id)),
                    )
                }
            };
            Some(RecentLink {
                kind: view.kind,
                title,
                url,
                at: view.at,
            })
        })
        .collect()
}
