//! Two reads about tiers that pages and the API share: what a candidate tier model would do to
//! the accounts held in memory (a preview, nothing stored), and the recorded tier changes
//! filtered by direction, owner and time, with the names people know the accounts by.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::*;

/// Accounts named per move in a preview.
pub const PREVIEW_EXAMPLES: usize = 5;

/// What saving a candidate tier model would do, computed against the accounts in memory
/// without storing anything.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TierPreview {
    /// The candidate as it would be stored.
    pub model: TierModel,
    /// Its tiers, best first.
    pub tiers: Vec<TierDef>,
    pub score_rule: Rule,
    /// Accounts held.
    pub accounts: usize,
    /// Accounts per tier under the candidate (overrides applied), best tier first.
    pub counts: Vec<TierCount>,
    /// Accounts whose tier in force would change.
    pub moved: usize,
    /// The moves by (from, to) pair: the current model's tiers first to last, then the
    /// candidate's.
    pub moves: Vec<TierMoveGroup>,
}

/// The accounts that would move from one tier to another.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TierMoveGroup {
    pub from: TierDef,
    pub to: TierDef,
    /// `up` is toward the candidate's first tier; `changed` when the current tier is not one
    /// of the candidate's.
    pub direction: Direction,
    pub count: usize,
    /// The first few of them, best rank under the candidate first.
    pub examples: Vec<MovedAccount>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MovedAccount {
    pub id: String,
    pub name: String,
}

/// Which recorded tier changes to list. `None` means any.
#[derive(Debug, Clone)]
pub struct ChangeFilter {
    pub direction: Option<Direction>,
    /// The account's owner now.
    pub owner: Option<String>,
    /// Only changes recorded at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Most changes listed.
    pub limit: usize,
}

impl Default for ChangeFilter {
    fn default() -> Self {
        ChangeFilter {
            direction: None,
            owner: None,
            since: None,
            limit: 50,
        }
    }
}

/// A recorded tier change with the account's name and owner as held now and both tiers'
/// labels.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeEntry {
    pub change: RecordedChange,
    /// The account's name (its id when the account is no longer held).
    pub name: String,
    pub owner: Option<String>,
    /// The tier before (none for a first tiering), with its labels.
    pub from: Option<TierDef>,
    pub to: TierDef,
}

impl TierState {
    /// A tier id with its labels: the model's own, else the known labels of DOMAIN.md §8 (a
    /// tier of an earlier model, named by a recorded change).
    pub fn tier_labels(&self, id: &str) -> TierDef {
        self.tier_by_id(id)
            .cloned()
            .unwrap_or_else(|| TierDef::known(id))
    }
}

impl AccountBook {
    /// [`AccountBook::preview_model`] of a model given as JSON text (as `PUT` takes it).
    pub fn preview_model_json(&self, json: &str) -> Result<TierPreview, AccountsError> {
        let model = TierModel::from_json(json).map_err(AccountsError::InvalidModel)?;
        self.preview_model(model)
    }

    /// What replacing the tier model by `model` would do to the accounts held now, overrides
    /// applied as a recompute would: nothing is stored and the tiers in force stay as they are.
    pub fn preview_model(&self, model: TierModel) -> Result<TierPreview, AccountsError> {
        let resolved = model.resolve().map_err(AccountsError::InvalidModel)?;
        let current = self.state();
        let candidate = TierState::build(
            current.accounts.clone(),
            Arc::new(model),
            Arc::new(resolved),
            current.overrides.clone(),
            None,
            None,
        );
        Ok(preview(&current, &candidate))
    }

    /// Recorded tier changes, newest first, that pass `filter`; each with the account's name
    /// and owner as held now. Reads the change log only as far back as it has to.
    pub fn tier_changes(&self, filter: &ChangeFilter) -> Result<Vec<ChangeEntry>, AccountsError> {
        let state = self.state();
        let mut out = Vec::new();
        if filter.limit == 0 {
            return Ok(out);
        }
        let owner = filter
            .owner
            .as_deref()
            .map(str::trim)
            .filter(|o| !o.is_empty());
        self.store.scan_changes_newest_first(|change| {
            if let Some(since) = filter.since {
                if let Ok(at) = OffsetDateTime::parse(&change.at, &Rfc3339) {
                    if at < since {
                        return false;
                    }
                }
            }
            if filter.direction.is_some_and(|d| d != change.direction) {
                return true;
            }
            let account = state
                .position(&change.account_id)
                .map(|i| &state.accounts[i]);
            let account_owner = account.and_then(|a| a.owner.clone());
            if owner.is_some_and(|o| account_owner.as_deref() != Some(o)) {
                return true;
            }
            out.push(ChangeEntry {
                name: account.map_or_else(|| change.account_id.clone(), |a| a.name.to_string()),
                owner: account_owner.as_deref().map(str::to_owned),
                from: change.from.as_deref().map(|f| state.tier_labels(f)),
                to: state.tier_labels(&change.to),
                change,
            });
            out.len() < filter.limit
        })?;
        Ok(out)
    }
}

/// Compares the tiers in force of two states built from the same accounts.
pub(super) fn preview(current: &TierState, candidate: &TierState) -> TierPreview {
    let mut groups: Vec<((u16, u16), TierMoveGroup)> = Vec::new();
    let mut moved = 0;
    for &i in candidate.by_rank.iter() {
        let i = i as usize;
        let (from, to) = (current.tier_def(i), candidate.tier_def(i));
        if from.id == to.id {
            continue;
        }
        moved += 1;
        let key = (current.in_force[i], candidate.in_force[i]);
        let slot = match groups.iter().position(|(k, _)| *k == key) {
            Some(slot) => slot,
            None => {
                let direction = match candidate.resolved.tier_index(&from.id) {
                    Some(f) if usize::from(key.1) < f => Direction::Up,
                    Some(_) => Direction::Down,
                    None => Direction::Changed,
                };
                groups.push((
                    key,
                    TierMoveGroup {
                        from: from.clone(),
                        to: to.clone(),
                        direction,
                        count: 0,
                        examples: Vec::new(),
                    },
                ));
                groups.len() - 1
            }
        };
        let group = &mut groups[slot].1;
        group.count += 1;
        if group.examples.len() < PREVIEW_EXAMPLES {
            let account = &candidate.accounts[i];
            group.examples.push(MovedAccount {
                id: account.id.to_string(),
                name: account.name.to_string(),
            });
        }
    }
    groups.sort_by_key(|(key, _)| *key);
    let summary = candidate.summary();
    TierPreview {
        model: (*candidate.model).clone(),
        tiers: candidate.tiers().to_vec(),
        score_rule: candidate.score_rule(),
        accounts: candidate.len(),
        counts: summary.tiers,
        moved,
        moves: groups.into_iter().map(|(_, g)| g).collect(),
    }
}
