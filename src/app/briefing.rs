//! The customer briefing: everything a rep needs two minutes before a call, assembled for one
//! viewer — who the customer is, its tier and why, the alerts with their next steps, the
//! playbooks for this tier in this scenario, related cases and courses.
//!
//! Which alerts fire is data (`domain::alerts` rules); which playbooks are recommended is the
//! `domain::recommend` order. This module only gathers the inputs (account book, library, search
//! index) and applies what the viewer may see. It knows nothing of HTTP or templates.

use crate::error_codes::code;
use std::sync::{Arc, RwLock};

use serde::Serialize;

use crate::app::account_book::{AccountBook, AccountsError, TierState};
use crate::app::library::{Library, LibraryError};
use crate::domain::account::{Account, Indicators};
use crate::domain::alerts::{evaluate_with_labels, Alert, AlertContext, Direction, Rules};
use crate::domain::content::{ContentItem, Kind, Outcome};
use crate::domain::lookup::{MatchQuality, NameIndex, MAX_HITS};
use crate::domain::policy::{self, Principal};
use crate::domain::recommend::{IndexedCatalog, MatchKind, TierLevels};
use crate::domain::tiering::{Contribution, TierOverride};
use crate::domain::Lang;
use crate::search::index::{Filters, Hit, SimilarRequest, Visibility};

