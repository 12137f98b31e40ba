//! Cell values: money to integer fen, counts, years, credit ratings, yes/no flags and scores, each
//! error naming what was expected.

use super::*;
use crate::domain::account::{round_half_even, Text};
use crate::domain::ids::AccountId;

/// Maps full-width forms to their ASCII counterparts (digits, letters, punctuation, ideographic
/// space, ￥) and a few look-alikes (−, 【】).
pub(super) fn fold_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '\u{FFE5}' => '¥',
        '\u{2212}' => '-',
        '【' => '[',
        '】' => ']',
        _ => c,
    }
}

pub(super) fn fold(text: &str) -> Cow<'_, str> {
    if text.is_ascii() || !text.chars().any(|c| fold_char(c) != c) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().map(fold_char).collect())
    }
}

pub(super) fn is_blank_cell(cell: &[u8]) -> bool {
    if cell.iter().any(u8::is_ascii_graphic) {
        return false;
    }
    match std::str::from_utf8(cell) {
        Ok(text) => text.trim().is_empty(),
        Err(_) => false,
    }
}

pub(super) fn is_blank_record(record: &csv::ByteRecord) -> bool {
    record.iter().all(is_blank_cell)
}

/// Whether `value` is one of `words`, ignoring ASCII case.
pub(super) fn one_of(value: &str, words: &[&str]) -> bool {
    words.iter().any(|word| value.eq_ignore_ascii_case(word))
}

pub(super) fn parse_id(value: &str) -> Result<String, String> {
    AccountId::parse(value).map(String::from)
}

pub(super) fn optional_text(value: &str) -> Option<Text> {
    (!value.is_empty()).then(|| Text::from(value))
}

/// Parses one non-id cell into `account`; `Err` carries the message for the user.
pub(super) fn apply_value(
    field: Field,
    slot: &Slot,
    value: &str,
    account: &mut Account,
) -> Result<bool, String> {
    let indicators = &mut account.indicators;
    match field {
        Field::Id => {}
        Field::Name => {
            if value.is_empty() {
                return Err("the name is empty — every account needs a name".to_string());
            }
            if value.chars().any(char::is_control) {
                return Err(
                    "the name contains a line break or control character — keep \
                            the name on one line"
                        .to_string(),
                );
            }
            account.name = value.into();
        }
        Field::Aliases => account.aliases = split_aliases(value),
        Field::Industry => account.industry = optional_text(value),
        Field::Region => account.region = optional_text(value),
        Field::Owner => account.owner = optional_text(value),
        Field::Revenue | Field::Profit | Field::Collected => {
            let Some((money, rounded)) = optional(value, |v| parse_money(v, slot))? else {
                return Ok(false);
            };
            match field {
                Field::Revenue => indicators.revenue = Some(money),
                Field::Profit => indicators.profit = Some(money),
                _ => indicators.collected = Some(money),
            }
            return Ok(rounded);
        }
        Field::Transactions => {
            indicators.transactions = optional(value, |v| parse_count(v, &["次", "笔", "单"]))?
        }
        Field::CooperationYears => {
            indicators.cooperation_years = optional(value, parse_years)?;
        }
        Field::OverdueDays => {
            indicators.overdue_days =
                optional(value, |v| parse_count(v, &["天", "日"]).and_then(to_u32))?
        }
        Field::ProductLines => {
            indicators.product_lines = optional(value, |v| {
                parse_count(v, &["个", "条", "种"]).and_then(to_u32)
            })?
        }
        Field::Credit => indicators.credit = optional(value, parse_credit)?,
        Field::Referral => indicators.referral = optional(value, parse_bool)?,
        Field::Picky => indicators.picky = optional(value, parse_bool)?,
        Field::Strict => indicators.strict = optional(value, parse_bool)?,
        Field::PotentialCustomer => indicators.potential_customer = optional(value, parse_score)?,
        Field::PotentialService => indicators.potential_service = optional(value, parse_score)?,
    }
    Ok(false)
}

/// An empty cell is "not recorded" (`None`); anything else must parse.
pub(super) fn optional<T>(
    value: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    if value.is_empty() {
        Ok(None)
    } else {
        parse(value).map(Some)
    }
}

