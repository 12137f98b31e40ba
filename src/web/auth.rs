//! Who sent a request, and whether it may be sent at all: the sign-in middleware, CSRF checks,
//! the login page, and the session, token and user endpoints.
//!
//! Every request passes [`authenticate`]: an `Authorization: Bearer` token or the session
//! cookie becomes an [`Identity`] in the request's extensions; without one, only the public
//! routes ([`is_public`]) answer — pages redirect to `/login`, the API says 401. A
//! state-changing request signed in by cookie must come from Playbook's own pages: its `Origin`
//! (or `Referer`) names this host, and it carries the session's CSRF token (header
//! `X-CSRF-Token`, or the form field `csrf`). Bearer requests carry no ambient credentials and
//! need neither.

use std::future::{ready, Ready};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::app::users::{NewToken, TokenView, UserView};
use crate::config::IpBlock;
use crate::domain::policy::{self, Principal, Role};
use crate::domain::Lang;
use crate::web::blocking::blocking;
use crate::web::error::responses::{
    BadInput, Busy, Forbidden, NotFound, TooLarge, TooManyRequests, Unauthenticated,
};
use crate::web::error::{error_response_for, AppError, ErrorBody, PageError};
use crate::web::forwarded::{self, Origin};
use crate::web::i18n::Ui;
use crate::web::page::{html, PageContext};
use crate::web::redirect::local_path;
use crate::web::AppState;

/// The session cookie.
pub const SESSION_COOKIE: &str = "pb_session";
/// Header carrying the CSRF token on state-changing API requests signed in by cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Form field carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
/// Largest form body read to find the CSRF field (the same limit as the form extractor's).
const MAX_FORM_BYTES: usize = crate::web::MAX_BODY_BYTES;

/// How a request proved who it is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Session,
    Token,
}

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct Identity {
    pub principal: Principal,
    /// The session's CSRF token (`None` for bearer tokens).
    pub csrf: Option<String>,
    pub via: Via,
}

