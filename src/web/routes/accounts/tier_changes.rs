//! Recorded tier changes across the base (managers and admins): `GET /api/v1/tier-changes` and
//! the `/tier-changes` page, newest first, filtered by direction, owner and time.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::app::account_book::{ChangeEntry, ChangeFilter};
use crate::domain::policy::Principal;
use crate::domain::tiering::Direction;
use crate::domain::Lang;
use crate::error_codes::code;
use crate::store::RecordedChange;
use crate::web::blocking::blocking;
use crate::web::error::responses::{BadInput, Forbidden, Unauthenticated};
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::guard::require_analytics;
use crate::web::i18n::Ui;
use crate::web::labels::{human_time, HumanTime};
use crate::web::page::{html, path_segment, PageContext};
use crate::web::tier_words::{direction_class, grouped, tier_name, trigger_name};
use crate::web::view::Choice;
use crate::web::AppState;

/// Most tier changes listed in one answer.
pub const MAX_TIER_CHANGES: usize = 1_000;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChangesQuery {
    /// How many (default 50 in the API, 100 on the page).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// Only changes in this direction: `up`, `down`, `new` or `changed`.
    direction: Option<String>,
    /// Only accounts this user owns now.
    owner: Option<String>,
    /// Only changes recorded at or after this time (RFC 3339, e.g. `2026-12-01T00:00:00Z`).
    since: Option<String>,
}

const DIRECTIONS: [(&str, Direction); 4] = [
    ("up", Direction::Up),
    ("down", Direction::Down),
    ("new", Direction::New),
    ("changed", Direction::Changed),
];

