//! The account import page `/accounts/import` (managers and admins): send a CSV or a workbook,
//! see how its columns are read and map the ones that are not recognised, import, then see the
//! row errors, the tier changes and download the rejected rows to fix. Works as plain forms;
//! `static/app.js` adds drag and drop and upload progress.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::app::account_book::{ImportFile, ImportOptions, ImportPreview, ImportReport};
use crate::app::staging::StagedUpload;
use crate::domain::import::{ColumnUse, RowError, SheetFormat};
use crate::domain::policy;
use crate::domain::policy::Principal;
use crate::domain::Lang;
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::guard::require;
use crate::web::page::{html, PageContext};
use crate::web::upload::{receive_upload, Form};
use crate::web::AppState;

/// Row errors shown on the page (the file of rejected rows has every rejected row).
const ERRORS_SHOWN: usize = 200;
/// The uploaded file inside its staged upload, and its name as sent.
const FILE: &str = "part-0";
const NAME: &str = "name";
const REJECTED: &str = "rejected.csv";

/// One column of the file as the page lists it.
pub struct ColumnRow {
    pub letter: String,
    pub header: String,
    /// The field it fills, `""` when not imported.
    pub field: String,
    pub unit: String,
}

pub struct ImportResult {
    pub report: ImportReport,
    pub errors: Vec<RowError>,
    pub errors_total: usize,
    pub rejected_href: Option<String>,
    /// Every tier id of the model with its label in the page's language.
    pub tier_names: Vec<(String, String)>,
}

impl ImportResult {
    /// A tier id's label (the id itself if the model no longer has it).
    pub fn tier_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.tier_names
            .iter()
            .find(|(tier, _)| tier == id)
            .map_or(id, |(_, label)| label.as_str())
    }
}

#[derive(Template)]
#[template(path = "import_accounts.html")]
pub struct ImportAccountsPage {
    pub ctx: PageContext,
    pub action: String,
    pub upload: Option<String>,
    pub file_name: String,
    pub sheet: Option<String>,
    pub sheets: Vec<String>,
    pub source: String,
    pub columns: Vec<ColumnRow>,
    pub fields: Vec<&'static str>,
    pub remembered: bool,
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
    pub result: Option<ImportResult>,
    /// A problem with the file as a whole (unreadable, wrong kind).
    pub failure: Option<String>,
}

impl ImportAccountsPage {
    fn new(ctx: PageContext) -> ImportAccountsPage {
        let action = format!("/accounts/import?csrf={}", ctx.csrf);
        ImportAccountsPage {
            ctx,
            action,
            upload: None,
            file_name: String::new(),
            sheet: None,
            sheets: Vec::new(),
            source: String::new(),
            columns: Vec::new(),
            fields: Vec::new(),
            remembered: false,
            problems: Vec::new(),
            warnings: Vec::new(),
            result: None,
            failure: None,
        }
    }

    /// The label of a field in the page's language.
    pub fn field_label(&self, field: &str) -> String {
        let zh = match field {
            "id" => "客户编号",
            "name" => "客户名称",
            "aliases" => "别名",
            "industry" => "行业",
            "region" => "区域",
            "owner" => "负责人",
            "revenue" => "销售额",
            "profit" => "利润",
            "collected" => "回款金额",
            "transactions" => "交易次数",
            "cooperation_years" => "合作年限",
            "overdue_days" => "逾期天数",
            "product_lines" => "产品线数",
            "credit" => "信用等级",
            "referral" => "转介绍",
            "picky" => "挑剔",
            "strict" => "严格",
            "potential_customer" => "客户指标评分",
            "potential_service" => "服务指标评分",
            other => other,
        };
        match self.ctx.lang {
            Lang::Zh => format!("{zh} ({field})"),
            Lang::En => field.to_owned(),
        }
    }
}

fn require_importer(principal: &Principal) -> Result<(), AppError> {
    require(
        policy::can_import_accounts(principal),
        principal,
        "importing accounts",
        "managers and admins",
    )
}

/// `GET /accounts/import`.
pub async fn show_import(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
) -> Result<HttpResponse, PageError> {
    require_importer(&principal).or_page(lang)?;
    let ctx = PageContext::for_request(&req, &state, lang);
    html(&ImportAccountsPage::new(ctx)).or_page(lang)
}

/// `POST /accounts/import` (multipart): `file` (or `upload`, the file sent before), `step`
/// (`preview` or `import`), `sheet`, `source` and `map` (`HEADER=FIELD`, one per column).
pub async fn submit_import(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    require_importer(&principal).or_page(lang)?;
    let ctx = PageContext::for_request(&req, &state, lang);
    let (fresh, form, _slot) = receive_upload(&req, &state, &principal, payload, 1)
        .await
        .or_page(lang)?;
    let upload = match form.files.first() {
        Some(file) if file.size > 0 => {
            std::fs::write(fresh.file(NAME), file.name.as_bytes())
                .map_err(AppError::internal)
                .or_page(lang)?;
            // A new file replaces the one sent before.
            if let Some(earlier) = form
                .field("upload")
                .and_then(|id| state.staging.get(id, &principal.user))
            {
                state.staging.remove(&earlier);
            }
            fresh
        }
        _ => {
            state.staging.remove(&fresh);
            let earlier = form
                .field("upload")
                .and_then(|id| state.staging.get(id, &principal.user));
            match earlier {
                Some(upload) => upload,
                None => {
                    let mut page = ImportAccountsPage::new(ctx);
                    page.failure = Some(
                        page.ctx
                            .t(
                                "请选择要导入的文件（CSV、xlsx、xls 或 ods）。",
                                "Choose a file to import (CSV, xlsx, xls or ods).",
                            )
                            .to_owned(),
                    );
                    return html(&page).or_page(lang);
                }
            }
        }
    };
    let page = run_step(&state, ctx, &principal, &form, upload).await;
    html(&page).or_page(lang)
}