pub(super) fn split_aliases(value: &str) -> Vec<Text> {
    let mut aliases: Vec<Text> = Vec::new();
    for part in value.split([';', '；', '、', '|', '｜', '/', '／']) {
        let part = part.trim();
        if !part.is_empty() && !aliases.iter().any(|a| a == part) {
            aliases.push(part.into());
        }
    }
    aliases
}

/// Rejections shared by every numeric column, with what to do instead.
pub(super) fn reject_placeholder(value: &str) -> Result<(), String> {
    if value.starts_with(|c: char| c.is_ascii_digit()) {
        return Ok(());
    }
    if matches!(value, "-" | "--" | "—" | "–" | "/") {
        return Err(
            "a lone dash is ambiguous — write 0, or leave the cell empty if the value \
                    is not recorded"
                .to_string(),
        );
    }
    if value.starts_with('#') {
        return Err(
            "this is a spreadsheet error value — fix the formula in the spreadsheet \
                    and export again, or leave the cell empty"
                .to_string(),
        );
    }
    if one_of(
        value,
        &["n/a", "na", "null", "none", "nil", "nan", "无", "空"],
    ) {
        return Err("leave the cell empty when the value is not recorded".to_string());
    }
    Ok(())
}

/// Why a decimal string did not parse.
pub(super) enum NumberProblem {
    NotNumber,
    Scientific,
    Grouping,
    TooLarge,
}

/// A non-negative decimal: `digits / 10^decimals`.
pub(super) struct Decimal {
    pub(super) digits: u128,
    pub(super) decimals: u32,
}

/// Parses ASCII digits with optional thousands separators (every 3 digits) and one `.`.
pub(super) fn parse_decimal(text: &str) -> Result<Decimal, NumberProblem> {
    let mut digits: u128 = 0;
    let mut overflow = false;
    let mut decimals: u32 = 0;
    let mut any_digit = false;
    let mut seen_point = false;
    let mut commas = 0usize;
    let mut group = 0usize; // digits since the start or the last comma
    let mut grouping_ok = true;
    for b in text.bytes() {
        match b {
            b'0'..=b'9' => {
                any_digit = true;
                match digits
                    .checked_mul(10)
                    .and_then(|d| d.checked_add(u128::from(b - b'0')))
                {
                    Some(next) => digits = next,
                    None => overflow = true,
                }
                if seen_point {
                    decimals = decimals.saturating_add(1);
                } else {
                    group += 1;
                }
            }
            b',' if !seen_point => {
                let ok = if commas == 0 {
                    (1..=3).contains(&group)
                } else {
                    group == 3
                };
                grouping_ok &= ok;
                commas += 1;
                group = 0;
            }
            b'.' if !seen_point => {
                grouping_ok &= commas == 0 || group == 3;
                seen_point = true;
            }
            _ => return Err(classify_non_number(text)),
        }
    }
    grouping_ok &= seen_point || commas == 0 || group == 3;
    if !any_digit {
        Err(NumberProblem::NotNumber)
    } else if !grouping_ok {
        Err(NumberProblem::Grouping)
    } else if overflow {
        Err(NumberProblem::TooLarge)
    } else {
        Ok(Decimal { digits, decimals })
    }
}

/// Tells scientific notation (which Excel writes once it has dropped digits) from other text.
pub(super) fn classify_non_number(text: &str) -> NumberProblem {
    let numeric_or_exponent =
        |b: u8| b.is_ascii_digit() || matches!(b, b'.' | b',' | b'+' | b'-' | b'e' | b'E');
    if text.bytes().any(|b| b == b'e' || b == b'E')
        && text.bytes().all(numeric_or_exponent)
        && text.bytes().any(|b| b.is_ascii_digit())
    {
        NumberProblem::Scientific
    } else {
        NumberProblem::NotNumber
    }
}

pub(super) fn number_message(problem: NumberProblem, value: &str, example: &str) -> String {
    match problem {
        NumberProblem::NotNumber => format!("not a number: \"{value}\" — {example}"),
        NumberProblem::Scientific => format!(
            "\"{value}\" is in scientific notation, which has lost digits — format the column \
             as Number in the spreadsheet and export again"
        ),
        NumberProblem::Grouping => format!(
            "misplaced thousands separator in \"{value}\" — separators go every 3 digits \
             (1,234,567); a decimal comma must be written as a point (12.5)"
        ),
        NumberProblem::TooLarge => format!("\"{value}\" is too large to import"),
    }
}

