//! One request's view of the data: the signed-in principal plus the facts the policy needs
//! (who owns which account), applied to content, search, accounts and the briefing.
//!
//! `domain::policy` decides; this module looks up the facts and applies the decisions, so every
//! page, API route, search, export and the briefing filters the same way. It knows nothing of
//! HTTP.

use std::sync::Arc;

use crate::app::account_book::{AccountBook, AccountDetail, AccountList, AccountsError, TierState};
use crate::app::briefing::Viewer;
use crate::app::library::Library;
use crate::domain::content::ContentItem;
use crate::domain::ids::AccountId;
use crate::domain::policy::{self, ContentFacts, Principal};
use crate::search::index::Visibility;
use crate::store::ContentRecord;

pub struct Access {
    pub principal: Principal,
    state: Arc<TierState>,
    visibility: Visibility,
}

impl Access {
    pub fn new(principal: Principal, book: &AccountBook, library: &Library) -> Access {
        let state = book.state();
        // Case reviews are tied to accounts; those whose account the principal may not see are
        // hidden from search too (counts, facets and snippets included).
        let hidden_accounts: Vec<String> = library
            .indexed_catalog()
            .accounts()
            .iter()
            .filter(|account| {
                !policy::can_see_case_reviews_of(&principal, state.owner_of(account).flatten())
            })
            .cloned()
            .collect();
        let visibility = Visibility {
            all_statuses: policy::can_see_all_drafts(&principal),
            owner: Some(principal.user.clone()),
            hidden_accounts,
        };
        Access {
            principal,
            state,
            visibility,
        }
    }

    /// What search may show this principal.
    pub fn visibility(&self) -> &Visibility {
        &self.visibility
    }

    fn account_owner(&self, account: Option<&str>) -> Option<&str> {
        account.and_then(|a| self.state.owner_of(a).flatten())
    }

    pub fn can_read(&self, item: &ContentItem) -> bool {
        policy::can_read_content(
            &self.principal,
            ContentFacts::of(item),
            self.account_owner(item.account.as_deref()),
        )
    }

    /// Whether this principal may read the working copy of `record` (a draft of a published
    /// item counts as a revision of it; see `policy::can_read_content`).
    pub fn can_read_working_copy(&self, record: &ContentRecord) -> bool {
        policy::can_read_content(
            &self.principal,
            ContentFacts::of_working_copy(&record.item, record.live.is_some()),
            self.account_owner(record.item.account.as_deref()),
        )
    }

    /// The version of `record` this principal reads: the working copy if they may read it,
    /// else the published version readers keep while a newer draft waits, else none.
    pub fn readable_version(&self, record: ContentRecord) -> Option<ContentItem> {
        if self.can_read_working_copy(&record) {
            return Some(record.item);
        }
        record.live.filter(|live| self.can_read(live))
    }

    /// The items of `items` this principal may read.
    pub fn readable<'a>(
        &'a self,
        items: impl IntoIterator<Item = ContentItem> + 'a,
    ) -> impl Iterator<Item = ContentItem> + 'a {
        items.into_iter().filter(|item| self.can_read(item))
    }

    /// An account's detail, built without its figures (indicators, score, contributions and
    /// the numbers of the rule text) unless the principal may see them.
    pub fn account_detail(
        &self,
        book: &AccountBook,
        id: &AccountId,
    ) -> Result<AccountDetail, AccountsError> {
        book.account(id, |account| {
            policy::can_see_figures(&self.principal, account.owner.as_deref())
        })
    }

    /// One slice of the account list, scores removed from the rows whose figures the
    /// principal may not see.
    pub fn account_list(&self, mut list: AccountList) -> AccountList {
        for row in &mut list.accounts {
            if !policy::can_see_figures(&self.principal, row.owner.as_deref()) {
                row.hide_figures();
            }
        }
        list
    }

    /// The briefing's viewer: figures per account, cases as search shows them (published only:
    /// a briefing is for the call, not for reviewing drafts).
    pub fn viewer(&self) -> Viewer {
        Viewer {
            principal: Some(self.principal.clone()),
            visibility: Visibility {
                all_statuses: false,
                owner: None,
                hidden_accounts: self.visibility.hidden_accounts.clone(),
            },
        }
    }
}
