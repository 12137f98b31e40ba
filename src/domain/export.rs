//! Text that leaves the server as a spreadsheet cell.
//!
//! A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula
//! by Excel, LibreOffice and Google Sheets, so an account named `=HYPERLINK(…)` would run when
//! a manager opens the export (CSV injection, OWASP). Every text cell of an export goes through
//! [`text_cell`], which puts a single quote in front of such a value: spreadsheets show the
//! text as written and evaluate nothing. Number cells are written by the server from numbers
//! and are left alone, so a negative score stays a number.

use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula (OWASP's list).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `value` as a safe text cell: prefixed with `'` when a spreadsheet would take it for a formula.
pub fn text_cell(value: &str) -> Cow<'_, str> {
    if value.starts_with(FORMULA_START) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_evaluate_get_a_leading_quote() {
        for hostile in [
            "=cmd|' /C calc'!A0",
            "+1+1",
            "-2+3",
            "@SUM(1+1)",
            "=HYPERLINK(1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(text_cell(hostile), format!("'{hostile}"), "{hostile:?}");
        }
    }

    #[test]
    fn ordinary_text_is_left_as_it_is() {
        for plain in [
            "华东机械有限公司",
            "ACME Corp.",
            "a=b",
            "1+1",
            "'quoted",
            "",
        ] {
            assert!(matches!(text_cell(plain), Cow::Borrowed(_)), "{plain:?}");
        }
    }
}
