//! The types an import yields: parsed rows, row errors, ignored columns, header problems, the
//! source encoding.

use super::*;

/// One account read from the file, with the spreadsheet row it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedRow {
    /// 1-based row number as a spreadsheet shows the file (the header is row 1 when it is the
    /// first line; a cell with line breaks does not add rows).
    pub row: u64,
    pub account: Account,
}

/// One problem in one cell of a row. A bad row yields all of its problems at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// 1-based row number as a spreadsheet shows the file (see [`ParsedRow::row`]).
    pub row: u64,
    /// The column header as written in the file (e.g. `销售额(万元)`); empty when the problem
    /// concerns the whole row (wrong number of cells, unreadable file).
    pub column: String,
    /// The offending value as written (trimmed); for a whole-row problem, the row's text.
    pub value: String,
    /// What is wrong and what to do about it, in English.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            write!(f, "row {}: {}", self.row, self.message)
        } else {
            write!(
                f,
                "row {}, column \"{}\", value \"{}\": {}",
                self.row, self.column, self.value, self.message
            )
        }
    }
}

/// A column of the file that is not an account field and whose cells were not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IgnoredColumn {
    /// 1-based column number.
    pub position: usize,
    /// Spreadsheet column letter (A, B, …, AA).
    pub letter: String,
    /// The header as written in the file (empty when the header cell is empty).
    pub header: String,
}

/// The encoding the file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceEncoding {
    Utf8,
    Utf8WithBom,
    Utf16Le,
    Utf16Be,
    /// GB18030, a superset of GBK and GB2312 (chosen when the start of the file is not UTF-8).
    Gb18030,
}

impl SourceEncoding {
    pub fn label(self) -> &'static str {
        match self {
            SourceEncoding::Utf8 => "UTF-8",
            SourceEncoding::Utf8WithBom => "UTF-8 with BOM",
            SourceEncoding::Utf16Le => "UTF-16LE",
            SourceEncoding::Utf16Be => "UTF-16BE",
            SourceEncoding::Gb18030 => "GB18030 (GBK)",
        }
    }

    pub(super) fn is_transcoded(self) -> bool {
        !matches!(self, SourceEncoding::Utf8 | SourceEncoding::Utf8WithBom)
    }
}

/// Why a file cannot be imported at all. Problems of single rows are [`RowError`]s instead.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("could not read the file: {0}")]
    Io(#[from] io::Error),
    #[error(
        "the file is empty — the first line must be a header naming the columns, e.g. id,name,revenue"
    )]
    Empty,
    #[error(
        "the header row (row {row}) cannot be used: {}. Accepted column names: {}",
        .problems.join("; "),
        accepted_columns_text()
    )]
    Header {
        /// The line of the header row.
        row: u64,
        /// Every problem found in the header, each saying what to do.
        problems: Vec<String>,
    },
}

/// A column the importer understands: its field id, the headers it accepts and the units a
/// header may carry in brackets. Used for error messages and documentation.
#[derive(Debug)]
pub struct AcceptedColumn {
    /// English field id (DOMAIN.md §8).
    pub field: &'static str,
    /// Other accepted header spellings.
    pub headers: &'static [&'static str],
    /// Units accepted in brackets after the header; empty when any bracketed note is accepted.
    pub units: &'static [&'static str],
    /// What a cell may contain.
    pub values: &'static str,
    pub(super) kind: Field,
}

pub(super) const MONEY_VALUES: &str =
    "amount in 元, e.g. 1,234,567.89, ¥1,234, RMB 1234, -3,000, (3,000), 1.2万";
pub(super) const MONEY_UNITS: &[&str] = &[
    "元",
    "CNY",
    "RMB",
    "¥",
    "人民币",
    "千元",
    "万元",
    "万",
    "百万元",
    "百万",
    "亿元",
    "亿",
];
pub(super) const YES_NO_VALUES: &str = "yes/no, true/false, y/n, 1/0, 是/否, 有/无, √/×";

