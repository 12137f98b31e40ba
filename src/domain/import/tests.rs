//! Tests.

use super::*;

/// Imports `bytes` and splits the items into good rows and errors.
fn import(bytes: &[u8]) -> (Vec<ParsedRow>, Vec<RowError>) {
    let rows = read_accounts(bytes).expect("header is accepted");
    split(rows)
}

fn split<R: Read>(rows: AccountRows<R>) -> (Vec<ParsedRow>, Vec<RowError>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for item in rows {
        match item {
            Ok(row) => good.push(row),
            Err(errors) => bad.extend(errors),
        }
    }
    (good, bad)
}

fn only_account(csv: &str) -> Account {
    let (good, bad) = import(csv.as_bytes());
    assert!(bad.is_empty(), "unexpected errors: {bad:#?}");
    assert_eq!(good.len(), 1);
    good.into_iter().next().map(|r| r.account).expect("one row")
}

fn header_problems(csv: &[u8]) -> Vec<String> {
    match read_accounts(csv) {
        Err(ImportError::Header { problems, .. }) => problems,
        Err(other) => panic!("expected a header error, got {other}"),
        Ok(_) => panic!("expected a header error, the header was accepted"),
    }
}

fn triples(errors: &[RowError]) -> Vec<(u64, &str, &str)> {
    errors
        .iter()
        .map(|e| (e.row, e.column.as_str(), e.value.as_str()))
        .collect()
}

fn money(column_value: &str) -> Result<Money, String> {
    money_rounded(column_value).map(|(money, _)| money)
}

fn money_rounded(column_value: &str) -> Result<(Money, bool), String> {
    let slot = Slot {
        field: Field::Revenue,
        scale: 1,
        unit: String::new(),
    };
    parse_money(column_value, &slot)
}

/// An amount written in fen, as [`Money`].
fn fen(fen: i64) -> Money {
    Money(fen * (Money::PER_YUAN / 100))
}

/// A reader that hands out at most `chunk` bytes per call, to exercise buffer boundaries.
struct Trickle<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

const CHINESE_CSV: &str = "客户编号,客户名称,别名,行业,区域,负责人,销售额(元),利润,回款金额,交易次数,合作年限,逾期天数,产品线数,信用等级,转介绍,挑剔,严格,客户指标评分,服务指标评分\n\
    KH001,华东精密机械有限公司,华东精密；华精,制造业,华东,张伟,\"1,234,567.89\",-3000,¥1000000,12,3.5,0,3,AA,是,否,√,85,90\n\
    KH002,北方物流,,物流,华北,李娜,,,,,,,,,,,,,\n";

#[test]
fn gb18030_file_with_chinese_headers_is_decoded_and_imported() {
    let (bytes, _, unmappable) = GB18030.encode(CHINESE_CSV);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "test input must not be UTF-8"
    );
    let rows = read_accounts(Trickle {
        data: &bytes,
        chunk: 7,
    })
    .expect("header");
    assert_eq!(rows.encoding(), SourceEncoding::Gb18030);
    assert!(rows.warnings().iter().any(|w| w.contains("GB18030")));
    let (good, bad) = split(rows);
    assert!(bad.is_empty(), "{bad:#?}");
    assert_eq!(good.len(), 2);
    let first = &good[0];
    assert_eq!(first.row, 2);
    let a = &first.account;
    assert_eq!(a.id, "KH001");
    assert_eq!(a.name, "华东精密机械有限公司");
    assert_eq!(a.aliases, vec!["华东精密", "华精"]);
    assert_eq!(a.industry.as_deref(), Some("制造业"));
    assert_eq!(a.region.as_deref(), Some("华东"));
    assert_eq!(a.owner.as_deref(), Some("张伟"));
    let i = &a.indicators;
    assert_eq!(i.revenue, Some(fen(123_456_789)));
    assert_eq!(i.profit, Some(fen(-300_000)));
    assert_eq!(i.collected, Some(fen(100_000_000)));
    assert_eq!(i.transactions, Some(12));
    assert_eq!(i.cooperation_years, Some(3.5));
    assert_eq!(i.overdue_days, Some(0));
    assert_eq!(i.product_lines, Some(3));
    assert_eq!(i.credit, Some(CreditRating::Good));
    assert_eq!(i.referral, Some(true));
    assert_eq!(i.picky, Some(false));
    assert_eq!(i.strict, Some(true));
    assert_eq!(i.potential_customer, Some(85));
    assert_eq!(i.potential_service, Some(90));
    let second = &good[1];
    assert_eq!(second.row, 3);
    assert_eq!(second.account.indicators, Indicators::default());
    assert!(second.account.aliases.is_empty());
}