async fn run_step(
    state: &web::Data<AppState>,
    ctx: PageContext,
    principal: &Principal,
    form: &Form,
    upload: StagedUpload,
) -> ImportAccountsPage {
    let mut page = ImportAccountsPage::new(ctx);
    let file_name = std::fs::read_to_string(upload.file(NAME)).unwrap_or_default();
    let mut options = ImportOptions {
        by: principal.user.clone(),
        sheet: form
            .field("sheet")
            .map(str::to_owned)
            .filter(|s| !s.is_empty()),
        source: form
            .field("source")
            .map(str::to_owned)
            .filter(|s| !s.trim().is_empty()),
        ..ImportOptions::default()
    };
    for pair in form.all("map") {
        if let Err(message) = options.mapping.add_pair(pair) {
            page.problems.push(message);
        }
    }
    page.upload = Some(upload.id.clone());
    page.file_name = file_name.clone();
    page.source = options.source.clone().unwrap_or_default();
    let format = SheetFormat::from_file_name(&file_name);
    let importing = form.field("step") == Some("import");
    let book = state.accounts.clone();
    let path = upload.file(FILE);
    let run_options = options.clone();
    let outcome = web::block(move || {
        let open = || {
            let file = std::fs::File::open(&path)
                .map_err(|e| crate::app::account_book::AccountsError::ReadFailed(e.to_string()))?;
            Ok::<_, crate::app::account_book::AccountsError>(match format {
                Some(format) => ImportFile::Workbook(file, format),
                None => ImportFile::Csv(std::io::BufReader::new(file)),
            })
        };
        let preview = book.preview(open()?, &run_options)?;
        if !importing || !preview.problems.is_empty() {
            return Ok::<_, crate::app::account_book::AccountsError>((preview, None));
        }
        let mut errors = Vec::new();
        let mut total = 0usize;
        let report = book.import(open()?, &run_options, "import", &mut |e: &RowError| {
            total += 1;
            if errors.len() < ERRORS_SHOWN {
                errors.push(e.clone());
            }
        })?;
        Ok((preview, Some((report, errors, total))))
    })
    .await;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => {
            page.failure = Some(e.to_string());
            return page;
        }
    };
    match outcome {
        Err(e) => page.failure = Some(e.to_string()),
        Ok((preview, result)) => {
            fill_columns(&mut page, &preview);
            if let Some((report, errors, total)) = result {
                let rejected_href = report.rejected_csv.as_ref().and_then(|csv| {
                    std::fs::write(upload.file(REJECTED), csv).ok()?;
                    Some(format!("/accounts/import/{}/rejected.csv", upload.id))
                });
                page.warnings = without_listed_columns(&report.warnings, &page.columns);
                let lang = page.ctx.lang;
                let tier_names = state
                    .accounts
                    .state()
                    .tiers()
                    .iter()
                    .map(|def| (def.id.clone(), crate::web::view::tier_label(def, lang)))
                    .collect();
                page.result = Some(ImportResult {
                    report,
                    errors,
                    errors_total: total,
                    rejected_href,
                    tier_names,
                });
            }
        }
    }
    page
}

fn fill_columns(page: &mut ImportAccountsPage, preview: &ImportPreview) {
    page.columns = preview
        .columns
        .iter()
        .map(|c: &ColumnUse| ColumnRow {
            letter: c.letter.clone(),
            header: c.header.clone(),
            field: c.field.unwrap_or("").to_owned(),
            unit: c.unit.clone(),
        })
        .collect();
    page.fields = preview.fields.clone();
    page.remembered = preview.mapping_origin == crate::app::account_book::MappingOrigin::Remembered;
    page.problems.extend(preview.problems.iter().cloned());
    page.warnings = without_listed_columns(&preview.warnings, &page.columns);
    page.sheet = preview.sheet.clone();
    page.sheets = preview.sheets.clone();
}

/// The notes about the file, less those that only say a column is not imported: the table of
/// columns shows that, with the choice to import it.
fn without_listed_columns(warnings: &[String], columns: &[ColumnRow]) -> Vec<String> {
    warnings
        .iter()
        .filter(|w| {
            !columns.iter().any(|c| {
                c.field.is_empty()
                    && w.starts_with(&format!("column {} \"", c.letter))
                    && w.contains("is not an account field")
            })
        })
        .cloned()
        .collect()
}

/// `GET /accounts/import/{upload}/rejected.csv`: the rejected rows of an import, with what is
/// wrong with each (only for the user who imported).
pub async fn download_rejected(
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    require_importer(&principal).or_page(lang)?;
    let not_found = || AppError::NotFound("no rejected rows to download here".to_owned());
    let upload = state
        .staging
        .get(&path, &principal.user)
        .ok_or_else(not_found)
        .or_page(lang)?;
    let csv = std::fs::read(upload.file(REJECTED))
        .map_err(|_| not_found())
        .or_page(lang)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"rejected-rows.csv\"",
        ))
        .body(csv))
}
