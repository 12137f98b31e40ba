//! The header: column names matched to fields (English and Chinese, units in brackets), duplicates
//! and unknown columns reported.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Id,
    Name,
    Aliases,
    Industry,
    Region,
    Owner,
    Revenue,
    Profit,
    Collected,
    Transactions,
    CooperationYears,
    OverdueDays,
    ProductLines,
    Credit,
    Referral,
    Picky,
    Strict,
    PotentialCustomer,
    PotentialService,
}

/// How one column of the file maps to an account field.
#[derive(Debug, Clone)]
pub(super) struct Slot {
    pub(super) field: Field,
    /// Yuan per unit written in a money cell (1 for 元, 10,000 for 万元).
    pub(super) scale: u64,
    /// The unit as written in the header, for messages.
    pub(super) unit: String,
}

pub(super) struct ColumnPlan {
    pub(super) slots: Vec<Option<Slot>>,
    pub(super) headers: Vec<String>,
    pub(super) ignored: Vec<IgnoredColumn>,
    pub(super) warnings: Vec<String>,
    /// No id column: the name is the id.
    pub(super) id_from_name: bool,
}

pub(super) fn plan_columns(
    record: &csv::ByteRecord,
    row: u64,
    encoding: SourceEncoding,
    mapping: &dyn Fn(&[String]) -> ColumnMapping,
) -> Result<ColumnPlan, ImportError> {
    if record.len() > MAX_COLUMNS {
        return Err(ImportError::Header {
            row,
            problems: vec![format!(
                "the header has {} columns — at most {MAX_COLUMNS} columns are accepted; \
                 delete the columns that are not account fields",
                record.len()
            )],
        });
    }
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut headers = Vec::with_capacity(record.len());
    for (index, cell) in record.iter().enumerate() {
        match std::str::from_utf8(cell) {
            Ok(text) => headers.push(trim_header(text).to_string()),
            Err(_) => {
                problems.push(format!(
                    "column {} is not valid UTF-8 text — save the file as \"CSV UTF-8\"",
                    column_letter(index)
                ));
                headers.push(String::from_utf8_lossy(cell).trim().to_string());
            }
        }
    }

    let mapping = mapping(&headers);
    let mut slots: Vec<Option<Slot>> = Vec::with_capacity(headers.len());
    let mut ignored = Vec::new();
    // Field → (column, rank of the name that matched: lower is stronger).
    let mut taken: Vec<(Field, usize, usize)> = Vec::new();
    // Columns left out because a stronger column means the same field.
    let mut weaker: Vec<(usize, Field)> = Vec::new();
    for (index, header) in headers.iter().enumerate() {
        let (key, unit) = split_header(header);
        let matched = match mapping.target(header) {
            Some(MappedTo::Ignore) => {
                ignored.push(IgnoredColumn {
                    position: index + 1,
                    letter: column_letter(index),
                    header: header.clone(),
                });
                slots.push(None);
                continue;
            }
            Some(MappedTo::Field(target)) => {
                let (target_key, target_unit) = split_header(target);
                match find_column(&target_key) {
                    Some((column, _)) => Some((column, MAPPED_RANK, target_unit.or(unit))),
                    None => {
                        problems.push(format!(
                            "column {} \"{header}\" is mapped to \"{target}\", which is not an \
                             account field (accepted: {})",
                            column_letter(index),
                            ACCEPTED_COLUMNS
                                .iter()
                                .map(|c| c.field)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                        slots.push(None);
                        continue;
                    }
                }
            }
            None => find_column(&key).map(|(column, rank)| (column, rank, unit)),
        };
        let Some((column, rank, unit)) = matched else {
            ignored.push(IgnoredColumn {
                position: index + 1,
                letter: column_letter(index),
                header: header.clone(),
            });
            if ignored.len() <= MAX_IGNORED_WARNINGS {
                warnings.push(ignored_warning(index, header, &key));
            }
            slots.push(None);
            continue;
        };
        if let Some(at) = taken.iter().position(|(field, _, _)| *field == column.kind) {
            let (_, first, first_rank) = taken[at];
            if rank == first_rank {
                problems.push(format!(
                    "columns {} \"{}\" and {} \"{}\" both mean {} — keep only one of them, or \
                     map one of them to another field",
                    column_letter(first),
                    headers[first],
                    column_letter(index),
                    header,
                    column.field
                ));
                slots.push(None);
                continue;
            }
            weaker.push((if rank < first_rank { first } else { index }, column.kind));
            if rank > first_rank {
                slots.push(None);
                continue;
            }
            slots[first] = None;
            taken[at] = (column.kind, index, rank);
        } else {
            taken.push((column.kind, index, rank));
        }
        let scale = match unit.as_deref() {
            None => 1,
            Some(unit) => match unit_scale(column, unit) {
                Some(scale) => scale,
                None => {
                    problems.push(format!(
                        "column {} \"{}\" has a unit this importer does not know — rename it to \
                         {} or give one of these units in brackets: {}",
                        column_letter(index),
                        header,
                        column.headers.first().copied().unwrap_or(column.field),
                        column.units.join(", ")
                    ));
                    1
                }
            },
        };
        slots.push(Some(Slot {
            field: column.kind,
            scale,
            unit: unit.unwrap_or_default(),
        }));
    }
    for (index, field) in weaker {
        let Some(&(_, kept, _)) = taken.iter().find(|(f, _, _)| *f == field) else {
            continue;
        };
        ignored.push(IgnoredColumn {
            position: index + 1,
            letter: column_letter(index),
            header: headers[index].clone(),
        });
        let name = ACCEPTED_COLUMNS
            .iter()
            .find(|c| c.kind == field)
            .map_or("", |c| c.field);
        warnings.push(format!(
            "column {} \"{}\" was not imported: column {} \"{}\" is taken as the {name} — map \
             the columns to choose otherwise",
            column_letter(index),
            headers[index],
            column_letter(kept),
            headers[kept],
        ));
    }
    ignored.sort_by_key(|c| c.position);

    let has = |wanted: Field| taken.iter().any(|(field, _, _)| *field == wanted);
    // A list of customers without ids (a spreadsheet kept by hand): the name is the id.
    let id_from_name = !has(Field::Id) && has(Field::Name) && problems.is_empty();
    if id_from_name {
        warnings.push(
            "there is no id column: each account is identified by its name, so a later file \
             must write the names exactly the same way (or add an id column)"
                .to_owned(),
        );
    }
    for required in [Field::Id, Field::Name] {
        let covered = has(required) || (required == Field::Id && id_from_name);
        if !covered {
            let column = ACCEPTED_COLUMNS.iter().find(|c| c.kind == required);
            let names = column.map_or(String::new(), |c| {
                let chinese = c.headers.iter().filter(|h| !h.is_ascii()).take(3);
                let english = c.headers.iter().filter(|h| h.is_ascii()).take(2);
                let names: Vec<&str> = chinese.chain(english).copied().collect();
                format!("{} (or {}, …)", c.field, names.join(" / "))
            });
            problems.push(format!(
                "there is no {names} column — add one, or map a column to {}",
                column.map_or("it", |c| c.field)
            ));
        }
    }

    if !problems.is_empty() {
        let found = headers
            .iter()
            .enumerate()
            .map(|(i, h)| format!("{} \"{}\"", column_letter(i), h))
            .collect::<Vec<_>>()
            .join(", ");
        problems.push(format!(
            "the columns found are {found}; the first non-blank line must be the header row, so \
             delete any title rows above it"
        ));
        if encoding.is_transcoded() {
            problems.push(format!(
                "the file was read as {}; if these names look garbled, save the file as \"CSV \
                 UTF-8\" and import it again",
                encoding.label()
            ));
        }
        return Err(ImportError::Header { row, problems });
    }

    if ignored.len() > MAX_IGNORED_WARNINGS {
        warnings.push(format!(
            "{} more columns are not account fields and were not imported",
            ignored.len() - MAX_IGNORED_WARNINGS
        ));
    }
    if encoding == SourceEncoding::Gb18030 {
        warnings.push(
            "the file is not UTF-8 and was read as GB18030 (GBK); if names look garbled, save \
             it as \"CSV UTF-8\" and import it again"
                .to_string(),
        );
    }
    Ok(ColumnPlan {
        slots,
        headers,
        ignored,
        warnings,
        id_from_name,
    })
}

pub(super) fn ignored_warning(index: usize, header: &str, key: &str) -> String {
    let letter = column_letter(index);
    if header.is_empty() {
        return format!("column {letter} has no header; its cells were not imported");
    }
    // A unit written without brackets, e.g. 销售额万元: say how to write it.
    for column in ACCEPTED_COLUMNS {
        for name in std::iter::once(&column.field).chain(column.headers.iter()) {
            let name_key = header_key(name);
            if let Some(rest) = key.strip_prefix(name_key.as_str()) {
                let rest = rest.trim_matches(|c| c == '_' || c == '/');
                if !rest.is_empty() && unit_scale(column, rest).is_some() {
                    return format!(
                        "column {letter} \"{header}\" is not an account field and was not \
                         imported — if it is {field}, write the unit in brackets: {name}({rest})",
                        field = column.field
                    );
                }
            }
        }
    }
    format!(
        "column {letter} \"{header}\" is not an account field and was not imported — rename it \
         if it should be (accepted: {})",
        ACCEPTED_COLUMNS
            .iter()
            .map(|c| c.field)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Rank of a column mapped by the user: above every name.
const MAPPED_RANK: usize = 0;

/// The column a header key names, with the rank of the name: 1 for the field id and the
/// accepted headers, 2 and up for the fallback names in their order.
pub(super) fn find_column(key: &str) -> Option<(&'static AcceptedColumn, usize)> {
    ACCEPTED_COLUMNS.iter().find_map(|column| {
        if header_key(column.field) == key || column.headers.iter().any(|h| header_key(h) == key) {
            return Some((column, 1));
        }
        column
            .fallback
            .iter()
            .position(|h| header_key(h) == key)
            .map(|at| (column, 2 + at))
    })
}

/// Yuan per written unit for a header unit, or `None` when the unit is not accepted.
pub(super) fn unit_scale(column: &AcceptedColumn, unit: &str) -> Option<u64> {
    let unit: String = unit.chars().filter(|c| !c.is_whitespace()).collect();
    match column.kind {
        Field::Revenue | Field::Profit | Field::Collected => match unit.as_str() {
            "元" | "cny" | "rmb" | "yuan" | "¥" | "人民币" | "人民币元" | "元人民币" => {
                Some(1)
            }
            "千元" | "千" => Some(1_000),
            "万元" | "万" | "万元人民币" | "人民币万元" => Some(10_000),
            "百万元" | "百万" => Some(1_000_000),
            "亿元" | "亿" => Some(100_000_000),
            _ => None,
        },
        _ if column.units.is_empty() => Some(1),
        _ => column
            .units
            .iter()
            .any(|u| u.to_lowercase() == unit)
            .then_some(1),
    }
}

pub(super) fn trim_header(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{FEFF}' | '\u{200B}'))
}

/// Splits a header into its lookup key and an optional bracketed unit (both folded).
pub(super) fn split_header(header: &str) -> (String, Option<String>) {
    let folded = fold(header).to_lowercase();
    let folded = trim_header(&folded);
    for (open, close) in [('(', ')'), ('[', ']')] {
        if let Some(inner) = folded.strip_suffix(close) {
            if let Some(at) = inner.rfind(open) {
                let unit = inner[at + open.len_utf8()..].trim().to_string();
                return (header_key(&inner[..at]), Some(unit));
            }
        }
    }
    (header_key(folded), None)
}

/// The lookup key of a header: folded, lower case, spaces and dashes as `_`.
pub(super) fn header_key(text: &str) -> String {
    let folded = fold(text).to_lowercase();
    let mut key = String::with_capacity(folded.len());
    for c in trim_header(&folded).chars() {
        if c.is_whitespace() || c == '-' || c == '_' {
            if !key.ends_with('_') {
                key.push('_');
            }
        } else {
            key.push(c);
        }
    }
    key
}

/// The spreadsheet letter of a 0-based column: A, B, …, Z, AA, AB, …
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}