/// Routes anyone may call: the login page and form, the session endpoint, health, static
/// files and the language switch.
pub fn is_public(method: &Method, path: &str) -> bool {
    match (method, path) {
        (&Method::GET | &Method::HEAD, "/login" | "/healthz") => true,
        (&Method::POST, "/login" | "/api/v1/session") => true,
        (&Method::GET | &Method::HEAD, p) => p.starts_with("/static/") || p.starts_with("/lang/"),
        _ => false,
    }
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// An error answered by the middleware, as JSON or as a page.
fn reject<B>(req: ServiceRequest, error: AppError) -> ServiceResponse<EitherBody<B>> {
    let response = error_response_for(req.request(), error);
    req.into_response(response).map_into_right_body()
}

fn bearer(req: &ServiceRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// The middleware: resolves the identity, keeps anonymous visitors out of everything but the
/// public routes, and checks that cookie-signed state changes come from our own pages.
pub async fn authenticate(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(reject(
            req,
            AppError::internal(anyhow::anyhow!("no application state")),
        ));
    };
    let public = is_public(req.method(), req.path());
    let identity = if let Some(token) = bearer(&req) {
        match state.auth.token(token) {
            Ok(Some(principal)) => Some(Identity {
                principal,
                csrf: None,
                via: Via::Token,
            }),
            Ok(None) if public => None,
            Ok(None) => {
                let error = AppError::Unauthorized(
                    "the API token is unknown or revoked: create one with POST /api/v1/tokens"
                        .into(),
                );
                return Ok(reject(req, error));
            }
            Err(e) => return Ok(reject(req, e.into())),
        }
    } else if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        match state.auth.session(cookie.value()) {
            Ok(session) => session.map(|s| Identity {
                principal: s.principal,
                csrf: Some(s.csrf),
                via: Via::Session,
            }),
            Err(e) => return Ok(reject(req, e.into())),
        }
    } else {
        None
    };

    if !is_safe(req.method()) {
        // Cookie-signed changes must name our origin; anonymous ones (sign-in) must not name
        // another (login CSRF) — scripts signing in with curl send no Origin at all.
        let cookie_signed = identity.as_ref().is_some_and(|i| i.via == Via::Session);
        if cookie_signed || identity.is_none() {
            if let Err(reason) = same_origin(&req, &state.trusted_proxies, cookie_signed) {
                return Ok(reject(req, AppError::CsrfRejected(reason)));
            }
        }
        if let Some(Identity {
            via: Via::Session,
            csrf: Some(expected),
            ..
        }) = &identity
        {
            if let Err(error) = carries_token(&mut req, expected).await {
                return Ok(reject(req, error));
            }
        }
    }

    match identity {
        Some(identity) => {
            req.extensions_mut().insert(identity);
        }
        None if public => {}
        None if is_api(req.path()) => {
            let error = AppError::Unauthorized(
                "sign in first: POST /api/v1/session with {\"name\",\"password\"}, or send Authorization: Bearer <token>".into(),
            );
            return Ok(reject(req, error));
        }
        None => {
            let target = match req.query_string() {
                "" => req.path().to_owned(),
                q => format!("{}?{q}", req.path()),
            };
            let location = format!(
                "/login?next={}",
                url_encode(if is_safe(req.method()) { &target } else { "/" })
            );
            let response = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .finish();
            return Ok(req.into_response(response).map_into_right_body());
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// The `Origin` (or, without it, the `Referer`) of a state-changing request must be the
/// request's own origin — scheme, host and port, as `forwarded::effective_origin` tells them
/// (forwarding headers only from trusted proxies); with `required`, one of them must be present.
fn same_origin(req: &ServiceRequest, trusted: &[IpBlock], required: bool) -> Result<(), String> {
    let header_value = |name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (source, value) = match (header_value(header::ORIGIN), header_value(header::REFERER)) {
        (Some(origin), _) if origin != "null" => ("Origin", origin),
        (_, Some(referer)) => ("Referer", referer),
        _ if !required => return Ok(()),
        _ => {
            return Err(
                "this request changes data but names no Origin or Referer: send it from Playbook's own pages, or use an API token (Authorization: Bearer)".into(),
            )
        }
    };
    let ours = forwarded::effective_origin(req.request(), trusted);
    match (Origin::of_url(&value), ours) {
        (Some(theirs), Some(ours)) if theirs == ours => Ok(()),
        _ => Err(format!(
            "this request changes data but comes from another site ({source} {value:?}: scheme, host and port must be this server's); it was refused"
        )),
    }
}

/// The session's CSRF token must come with the request: the `X-CSRF-Token` header, or the
/// `csrf` field of a URL-encoded form (the body is read and put back for the handler).
async fn carries_token(req: &mut ServiceRequest, expected: &str) -> Result<(), AppError> {
    let missing = || {
        AppError::CsrfRejected("this request changes data but carries no valid CSRF token: reload the page and try again (scripts: use an API token)".to_owned())
    };
    if let Some(value) = req.headers().get(CSRF_HEADER) {
        return match value.to_str() {
            Ok(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(()),
            _ => Err(missing()),
        };
    }
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(missing());
    }
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            AppError::bad_request("invalid_form", format!("the form could not be read: {e}"))
        })?;
        if body.len() + chunk.len() > MAX_FORM_BYTES {
            return Err(AppError::PayloadTooLarge(format!(
                "the form is larger than {} MiB",
                MAX_FORM_BYTES / 1024 / 1024
            )));
        }
        body.extend_from_slice(&chunk);
    }
    let body: Bytes = body.freeze();
    let found = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .unwrap_or_default()
        .into_iter()
        .find(|(key, _)| key == CSRF_FIELD)
        .map(|(_, value)| value);
    req.set_payload(Payload::from(body));
    match found {
        Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(()),
        _ => Err(missing()),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn url_encode(value: &str) -> String {
    serde_urlencoded::to_string([("", value)])
        .map(|pair| pair.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

impl FromRequest for Identity {
    type Error = AppError;
    type Future = Ready<Result<Identity, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Identity>()
                .cloned()
                .ok_or_else(|| AppError::Unauthorized("sign in first".into())),
        )
    }
}

impl FromRequest for Principal {
    type Error = AppError;
    type Future = Ready<Result<Principal, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Identity>()
                .map(|i| i.principal.clone())
                .ok_or_else(|| AppError::Unauthorized("sign in first".into())),
        )
    }
}

/// The identity of a request, if signed in (for the page frame).
pub fn identity_of(req: &HttpRequest) -> Option<Identity> {
    req.extensions().get::<Identity>().cloned()
}