#[test]
fn an_excel_style_gbk_file_with_crlf_units_and_extra_columns_imports() {
    let text = "客户编号,客户名称,联系人,销售额(万元),利润（元）,信用等级,备注\r\n\
                KH-01,\"深圳市某某科技有限公司\",王经理,\"1,234.5678\",\"(12,000.50)\",良,\"多行\r\n备注\"\r\n\
                \r\n\
                KH-02,广州某贸易公司,李,0.5,￥３００,,\r\n";
    let (bytes, _, _) = GB18030.encode(text);
    let rows = read_accounts(bytes.as_ref()).expect("header");
    assert_eq!(rows.encoding(), SourceEncoding::Gb18030);
    let ignored: Vec<_> = rows
        .ignored_columns()
        .iter()
        .map(|c| c.header.as_str())
        .collect();
    assert_eq!(ignored, vec!["联系人", "备注"]);
    let (good, bad) = split(rows);
    assert!(bad.is_empty(), "{bad:#?}");
    assert_eq!(good.iter().map(|r| r.row).collect::<Vec<_>>(), vec![2, 4]);
    let first = &good[0].account.indicators;
    assert_eq!(first.revenue, Some(fen(1_234_567_800)));
    assert_eq!(first.profit, Some(fen(-1_200_050)));
    assert_eq!(first.credit, Some(CreditRating::Good));
    let second = &good[1].account.indicators;
    assert_eq!(second.revenue, Some(fen(500_000)));
    assert_eq!(second.profit, Some(fen(30_000)));
    assert_eq!(second.credit, None);
}

#[test]
fn invalid_gb18030_bytes_are_a_row_error_not_a_replacement_character() {
    let (mut bytes, _, _) = GB18030.encode("客户编号,客户名称\nKH1,甲公司\nKH2,乙公司\n");
    let bytes = bytes.to_mut();
    // Replace the last name's bytes with a lone lead byte followed by a newline.
    let at = bytes.len() - 7;
    bytes.truncate(at);
    bytes.extend_from_slice(&[0x81, b'\n']);
    let (good, bad) = import(bytes);
    assert_eq!(good.len(), 1);
    assert_eq!(bad.len(), 1);
    assert_eq!((bad[0].row, bad[0].column.as_str()), (3, "客户名称"));
    assert!(
        bad[0].message.contains("not valid GB18030"),
        "{}",
        bad[0].message
    );
}

#[test]
fn utf8_with_bom_is_read_and_the_bom_is_not_part_of_the_first_header() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice("id,name,revenue\nA1,甲,\"¥1,234\"\n".as_bytes());
    let rows = read_accounts(bytes.as_slice()).expect("header");
    assert_eq!(rows.encoding(), SourceEncoding::Utf8WithBom);
    assert_eq!(rows.headers()[0], "id");
    let (good, bad) = split(rows);
    assert!(bad.is_empty());
    assert_eq!(good[0].account.id, "A1");
    assert_eq!(good[0].account.indicators.revenue, Some(fen(123_400)));
}

#[test]
fn utf16_with_bom_and_tabs_is_read_like_excel_unicode_text() {
    let text = "客户编号\t客户名称\t销售额\nKH1\t甲公司\t1234.5\n";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let rows = read_accounts(Trickle {
        data: &bytes,
        chunk: 3,
    })
    .expect("header");
    assert_eq!(rows.encoding(), SourceEncoding::Utf16Le);
    assert_eq!(rows.delimiter(), '\t');
    let (good, bad) = split(rows);
    assert!(bad.is_empty(), "{bad:#?}");
    assert_eq!(good[0].account.name, "甲公司");
    assert_eq!(good[0].account.indicators.revenue, Some(fen(123_450)));

    let mut be = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        be.extend_from_slice(&unit.to_be_bytes());
    }
    let rows = read_accounts(be.as_slice()).expect("header");
    assert_eq!(rows.encoding(), SourceEncoding::Utf16Be);
    assert_eq!(split(rows).0[0].account.id, "KH1");
}

#[test]
fn a_utf8_character_cut_by_the_sniffing_boundary_still_counts_as_utf8() {
    let mut text = String::from("id,name,industry\n");
    let mut n = 0;
    while text.len() < SNIFF_LEN - 200 {
        n += 1;
        text.push_str(&format!("K{n},名{n},制造业\n"));
    }
    // A row whose last character, 业 (3 bytes), starts one byte before the 64 KiB mark.
    n += 1;
    let padding = SNIFF_LEN - 1 - text.len() - format!("K{n},名{n},").len();
    text.push_str(&format!("K{n},名{n},{}业\n", "x".repeat(padding)));
    assert!(!text.is_char_boundary(SNIFF_LEN));
    for _ in 0..100 {
        n += 1;
        text.push_str(&format!("K{n},名{n},制造业\n"));
    }
    assert_eq!(
        detect_encoding(&text.as_bytes()[..SNIFF_LEN]).0,
        SourceEncoding::Utf8
    );
    let rows = read_accounts(Trickle {
        data: text.as_bytes(),
        chunk: 4096,
    })
    .expect("header");
    assert_eq!(rows.encoding(), SourceEncoding::Utf8);
    let (good, bad) = split(rows);
    assert!(bad.is_empty());
    assert_eq!(good.len(), n);
    assert_eq!(good[n - 1].account.name, format!("名{n}"));
    assert_eq!(good[n - 1].row, n as u64 + 1);
}

