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
    /// The spreadsheet column letter (`A`, `B`, …, `AA`); empty for a whole-row problem.
    pub letter: String,
    /// The sheet, for a workbook (`.xlsx`, `.xls`, `.ods`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// The offending value as written (trimmed); for a whole-row problem, the row's text.
    pub value: String,
    /// What is wrong and what to do about it, in English.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(sheet) = &self.sheet {
            write!(f, "sheet \"{sheet}\", ")?;
        }
        if self.column.is_empty() {
            write!(f, "row {}: {}", self.row, self.message)
        } else {
            write!(
                f,
                "row {}, column {} \"{}\", value \"{}\": {}",
                self.row, self.letter, self.column, self.value, self.message
            )
        }
    }
}

/// Columns mapped by hand, by their header as written in the file (matched as headers are:
/// ignoring case, full/half width, spaces, `_` and `-`): to an account field, optionally with
/// a unit in brackets (`revenue`, `revenue(万元)`, `销售额`), or to `""`, which leaves the column
/// out. A mapped column goes before any header the importer recognises by itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct ColumnMapping(pub std::collections::BTreeMap<String, String>);

/// What a mapping says about one column.
pub(super) enum MappedTo<'a> {
    Field(&'a str),
    Ignore,
}

impl ColumnMapping {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn target(&self, header: &str) -> Option<MappedTo<'_>> {
        let key = header_key(header);
        let (_, target) = self
            .0
            .iter()
            .find(|(mapped, _)| mapped.as_str() == header || header_key(mapped) == key)?;
        let target = target.trim();
        Some(
            if target.is_empty() || target == "-" || target.eq_ignore_ascii_case("ignore") {
                MappedTo::Ignore
            } else {
                MappedTo::Field(target)
            },
        )
    }

    /// Reads `HEADER=FIELD` (the command line's `--map`, the API's `map`): split at the last
    /// `=`, since a field never holds one; an empty field leaves the column out.
    pub fn add_pair(&mut self, pair: &str) -> Result<(), String> {
        let Some((header, field)) = pair.rsplit_once('=') else {
            return Err(format!(
                "map {pair:?}: write the column header, \"=\" and the field, e.g. \"Umsatz=revenue\" \
                 (an empty field leaves the column out: \"Notes=\")"
            ));
        };
        let header = header.trim();
        if header.is_empty() {
            return Err(format!(
                "map {pair:?}: the column header before \"=\" is empty"
            ));
        }
        self.0.insert(header.to_owned(), field.trim().to_owned());
        Ok(())
    }
}