fn filter_of(query: &ChangesQuery, default_limit: usize) -> Result<ChangeFilter, AppError> {
    let limit = query.limit.unwrap_or(default_limit);
    if !(1..=MAX_TIER_CHANGES).contains(&limit) {
        return Err(AppError::bad_request(
            code::INVALID_LIMIT,
            format!("limit: {limit} is out of range (1–{MAX_TIER_CHANGES})"),
        ));
    }
    let wanted = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let direction = match wanted(&query.direction) {
        None => None,
        Some(d) => Some(
            DIRECTIONS
                .iter()
                .find(|(name, _)| *name == d)
                .map(|(_, d)| *d)
                .ok_or_else(|| {
                    AppError::bad_request(
                        code::INVALID_FILTER,
                        format!(
                            "direction: unknown direction {d:?} (expected one of up, down, new, changed)"
                        ),
                    )
                })?,
        ),
    };
    let since = match wanted(&query.since) {
        None => None,
        Some(s) => Some(OffsetDateTime::parse(&s, &Rfc3339).map_err(|e| {
            AppError::bad_request(
                code::INVALID_FILTER,
                format!("since: {s:?} is not an RFC 3339 time such as 2026-12-01T00:00:00Z ({e})"),
            )
        })?),
    };
    Ok(ChangeFilter {
        direction,
        owner: wanted(&query.owner),
        since,
        limit,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/tier-changes",
    params(ChangesQuery),
    responses(
        (status = 200, description = "Recorded tier changes, newest first", body = Vec<RecordedChange>),
        BadInput,
        Unauthenticated,
        Forbidden,
    )
)]
pub async fn list_tier_changes(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<ChangesQuery>,
) -> Result<web::Json<Vec<RecordedChange>>, AppError> {
    require_analytics(&principal)?;
    let filter = filter_of(&query, 50)?;
    let book = state.accounts.clone();
    let entries = blocking(move || book.tier_changes(&filter)).await?;
    Ok(web::Json(entries.into_iter().map(|e| e.change).collect()))
}

/// One change as a card.
pub struct ChangeCard {
    pub href: String,
    pub name: String,
    pub from: Option<String>,
    pub to: String,
    pub direction: &'static str,
    pub direction_class: &'static str,
    pub owner: Option<String>,
}

/// The changes of one recompute.
pub struct ChangeRun {
    pub when: HumanTime,
    pub trigger: &'static str,
    pub cards: Vec<ChangeCard>,
}

#[derive(Template)]
#[template(path = "tier_changes.html")]
pub struct TierChangesPage {
    pub ctx: PageContext,
    pub directions: Vec<Choice>,
    pub owners: Vec<Choice>,
    pub runs: Vec<ChangeRun>,
    pub shown: String,
    /// A link that lists more, when the limit was reached.
    pub more: Option<String>,
}

fn runs_of(entries: Vec<ChangeEntry>, lang: Lang, offset: time::UtcOffset) -> Vec<ChangeRun> {
    let ui = Ui::for_lang(lang);
    let mut runs: Vec<(u64, ChangeRun)> = Vec::new();
    for entry in entries {
        let change = &entry.change;
        if runs.last().is_none_or(|(seq, _)| *seq != change.seq) {
            runs.push((
                change.seq,
                ChangeRun {
                    when: if change.at.is_empty() {
                        HumanTime {
                            iso: String::new(),
                            title: String::new(),
                            text: match lang {
                                Lang::Zh => "时间未记录",
                                Lang::En => "time not recorded",
                            }
                            .to_owned(),
                        }
                    } else {
                        human_time(&change.at, lang, offset)
                    },
                    trigger: trigger_name(&change.trigger, lang),
                    cards: Vec::new(),
                },
            ));
        }
        if let Some((_, run)) = runs.last_mut() {
            run.cards.push(ChangeCard {
                href: format!("/accounts/{}", path_segment(&change.account_id)),
                name: entry.name.clone(),
                from: entry.from.as_ref().map(|t| tier_name(t, lang)),
                to: tier_name(&entry.to, lang),
                direction: ui.direction(change.direction),
                direction_class: direction_class(change.direction),
                owner: entry.owner.clone(),
            });
        }
    }
    runs.into_iter().map(|(_, run)| run).collect()
}

/// `GET /tier-changes?direction=&owner=&limit=`.
pub async fn show_tier_changes(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    query: web::Query<ChangesQuery>,
) -> Result<HttpResponse, PageError> {
    require_analytics(&principal).or_page(lang)?;
    let filter = filter_of(&query, 100).or_page(lang)?;
    let ctx = PageContext::for_request(&req, &state, lang);
    let ui = Ui::for_lang(lang);
    let book = state.accounts.clone();
    let wanted = filter.clone();
    let entries = blocking(move || book.tier_changes(&wanted))
        .await
        .or_page(lang)?;
    let count = entries.len();
    let direction = query.direction.as_deref().unwrap_or("");
    let owner = query.owner.as_deref().unwrap_or("");
    let more = (count == filter.limit && filter.limit < MAX_TIER_CHANGES).then(|| {
        let mut params = vec![(
            "limit",
            (filter.limit * 2).min(MAX_TIER_CHANGES).to_string(),
        )];
        if !direction.is_empty() {
            params.push(("direction", direction.to_owned()));
        }
        if !owner.is_empty() {
            params.push(("owner", owner.to_owned()));
        }
        if let Some(since) = query.since.as_deref().filter(|s| !s.is_empty()) {
            params.push(("since", since.to_owned()));
        }
        format!(
            "/tier-changes?{}",
            serde_urlencoded::to_string(&params).unwrap_or_default()
        )
    });
    let page = TierChangesPage {
        directions: DIRECTIONS
            .iter()
            .map(|(name, d)| Choice {
                value: (*name).to_owned(),
                label: ui.direction(*d).to_owned(),
                selected: *name == direction,
            })
            .collect(),
        owners: state
            .accounts
            .state()
            .owners()
            .iter()
            .map(|o| Choice {
                value: o.clone(),
                label: o.clone(),
                selected: o == owner,
            })
            .collect(),
        runs: runs_of(entries, lang, state.utc_offset),
        shown: match lang {
            Lang::Zh => format!("显示最近 {} 条分级变化", grouped(count)),
            Lang::En => format!("The latest {} tier changes", grouped(count)),
        },
        more,
        ctx,
    };
    html(&page).or_page(lang)
}