#[test]
fn non_utf8_bytes_after_a_utf8_start_are_a_row_error() {
    let mut bytes = b"id,name\n".to_vec();
    for i in 0..5000 {
        bytes.extend_from_slice(format!("K{i},name{i}\n").as_bytes());
    }
    let (gbk, _, _) = GB18030.encode("K-last,乙公司\n");
    bytes.extend_from_slice(&gbk);
    let (good, bad) = import(&bytes);
    assert_eq!(good.len(), 5000);
    assert_eq!(bad.len(), 1);
    assert_eq!((bad[0].row, bad[0].column.as_str()), (5002, "name"));
    assert!(bad[0].message.contains("not valid UTF-8"));
}

#[test]
fn thousands_separators_and_currency_signs_are_parsed_exactly() {
    let cases = [
        ("1,234,567.89", 123_456_789),
        ("¥1,234", 123_400),
        ("￥1234", 123_400),
        ("RMB 1234", 123_400),
        ("rmb1234", 123_400),
        ("CNY 1,000.5", 100_050),
        ("1234元", 123_400),
        ("1234 RMB", 123_400),
        ("-3,000", -300_000),
        ("(3,000)", -300_000),
        ("（3,000）", -300_000),
        ("¥-3,000", -300_000),
        ("-¥3,000", -300_000),
        ("−3000", -300_000),
        ("+12", 1_200),
        ("１２３４．５", 123_450),
        ("1.2万", 1_200_000),
        ("1.2万元", 1_200_000),
        ("3亿", 30_000_000_000),
        ("0", 0),
        ("-0", 0),
        (".5", 50),
        ("5.", 500),
        ("12.3400", 1_234),
        ("  7  ", 700),
    ];
    for (text, in_fen) in cases {
        assert_eq!(money(text), Ok(fen(in_fen)), "{text}");
    }
}

#[test]
fn money_precision_is_exact_and_never_goes_through_floating_point() {
    let sum: i64 = ["0.1", "0.2"]
        .iter()
        .map(|v| money(v).map(Money::units).unwrap_or(0))
        .sum();
    assert_eq!(sum, money("0.3").map(Money::units).unwrap_or(-1));
    assert_eq!(money("0.07"), Ok(Money(700)));
    // Four decimals, as CRM and ERP exports write them, are kept exactly.
    assert_eq!(money_rounded("-362.8825"), Ok((Money(-3_628_825), false)));
    assert_eq!(money_rounded("0.0001"), Ok((Money(1), false)));
    assert_eq!(money_rounded("12.34560000"), Ok((Money(123_456), false)));
    // 2^53 + 1 ten-thousandths: not representable in f64, exact here.
    assert_eq!(
        money("900,719,925,474.0993"),
        Ok(Money(9_007_199_254_740_993))
    );
    assert_eq!(money("922337203685477.5807"), Ok(Money(i64::MAX)));
    assert!(money("922337203685477.5808").is_err_and(|m| m.contains("too large")));
    assert!(
        money("99999999999999999999999999999999999999999").is_err_and(|m| m.contains("too large"))
    );
}

#[test]
fn money_finer_than_four_decimals_is_rounded_half_to_even_and_flagged() {
    for (text, units) in [
        ("1.00005", 10_000),  // half: to the even 1.0000
        ("1.00015", 10_002),  // half: to the even 1.0002
        ("1.000051", 10_001), // above half
        ("-1.00005", -10_000),
        ("-1.00015", -10_002),
        ("-0.00006", -1),
        ("0.00004", 0),
        ("2.123456789", 21_235),
        // 38 decimals: the rounding never overflows.
        ("0.00009000000000000000000000000000000000", 1),
    ] {
        assert_eq!(money_rounded(text), Ok((Money(units), true)), "{text}");
    }
}

#[test]
fn a_column_with_rounded_amounts_is_warned_about_once_and_no_row_fails() {
    let csv = "id,name,revenue,profit\nA,甲,1.00005,2\nB,乙,3.123456,4.5\nC,丙,5,6.000001\n";
    let mut rows = read_accounts(csv.as_bytes()).unwrap();
    let parsed: Vec<_> = rows.by_ref().collect();
    assert!(parsed.iter().all(Result::is_ok), "{parsed:?}");
    let warnings = rows.warnings();
    let rounded: Vec<&String> = warnings.iter().filter(|w| w.contains("rounded")).collect();
    assert_eq!(rounded.len(), 2, "{warnings:?}");
    assert!(rounded[0].contains("column C \"revenue\"") && rounded[0].contains("row 2"));
    assert!(rounded[1].contains("column D \"profit\"") && rounded[1].contains("row 4"));
}

#[test]
fn bad_money_cells_say_what_to_do() {
    let cases = [
        ("12a4", "not a number: \"12a4\" — use digits with an optional ¥ and thousands separators, e.g. 1,234,567.89"),
        ("1.23E+07", "scientific notation"),
        ("12,34", "misplaced thousands separator"),
        ("1234,56", "misplaced thousands separator"),
        ("-", "lone dash"),
        ("#N/A", "spreadsheet error"),
        ("N/A", "leave the cell empty"),
        ("--5", "not a number"),
        ("(-5)", "not a number"),
        ("¥", "not a number"),
        ("1.2.3", "not a number"),
        ("USD 5", "not a number"),
    ];
    for (text, expected) in cases {
        let message = money(text).err().unwrap_or_default();
        assert!(message.contains(expected), "{text}: {message}");
    }
}