/// Every column the importer understands, in the order fields appear in [`Account`].
pub const ACCEPTED_COLUMNS: &[AcceptedColumn] = &[
    AcceptedColumn {
        field: "id",
        headers: &["客户编号", "客户ID", "编号"],
        units: &[],
        values: "required, unique in the file, at most 64 characters",
        kind: Field::Id,
    },
    AcceptedColumn {
        field: "name",
        headers: &["客户名称", "名称", "客户"],
        units: &[],
        values: "required, one line",
        kind: Field::Name,
    },
    AcceptedColumn {
        field: "aliases",
        headers: &["别名", "简称"],
        units: &[],
        values: "names separated by ; ； 、 | or /",
        kind: Field::Aliases,
    },
    AcceptedColumn {
        field: "industry",
        headers: &["行业"],
        units: &[],
        values: "text",
        kind: Field::Industry,
    },
    AcceptedColumn {
        field: "region",
        headers: &["区域", "地区"],
        units: &[],
        values: "text",
        kind: Field::Region,
    },
    AcceptedColumn {
        field: "owner",
        headers: &["负责人", "客户经理", "销售代表", "归属销售"],
        units: &[],
        values: "user name of the rep",
        kind: Field::Owner,
    },
    AcceptedColumn {
        field: "revenue",
        headers: &["销售额"],
        units: MONEY_UNITS,
        values: MONEY_VALUES,
        kind: Field::Revenue,
    },
    AcceptedColumn {
        field: "profit",
        headers: &["利润"],
        units: MONEY_UNITS,
        values: MONEY_VALUES,
        kind: Field::Profit,
    },
    AcceptedColumn {
        field: "collected",
        headers: &["回款金额", "回款"],
        units: MONEY_UNITS,
        values: MONEY_VALUES,
        kind: Field::Collected,
    },
    AcceptedColumn {
        field: "transactions",
        headers: &["交易次数"],
        units: &["次", "笔", "单", "times", "count"],
        values: "whole number ≥ 0",
        kind: Field::Transactions,
    },
    AcceptedColumn {
        field: "cooperation_years",
        headers: &["合作年限"],
        units: &["年", "years", "year", "yrs"],
        values: "number of years 0–150, decimals allowed, e.g. 3.5",
        kind: Field::CooperationYears,
    },
    AcceptedColumn {
        field: "overdue_days",
        headers: &["逾期天数"],
        units: &["天", "日", "days", "day"],
        values: "whole number ≥ 0",
        kind: Field::OverdueDays,
    },
    AcceptedColumn {
        field: "product_lines",
        headers: &["产品线数"],
        units: &["个", "条", "种", "lines", "count"],
        values: "whole number ≥ 0",
        kind: Field::ProductLines,
    },
    AcceptedColumn {
        field: "credit",
        headers: &["信用等级"],
        units: &[],
        values: "good/fair/poor/none, AAA–D, 优/良/中/差/无, 高/中/低/无",
        kind: Field::Credit,
    },
    AcceptedColumn {
        field: "referral",
        headers: &["转介绍"],
        units: &[],
        values: YES_NO_VALUES,
        kind: Field::Referral,
    },
    AcceptedColumn {
        field: "picky",
        headers: &["挑剔"],
        units: &[],
        values: YES_NO_VALUES,
        kind: Field::Picky,
    },
    AcceptedColumn {
        field: "strict",
        headers: &["严格"],
        units: &[],
        values: YES_NO_VALUES,
        kind: Field::Strict,
    },
    AcceptedColumn {
        field: "potential_customer",
        headers: &["客户指标评分"],
        units: &["分", "0-100", "0~100", "0–100", "百分制", "points", "score"],
        values: "whole number 0–100",
        kind: Field::PotentialCustomer,
    },
    AcceptedColumn {
        field: "potential_service",
        headers: &["服务指标评分"],
        units: &["分", "0-100", "0~100", "0–100", "百分制", "points", "score"],
        values: "whole number 0–100",
        kind: Field::PotentialService,
    },
];

/// The accepted column names as one line of text, for error messages.
pub fn accepted_columns_text() -> String {
    ACCEPTED_COLUMNS
        .iter()
        .map(|c| format!("{} ({})", c.field, c.headers.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}