pub(super) const MONEY_EXAMPLE: &str =
    "use digits with an optional ¥ and thousands separators, e.g. 1,234,567.89";

/// Parses an amount into [`Money`] units with integer arithmetic only: exact to four decimals,
/// finer amounts rounded half to even (the `bool` says one was rounded).
pub(super) fn parse_money(value: &str, slot: &Slot) -> Result<(Money, bool), String> {
    let folded = fold(value);
    let mut text: &str = folded.trim();
    reject_placeholder(text)?;
    let not_a_number = || format!("not a number: \"{value}\" — {MONEY_EXAMPLE}");

    let mut negative = false;
    let mut bracketed = false;
    if let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        negative = true;
        bracketed = true;
        text = inner.trim();
    }
    let mut signed = false;
    let mut currency = false;
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix(['-', '+']) {
            if signed || bracketed {
                return Err(not_a_number());
            }
            negative |= text.starts_with('-');
            signed = true;
            text = rest;
        } else if let Some(rest) = strip_currency_prefix(text) {
            if currency {
                return Err(not_a_number());
            }
            currency = true;
            text = rest;
        } else {
            break;
        }
    }
    // Suffixes: an optional currency, then an optional 万 / 亿.
    text = text.trim_end();
    let mut yuan_suffix = false;
    if let Some(rest) = strip_currency_suffix(text) {
        yuan_suffix = true;
        text = rest.trim_end();
    }
    let mut cell_scale: u64 = 1;
    if let Some(rest) = text.strip_suffix('万') {
        cell_scale = 10_000;
        text = rest.trim_end();
    } else if let Some(rest) = text.strip_suffix('亿') {
        cell_scale = 100_000_000;
        text = rest.trim_end();
    }
    if slot.scale != 1 && (cell_scale != 1 || yuan_suffix) {
        return Err(format!(
            "the header already gives the unit ({}) — write the plain number in that unit, \
             without 万, 亿 or 元",
            slot.unit
        ));
    }

    let decimal =
        parse_decimal(text).map_err(|problem| number_message(problem, value, MONEY_EXAMPLE))?;
    let too_large = || format!("\"{value}\" is too large to import");
    let scaled = decimal
        .digits
        .checked_mul(u128::from(slot.scale * cell_scale) * Money::PER_YUAN as u128)
        .ok_or_else(too_large)?;
    let rounded = match 10u128.checked_pow(decimal.decimals) {
        Some(divisor) => {
            let signed = i128::try_from(scaled).map_err(|_| too_large())?;
            let signed = if negative { -signed } else { signed };
            let divisor = i128::try_from(divisor).map_err(|_| too_large())?;
            (round_half_even(signed, divisor), signed % divisor != 0)
        }
        None => return Err(format!("\"{value}\" has too many decimal places to read")),
    };
    let units = i64::try_from(rounded.0).map_err(|_| too_large())?;
    Ok((Money(units), rounded.1))
}

pub(super) fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

pub(super) fn strip_suffix_ignore_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = text.len().checked_sub(suffix.len())?;
    let tail = text.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix)
        .then(|| text.get(..cut))
        .flatten()
}

pub(super) fn strip_currency_prefix(text: &str) -> Option<&str> {
    ["¥", "rmb", "cny"]
        .iter()
        .find_map(|code| strip_prefix_ignore_case(text, code))
}

pub(super) fn strip_currency_suffix(text: &str) -> Option<&str> {
    ["元", "rmb", "cny"]
        .iter()
        .find_map(|code| strip_suffix_ignore_case(text, code))
}

pub(super) const COUNT_EXAMPLE: &str = "use a whole number such as 12";

/// Parses a whole, non-negative number; `3.00` is accepted as 3.
pub(super) fn parse_count(value: &str, suffixes: &[&str]) -> Result<u64, String> {
    let folded = fold(value);
    let mut text: &str = folded.trim();
    reject_placeholder(text)?;
    if let Some(rest) = suffixes.iter().find_map(|s| text.strip_suffix(s)) {
        text = rest.trim_end();
    }
    if text.starts_with('-') || (text.starts_with('(') && text.ends_with(')')) {
        return Err(format!(
            "\"{value}\" is negative — this count cannot be below 0"
        ));
    }
    let text = text.strip_prefix('+').unwrap_or(text);
    let decimal =
        parse_decimal(text).map_err(|problem| number_message(problem, value, COUNT_EXAMPLE))?;
    let divisor = 10u128
        .checked_pow(decimal.decimals)
        .ok_or_else(|| format!("\"{value}\" is too large to import"))?;
    if decimal.digits % divisor != 0 {
        return Err(format!(
            "\"{value}\" is not a whole number — {COUNT_EXAMPLE}"
        ));
    }
    u64::try_from(decimal.digits / divisor)
        .map_err(|_| format!("\"{value}\" is too large to import"))
}