#[test]
fn quoted_fields_with_commas_and_newlines_keep_spreadsheet_row_numbers() {
    let csv = "id,name,aliases,revenue\n\
               A1,\"Acme, Inc.\",\"Acme\nACME Corp\",\"1,000\"\n\
               A2,\"Beta \"\"Best\"\" Ltd\",,\n\
               \n\
               ,,,\n\
               A3,Gamma,,x\n";
    let (good, bad) = import(csv.as_bytes());
    assert_eq!(good.len(), 2);
    assert_eq!(good[0].row, 2);
    assert_eq!(good[0].account.name, "Acme, Inc.");
    // The line break inside the alias cell is not a separator; the text is kept.
    assert_eq!(good[0].account.aliases, vec!["Acme\nACME Corp"]);
    assert_eq!(good[0].account.indicators.revenue, Some(fen(100_000)));
    assert_eq!(good[1].row, 3);
    assert_eq!(good[1].account.name, "Beta \"Best\" Ltd");
    assert_eq!(triples(&bad), vec![(6, "revenue", "x")]);
}

#[test]
fn crlf_cr_and_lf_line_ends_give_the_same_spreadsheet_rows() {
    for end in ["\r\n", "\n", "\r"] {
        let csv = [
            "id,name,industry,revenue",
            "A1,a,\"x\r\ny\",1",
            "",
            "A2,c,,x",
            "",
            "",
            "A3,d,,y",
            "",
        ]
        .join(end);
        let (good, bad) = import(csv.as_bytes());
        assert_eq!(
            good.iter().map(|r| r.row).collect::<Vec<_>>(),
            vec![2],
            "{end:?}"
        );
        assert_eq!(
            triples(&bad),
            vec![(4, "revenue", "x"), (7, "revenue", "y")],
            "{end:?}"
        );
    }
    let rows = read_accounts("\r\n\r\n id ,name\r\nA,a\r\n".as_bytes()).expect("header");
    assert_eq!(rows.header_row(), 3);
    assert_eq!(split(rows).0[0].row, 4);
}

#[test]
fn bad_rows_report_every_problem_with_row_column_and_value_and_good_rows_come_through() {
    let csv = "客户编号,客户名称,销售额,交易次数,信用等级,转介绍\n\
               KH1,甲公司,\"1,000\",3,A,是\n\
               KH2,乙公司,12a4,-2,Z,maybe\n\
               ,丙公司,100,1,B,否\n\
               KH1,丁公司,200,1.5,C,1\n\
               KH3,,300,2,D,0\n\
               KH4,戊公司,400,4,优,有\n";
    let rows = read_accounts(csv.as_bytes()).expect("header");
    let items: Vec<_> = rows.collect();
    assert_eq!(items.len(), 6);
    let (good, bad) = split(read_accounts(csv.as_bytes()).expect("header"));
    assert_eq!(
        good.iter()
            .map(|r| (r.row, r.account.id.as_str()))
            .collect::<Vec<_>>(),
        vec![(2, "KH1"), (7, "KH4")]
    );
    assert_eq!(
        triples(&bad),
        vec![
            (3, "销售额", "12a4"),
            (3, "交易次数", "-2"),
            (3, "信用等级", "Z"),
            (3, "转介绍", "maybe"),
            (4, "客户编号", ""),
            (5, "客户编号", "KH1"),
            (5, "交易次数", "1.5"),
            (6, "客户名称", ""),
        ]
    );
    assert_eq!(
        bad[0].message,
        "not a number: \"12a4\" — use digits with an optional ¥ and thousands separators, e.g. 1,234,567.89"
    );
    assert!(bad[1].message.contains("negative"));
    assert!(bad[4].message.contains("id is empty"));
    assert!(
        bad[5].message.contains("row 2 already has this id"),
        "{}",
        bad[5].message
    );
    assert!(bad[6].message.contains("not a whole number"));
    assert!(bad[7].message.contains("name is empty"));
    // Every problem of row 3 comes in one item.
    assert!(matches!(&items[1], Err(errors) if errors.len() == 4));
}

#[test]
fn ids_are_checked_for_length_and_control_characters() {
    let long = "x".repeat(MAX_ID_CHARS + 1);
    let ok = "长".repeat(MAX_ID_CHARS);
    let csv = format!("id,name\n{long},a\n{ok},b\n\"a\tb\",c\n\"n\",\"two\nlines\"\n");
    let (good, bad) = import(csv.as_bytes());
    assert_eq!(good.len(), 1);
    assert_eq!(good[0].account.id, ok);
    assert_eq!(
        triples(&bad),
        vec![
            (2, "id", long.as_str()),
            (4, "id", "a\tb"),
            (5, "name", "two\nlines")
        ]
    );
    assert!(bad[0].message.contains("at most 64"));
}

