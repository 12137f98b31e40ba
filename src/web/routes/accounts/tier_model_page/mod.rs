//! The `/tier-model` page: the model in force explained in the UI language (for everyone who
//! may read it, as `GET /api/v1/tier-model`), and for those who may change it a form with a
//! preview of how many accounts would change tier before anything is saved (as
//! `POST /api/v1/tier-model/preview`, then `PUT /api/v1/tier-model`).

mod form;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::app::account_book::{TierPreview, TierState};
use crate::domain::policy::{self, Principal};
use crate::domain::tiering::{ScoreMethod, TierModel};
use crate::domain::Lang;
use crate::error_codes::code;
use crate::web::blocking::blocking;
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::guard::require;
use crate::web::i18n::Ui;
use crate::web::page::{html, page_with_status, path_segment, PageContext};
use crate::web::tier_words::{
    custom_layout_name, cut_method_help, cut_method_name, cut_rule, direction_class, grouped,
    normalisation_help, normalisation_name, preset_name, resolved_cut_method, score_method_name,
    score_method_of, score_sentence, tier_name,
};
use crate::web::AppState;
use form::{
    fields_edited, form, model_from_json, model_from_values, restructured, values_of, FieldError,
    ModelForm, Values,
};

/// One tier of the model in force, explained.
pub struct TierRow {
    pub id: String,
    pub label: String,
    pub rule: String,
    pub count: String,
}

/// The model in force in words.
pub struct Explained {
    pub layout: String,
    pub tiers: Vec<TierRow>,
    pub cut_method: &'static str,
    pub cut_help: &'static str,
    pub score_method: &'static str,
    pub score: String,
    /// The scaling of a weighted or scorecard score, with what it does.
    pub scaling: Option<(&'static str, &'static str)>,
    pub accounts: String,
    pub computed_at: Option<crate::web::labels::HumanTime>,
}

fn explain(state: &TierState, lang: Lang, offset: time::UtcOffset) -> Explained {
    let model = state.model();
    let summary = state.summary();
    let resolved = model.resolve().ok();
    let tiers = state.tiers();
    let method = resolved
        .as_ref()
        .map_or("percent_of_accounts", |r| resolved_cut_method(r.cut()).0);
    Explained {
        layout: match (&model.tiers, model.preset) {
            (Some(_), _) | (None, None) => custom_layout_name(lang).to_owned(),
            (None, Some(p)) => preset_name(p, lang).to_owned(),
        },
        tiers: tiers
            .iter()
            .enumerate()
            .map(|(i, def)| TierRow {
                id: def.id.clone(),
                label: tier_name(def, lang),
                rule: resolved.as_ref().map_or_else(String::new, |r| {
                    cut_rule(r.cut(), i, tiers.len(), state.len(), lang)
                }),
                count: summary
                    .tiers
                    .get(i)
                    .map_or_else(String::new, |c| match lang {
                        Lang::Zh => format!("现有 {} 家", grouped(c.count)),
                        Lang::En => format!("{} accounts now", grouped(c.count)),
                    }),
            })
            .collect(),
        cut_method: cut_method_name(method, lang),
        cut_help: cut_method_help(method, lang),
        score_method: score_method_name(score_method_of(&model.score), lang),
        score: score_sentence(&model.score, lang),
        scaling: match &model.score {
            ScoreMethod::Single { .. } => None,
            ScoreMethod::Weighted { normalisation, .. }
            | ScoreMethod::Scorecard { normalisation, .. } => Some((
                normalisation_name(*normalisation, lang),
                normalisation_help(*normalisation, lang),
            )),
        },
        accounts: grouped(state.len()),
        computed_at: (!summary.computed_at.is_empty())
            .then(|| crate::web::labels::human_time(&summary.computed_at, lang, offset)),
    }
}

/// One from → to pair of a preview.
pub struct MoveRow {
    pub from: String,
    pub to: String,
    pub direction: &'static str,
    pub direction_class: &'static str,
    pub count: String,
    /// (link, name) of a few of them.
    pub examples: Vec<(String, String)>,
    /// How many more than the examples, in words.
    pub more: Option<String>,
}

/// Accounts per tier now and under the candidate.
pub struct CountRow {
    pub label: String,
    pub now: String,
    pub then: String,
}

