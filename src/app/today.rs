//! What needs action today: the accounts whose alerts fire, whose tier moved in the last week,
//! or that have gone long without a case review — most urgent first, for one rep (`Mine`) or
//! for a whole team grouped by rep (`Team`).
//!
//! The list is worked out once per recompute, content change and day (every account against
//! every alert rule, without building any text), and kept; each request then only filters it
//! for the viewer and writes the few entries it shows in the viewer's language. Figures stay
//! private: an entry is shown only to those who may see the account's figures, because the
//! alerts are drawn from them. Knows nothing of HTTP.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::app::account_book::{AccountBook, AccountsError, TierState};
use crate::app::briefing::LinkView;
use crate::app::library::Library;
use crate::domain::alerts::{AlertContext, Direction, Rules, Severity};
use crate::domain::content::{ContentItem, Kind};
use crate::domain::policy::{self, Principal};
use crate::domain::Lang;

/// A tier change this recent (by the time of its recompute) is news on the list.
pub const RECENT_CHANGE_DAYS: i64 = 7;
/// Accounts of the top tiers are expected to have a case review at least this often.
pub const REVIEW_STALE_DAYS: i64 = 180;
/// Tier levels (1 = top of the pyramid) whose accounts are expected to have case reviews.
pub const REVIEWED_LEVELS: u8 = 2;

/// Why an account is on the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// An alert rule fired (collections stage, cross-sell, pruning review, tier change…).
    Alert,
    /// An account of a top tier has no case review, or none for [`REVIEW_STALE_DAYS`].
    NoReview,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TodayReason {
    pub kind: ReasonKind,
    #[schema(value_type = String)]
    pub severity: Severity,
    /// The alert rule's id (`collections-stage-2`), or `no-review`.
    pub id: String,
    /// In the viewer's language.
    pub text: String,
    /// The playbook that says what to do, when it is published.
    pub playbook: Option<LinkView>,
}

/// One account that needs action.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TodayAccount {
    pub id: String,
    pub name: String,
    pub owner: Option<String>,
    pub tier: String,
    pub tier_label: String,
    /// The most urgent of its reasons.
    #[schema(value_type = String)]
    pub severity: Severity,
    /// Most urgent first.
    pub reasons: Vec<TodayReason>,
    pub url: String,
}

/// How many accounts need action, by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SeverityCounts {
    pub total: usize,
    pub critical: usize,
    pub warning: usize,
    pub info: usize,
}

impl SeverityCounts {
    fn add(&mut self, severity: Severity) {
        self.total += 1;
        match severity {
            Severity::Critical => self.critical += 1,
            Severity::Warning => self.warning += 1,
            Severity::Info => self.info += 1,
        }
    }
}

/// One rep's accounts that need action (or everyone's, in the team view).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TodayList {
    pub counts: SeverityCounts,
    /// The most urgent first, at most the limit asked for.
    pub accounts: Vec<TodayAccount>,
}

/// The team view: per owner (reps with the most critical accounts first), then accounts
/// without an owner (`owner: null`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OwnerToday {
    pub owner: Option<String>,
    pub counts: SeverityCounts,
    /// The owner's most urgent accounts, at most the limit asked for.
    pub accounts: Vec<TodayAccount>,
}

/// One account's entry in the precomputed list. With a million accounts more than half are
/// listed, so an entry is kept small (20 bytes, its rules in the list's one array).
#[derive(Debug, Clone)]
struct Entry {
    /// Position in [`TierState::accounts`].
    pos: u32,
    /// Where its rules start in [`Worklist::fired`], and how many fired.
    fired_start: u32,
    fired_len: u16,
    severity: Severity,
    /// `Some(days)` since the last case review, `Some(None)` when there is none: only for
    /// accounts of the reviewed tiers past [`REVIEW_STALE_DAYS`].
    review_age: Option<Option<i32>>,
}