/// Related cases shown, own reviews included.
pub const MAX_CASES: usize = 6;
/// Recommended playbooks shown: a rep reads a handful, not a catalogue.
pub const MAX_PLAYBOOKS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum BriefingError {
    #[error("no account with id {0:?}")]
    NotFound(String),
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    #[error(transparent)]
    Library(#[from] LibraryError),
    #[error(transparent)]
    Search(#[from] crate::search::index::SearchError),
}

/// Who is looking, as the access policy describes them (see `crate::app::access::Access::viewer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// The signed-in user; `None` sees every figure (tests and benchmarks).
    pub principal: Option<Principal>,
    /// Which cases the related-case search may return.
    pub visibility: Visibility,
}

impl Viewer {
    /// Sees every figure and every published case (tests and benchmarks).
    pub fn unrestricted() -> Viewer {
        Viewer {
            principal: None,
            visibility: Visibility::published(),
        }
    }

    /// Asks the policy (`domain::policy::can_see_figures`).
    pub fn can_see_figures(&self, account: &Account) -> bool {
        self.principal
            .as_ref()
            .is_none_or(|p| policy::can_see_figures(p, account.owner.as_deref()))
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub industry: Option<String>,
    pub region: Option<String>,
    pub owner: Option<String>,
    /// `None` when the viewer may not see this account's figures.
    pub figures: Option<Indicators>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TierView {
    pub tier: String,
    pub label: String,
    pub computed_tier: String,
    pub score: Option<f64>,
    pub rank: usize,
    pub percentile: f64,
    /// Empty when the viewer may not see figures (contributions carry raw values).
    pub contributions: Vec<Contribution>,
    pub rule: String,
    pub r#override: Option<TierOverride>,
    /// The tier change of the latest recompute, if this account moved in it.
    pub changed: Option<TierChangeView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TierChangeView {
    pub from: Option<String>,
    pub to: String,
    pub direction: Direction,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkView {
    pub id: String,
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AlertView {
    pub id: String,
    pub severity: &'static str,
    pub title: String,
    pub steps: Vec<String>,
    /// The playbook behind the alert (`None` if the rule names a playbook that is not
    /// published).
    pub playbook: Option<LinkView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlaybookView {
    pub id: String,
    pub title: String,
    pub url: String,
    pub summary: Option<String>,
    pub lang: Lang,
    pub match_kind: MatchKind,
    pub written_for_tier: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlaybooksView {
    /// True when the scenario has no playbook for this tier; `items` then offers the nearest.
    pub exact_missing: bool,
    pub items: Vec<PlaybookView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub id: String,
    pub title: String,
    pub url: String,
    /// Escaped text with `<mark>` around shared words.
    pub snippet: String,
    pub outcome: Option<Outcome>,
    /// A review of this very account.
    pub own: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CourseView {
    pub id: String,
    pub title: String,
    pub url: String,
    pub kind: Kind,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Briefing {
    pub scenario: Option<String>,
    pub account: AccountView,
    pub tier: TierView,
    pub alerts: Vec<AlertView>,
    pub playbooks: PlaybooksView,
    pub cases: Vec<CaseView>,
    pub courses: Vec<CourseView>,
}

fn link(item: &ContentItem) -> LinkView {
    LinkView {
        id: item.id.clone(),
        title: item.title.clone(),
        url: format!("/content/{}", item.id),
    }
}

/// Assembles the briefing of account `id` in `scenario` for `viewer`, in `lang`.
pub fn briefing(
    book: &AccountBook,
    library: &Library,
    rules: &Rules,
    id: &str,
    scenario: Option<&str>,
    viewer: &Viewer,
    lang: Lang,
) -> Result<Briefing, BriefingError> {
    briefing_traced(
        book,
        library,
        rules,
        id,
        scenario,
        viewer,
        lang,
        &mut |_| {},
    )
}

/// The parts of a briefing, in the order they are assembled, as [`briefing_traced`] names them.
pub const PHASES: [&str; 5] = ["account", "alerts", "playbooks", "cases", "courses"];

/// [`briefing`], calling `done` with the name of each part (see [`PHASES`]) as soon as it is
/// assembled, so a benchmark can say where the time goes.
#[allow(clippy::too_many_arguments)]
pub fn briefing_traced(
    book: &AccountBook,
    library: &Library,
    rules: &Rules,
    id: &str,
    scenario: Option<&str>,
    viewer: &Viewer,
    lang: Lang,
    done: &mut dyn FnMut(&'static str),
) -> Result<Briefing, BriefingError> {
    let taxonomy = library.taxonomy();
    let scenario = scenario
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| taxonomy.parse_scenario(s))
        .transpose()
        .map_err(|message| BriefingError::Invalid {
            code: code::INVALID_SCENARIO,
            message,
        })?;
    let scenario = scenario.as_deref();
    let detail = match book.account(id, |account| viewer.can_see_figures(account)) {
        Err(AccountsError::NotFound(_)) => return Err(BriefingError::NotFound(id.to_owned())),
        other => other?,
    };
    let state = book.state();
    let account = &detail.account;
    let figures_visible = detail.figures_visible;
    let tier = detail.tier.tier.clone();
    let tier_level = state.tier_level(&tier).unwrap_or(u8::MAX);
    let tier_label = match lang {
        Lang::Zh => detail.tier_zh.clone(),
        Lang::En => detail.tier_en.clone(),
    };
    let label_of = |tier_id: &str, lang: Lang| -> String {
        state
            .tier_by_id(tier_id)
            .map(|t| match lang {
                Lang::Zh => t.label_zh.clone(),
                Lang::En => t.label_en.clone(),
            })
            .unwrap_or_else(|| taxonomy.tier_label(tier_id, lang).to_owned())
    };

    // A change recorded by the latest recompute is news; older ones are history.
    let changed = detail
        .last_change
        .as_ref()
        .filter(|c| c.seq == state.seq() && c.from.is_some())
        .map(|c| TierChangeView {
            from: c.from.clone(),
            to: c.to.clone(),
            direction: match c.direction {
                crate::domain::tiering::Direction::Up => Direction::Up,
                crate::domain::tiering::Direction::Down => Direction::Down,
                crate::domain::tiering::Direction::New => Direction::New,
                crate::domain::tiering::Direction::Changed => Direction::Changed,
            },
            at: c.at.clone(),
        });
    done(PHASES[0]);

    let catalog = library.indexed_catalog();
    let alerts = evaluate_with_labels(
        rules,
        &AlertContext {
            tier: &tier,
            tier_level,
            previous_tier: changed.as_ref().and_then(|c| c.from.as_deref()),
            tier_changed: changed.as_ref().map(|c| c.direction),
            // Alerts drawn from figures (overdue, product lines, profit, credit) would reveal
            // them: a viewer without the figures has an account without indicators here (the
            // account book built it so), and gets only the tier-change alerts.
            indicators: &account.indicators,
        },
        label_of,
    )
    .into_iter()
    .map(|alert: Alert| AlertView {
        severity: alert.severity.as_str(),
        title: alert.title.get(lang).to_owned(),
        steps: alert.steps.get(lang).to_vec(),
        playbook: catalog.get(&alert.playbook).map(link),
        id: alert.id,
    })
    .collect();
    done(PHASES[1]);

    // Tiers of other presets at the same level count as this tier (vip ≡ strategic).
    let equivalent: Vec<&str> = taxonomy
        .presets
        .iter()
        .flat_map(|p| p.tiers.iter())
        .filter(|t| t.level == tier_level && t.id != tier)
        .map(|t| t.id.as_str())
        .collect();
    let levels = TierLevels::from_taxonomy(taxonomy);
    let recommendation = catalog.recommend(&tier, tier_level, &equivalent, scenario, lang, &levels);
    let playbooks = PlaybooksView {
        exact_missing: recommendation.exact_missing,
        items: recommendation
            .playbooks
            .iter()
            .take(MAX_PLAYBOOKS)
            .map(|p| PlaybookView {
                id: p.id.to_owned(),
                title: p.title.to_owned(),
                url: format!("/content/{}", p.id),
                summary: p.item.summary.clone(),
                lang: p.lang,
                match_kind: p.match_kind,
                written_for_tier: p.written_for_tier.map(str::to_owned),
            })
            .collect(),
    };
    done(PHASES[2]);

    let cases = related_cases(
        library,
        &catalog,
        account,
        &tier,
        scenario,
        &viewer.visibility,
    )?;
    done(PHASES[3]);
    let courses = match scenario {
        Some(scenario) => catalog
            .courses_for(scenario, &tier)
            .into_iter()
            .map(|item| CourseView {
                id: item.id.clone(),
                title: item.title.clone(),
                url: format!("/content/{}", item.id),
                kind: item.kind,
            })
            .collect(),
        None => Vec::new(),
    };
    done(PHASES[4]);

    Ok(Briefing {
        scenario: scenario.map(str::to_owned),
        account: AccountView {
            id: account.id.to_string(),
            name: account.name.to_string(),
            aliases: account.aliases.iter().map(|a| a.to_string()).collect(),
            industry: account.industry.as_deref().map(str::to_owned),
            region: account.region.as_deref().map(str::to_owned),
            owner: account.owner.as_deref().map(str::to_owned),
            figures: figures_visible.then(|| account.indicators.clone()),
        },
        tier: TierView {
            label: tier_label,
            computed_tier: detail.tier.computed_tier.clone(),
            // The account book built these without the figures when the viewer may not see them.
            score: detail.tier.score,
            rank: detail.tier.rank,
            percentile: detail.tier.percentile,
            contributions: detail.tier.contributions.clone(),
            rule: match lang {
                Lang::Zh => detail.tier.rule.zh.clone(),
                Lang::En => detail.tier.rule.en.clone(),
            },
            r#override: detail.tier.r#override.clone(),
            changed,
            tier,
        },
        alerts,
        playbooks,
        cases,
        courses,
    })
}

/// This account's own case reviews first (newest wording wins ties), then cases of the same
/// tier and scenario ranked by the words they share with the account's context: its industry,
/// region and its own reviews' titles.
fn related_cases(
    library: &Library,
    catalog: &IndexedCatalog,
    account: &Account,
    tier: &str,
    scenario: Option<&str>,
    visibility: &Visibility,
) -> Result<Vec<CaseView>, BriefingError> {
    let index = library.index();
    let own = index.similar(&SimilarRequest {
        filters: Filters {
            kind: Some("case".into()),
            account: Some(account.id.to_string()),
            ..Filters::default()
        },
        visibility,
        context: "",
        exclude_account: None,
        limit: MAX_CASES,
    })?;
    if own.len() >= MAX_CASES {
        // Only own reviews are shown: the search for others would be thrown away.
        return Ok(own
            .into_iter()
            .map(|hit| case_view(catalog, hit, true))
            .collect());
    }
    let mut context = String::new();
    for part in [&account.industry, &account.region].into_iter().flatten() {
        context.push_str(part);
        context.push(' ');
    }
    for hit in &own {
        context.push_str(&hit.title);
        context.push(' ');
    }
    let others = index.similar(&SimilarRequest {
        filters: Filters {
            kind: Some("case".into()),
            tier: Some(tier.to_owned()),
            scenario: scenario.map(str::to_owned),
            ..Filters::default()
        },
        visibility,
        context: &context,
        exclude_account: Some(&account.id),
        limit: MAX_CASES.saturating_sub(own.len()),
    })?;
    let mut cases: Vec<CaseView> = own
        .into_iter()
        .map(|hit| case_view(catalog, hit, true))
        .collect();
    cases.extend(others.into_iter().map(|hit| case_view(catalog, hit, false)));
    Ok(cases)
}

/// A case found by the search, with its outcome from the catalog.
fn case_view(catalog: &IndexedCatalog, hit: Hit, own: bool) -> CaseView {
    CaseView {
        outcome: catalog.get(&hit.id).and_then(|i| i.outcome),
        id: hit.id,
        title: hit.title,
        url: hit.url,
        snippet: hit.snippet,
        own,
    }
}

/// A customer found by the lookup box.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LookupView {
    pub id: String,
    pub name: String,
    pub tier: String,
    pub tier_label: String,
    /// What matched: the name, an alias or the id, as imported.
    pub matched: String,
    pub quality: MatchQuality,
}

/// Finds customers by part of a name, an alias, the id, full pinyin or pinyin initials.
/// The name index is built from the account book for each recompute (imports change the
/// accounts), so lookups never scan a million names. The server builds it ahead of the first
/// lookup ([`CustomerFinder::warm`]); a lookup that finds it out of date builds it, and
/// lookups arriving meanwhile wait for that build rather than starting their own.
#[derive(Default)]
pub struct CustomerFinder {
    cache: RwLock<Option<(u64, Arc<NameIndex>)>>,
    /// Held while an index is built.
    building: std::sync::Mutex<()>,
}

impl CustomerFinder {
    fn cached(&self, state: &TierState) -> Option<Arc<NameIndex>> {
        let cache = self.cache.read().ok()?;
        let (seq, index) = cache.as_ref()?;
        (*seq == state.seq()).then(|| index.clone())
    }

    /// Builds the name index of the current accounts unless it is built already.
    pub fn warm(&self, book: &AccountBook) {
        self.index(&book.state());
    }

    fn index(&self, state: &TierState) -> Arc<NameIndex> {
        if let Some(index) = self.cached(state) {
            return index;
        }
        let _one_build_at_a_time = self
            .building
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(index) = self.cached(state) {
            return index;
        }
        // Hits of the same quality come in name order: ordering by a figure (revenue) would
        // tell every viewer which of two accounts is bigger. The index ranks higher keys
        // first, so the key is the negated position in name order.
        let accounts = state.accounts();
        let mut by_name: Vec<u32> = (0..accounts.len() as u32).collect();
        by_name.sort_unstable_by(|&a, &b| {
            let (a, b) = (&accounts[a as usize], &accounts[b as usize]);
            a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id))
        });
        let mut order_key = vec![0i64; accounts.len()];
        for (position, &i) in by_name.iter().enumerate() {
            order_key[i as usize] = -(position as i64);
        }
        let index = Arc::new(NameIndex::build(accounts.iter().zip(order_key)));
        if let Ok(mut cache) = self.cache.write() {
            *cache = Some((state.seq(), index.clone()));
        }
        index
    }

    /// At most [`MAX_HITS`] accounts, best match first, then by name.
    pub fn lookup(&self, book: &AccountBook, q: &str, lang: Lang) -> Vec<LookupView> {
        let state = book.state();
        let index = self.index(&state);
        index
            .search(q, MAX_HITS)
            .into_iter()
            .filter_map(|hit| {
                let position = state
                    .accounts()
                    .binary_search_by(|a| a.id.as_str().cmp(&hit.id))
                    .ok()?;
                let account = &state.accounts()[position];
                let tier = state.tier_id(position).to_owned();
                let tier_label = state
                    .tier_by_id(&tier)
                    .map(|t| match lang {
                        Lang::Zh => t.label_zh.clone(),
                        Lang::En => t.label_en.clone(),
                    })
                    .unwrap_or_else(|| tier.clone());
                Some(LookupView {
                    id: hit.id,
                    name: account.name.to_string(),
                    tier,
                    tier_label,
                    matched: hit.matched,
                    quality: hit.quality,
                })
            })
            .collect()
    }
}