pub struct PreviewView {
    pub headline: String,
    pub moves: Vec<MoveRow>,
    pub counts: Vec<CountRow>,
    pub score: String,
}

fn preview_view(preview: &TierPreview, state: &TierState, lang: Lang) -> PreviewView {
    let ui = Ui::for_lang(lang);
    let headline = match (preview.moved, lang) {
        (0, Lang::Zh) => "保存后没有客户的分级会变化。".to_owned(),
        (0, Lang::En) => "Saving this model changes no account's tier.".to_owned(),
        (n, Lang::Zh) => format!(
            "保存后，{} 个客户中有 {} 个会变更分级。",
            grouped(preview.accounts),
            grouped(n)
        ),
        (n, Lang::En) => format!(
            "Saving this model changes the tier of {} of {} accounts.",
            grouped(n),
            grouped(preview.accounts)
        ),
    };
    let now = state.summary();
    PreviewView {
        headline,
        moves: preview
            .moves
            .iter()
            .map(|m| MoveRow {
                from: tier_name(&m.from, lang),
                to: tier_name(&m.to, lang),
                direction: ui.direction(m.direction),
                direction_class: direction_class(m.direction),
                count: match lang {
                    Lang::Zh => format!("{} 家", grouped(m.count)),
                    Lang::En => format!("{} accounts", grouped(m.count)),
                },
                examples: m
                    .examples
                    .iter()
                    .map(|e| (format!("/accounts/{}", path_segment(&e.id)), e.name.clone()))
                    .collect(),
                more: match (m.count.saturating_sub(m.examples.len()), lang) {
                    (0, _) => None,
                    (n, Lang::Zh) => Some(format!("等（另有 {} 家）", grouped(n))),
                    (n, Lang::En) => Some(format!("and {} more", grouped(n))),
                },
            })
            .collect(),
        counts: preview
            .counts
            .iter()
            .map(|c| CountRow {
                label: match lang {
                    Lang::Zh => c.label_zh.clone(),
                    Lang::En => c.label_en.clone(),
                },
                now: now
                    .tiers
                    .iter()
                    .find(|t| t.tier == c.tier)
                    .map_or_else(|| "—".to_owned(), |t| grouped(t.count)),
                then: grouped(c.count),
            })
            .collect(),
        score: score_sentence(&preview.model.score, lang),
    }
}

#[derive(Template)]
#[template(path = "tier_model.html")]
pub struct TierModelPage {
    pub ctx: PageContext,
    pub explained: Explained,
    pub form: Option<ModelForm>,
    pub preview: Option<PreviewView>,
    /// Said above the form: after a save, or when the form was redrawn.
    pub notice: Option<String>,
    pub saved: Option<String>,
}

impl TierModelPage {
    fn new(req: &HttpRequest, state: &AppState, lang: Lang) -> TierModelPage {
        TierModelPage {
            ctx: PageContext::for_request(req, state, lang),
            explained: explain(&state.accounts.state(), lang, state.utc_offset),
            form: None,
            preview: None,
            notice: None,
            saved: None,
        }
    }
}

#[derive(Deserialize)]
pub struct TierModelQuery {
    /// Set after a save: how many accounts changed tier.
    saved: Option<usize>,
}

/// `GET /tier-model`.
pub async fn show_tier_model(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    query: web::Query<TierModelQuery>,
) -> Result<HttpResponse, PageError> {
    let mut page = TierModelPage::new(&req, &state, lang);
    if policy::can_change_tier_model(&principal) {
        let values = values_of(state.accounts.state().model());
        page.form = Some(form(&values, Vec::new(), lang));
    }
    page.saved = query.saved.map(|n| match lang {
        Lang::Zh => format!("新的分级模型已保存：{} 个客户的分级有变化。", grouped(n)),
        Lang::En => format!(
            "The new tier model is saved: {} accounts changed tier.",
            grouped(n)
        ),
    });
    html(&page).or_page(lang)
}