#[test]
fn rows_with_the_wrong_number_of_cells_are_row_errors() {
    let csv = "id,name,revenue\nA1,a,1,234\nA2,b\nA3,c,5,,\nA4,d,6\n";
    let (good, bad) = import(csv.as_bytes());
    assert_eq!(good.iter().map(|r| r.row).collect::<Vec<_>>(), vec![4, 5]);
    assert_eq!(triples(&bad), vec![(2, "", "A1,a,1,234"), (3, "", "A2,b")]);
    assert!(
        bad[0].message.contains("unquoted \",\""),
        "{}",
        bad[0].message
    );
    assert!(bad[1].message.contains("has 2 cells but the header has 3"));
}

#[test]
fn an_unclosed_quote_is_reported_not_a_panic() {
    let csv = "id,name,revenue\nA1,a,1\nA2,\"b,2\nA3,c,3\n";
    let (good, bad) = import(csv.as_bytes());
    assert_eq!(good.len(), 1);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].row, 3);
    assert!(bad[0].message.contains("quote is not closed"));
}

#[test]
fn unknown_columns_are_ignored_and_reported() {
    let csv = "id,name,备注,联系人,电话,,销售额万元\nA1,a,VIP,王,138,,5\n";
    let rows = read_accounts(csv.as_bytes()).expect("header");
    let ignored: Vec<_> = rows
        .ignored_columns()
        .iter()
        .map(|c| (c.position, c.letter.as_str(), c.header.as_str()))
        .collect();
    assert_eq!(
        ignored,
        vec![
            (3, "C", "备注"),
            (4, "D", "联系人"),
            (5, "E", "电话"),
            (6, "F", ""),
            (7, "G", "销售额万元")
        ]
    );
    assert_eq!(rows.warnings().len(), 5);
    assert!(rows.warnings()[0].contains("column C \"备注\" is not an account field"));
    assert!(rows.warnings()[3].contains("column F has no header"));
    assert!(
        rows.warnings()[4].contains("销售额(万元)"),
        "{}",
        rows.warnings()[4]
    );
    let (good, bad) = split(rows);
    assert!(bad.is_empty());
    assert_eq!(good[0].account.indicators, Indicators::default());
}

#[test]
fn header_matching_ignores_case_width_spacing_and_units() {
    let csv = " ID ,Ｎａｍｅ,Cooperation Years,overdue-days,REVENUE (CNY),利润（元）,回款[万元],信用等级(A-D),转介绍(是/否),客户指标评分(0-100),交易次数（次）\n\
               a,b,２,１０天,\"１,０００\",-5,1.5,AA+,Ｙ,８０分,3笔\n";
    let account = only_account(csv);
    let i = &account.indicators;
    assert_eq!(i.cooperation_years, Some(2.0));
    assert_eq!(i.overdue_days, Some(10));
    assert_eq!(i.revenue, Some(fen(100_000)));
    assert_eq!(i.profit, Some(fen(-500)));
    assert_eq!(i.collected, Some(fen(1_500_000)));
    assert_eq!(i.credit, Some(CreditRating::Good));
    assert_eq!(i.referral, Some(true));
    assert_eq!(i.potential_customer, Some(80));
    assert_eq!(i.transactions, Some(3));
}

#[test]
fn every_chinese_and_english_header_alias_maps_to_its_field() {
    for column in ACCEPTED_COLUMNS {
        for header in std::iter::once(&column.field).chain(column.headers.iter()) {
            let found = find_column(&split_header(header).0).map(|(c, rank)| (c.field, rank));
            assert_eq!(found, Some((column.field, 1)), "{header}");
        }
        for (at, header) in column.fallback.iter().enumerate() {
            let found = find_column(&split_header(header).0).map(|(c, rank)| (c.field, rank));
            assert_eq!(found, Some((column.field, 2 + at)), "{header}");
        }
    }
}

#[test]
fn no_header_name_means_two_fields() {
    let mut seen = std::collections::HashMap::new();
    for column in ACCEPTED_COLUMNS {
        let names = std::iter::once(&column.field)
            .chain(column.headers.iter())
            .chain(column.fallback.iter());
        for name in names {
            if let Some(other) = seen.insert(header_key(name), column.field) {
                assert_eq!(
                    other, column.field,
                    "{name} means {other} and {}",
                    column.field
                );
            }
        }
    }
}

#[test]
fn a_superstore_export_is_read_by_its_own_headers_and_the_region_column_wins_over_city() {
    let csv = "Customer ID,Customer Name,Segment,Country,City,State,Region,Sales,Quantity,Discount,Profit\n\
               PO-18255,Patrick O'Donnell,Corporate,United States,Springfield,Missouri,Central,1207.7870,43,0.28,-94.4851\n";
    let mut rows = read_accounts(csv.as_bytes()).unwrap();
    let parsed: Vec<_> = rows.by_ref().collect();
    let account = &parsed[0].as_ref().unwrap().account;
    assert_eq!(account.id, "PO-18255");
    assert_eq!(account.name, "Patrick O'Donnell");
    assert_eq!(account.region.as_deref(), Some("Central"));
    assert_eq!(account.indicators.revenue, Some(Money(12_077_870)));
    assert_eq!(account.indicators.profit, Some(Money(-944_851)));
    let ignored: Vec<&str> = rows
        .ignored_columns()
        .iter()
        .map(|c| c.header.as_str())
        .collect();
    assert_eq!(
        ignored,
        ["Segment", "Country", "City", "State", "Quantity", "Discount"]
    );
    assert!(
        rows.warnings().iter().any(|w| w.contains(
            "column E \"City\" was not imported: column G \"Region\" is taken as the region"
        )),
        "{:?}",
        rows.warnings()
    );
}