/// The whole list for one state of the accounts and the library.
struct Worklist {
    seq: u64,
    catalog: Arc<Vec<ContentItem>>,
    day: Date,
    /// Most urgent first: severity, then alerts before review reminders, tier level, rank.
    entries: Vec<Entry>,
    /// Indexes into `Rules::rules` of the rules that fired, each entry's most urgent first.
    fired: Vec<u16>,
}

impl Worklist {
    fn fired(&self, entry: &Entry) -> &[u16] {
        let start = entry.fired_start as usize;
        &self.fired[start..start + usize::from(entry.fired_len)]
    }
}

/// The precomputed list, rebuilt when the accounts, the library or the day change.
#[derive(Default)]
pub struct Today {
    cache: RwLock<Option<Arc<Worklist>>>,
    /// Held while a list is built, so concurrent requests wait for one build.
    building: Mutex<()>,
}

/// Whose accounts to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The accounts the principal owns.
    Mine,
    /// Every account whose figures the principal may see.
    Team,
}

impl Today {
    /// The accounts of `scope` that need action, most urgent first, at most `limit`.
    pub fn list(
        &self,
        book: &AccountBook,
        library: &Library,
        principal: &Principal,
        scope: Scope,
        lang: Lang,
        limit: usize,
    ) -> Result<TodayList, AccountsError> {
        let (state, worklist) = self.current(book, library)?;
        let mut counts = SeverityCounts::default();
        let mut accounts = Vec::new();
        for entry in worklist
            .entries
            .iter()
            .filter(|e| shown(&state, principal, scope, e))
        {
            counts.add(entry.severity);
            if accounts.len() < limit {
                accounts.push(view(&state, library, &worklist, entry, lang));
            }
        }
        Ok(TodayList { counts, accounts })
    }

    /// The team view: every account the principal may see the figures of, grouped by owner.
    pub fn by_owner(
        &self,
        book: &AccountBook,
        library: &Library,
        principal: &Principal,
        lang: Lang,
        per_owner: usize,
    ) -> Result<Vec<OwnerToday>, AccountsError> {
        let (state, worklist) = self.current(book, library)?;
        let mut groups: Vec<OwnerToday> = Vec::new();
        let mut index: HashMap<Option<&str>, usize> = HashMap::new();
        for entry in worklist
            .entries
            .iter()
            .filter(|e| shown(&state, principal, Scope::Team, e))
        {
            let owner = state.accounts()[entry.pos as usize].owner.as_deref();
            let at = *index.entry(owner).or_insert_with(|| {
                groups.push(OwnerToday {
                    owner: owner.map(str::to_owned),
                    counts: SeverityCounts::default(),
                    accounts: Vec::new(),
                });
                groups.len() - 1
            });
            let group = &mut groups[at];
            group.counts.add(entry.severity);
            if group.accounts.len() < per_owner {
                group
                    .accounts
                    .push(view(&state, library, &worklist, entry, lang));
            }
        }
        groups.sort_by(|a, b| {
            (
                a.owner.is_none(),
                b.counts.critical,
                b.counts.warning,
                b.counts.total,
            )
                .cmp(&(
                    b.owner.is_none(),
                    a.counts.critical,
                    a.counts.warning,
                    a.counts.total,
                ))
                .then_with(|| a.owner.cmp(&b.owner))
        });
        Ok(groups)
    }

    /// Builds the list ahead of the first request (the server calls this after each
    /// recompute, from the thread that warms the customer finder).
    pub fn warm(&self, book: &AccountBook, library: &Library) {
        if let Err(e) = self.current(book, library) {
            tracing::warn!(error = %e, "the list of accounts needing action could not be built");
        }
    }