/// `Ok` if `allowed`, else 403 naming what the role may not do and who may.
pub fn require(allowed: bool, p: &Principal, what: &str, who: &str) -> Result<(), AppError> {
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "{what} is for {who}; you are signed in as {} ({})",
            p.user, p.role
        )))
    }
}

/// The client address for throttling: the socket's peer, or behind a trusted proxy the address
/// it forwarded (see `forwarded::client_address`; anyone else's forwarding headers are forged).
fn client_of(req: &HttpRequest, state: &AppState) -> String {
    forwarded::client_address(req, &state.trusted_proxies)
}

fn session_cookie(req: &HttpRequest, state: &AppState, secret: String) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, secret)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(forwarded::is_https(req, &state.trusted_proxies))
        .max_age(actix_web::cookie::time::Duration::seconds(
            state.session_max_age_secs,
        ))
        .finish()
}

fn removal_cookie() -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish();
    cookie.make_removal();
    cookie
}

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

/// The answer to a sign-in (or a password change): the new session's cookie and, as JSON, who
/// is signed in with its CSRF token.
fn signed_in(
    req: &HttpRequest,
    state: &AppState,
    session: crate::app::users::NewSession,
) -> HttpResponse {
    HttpResponse::Ok()
        .cookie(session_cookie(req, state, session.secret))
        .json(SessionView::of(Identity {
            principal: session.info.principal,
            csrf: Some(session.info.csrf),
            via: Via::Session,
        }))
}

// ---------------------------------------------------------------------------------------------
// API: session, tokens, users
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    name: String,
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionView {
    user: String,
    role: Role,
    /// Send as `X-CSRF-Token` with state-changing requests signed in by this session.
    csrf_token: Option<String>,
    via: &'static str,
}