#[test]
fn salesforce_and_chinese_crm_headers_work_out_of_the_box() {
    let csv = "Account Name,Account Number,Account Owner,Annual Revenue,Industry,Billing City,Billing State/Province,Type\n\
               Acme,ACC-1,rep.a,\"1,000,000\",Manufacturing,Boston,MA,Customer\n";
    let mut rows = read_accounts(csv.as_bytes()).unwrap();
    let account = rows.next().unwrap().unwrap().account;
    assert_eq!(
        (
            account.id.as_str(),
            account.name.as_str(),
            account.owner.as_deref()
        ),
        ("ACC-1", "Acme", Some("rep.a"))
    );
    assert_eq!(
        account.indicators.revenue,
        Some(Money::from_yuan(1_000_000))
    );
    assert_eq!(account.industry.as_deref(), Some("Manufacturing"));
    // The state is nearer a sales region than the city.
    assert_eq!(account.region.as_deref(), Some("MA"));

    let csv =
        "客户编号,客户全称,负责人,年销售额(万元),回款金额,账龄天数,所属行业,所在城市,信用等级\n\
               KH-1,杭州某某科技有限公司,zhang.wei,12.5,80000.5,30,软件,杭州,AA\n";
    let account = read_accounts(csv.as_bytes())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .account;
    assert_eq!(account.indicators.revenue, Some(Money::from_yuan(125_000)));
    assert_eq!(account.indicators.collected, Some(Money(800_005_000)));
    assert_eq!(account.indicators.overdue_days, Some(30));
    assert_eq!(account.region.as_deref(), Some("杭州"));
}

#[test]
fn mapped_columns_go_before_recognised_ones_and_can_be_left_out() {
    let csv = "Kunde,Verantwortlich,Umsatz,Name,Notiz\nK-1,Müller GmbH,5000,ignored,x\n";
    let mut mapping = ColumnMapping::default();
    for pair in [
        "Kunde=id",
        "verantwortlich = name",
        "UMSATZ=revenue(千元)",
        "Name=",
    ] {
        mapping.add_pair(pair).unwrap();
    }
    let mut rows = read_accounts_mapped(csv.as_bytes(), &|_| mapping.clone()).unwrap();
    let account = rows.next().unwrap().unwrap().account;
    assert_eq!(
        (account.id.as_str(), account.name.as_str()),
        ("K-1", "Müller GmbH")
    );
    assert_eq!(
        account.indicators.revenue,
        Some(Money::from_yuan(5_000_000))
    );
    let ignored: Vec<&str> = rows
        .ignored_columns()
        .iter()
        .map(|c| c.header.as_str())
        .collect();
    assert_eq!(ignored, ["Name", "Notiz"]);

    let mut bad = ColumnMapping::default();
    bad.add_pair("Kunde=kundennummer").unwrap();
    let Err(ImportError::Header { problems, .. }) =
        read_accounts_mapped(csv.as_bytes(), &|_| bad.clone())
    else {
        panic!("a mapping to no field is a header problem");
    };
    assert!(problems[0].contains("mapped to \"kundennummer\", which is not an account field"));
    assert!(ColumnMapping::default().add_pair("no equals sign").is_err());
}

#[test]
fn files_with_the_same_headers_share_a_fingerprint() {
    let a = header_fingerprint(&["Kunde".into(), "Umsatz".into()]);
    assert_eq!(a, header_fingerprint(&[" kunde ".into(), "UMSATZ".into()]));
    assert_ne!(a, header_fingerprint(&["Umsatz".into(), "Kunde".into()]));
}

#[test]
fn header_errors_list_every_problem_and_the_accepted_names() {
    let problems = header_problems("名字,revenue,销售额,备注\nx,1,2,3\n".as_bytes());
    assert!(
        problems[0].contains("columns B \"revenue\" and C \"销售额\" both mean revenue"),
        "{problems:?}"
    );
    assert!(
        problems[1].contains(
            "no id (or 客户编号 / 客户ID / 编号 / Account ID / Account Number, …) column"
        ),
        "{problems:?}"
    );
    assert!(problems[2]
        .contains("no name (or 客户名称 / 名称 / 客户 / Account Name / Customer Name, …) column"));
    assert!(problems[3].contains("A \"名字\""));

    let error = read_accounts("revenue\n5\n".as_bytes())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.starts_with("the header row (row 1) cannot be used: there is no id"),
        "{error}"
    );
    assert!(error.contains(
        "Accepted column names: id (客户编号, 客户ID, 编号); name (客户名称, 名称, 客户)"
    ));

    let problems = header_problems("id,name,销售额(美元),合作年限(月)\n".as_bytes());
    assert!(
        problems[0].contains("column C \"销售额(美元)\" has a unit this importer does not know"),
        "{problems:?}"
    );
    assert!(problems[0].contains("万元"));
    assert!(problems[1].contains("合作年限(月)"));

    let problems = header_problems("客户清单2024\nid,name\n".as_bytes());
    assert!(problems.iter().any(|p| p.contains("delete any title rows")));

    assert!(matches!(read_accounts(&b""[..]), Err(ImportError::Empty)));
    assert!(matches!(
        read_accounts(&b"\n\n ,, \n"[..]),
        Err(ImportError::Empty)
    ));
}