    fn current(
        &self,
        book: &AccountBook,
        library: &Library,
    ) -> Result<(Arc<TierState>, Arc<Worklist>), AccountsError> {
        let state = book.state();
        let catalog = library.catalog();
        let day = OffsetDateTime::now_utc().date();
        let fresh = |w: &Worklist| {
            w.seq == state.seq() && Arc::ptr_eq(&w.catalog, &catalog) && w.day == day
        };
        let cached = self
            .cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(list) = cached.filter(|w| fresh(w)) {
            return Ok((state, list));
        }
        let _building = self.building.lock().unwrap_or_else(PoisonError::into_inner);
        let cached = self
            .cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(list) = cached.filter(|w| fresh(w)) {
            return Ok((state, list));
        }
        let started = std::time::Instant::now();
        let list = Arc::new(build(book, library, &state, catalog, day)?);
        tracing::info!(
            accounts = list.entries.len(),
            "accounts needing action listed in {:?}",
            started.elapsed()
        );
        *self.cache.write().unwrap_or_else(PoisonError::into_inner) = Some(list.clone());
        Ok((state, list))
    }
}

/// Whether `entry` belongs to `scope` and `principal` may see it (its reasons come from the
/// account's figures).
fn shown(state: &TierState, principal: &Principal, scope: Scope, entry: &Entry) -> bool {
    let owner = state.accounts()[entry.pos as usize].owner.as_deref();
    let in_scope = match scope {
        Scope::Mine => owner == Some(principal.user.as_str()),
        Scope::Team => true,
    };
    in_scope && policy::can_see_figures(principal, owner)
}

/// Days from an RFC 3339 time to `today` (0 for a time later today or in the future).
fn days_since(at: &str, today: Date) -> Option<i64> {
    let at = OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()?;
    Some((today - at.date()).whole_days().max(0))
}

fn build(
    book: &AccountBook,
    library: &Library,
    state: &TierState,
    catalog: Arc<Vec<ContentItem>>,
    day: Date,
) -> Result<Worklist, AccountsError> {
    let rules: &Rules = library.alert_rules();
    // The age in days of each recompute that recorded a change still in force.
    let mut run_age: HashMap<u64, Option<i64>> = HashMap::new();
    // The newest published case review of each account.
    let mut reviewed: HashMap<&str, i64> = HashMap::new();
    for item in catalog
        .iter()
        .filter(|i| i.kind == Kind::Case && i.account.is_some())
    {
        let age = library
            .store()
            .get_record(&item.id)
            .ok()
            .flatten()
            .and_then(|record| days_since(&record.updated_at, day))
            .unwrap_or(0);
        if let Some(account) = item.account.as_deref() {
            let best = reviewed.entry(account).or_insert(age);
            *best = (*best).min(age);
        }
    }
    let mut entries = Vec::new();
    let mut all_fired: Vec<u16> = Vec::new();
    let mut fired: Vec<u16> = Vec::new();
    for &pos in state.rank_order() {
        let i = pos as usize;
        let account = &state.accounts()[i];
        let tier = state.tier_def_of(i);
        let level = state.tier_level(&tier.id).unwrap_or(u8::MAX);
        let change = match state.last_change_of(i) {
            Some((seq, Some(from), _, direction)) => {
                let age = match run_age.get(&seq) {
                    Some(age) => *age,
                    None => {
                        let age = book
                            .store()
                            .recompute(seq)?
                            .and_then(|run| days_since(&run.at, day));
                        run_age.insert(seq, age);
                        age
                    }
                };
                let recent =
                    seq == state.seq() || age.is_some_and(|days| days < RECENT_CHANGE_DAYS);
                recent.then_some((from, direction))
            }
            _ => None,
        };
        let ctx = AlertContext {
            tier: &tier.id,
            tier_level: level,
            previous_tier: change.map(|(from, _)| from),
            tier_changed: change.map(|(_, direction)| match direction {
                crate::domain::tiering::Direction::Up => Direction::Up,
                crate::domain::tiering::Direction::Down => Direction::Down,
                crate::domain::tiering::Direction::New => Direction::New,
                crate::domain::tiering::Direction::Changed => Direction::Changed,
            }),
            indicators: &account.indicators,
        };
        fired.clear();
        fired.extend(
            rules
                .rules
                .iter()
                .enumerate()
                .filter(|(_, rule)| rule.when.matches(&ctx))
                .filter_map(|(n, _)| u16::try_from(n).ok()),
        );
        fired.sort_by_key(|&n| rules.rules[usize::from(n)].severity);
        let review_age = (level <= REVIEWED_LEVELS)
            .then(|| reviewed.get(account.id.as_str()).copied())
            .filter(|age| age.is_none_or(|days| days >= REVIEW_STALE_DAYS))
            .map(|age| age.map(|days| i32::try_from(days).unwrap_or(i32::MAX)));
        let severity = match fired.first() {
            Some(&n) => rules.rules[usize::from(n)].severity,
            None if review_age.is_some() => Severity::Info,
            None => continue,
        };
        entries.push((
            (severity, fired.is_empty(), level),
            Entry {
                pos,
                fired_start: u32::try_from(all_fired.len()).unwrap_or(u32::MAX),
                fired_len: u16::try_from(fired.len()).unwrap_or(u16::MAX),
                severity,
                review_age,
            },
        ));
        all_fired.extend_from_slice(&fired);
    }
    // Stable: rank order is kept within a key.
    entries.sort_by_key(|(key, _)| *key);
    Ok(Worklist {
        seq: state.seq(),
        catalog,
        day,
        entries: entries.into_iter().map(|(_, e)| e).collect(),
        fired: all_fired,
    })
}

