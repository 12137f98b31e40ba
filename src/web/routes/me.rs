//! The signed-in user's own settings: password and API tokens, as API and as the `/me` page.

use crate::error_codes::code;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::app::users::{NewToken, TokenView};
use crate::domain::policy::Principal;
use crate::domain::Lang;
use crate::web::blocking::blocking;
use crate::web::error::responses::{
    BadInput, Busy, Forbidden, NotFound, TooLarge, TooManyRequests, Unauthenticated,
};
use crate::web::error::{AppError, PageError};
use crate::web::guard::{client_of, session_cookie, signed_in, SessionView};
use crate::web::i18n::Ui;
use crate::web::page::{html, page_with_status, PageContext};
use crate::web::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// `PUT /api/v1/session/password`: change one's own password. Every session of the user ends and
/// every API token of theirs is revoked; the caller gets a new session (cookie and CSRF token),
/// as after a sign-in.
#[utoipa::path(
    put,
    path = "/api/v1/session/password",
    request_body = PasswordBody,
    responses(
        (status = 200, description = "Changed; every session and API token of the user ends, and the caller is signed in with a new session", body = SessionView),
        BadInput,
        Unauthenticated,
        Forbidden,
        TooLarge,
        TooManyRequests,
        Busy,
    )
)]
pub async fn change_own_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<PasswordBody>,
) -> Result<HttpResponse, AppError> {
    let PasswordBody {
        current_password,
        new_password,
    } = body.into_inner();
    let auth = state.auth.clone();
    let client = client_of(&req, &state);
    let session = blocking(move || {
        auth.change_password(&principal.user, &current_password, &new_password, &client)
    })
    .await?;
    Ok(signed_in(&req, &state, session))
}

/// `GET /api/v1/tokens`: my API tokens (never their secrets).
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    responses(
        (status = 200, description = "My API tokens, without secrets", body = Vec<crate::app::users::TokenView>),
        Unauthenticated,
    )
)]
pub async fn list_tokens(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<web::Json<Vec<TokenView>>, AppError> {
    Ok(web::Json(state.auth.list_tokens(&principal.user)?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// What uses the token: 1–100 characters, not only spaces.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    label: String,
}

/// `POST /api/v1/tokens`: a new token for me; the secret is in this answer only.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    request_body = TokenBody,
    responses(
        (status = 201, description = "A new token; the secret is in this answer only", body = crate::app::users::NewToken),
        BadInput,
        Unauthenticated,
        Forbidden,
        TooLarge,
    )
)]
pub async fn create_token(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<TokenBody>,
) -> Result<HttpResponse, AppError> {
    let token: NewToken = state.auth.create_token(&principal.user, &body.label)?;
    Ok(HttpResponse::Created().json(token))
}

/// `DELETE /api/v1/tokens/{id}`: revoke one of my tokens.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    params(("id" = String, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        BadInput,
        Unauthenticated,
        Forbidden,
        NotFound,
    )
)]
pub async fn revoke_token(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    state.auth.revoke_token(&principal.user, &id)?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Template)]
#[template(path = "me.html")]
pub struct MePage {
    pub ctx: PageContext,
    pub name: String,
    pub role: &'static str,
    pub tokens: Vec<TokenView>,
    pub new_token: Option<String>,
    pub password_error: Option<String>,
    /// Set right after a password change (`/me?password=changed`).
    pub password_changed: bool,
    pub token_error: Option<String>,
}

fn me_page(
    req: &HttpRequest,
    state: &AppState,
    lang: Lang,
    principal: &Principal,
) -> Result<MePage, PageError> {
    Ok(MePage {
        ctx: PageContext::for_request(req, state, lang),
        name: principal.user.clone(),
        role: principal.role.as_str(),
        tokens: state
            .auth
            .list_tokens(&principal.user)
            .map_err(|e| PageError {
                error: e.into(),
                lang,
            })?,
        new_token: None,
        password_error: None,
        password_changed: false,
        token_error: None,
    })
}

#[derive(Deserialize)]
pub struct MeQuery {
    /// `changed` right after a password change: the page says so.
    password: Option<String>,
}

/// `GET /me`: who I am, the password form, my API tokens.
pub async fn show_me(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    query: web::Query<MeQuery>,
) -> Result<HttpResponse, PageError> {
    let mut page = me_page(&req, &state, lang, &principal)?;
    page.password_changed = query.password.as_deref() == Some("changed");
    html(&page).map_err(|error| PageError { error, lang })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
    #[serde(default, rename = "csrf")]
    _csrf: String,
}

/// `POST /me/password`: on success every other session of the user ends and their API tokens
/// are revoked; this browser gets a new session and the page says the password was changed.
pub async fn submit_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let ui = Ui::for_lang(lang);
    let refuse = |message: String, error: AppError| -> Result<HttpResponse, PageError> {
        let mut page = me_page(&req, &state, lang, &principal)?;
        page.password_error = Some(message);
        page_with_status(&page, &error, lang)
    };
    if form.new_password != form.new_password_again {
        let message = ui.passwords_differ.to_owned();
        return refuse(
            message.clone(),
            AppError::bad_request(code::INVALID_USER, message),
        );
    }
    let auth = state.auth.clone();
    let (user, client) = (principal.user.clone(), client_of(&req, &state));
    let result = blocking(move || {
        auth.change_password(&user, &form.current_password, &form.new_password, &client)
    })
    .await;
    match result {
        Ok(session) => Ok(HttpResponse::SeeOther()
            .cookie(session_cookie(&req, &state, session.secret))
            .insert_header((header::LOCATION, "/me?password=changed"))
            .finish()),
        Err(error @ AppError::Unauthorized(_)) => refuse(ui.login_failed.to_owned(), error),
        Err(error @ AppError::Unavailable { .. }) => refuse(ui.login_busy.to_owned(), error),
        Err(error @ (AppError::BadRequest { .. } | AppError::TooManyRequests { .. })) => {
            refuse(error.to_string(), error)
        }
        Err(error) => Err(PageError { error, lang }),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    label: String,
    #[serde(default, rename = "csrf")]
    _csrf: String,
}

/// `POST /me/tokens`: the page again, showing the new token's secret this once.
pub async fn submit_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, PageError> {
    let created = state.auth.create_token(&principal.user, &form.label);
    let mut page = me_page(&req, &state, lang, &principal)?;
    match created.map_err(AppError::from) {
        Ok(token) => {
            page.new_token = Some(token.token);
            html(&page).map_err(|error| PageError { error, lang })
        }
        Err(error @ AppError::BadRequest { .. }) => {
            page.token_error = Some(error.to_string());
            page_with_status(&page, &error, lang)
        }
        Err(error) => Err(PageError { error, lang }),
    }
}

/// `POST /me/tokens/{id}/revoke`.
pub async fn submit_token_revocation(
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    state
        .auth
        .revoke_token(&principal.user, &id)
        .map_err(|e| PageError {
            error: e.into(),
            lang,
        })?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/me#tokens"))
        .finish())
}