pub(super) fn to_u32(count: u64) -> Result<u32, String> {
    u32::try_from(count).map_err(|_| {
        format!(
            "{count} is too large — the largest accepted is {}",
            u32::MAX
        )
    })
}

pub(super) fn parse_score(value: &str) -> Result<u8, String> {
    let score = parse_count(value, &["分"])?;
    u8::try_from(score)
        .ok()
        .filter(|s| *s <= 100)
        .ok_or_else(|| {
            format!("the score {score} is outside 0–100 — use a whole number from 0 to 100")
        })
}

pub(super) fn parse_years(value: &str) -> Result<f64, String> {
    let example = "use a number of years such as 3 or 3.5";
    let folded = fold(value);
    let mut text: &str = folded.trim();
    reject_placeholder(text)?;
    if let Some(rest) = ["年", "years", "year", "yrs"]
        .iter()
        .find_map(|suffix| strip_suffix_ignore_case(text, suffix))
    {
        text = rest.trim_end();
    }
    if text.starts_with('-') {
        return Err(format!("\"{value}\" is negative — {example}"));
    }
    let text = text.strip_prefix('+').unwrap_or(text);
    let decimal = parse_decimal(text).map_err(|problem| number_message(problem, value, example))?;
    // The domain stores years as f64; the digits are validated above, so this parse is exact
    // to f64 precision and cannot fail on the cleaned text.
    let cleaned: String = text.chars().filter(|c| *c != ',').collect();
    let years = cleaned
        .parse::<f64>()
        .map_err(|_| format!("not a number: \"{value}\" — {example}"))?;
    if years > MAX_COOPERATION_YEARS || decimal.digits == u128::MAX {
        return Err(format!(
            "{value} years is more than {MAX_COOPERATION_YEARS} — enter how many years the \
             cooperation has lasted, not the year it started"
        ));
    }
    Ok(years)
}

pub(super) fn parse_bool(value: &str) -> Result<bool, String> {
    let folded = fold(value);
    let value_folded = folded.trim();
    if one_of(
        value_folded,
        &["true", "yes", "y", "1", "是", "有", "√", "✓", "✔"],
    ) {
        Ok(true)
    } else if one_of(
        value_folded,
        &["false", "no", "n", "0", "否", "无", "×", "✗", "✘", "✕"],
    ) {
        Ok(false)
    } else {
        Err(format!(
            "not a yes/no value: \"{value}\" — use one of {YES_NO_VALUES}, or leave the cell \
             empty if it is not recorded"
        ))
    }
}

pub(super) fn parse_credit(value: &str) -> Result<CreditRating, String> {
    let folded = fold(value);
    let lower = folded.trim().to_ascii_lowercase();
    // Letter grades may carry a trailing + or - (AA+, A-).
    let grade = lower
        .strip_suffix(['+', '-'])
        .filter(|g| !g.is_empty() && g.bytes().all(|b| matches!(b, b'a'..=b'd')))
        .unwrap_or(&lower);
    match grade {
        "good" | "aaa" | "aa" | "a" | "优" | "良" | "优秀" | "良好" | "高" => {
            Ok(CreditRating::Good)
        }
        "fair" | "bbb" | "bb" | "b" | "中" | "一般" => Ok(CreditRating::Fair),
        "poor" | "ccc" | "cc" | "c" | "差" | "较差" | "低" => Ok(CreditRating::Poor),
        "none" | "d" | "无" | "0" => Ok(CreditRating::None),
        _ => Err(format!(
            "unknown credit rating: \"{value}\" — use good/fair/poor/none, a letter grade \
             (AAA/AA/A = good, BBB/BB/B = fair, CCC/CC/C = poor, D = none), 优/良/中/差/无 or \
             高/中/低/无"
        )),
    }
}