/// One entry written out in `lang`.
fn view(
    state: &TierState,
    library: &Library,
    worklist: &Worklist,
    entry: &Entry,
    lang: Lang,
) -> TodayAccount {
    let i = entry.pos as usize;
    let account = &state.accounts()[i];
    let tier = state.tier_def_of(i);
    let rules = library.alert_rules();
    let catalog = library.indexed_catalog();
    let label = |id: &str| {
        state
            .tier_by_id(id)
            .map(|t| match lang {
                Lang::Zh => t.label_zh.clone(),
                Lang::En => t.label_en.clone(),
            })
            .unwrap_or_else(|| library.taxonomy().tier_label(id, lang).to_owned())
    };
    let previous = state
        .last_change_of(i)
        .and_then(|(_, from, _, _)| from)
        .map(label)
        .unwrap_or_else(|| "—".to_owned());
    let link = |id: &str| {
        catalog.get(id).map(|item| LinkView {
            id: item.id.clone(),
            title: item.title.clone(),
            url: format!("/content/{}", crate::domain::ids::path_segment(&item.id)),
        })
    };
    let mut reasons: Vec<TodayReason> = worklist
        .fired(entry)
        .iter()
        .map(|&n| {
            let rule = &rules.rules[usize::from(n)];
            TodayReason {
                kind: ReasonKind::Alert,
                severity: rule.severity,
                id: rule.id.clone(),
                text: rule
                    .title
                    .get(lang)
                    .replace("{previous_tier}", &previous)
                    .replace("{tier}", &label(&tier.id)),
                playbook: link(&rule.playbook),
            }
        })
        .collect();
    if let Some(age) = entry.review_age {
        let text = match (lang, age) {
            (Lang::Zh, None) => "重点客户还没有复盘：写一份，让经验留下来".to_owned(),
            (Lang::Zh, Some(days)) => format!("{days} 天没有新的复盘：该回顾一下这个客户了"),
            (Lang::En, None) => {
                "A key account without a case review: write one so the experience stays".to_owned()
            }
            (Lang::En, Some(days)) => {
                format!("No case review for {days} days: time to look back at this account")
            }
        };
        reasons.push(TodayReason {
            kind: ReasonKind::NoReview,
            severity: Severity::Info,
            id: "no-review".to_owned(),
            text,
            playbook: None,
        });
    }
    TodayAccount {
        id: account.id.to_string(),
        name: account.name.to_string(),
        owner: account.owner.as_deref().map(str::to_owned),
        tier: tier.id.clone(),
        tier_label: label(&tier.id),
        severity: entry.severity,
        reasons,
        url: format!(
            "/accounts/{}",
            crate::domain::ids::path_segment(&account.id)
        ),
    }
}
