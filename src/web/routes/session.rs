//! Signing in and out: the session API (`/api/v1/session`) and the login form.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::domain::Lang;
use crate::web::blocking::blocking;
use crate::web::error::responses::{
    BadInput, Busy, Forbidden, TooLarge, TooManyRequests, Unauthenticated,
};
use crate::web::error::{AppError, PageError};
use crate::web::guard::{
    client_of, removal_cookie, session_cookie, signed_in, Identity, SessionView, SESSION_COOKIE,
};
use crate::web::i18n::Ui;
use crate::web::page::{html, page_with_status, PageContext};
use crate::web::redirect::local_path;
use crate::web::AppState;

/// Signs in on the blocking pool (argon2 takes tens of milliseconds), ending the session the
/// request arrived with, if any.
async fn login_blocking(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    name: String,
    password: String,
) -> Result<crate::app::users::NewSession, AppError> {
    let auth = state.auth.clone();
    let client = client_of(req, state);
    let previous = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    blocking(move || auth.login(&name, &password, &client, previous.as_deref())).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    name: String,
    password: String,
}

/// `POST /api/v1/session`: sign in; sets the session cookie and ends the session the request
/// arrived with, if any.
#[utoipa::path(
    post,
    path = "/api/v1/session",
    request_body = LoginBody,
    security(()),
    responses(
        (status = 200, description = "Signed in; sets the session cookie", body = SessionView),
        BadInput,
        Unauthenticated,
        TooLarge,
        TooManyRequests,
        Busy,
    )
)]
pub async fn create_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<LoginBody>,
) -> Result<HttpResponse, AppError> {
    let LoginBody { name, password } = body.into_inner();
    let session = login_blocking(&req, &state, name, password).await?;
    Ok(signed_in(&req, &state, session))
}

/// `GET /api/v1/session`: who am I.
#[utoipa::path(
    get,
    path = "/api/v1/session",
    responses(
        (status = 200, description = "Who is signed in", body = SessionView),
        Unauthenticated,
    )
)]
pub async fn get_session(identity: Identity) -> web::Json<SessionView> {
    web::Json(SessionView::of(identity))
}

/// `DELETE /api/v1/session`: sign out.
#[utoipa::path(
    delete,
    path = "/api/v1/session",
    responses(
        (status = 204, description = "Signed out"),
        Unauthenticated,
        Forbidden,
    )
)]
pub async fn delete_session(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        state.auth.logout(cookie.value())?;
    }
    Ok(HttpResponse::NoContent().cookie(removal_cookie()).finish())
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub ctx: PageContext,
    pub next: String,
    pub name: String,
    pub error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginQuery {
    next: Option<String>,
}

pub async fn show_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, PageError> {
    let page = LoginPage {
        ctx: PageContext::for_request(&req, &state, lang),
        next: local_path(query.next.as_deref()),
        name: String::new(),
        error: None,
    };
    html(&page).map_err(|error| PageError { error, lang })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginForm {
    name: String,
    password: String,
    next: Option<String>,
    /// Present when someone already signed in signs in again (checked by the middleware).
    #[serde(default, rename = "csrf")]
    _csrf: Option<String>,
}

pub async fn submit_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let LoginForm {
        name,
        password,
        next,
        ..
    } = form.into_inner();
    let next = local_path(next.as_deref());
    // Signing in again (as someone else, too) ends the session this browser had.
    match login_blocking(&req, &state, name.clone(), password).await {
        Ok(session) => Ok(HttpResponse::SeeOther()
            .cookie(session_cookie(&req, &state, session.secret))
            .insert_header((header::LOCATION, next))
            .finish()),
        Err(
            error @ (AppError::Unauthorized(_)
            | AppError::TooManyRequests { .. }
            | AppError::Unavailable { .. }),
        ) => {
            let ui = Ui::for_lang(lang);
            let message = match &error {
                AppError::TooManyRequests {
                    retry_after_secs, ..
                } => ui
                    .login_throttled
                    .replace("{minutes}", &retry_after_secs.div_ceil(60).to_string()),
                AppError::Unavailable { .. } => ui.login_busy.to_owned(),
                _ => ui.login_failed.to_owned(),
            };
            let page = LoginPage {
                ctx: PageContext::for_request(&req, &state, lang),
                next,
                name,
                error: Some(message),
            };
            page_with_status(&page, &error, lang)
        }
        Err(error) => Err(PageError { error, lang }),
    }
}

/// `POST /logout` (form with the CSRF token).
pub async fn submit_logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
) -> Result<HttpResponse, PageError> {
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        state.auth.logout(cookie.value()).map_err(|e| PageError {
            error: e.into(),
            lang,
        })?;
    }
    Ok(HttpResponse::SeeOther()
        .cookie(removal_cookie())
        .insert_header((header::LOCATION, "/login"))
        .finish())
}