#[test]
fn wan_yuan_unit_multiplies_by_ten_thousand() {
    let csv = "id,name,销售额(万元),利润（万）,回款金额(亿元)\nA,a,1.5,\"-1,234.5678\",0.0000000001\nB,b,1.5万,100元,0.000000000001\n";
    let (good, bad) = import(csv.as_bytes());
    assert_eq!(good.len(), 1);
    let i = &good[0].account.indicators;
    assert_eq!(i.revenue, Some(fen(1_500_000)));
    assert_eq!(i.profit, Some(fen(-1_234_567_800)));
    assert_eq!(i.collected, Some(fen(1)));
    assert_eq!(
        triples(&bad),
        vec![(3, "销售额(万元)", "1.5万"), (3, "利润（万）", "100元"),]
    );
    assert!(bad[0]
        .message
        .contains("the header already gives the unit (万元)"));
}

#[test]
fn every_boolean_spelling_is_understood() {
    let yes = [
        "true", "TRUE", "True", "yes", "YES", "y", "Y", "1", "是", "有", "√", "✓", "Ｙ",
    ];
    let no = [
        "false", "FALSE", "no", "No", "n", "N", "0", "否", "无", "×", "✗",
    ];
    for value in yes {
        assert_eq!(parse_bool(value), Ok(true), "{value}");
    }
    for value in no {
        assert_eq!(parse_bool(value), Ok(false), "{value}");
    }
    for value in ["x", "2", "maybe", "是的"] {
        assert!(
            parse_bool(value).is_err_and(|m| m.contains("yes/no")),
            "{value}"
        );
    }
    let account = only_account("id,name,转介绍,挑剔,严格\nA,a,是,,N\n");
    assert_eq!(account.indicators.referral, Some(true));
    assert_eq!(account.indicators.picky, None);
    assert_eq!(account.indicators.strict, Some(false));
}

#[test]
fn every_credit_spelling_is_understood() {
    use CreditRating::{Fair, Good, None as NoCredit, Poor};
    let cases = [
        ("good", Good),
        ("GOOD", Good),
        ("fair", Fair),
        ("poor", Poor),
        ("none", NoCredit),
        ("AAA", Good),
        ("AA", Good),
        ("A", Good),
        ("aa+", Good),
        ("A-", Good),
        ("BBB", Fair),
        ("BB", Fair),
        ("B", Fair),
        ("BBB-", Fair),
        ("CCC", Poor),
        ("CC", Poor),
        ("C", Poor),
        ("D", NoCredit),
        ("无", NoCredit),
        ("0", NoCredit),
        ("优", Good),
        ("良", Good),
        ("中", Fair),
        ("差", Poor),
        ("高", Good),
        ("低", Poor),
        ("Ａ", Good),
    ];
    for (value, rating) in cases {
        assert_eq!(parse_credit(value), Ok(rating), "{value}");
    }
    for value in ["E", "AB", "+", "excellent"] {
        assert!(
            parse_credit(value).is_err_and(|m| m.contains("unknown credit rating")),
            "{value}"
        );
    }
}

#[test]
fn negative_profit_is_kept_in_every_spelling() {
    let csv = "id,name,利润\nA,a,-3000\nB,b,\"(3,000)\"\nC,c,\"-¥3,000.50\"\nD,d,－３０００\n";
    let (good, bad) = import(csv.as_bytes());
    assert!(bad.is_empty(), "{bad:#?}");
    let profits: Vec<_> = good.iter().map(|r| r.account.indicators.profit).collect();
    assert_eq!(
        profits,
        vec![
            Some(fen(-300_000)),
            Some(fen(-300_000)),
            Some(fen(-300_050)),
            Some(fen(-300_000))
        ]
    );
}

#[test]
fn counts_reject_negatives_and_fractions_but_accept_trailing_zeros() {
    assert_eq!(parse_count("3", &[]), Ok(3));
    assert_eq!(parse_count("3.00", &[]), Ok(3));
    assert_eq!(parse_count("1,200", &[]), Ok(1_200));
    assert_eq!(parse_count("+4", &[]), Ok(4));
    assert!(parse_count("-1", &[]).is_err_and(|m| m.contains("negative")));
    assert!(parse_count("2.5", &[]).is_err_and(|m| m.contains("not a whole number")));
    assert!(parse_count("abc", &[]).is_err_and(|m| m.contains("not a number")));
    assert!(to_u32(u64::from(u32::MAX) + 1).is_err());
    assert_eq!(parse_score("100"), Ok(100));
    assert!(parse_score("101").is_err_and(|m| m.contains("0–100")));
    assert!(parse_score("300").is_err());
    assert_eq!(parse_years("3.5"), Ok(3.5));
    assert_eq!(parse_years("10年"), Ok(10.0));
    assert!(parse_years("2015").is_err_and(|m| m.contains("not the year it started")));
    assert!(parse_years("-1").is_err());
    assert!(parse_years("3年6个月").is_err_and(|m| m.contains("not a number")));
}

