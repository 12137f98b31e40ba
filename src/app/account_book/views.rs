//! What reads return: tier summaries, list rows and pages, account details, import reports, the
//! Pareto view.

use super::*;

/// How many accounts each tier holds after a recompute.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TierSummary {
    /// Recompute sequence number (0 before the first recorded one).
    pub seq: u64,
    pub computed_at: String,
    pub millis: u64,
    pub accounts: usize,
    pub tiers: Vec<TierCount>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TierCount {
    pub tier: String,
    pub label_zh: String,
    pub label_en: String,
    pub count: usize,
}

/// One account as a list entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub industry: Option<String>,
    pub region: Option<String>,
    pub owner: Option<String>,
    /// Tier in force (override applied).
    pub tier: String,
    pub tier_zh: String,
    pub tier_en: String,
    pub score: Option<f64>,
    pub rank: usize,
    pub percentile: f64,
    pub overridden: bool,
    /// False when the viewer may not see this account's figures (`score` is then `None`).
    pub figures_visible: bool,
}

impl AccountRow {
    /// Removes what would reveal the figures (the score can be the revenue itself).
    pub fn hide_figures(&mut self) {
        self.score = None;
        self.figures_visible = false;
    }
}

/// Filters and paging of the account list. Empty strings mean "any".
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccountFilter {
    pub tier: Option<String>,
    pub region: Option<String>,
    pub owner: Option<String>,
    /// Page size (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// Default and largest page sizes of the account list.
pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 1_000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountList {
    /// Accounts matching the filters.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    /// Best rank first.
    pub accounts: Vec<AccountRow>,
}

/// One account with its tier and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountDetail {
    pub account: Account,
    pub tier: TierAssignment,
    pub tier_zh: String,
    pub tier_en: String,
    /// How every score is computed (normalisation included).
    pub score_rule: Rule,
    /// The last recorded tier change of this account.
    pub last_change: Option<RecordedChange>,
    /// False when the viewer may not see this account's figures: indicators, score and
    /// contributions are then empty.
    pub figures_visible: bool,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Rows stored under an id that was new.
    pub imported: usize,
    /// Rows that replaced a stored account with the same id.
    pub updated: usize,
    /// Rows not stored (each has one or more entries in the errors).
    pub rejected: usize,
    pub ignored_columns: Vec<IgnoredColumn>,
    pub warnings: Vec<String>,
    /// The encoding the file was read in (a workbook's sheet is read as UTF-8).
    pub encoding: &'static str,
    /// Tiers after the recompute that followed.
    pub tiers: TierSummary,
    /// How each column was read.
    pub columns: Vec<ColumnUse>,
    /// The column mapping applied, and where it came from.
    pub mapping: ColumnMapping,
    pub mapping_origin: MappingOrigin,
    /// The key a mapping for files with this header row is remembered under.
    pub fingerprint: String,
    /// For a workbook: the sheet read, and every sheet of the workbook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sheets: Vec<String>,
    /// How many accounts the import moved between tiers (none when nothing was stored).
    pub tier_moves: Option<TierMoves>,
    /// The tier changes the import caused (at most 50; the tier history has them all).
    pub tier_changes: Vec<RecordedChange>,
    /// The rejected rows as written (at most 10,000), each with an `error 错误` column: a CSV
    /// file (UTF-8 with a byte-order mark) to fix and import again. Absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected_csv: Option<String>,
}

/// Accounts an import moved between tiers.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct TierMoves {
    pub up: usize,
    pub down: usize,
    /// Accounts tiered for the first time.
    pub new: usize,
    pub changed: usize,
}

/// A manager's override request; the acting user is passed separately.
#[derive(Debug, Clone, Deserialize)]
pub struct OverrideRequest {
    pub tier: String,
    pub reason: String,
}

/// The Pareto picture of one indicator with the tier bands.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ParetoView {
    pub indicator: Indicator,
    /// What `total`, `top20_sum` and `bottom10_sum` count: `yuan` for money (exact to four
    /// decimals), `years`, `days` or `count`.
    pub unit: &'static str,
    #[serde(flatten)]
    pub pareto: Pareto,
    /// Tiers as bands of the x axis (share of accounts, best tier first), from computed tiers.
    pub bands: Vec<TierBand>,
}