/// The key under which a mapping is remembered for files of the same shape: a digest of the
/// header row (each header folded as headers are matched), so next quarter's export from the
/// same CRM finds the mapping made for this one.
pub fn header_fingerprint(headers: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let mut digest = Sha256::new();
    for header in headers {
        digest.update(header_key(header).as_bytes());
        digest.update([0x1f]);
    }
    let hash = digest.finalize();
    hash[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// How one column of a file is read (see [`AccountRows::columns`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ColumnUse {
    /// Spreadsheet column letter.
    pub letter: String,
    /// The header as written.
    pub header: String,
    /// The account field it fills; `None` when the column is not imported.
    pub field: Option<&'static str>,
    /// The unit given in the header or the mapping (`万元`), empty when none.
    pub unit: String,
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
    /// A workbook that cannot be read, or has no such sheet; the message says what to do.
    #[error("{0}")]
    Workbook(String),
}

/// A column the importer understands: its field id, the headers it accepts and the units a
/// header may carry in brackets. Used for error messages and documentation.
#[derive(Debug)]
pub struct AcceptedColumn {
    /// English field id (DOMAIN.md §8).
    pub field: &'static str,
    /// Other accepted header spellings (Chinese and English CRM exports).
    pub headers: &'static [&'static str],
    /// Weaker spellings, in order of preference, used only when no column of a stronger name
    /// is present (a `City` column is the region only when there is no `Region` column).
    pub fallback: &'static [&'static str],
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
        headers: &[
            "客户编号",
            "客户ID",
            "编号",
            "客户编码",
            "客户代码",
            "客户号",
            "Account ID",
            "Account Number",
            "Account No",
            "Customer ID",
            "Customer Number",
            "Customer No",
            "Customer Code",
            "Client ID",
            "Company ID",
            "CRM ID",
        ],
        fallback: &[],
        units: &[],
        values: "required, unique in the file, at most 64 characters",
        kind: Field::Id,
    },
    AcceptedColumn {
        field: "name",
        headers: &[
            "客户名称",
            "名称",
            "客户",
            "客户全称",
            "公司名称",
            "企业名称",
            "单位名称",
            "Account Name",
            "Customer Name",
            "Company Name",
            "Company",
            "Client Name",
            "Client",
            "Customer",
            "Organization",
            "Organisation",
        ],
        fallback: &[],
        units: &[],
        values: "required, one line",
        kind: Field::Name,
    },
    AcceptedColumn {
        field: "aliases",
        headers: &[
            "别名",
            "简称",
            "客户简称",
            "Alias",
            "Aliases",
            "Short Name",
            "AKA",
        ],
        fallback: &[],
        units: &[],
        values: "names separated by ; ； 、 | or /",
        kind: Field::Aliases,
    },
    AcceptedColumn {
        field: "industry",
        headers: &[
            "行业",
            "所属行业",
            "行业分类",
            "客户行业",
            "Industry",
            "Sector",
            "Vertical",
        ],
        fallback: &[],
        units: &[],
        values: "text",
        kind: Field::Industry,
    },
    AcceptedColumn {
        field: "region",
        headers: &[
            "区域",
            "地区",
            "大区",
            "所属区域",
            "销售区域",
            "Region",
            "Sales Region",
            "Territory",
            "Sales Territory",
        ],
        fallback: &[
            "省份",
            "省",
            "所在省份",
            "State/Province",
            "Billing State/Province",
            "State",
            "Billing State",
            "Province",
            "城市",
            "所在城市",
            "Billing City",
            "City",
        ],
        units: &[],
        values: "text",
        kind: Field::Region,
    },
    AcceptedColumn {
        field: "owner",
        headers: &[
            "负责人",
            "客户经理",
            "销售代表",
            "归属销售",
            "所有人",
            "客户负责人",
            "跟进人",
            "销售负责人",
            "业务员",
            "销售员",
            "Account Owner",
            "Owner",
            "Owner Name",
            "Sales Rep",
            "Sales Representative",
            "Salesperson",
            "Account Manager",
            "Assigned To",
            "Company Owner",
            "Customer Owner",
        ],
        fallback: &[],
        units: &[],
        values: "user name of the rep",
        kind: Field::Owner,
    },
    AcceptedColumn {
        field: "revenue",
        headers: &[
            "销售额",
            "年销售额",
            "销售金额",
            "销售收入",
            "营业额",
            "营业收入",
            "年营业额",
            "交易额",
            "成交金额",
            "Revenue",
            "Annual Revenue",
            "Sales",
            "Total Sales",
            "Sales Amount",
            "Total Revenue",
            "Turnover",
        ],
        fallback: &[],
        units: MONEY_UNITS,
        values: MONEY_VALUES,
        kind: Field::Revenue,
    },
    AcceptedColumn {
        field: "profit",
        headers: &[
            "利润",
            "毛利",
            "毛利润",
            "利润额",
            "净利润",
            "Profit",
            "Gross Profit",
            "Net Profit",
            "Profit Amount",
        ],
        fallback: &[],
        units: MONEY_UNITS,
        values: MONEY_VALUES,
        kind: Field::Profit,
    },
    AcceptedColumn {
        field: "collected",
        headers: &[
            "回款金额",
            "回款",
            "已回款",
            "回款额",
            "已回款金额",
            "实收金额",
            "收款金额",
            "累计回款",
            "Collected",
            "Amount Collected",
            "Payments Received",
            "Amount Paid",
            "Paid Amount",
            "Total Paid",
            "Cash Collected",
        ],
        fallback: &[],
        units: MONEY_UNITS,
        values: MONEY_VALUES,
        kind: Field::Collected,
    },
    AcceptedColumn {
        field: "transactions",
        headers: &[
            "交易次数",
            "订单数",
            "订单数量",
            "成交次数",
            "交易笔数",
            "下单次数",
            "Orders",
            "Order Count",
            "Number of Orders",
            "Number of Transactions",
            "Purchases",
        ],
        fallback: &[],
        units: &["次", "笔", "单", "times", "count"],
        values: "whole number ≥ 0",
        kind: Field::Transactions,
    },
    AcceptedColumn {
        field: "cooperation_years",
        headers: &[
            "合作年限",
            "合作年数",
            "合作时长",
            "Years as Customer",
            "Relationship Years",
            "Tenure",
        ],
        fallback: &[],
        units: &["年", "years", "year", "yrs"],
        values: "number of years 0–150, decimals allowed, e.g. 3.5",
        kind: Field::CooperationYears,
    },
    AcceptedColumn {
        field: "overdue_days",
        headers: &[
            "逾期天数",
            "账龄天数",
            "超期天数",
            "欠款天数",
            "账龄",
            "Overdue Days",
            "Days Overdue",
            "Days Past Due",
            "DPD",
        ],
        fallback: &[],
        units: &["天", "日", "days", "day"],
        values: "whole number ≥ 0",
        kind: Field::OverdueDays,
    },
    AcceptedColumn {
        field: "product_lines",
        headers: &[
            "产品线数",
            "产品线数量",
            "购买产品线",
            "Product Lines",
            "Number of Product Lines",
            "Products Owned",
        ],
        fallback: &[],
        units: &["个", "条", "种", "lines", "count"],
        values: "whole number ≥ 0",
        kind: Field::ProductLines,
    },
    AcceptedColumn {
        field: "credit",
        headers: &[
            "信用等级",
            "信用评级",
            "信用",
            "Credit Rating",
            "Credit",
            "Credit Grade",
        ],
        fallback: &[],
        units: &[],
        values: "good/fair/poor/none, AAA–D, 优/良/中/差/无, 高/中/低/无",
        kind: Field::Credit,
    },
    AcceptedColumn {
        field: "referral",
        headers: &["转介绍", "是否转介绍", "Referral", "Referred"],
        fallback: &[],
        units: &[],
        values: YES_NO_VALUES,
        kind: Field::Referral,
    },
    AcceptedColumn {
        field: "picky",
        headers: &["挑剔", "Picky", "Demanding"],
        fallback: &[],
        units: &[],
        values: YES_NO_VALUES,
        kind: Field::Picky,
    },
    AcceptedColumn {
        field: "strict",
        headers: &["严格", "Strict"],
        fallback: &[],
        units: &[],
        values: YES_NO_VALUES,
        kind: Field::Strict,
    },
    AcceptedColumn {
        field: "potential_customer",
        headers: &[
            "客户指标评分",
            "客户潜力评分",
            "Customer Potential Score",
            "Customer Score",
        ],
        fallback: &[],
        units: &["分", "0-100", "0~100", "0–100", "百分制", "points", "score"],
        values: "whole number 0–100",
        kind: Field::PotentialCustomer,
    },
    AcceptedColumn {
        field: "potential_service",
        headers: &[
            "服务指标评分",
            "服务潜力评分",
            "Service Potential Score",
            "Service Score",
        ],
        fallback: &[],
        units: &["分", "0-100", "0~100", "0–100", "百分制", "points", "score"],
        values: "whole number 0–100",
        kind: Field::PotentialService,
    },
];

/// The accepted column names as one line of text, for error messages.
pub fn accepted_columns_text() -> String {
    ACCEPTED_COLUMNS
        .iter()
        .map(|c| {
            format!(
                "{} ({})",
                c.field,
                c.headers[..c.headers.len().min(3)].join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
