//! Customer files as they come (issue 18): a Superstore-shaped export with four-decimal money
//! in CSV and in each workbook format, CRM exports with bad rows, column mapping remembered for
//! the next file, and the file of rejected rows.

use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import/accounts")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("xlsx") => XLSX,
        Some("xls") => "application/vnd.ms-excel",
        Some("ods") => "application/vnd.oasis.opendocument.spreadsheet",
        _ => "text/csv",
    }
}

/// `POST /api/v1/accounts/import` (or `/preview`) with a fixture and a query.
async fn post_file(app: &TestApp, path: &str, name: &str, query: &[(&str, &str)]) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(path))
        .query(query)
        .header("Content-Type", content_type(name))
        .body(fixture(name))
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

fn expected() -> Value {
    serde_json::from_slice(&fixture("superstore-expected.json")).unwrap()
}

/// The decimal text of an exact sum, as the figures file writes it (four decimals).
fn four_decimals(value: &Value) -> String {
    format!("{:.4}", value.as_f64().expect("a number"))
}

#[tokio::test]
async fn a_superstore_export_imports_whole_in_every_format_with_exact_pareto_figures() {
    let expected = expected();
    for name in [
        "superstore-customers.csv",
        "superstore-customers.xlsx",
        "superstore-customers.xls",
        "superstore-customers.ods",
    ] {
        let app = spawn_app().await;
        let (status, body) = post_file(&app, "/api/v1/accounts/import", name, &[]).await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(body["rejected"], 0, "{name}: {}", body["errors"]);
        assert_eq!(body["imported"], expected["rows"], "{name}");
        let (_, sales) = app.pareto("revenue").await;
        assert_eq!(sales["unit"], "yuan");
        assert_eq!(
            four_decimals(&sales["total"]),
            expected["sum_sales"],
            "{name}"
        );
        assert_eq!(sales["top20_count"], expected["top_20_percent_customers"]);
        assert_eq!(
            sales["accounts_for_80pct"], expected["customers_to_80_percent_of_sales"],
            "{name}"
        );
        let share = sales["top20_share"].as_f64().unwrap() / 100.0;
        let want: f64 = expected["top_20_percent_sales_share"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((share - want).abs() < 5e-7, "{name}: {share} vs {want}");
        let (_, profit) = app.pareto("profit").await;
        assert_eq!(
            four_decimals(&profit["total"]),
            expected["sum_profit"],
            "{name}"
        );
        // Apostrophes and four-decimal losses come back as written.
        let (_, patrick) = app.get_account("PO-18255").await;
        assert_eq!(patrick["account"]["name"], "Patrick O'Donnell", "{name}");
        assert_eq!(
            patrick["account"]["indicators"]["profit"], -94.4851,
            "{name}"
        );
        assert_eq!(
            patrick["account"]["indicators"]["revenue"], 1207.787,
            "{name}"
        );
        if name.ends_with(".csv") {
            assert!(body.get("sheet").is_none());
        } else {
            assert!(body["sheet"].is_string(), "{name}: {body}");
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn crm_exports_in_english_and_chinese_name_the_bad_rows_by_sheet_row_and_column() {
    let app = spawn_app().await;
    let (status, body) =
        post_file(&app, "/api/v1/accounts/import", "crm-export-en.xlsx", &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"], 27, "{body}");
    assert_eq!(body["rejected"], 3);
    let errors = body["errors"].as_array().unwrap();
    let at: Vec<(u64, &str, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["letter"].as_str().unwrap(),
                e["sheet"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(at[0].0, 8);
    assert!(at.iter().any(|&(row, _, _)| row == 15));
    assert!(at.iter().any(|&(row, _, _)| row == 23));
    assert!(at.iter().all(|&(_, _, sheet)| sheet == body["sheet"]));
    let revenue = errors.iter().find(|e| e["row"] == 15).unwrap();
    assert_eq!(
        (
            revenue["column"].as_str(),
            revenue["letter"].as_str(),
            revenue["value"].as_str()
        ),
        (Some("Annual Revenue"), Some("D"), Some("n/a"))
    );
    let duplicate = errors.iter().find(|e| e["row"] == 23).unwrap();
    assert!(duplicate["message"].as_str().unwrap().contains("row 4"));
    // The rejected rows come back as a file with what is wrong, to fix and import again.
    let rejected = body["rejected_csv"].as_str().unwrap();
    let lines: Vec<&str> = rejected.lines().collect();
    assert_eq!(lines.len(), 4, "{rejected}");
    assert!(lines[0].starts_with("\u{feff}Account Name,Account Number"));
    assert!(lines[0].ends_with(",error 错误"));
    assert!(lines[2].contains("n/a") && lines[2].contains("row 15"));
    // Owners from the export: the importer's tier changes are listed.
    assert!(body["tier_moves"]["new"].as_u64().unwrap() >= 27, "{body}");
    assert!(!body["tier_changes"].as_array().unwrap().is_empty());

    for name in ["crm-export-zh.xlsx", "crm-export-zh.csv"] {
        let (status, body) = post_file(&app, "/api/v1/accounts/import", name, &[]).await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(body["rejected"], 2, "{name}: {body}");
        let rows: Vec<u64> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["row"].as_u64().unwrap())
            .collect();
        assert_eq!(rows, [7, 18], "{name}");
        assert_eq!(body["errors"][1]["column"], "回款金额");
    }
    let (_, account) = app.get_account("KH0001").await;
    assert_eq!(account["account"]["indicators"]["revenue"], 11_616_000);
    assert_eq!(account["account"]["region"], "上海");
}

#[tokio::test]
async fn unknown_headers_are_mapped_once_and_the_mapping_is_remembered_for_the_next_file() {
    let app = spawn_app().await;
    // Nothing is recognised: the preview and the import say what to do, naming the columns.
    for path in ["/api/v1/accounts/import/preview", "/api/v1/accounts/import"] {
        let (status, body) = post_file(&app, path, "unmapped.csv", &[]).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["code"], "invalid_csv");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("no id") && message.contains("map a column"),
            "{message}"
        );
        assert!(message.contains("\"Kunde\""), "{message}");
    }

    let mapping = [
        ("map", "Kunde=name"),
        ("map", "Verantwortlich="),
        ("map", "Umsatz=revenue"),
    ];
    let (status, preview) = post_file(
        &app,
        "/api/v1/accounts/import/preview",
        "unmapped.csv",
        &mapping,
    )
    .await;
    assert_eq!(status, 200);
    let headers: Vec<&str> = preview["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["header"].as_str().unwrap())
        .collect();
    assert_eq!(headers, ["Kunde", "Verantwortlich", "Umsatz"]);
    assert!(preview["fields"].as_array().unwrap().len() > 10);
    assert_eq!(preview["columns"][0]["field"], "name", "{preview}");
    assert_eq!(preview["columns"][1]["field"], Value::Null);
    assert_eq!(preview["problems"], serde_json::json!([]));
    let (status, body) = post_file(&app, "/api/v1/accounts/import", "unmapped.csv", &mapping).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["imported"].as_u64(), body["rejected"].as_u64()),
        (Some(5), Some(0))
    );
    assert_eq!(body["mapping_origin"], "given");

    // Next quarter's file, same headers: no mapping sent, the remembered one applies.
    let next = "Kunde,Verantwortlich,Umsatz\nNeue Kunde AG,Eva Braun,1000\n";
    let response = app
        .client
        .post(app.url("/api/v1/accounts/import"))
        .header("Content-Type", "text/csv")
        .body(next)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["imported"], 1, "{body}");
    assert_eq!(body["mapping_origin"], "remembered");
    let (_, account) = app.get_account("Neue Kunde AG").await;
    assert_eq!(account["account"]["indicators"]["revenue"], 1000);
    assert_eq!(account["account"]["owner"], Value::Null);
}

#[tokio::test]
async fn bad_import_requests_are_refused_with_a_reason_and_store_nothing() {
    let app = spawn_app().await;
    for (query, code) in [
        (vec![("map", "no equals sign")], "invalid_query"),
        (vec![("format", "docx")], "invalid_query"),
        (vec![("colour", "red")], "invalid_query"),
    ] {
        let (status, body) =
            post_file(&app, "/api/v1/accounts/import", "unmapped.csv", &query).await;
        assert_eq!(status, 400, "{query:?}: {body}");
        assert_eq!(body["error"]["code"], code, "{query:?}");
    }
    // A workbook with no such sheet, and a file that is not what it says.
    let (status, body) = post_file(
        &app,
        "/api/v1/accounts/import",
        "crm-export-en.xlsx",
        &[("sheet", "Leads")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no sheet \"Leads\""),
        "{body}"
    );
    let response = app
        .client
        .post(app.url("/api/v1/accounts/import"))
        .header("Content-Type", XLSX)
        .body("id,name\nA,a\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be read"),
        "{body}"
    );
    // A few hundred bytes of .ods asking for 98 million cells is refused before it is read.
    let bomb = {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("mimetype", options).unwrap();
        zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        zip.start_file("content.xml", options).unwrap();
        zip.write_all(br#"<office:document-content><office:body><office:spreadsheet><table:table table:name="S"><table:table-row table:number-rows-repeated="6000"><table:table-cell office:value-type="string" table:number-columns-repeated="16384"><text:p>x</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#).unwrap();
        zip.finish().unwrap().into_inner()
    };
    let response = app
        .client
        .post(app.url("/api/v1/accounts/import"))
        .header(
            "Content-Type",
            "application/vnd.oasis.opendocument.spreadsheet",
        )
        .body(bomb)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"].as_str().unwrap().contains("cells"),
        "{body}"
    );
    let (_, list) = app.list_accounts("").await;
    assert_eq!(list["total"], 0);
    // A named sheet is read: the English export's notes sheet has no account columns.
    let (status, body) = post_file(
        &app,
        "/api/v1/accounts/import/preview",
        "crm-export-en.xlsx",
        &[("sheet", "Notes")],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Exported from Salesforce"),
        "{body}"
    );
}