#[test]
fn empty_cells_are_not_recorded_rather_than_zero() {
    let account = only_account("id,name,revenue,credit,transactions,aliases,owner\nA,a, , ,,,\n");
    assert_eq!(account.indicators, Indicators::default());
    assert!(account.aliases.is_empty());
    assert_eq!(account.owner, None);
}

#[test]
fn aliases_split_on_every_accepted_separator() {
    assert_eq!(
        split_aliases("甲；乙、丙|丁/戊;甲 ; ｜ 己"),
        vec!["甲", "乙", "丙", "丁", "戊", "己"]
    );
}

#[test]
fn semicolon_and_tab_delimiters_are_detected_from_the_header() {
    let rows = read_accounts("id;name;revenue\nA;a;\"1,5\"\nB;b;2\n".as_bytes()).expect("header");
    assert_eq!(rows.delimiter(), ';');
    let (good, bad) = split(rows);
    assert_eq!(good.len(), 1);
    assert_eq!(triples(&bad), vec![(2, "revenue", "1,5")]);
    assert!(bad[0].message.contains("decimal comma"));

    let rows = read_accounts("\n\"a;b\"\tid\tname\nx\tA\ta\n".as_bytes()).expect("header");
    assert_eq!(rows.delimiter(), '\t');
    assert_eq!(rows.header_row(), 2);
    let (good, _) = split(rows);
    assert_eq!(good[0].row, 3);

    let rows = read_accounts("id,name,x;y\nA,a,b\n".as_bytes()).expect("header");
    assert_eq!(rows.delimiter(), ',');
    assert_eq!(rows.ignored_columns()[0].header, "x;y");
}

#[test]
fn a_read_failure_mid_file_ends_the_import_with_a_row_error() {
    struct Failing<'a> {
        data: &'a [u8],
    }
    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.data.is_empty() {
                return Err(io::Error::other("disk on fire"));
            }
            let n = buf.len().min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }
    let mut text = String::from("id,name\n");
    for i in 0..(SNIFF_LEN / 8) {
        text.push_str(&format!("K{i:05},n\n"));
    }
    let mut rows = read_accounts(Failing {
        data: text.as_bytes(),
    })
    .expect("header");
    let mut last = None;
    let mut count = 0;
    for item in rows.by_ref() {
        count += 1;
        last = Some(item);
    }
    assert!(rows.stopped_early());
    assert!(rows
        .read_failed()
        .is_some_and(|e| e.contains("disk on fire")));
    let errors = last.and_then(Result::err).unwrap_or_default();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].message.contains("disk on fire"),
        "{:?}",
        errors[0]
    );
    assert!(errors[0]
        .message
        .contains("nothing from this row on was imported"));
    assert!(count > 1);
}

#[test]
fn row_errors_display_as_one_readable_line() {
    let mut error = RowError {
        row: 3,
        column: "销售额".into(),
        letter: "C".into(),
        sheet: None,
        value: "12a4".into(),
        message: "not a number".into(),
    };
    assert_eq!(
        error.to_string(),
        "row 3, column C \"销售额\", value \"12a4\": not a number"
    );
    error.sheet = Some("华东".into());
    assert_eq!(
        error.to_string(),
        "sheet \"华东\", row 3, column C \"销售额\", value \"12a4\": not a number"
    );
}

#[test]
fn column_letters_follow_the_spreadsheet() {
    assert_eq!(column_letter(0), "A");
    assert_eq!(column_letter(25), "Z");
    assert_eq!(column_letter(26), "AA");
    assert_eq!(column_letter(701), "ZZ");
    assert_eq!(column_letter(702), "AAA");
}

#[test]
fn without_an_id_column_the_name_is_the_id_and_a_repeated_name_is_a_duplicate() {
    let csv = "客户全称,年销售额\n甲公司,100\n乙公司,200\n甲公司,300\n";
    let mut rows = read_accounts(csv.as_bytes()).unwrap();
    let parsed: Vec<_> = rows.by_ref().collect();
    let ids: Vec<String> = parsed
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|r| r.account.id.to_string())
        .collect();
    assert_eq!(ids, ["甲公司", "乙公司"]);
    let errors = parsed[2].as_ref().unwrap_err();
    assert_eq!((errors[0].row, errors[0].letter.as_str()), (4, "A"));
    assert!(
        errors[0].message.contains("duplicate id: row 2"),
        "{errors:?}"
    );
    assert!(rows
        .warnings()
        .iter()
        .any(|w| w.contains("identified by its name")));
}