impl SessionView {
    fn of(identity: Identity) -> SessionView {
        SessionView {
            user: identity.principal.user,
            role: identity.principal.role,
            csrf_token: identity.csrf,
            via: match identity.via {
                Via::Session => "session",
                Via::Token => "token",
            },
        }
    }
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

fn require_user_admin(p: &Principal) -> Result<(), AppError> {
    require(policy::can_manage_users(p), p, "managing users", "admins")
}

/// `GET /api/v1/users` (admins).
#[utoipa::path(
    get,
    path = "/api/v1/users",
    responses(
        (status = 200, description = "Every user", body = Vec<crate::app::users::UserView>),
        Unauthenticated,
        Forbidden,
    )
)]
pub async fn list_users(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<web::Json<Vec<UserView>>, AppError> {
    require_user_admin(&principal)?;
    Ok(web::Json(state.auth.list_users()?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    name: String,
    #[schema(value_type = Role)]
    role: String,
    /// Omitted: a password is generated and returned once.
    password: Option<String>,
    /// Job title and level as courses name their audience, e.g. `销售代表 L1`.
    position: Option<String>,
    region: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NewUserView {
    #[serde(flatten)]
    user: UserView,
    /// The generated password, shown this once (absent when the request set one).
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

fn parse_role(value: &str) -> Result<Role, AppError> {
    Role::parse(value).ok_or_else(|| {
        AppError::bad_request(
            "invalid_role",
            format!("role: unknown role {value:?} (expected one of rep, trainer, manager, admin)"),
        )
    })
}

/// `POST /api/v1/users` (admins).
#[utoipa::path(
    post,
    path = "/api/v1/users",
    request_body = NewUserBody,
    responses(
        (status = 201, description = "Created; a generated password is shown once", body = NewUserView),
        BadInput,
        Unauthenticated,
        Forbidden,
        (status = 409, description = "Conflicts with what is stored", body = ErrorBody),
        TooLarge,
        Busy,
    )
)]
pub async fn create_user(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<NewUserBody>,
) -> Result<HttpResponse, AppError> {
    require_user_admin(&principal)?;
    let NewUserBody {
        name,
        role,
        password,
        position,
        region,
    } = body.into_inner();
    let role = parse_role(&role)?;
    let auth = state.auth.clone();
    let (user, password) = blocking(move || -> Result<_, crate::app::users::AuthError> {
        let generated = auth.add_user(&name, role, password.as_deref())?;
        if position.is_some() || region.is_some() {
            auth.set_profile(name.trim(), position.as_deref(), region.as_deref())?;
        }
        let user = auth
            .user(name.trim())?
            .ok_or_else(|| crate::app::users::AuthError::NoSuchUser(name.clone()))?;
        Ok((user, generated))
    })
    .await?;
    Ok(HttpResponse::Created().json(NewUserView { user, password }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChangeBody {
    role: Option<String>,
    disabled: Option<bool>,
    /// `""` generates a new password (returned once); any other value sets it.
    password: Option<String>,
    /// `""` clears it.
    position: Option<String>,
    region: Option<String>,
}

/// `PUT /api/v1/users/{name}` (admins): role, disabled, password. A change ends the user's
/// sessions; a new password (like disabling) also revokes their API tokens.
#[utoipa::path(
    put,
    path = "/api/v1/users/{name}",
    params(("name" = String, Path, description = "User name")),
    request_body = UserChangeBody,
    responses(
        (status = 200, description = "Changed; the user's sessions end (and with a new password or disabled, their API tokens are revoked)", body = NewUserView),
        BadInput,
        Unauthenticated,
        Forbidden,
        NotFound,
        TooLarge,
        Busy,
    )
)]
pub async fn update_user(
    state: web::Data<AppState>,
    principal: Principal,
    name: web::Path<String>,
    body: web::Json<UserChangeBody>,
) -> Result<web::Json<NewUserView>, AppError> {
    require_user_admin(&principal)?;
    let UserChangeBody {
        role,
        disabled,
        password,
        position,
        region,
    } = body.into_inner();
    let role = role.as_deref().map(parse_role).transpose()?;
    if principal.user == *name && (disabled == Some(true) || role.is_some_and(|r| r != Role::Admin))
    {
        return Err(AppError::bad_request(
            "cannot_demote_self",
            "you cannot disable yourself or take away your own admin role: ask another admin",
        ));
    }
    let auth = state.auth.clone();
    let name = name.into_inner();
    let (user, password) = blocking(move || -> Result<_, crate::app::users::AuthError> {
        let mut generated = None;
        if let Some(role) = role {
            auth.set_role(&name, role)?;
        }
        if let Some(disabled) = disabled {
            auth.set_disabled(&name, disabled)?;
        }
        if position.is_some() || region.is_some() {
            auth.set_profile(&name, position.as_deref(), region.as_deref())?;
        }
        if let Some(password) = password {
            let password = Some(password.as_str()).filter(|p| !p.is_empty());
            generated = auth.set_password(&name, password)?;
        }
        let user = auth
            .user(&name)?
            .ok_or_else(|| crate::app::users::AuthError::NoSuchUser(name.clone()))?;
        Ok((user, generated))
    })
    .await?;
    Ok(web::Json(NewUserView { user, password }))
}

// ---------------------------------------------------------------------------------------------
// Pages: login and logout
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Pages: my account (password, API tokens)
// ---------------------------------------------------------------------------------------------

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

/// `page` answering `error` (a refusal shown on the form itself): its status, and
/// `Retry-After` when it has one.
fn page_with_status(
    page: &impl Template,
    error: &AppError,
    lang: Lang,
) -> Result<HttpResponse, PageError> {
    let body = page.render().map_err(|e| PageError {
        error: e.into(),
        lang,
    })?;
    let mut response = HttpResponse::build(error.status_code());
    if let Some(secs) = error.retry_after_secs() {
        response.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    Ok(response.content_type("text/html; charset=utf-8").body(body))
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
            AppError::bad_request("invalid_user", message),
        );
    }
    let auth = state.auth.clone();
    let (user, client) = (principal.user.clone(), client_of(&req, &state));
    let result = web::block(move || {
        auth.change_password(&user, &form.current_password, &form.new_password, &client)
    })
    .await
    .map_err(|e| PageError {
        error: AppError::internal(e),
        lang,
    })?;
    match result.map_err(AppError::from) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_login_health_static_and_language_are_public() {
        assert!(is_public(&Method::GET, "/login"));
        assert!(is_public(&Method::POST, "/login"));
        assert!(is_public(&Method::POST, "/api/v1/session"));
        assert!(is_public(&Method::GET, "/healthz"));
        assert!(is_public(&Method::GET, "/static/style.css"));
        assert!(!is_public(&Method::GET, "/"));
        assert!(!is_public(&Method::GET, "/api/v1/session"));
        assert!(!is_public(&Method::DELETE, "/api/v1/session"));
        assert!(!is_public(&Method::POST, "/static/x"));
    }

    #[test]
    fn tokens_compare_in_constant_time_and_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