/// `POST /tier-model`: `do=preview` (the fields), `do=preview_json` (the advanced JSON) or
/// `do=save`, which saves only the model last previewed, unchanged since.
pub async fn submit_tier_model(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    require(
        policy::can_change_tier_model(&principal),
        &principal,
        "changing the tier model",
        "admins",
    )
    .or_page(lang)?;
    let values: Values = body.into_inner().into_iter().collect();
    let action = values.get("do").cloned().unwrap_or_default();
    let mut page = TierModelPage::new(&req, &state, lang);
    let refuse = |mut page: TierModelPage, values: &Values, errors: Vec<FieldError>| {
        let message = errors
            .iter()
            .map(|e| format!("{}: {}", e.label, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        page.form = Some(form(values, errors, lang));
        page_with_status(
            &page,
            &AppError::bad_request(code::INVALID_TIER_MODEL, message),
            lang,
        )
    };
    let mut from_json = action == "preview_json"
        || (action == "save" && values.get("source").map(String::as_str) == Some("json"));
    if action == "save" && from_json {
        // Fields edited after a JSON preview are what the admin wants now: preview them.
        if let Ok(json_model) = model_from_json(&values, lang) {
            let same = serde_json::to_string(&json_model).ok().as_deref()
                == values.get("previewed").map(String::as_str);
            if same && fields_edited(&values, &json_model) {
                from_json = false;
            }
        }
    }
    if !from_json && action != "save" {
        if let Some(redrawn) = restructured(&values) {
            page.notice = Some(
                match lang {
                    Lang::Zh => "表单已按新的选择更新，并填入了示例分界值：请检查后再预览。",
                    Lang::En => "The form now follows your new choice, with example cut points: check them, then preview.",
                }
                .to_owned(),
            );
            page.form = Some(form(&redrawn, Vec::new(), lang));
            return html(&page).or_page(lang);
        }
    }
    let built = if from_json {
        model_from_json(&values, lang)
    } else {
        model_from_values(&values, lang)
    };
    let model = match built {
        Ok(model) => model,
        Err(errors) => return refuse(page, &values, errors),
    };
    let canonical = serde_json::to_string(&model).map_err(|e| PageError {
        error: AppError::internal(e),
        lang,
    })?;
    let previewed = values.get("previewed").map(String::as_str) == Some(canonical.as_str());
    if action == "save" && previewed {
        let book = state.accounts.clone();
        let user = principal.user.clone();
        let before = book.state();
        let json = canonical.clone();
        let saved = blocking(move || book.set_model_json(&json, &user)).await;
        return match saved {
            Ok(_) => {
                let moved = state
                    .accounts
                    .store()
                    .last_recompute()
                    .ok()
                    .flatten()
                    .filter(|r| r.seq > before.seq())
                    .map_or(0, |r| r.up + r.down + r.new + r.changed);
                Ok(HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, format!("/tier-model?saved={moved}")))
                    .finish())
            }
            Err(AppError::BadRequest { message, .. }) => refuse(
                page,
                &values,
                vec![FieldError {
                    field: "json".into(),
                    label: "JSON".into(),
                    message,
                }],
            ),
            Err(error) => Err(PageError { error, lang }),
        };
    }
    if action == "save" {
        page.notice = Some(
            match lang {
                Lang::Zh => "表单在预览之后有改动：这是新的预览，确认无误后再保存。",
                Lang::En => "The form changed after the preview: here is a new preview; save when it is right.",
            }
            .to_owned(),
        );
    }
    preview_page(page, &state, model, canonical, from_json, &values, lang).await
}

async fn preview_page(
    mut page: TierModelPage,
    state: &AppState,
    model: TierModel,
    canonical: String,
    from_json: bool,
    typed: &Values,
    lang: Lang,
) -> Result<HttpResponse, PageError> {
    let book = state.accounts.clone();
    let current = book.state();
    let candidate = model.clone();
    let preview = blocking(move || book.preview_model(candidate))
        .await
        .or_page(lang)?;
    let mut values = if from_json {
        values_of(&model)
    } else {
        typed.clone()
    };
    if from_json {
        values.insert(
            "json".into(),
            typed.get("json").cloned().unwrap_or_default(),
        );
    } else {
        values.insert(
            "json".into(),
            serde_json::to_string_pretty(&model).unwrap_or_default(),
        );
    }
    values.insert("previewed".into(), canonical);
    values.insert(
        "source".into(),
        if from_json { "json" } else { "form" }.into(),
    );
    page.preview = Some(preview_view(&preview, &current, lang));
    page.form = Some(form(&values, Vec::new(), lang));
    html(&page).or_page(lang)
}
