//! Who is asking and may they: the authentication middleware (session cookie or API token,
//! CSRF for cookie writes), the `Identity`/`Principal` extractors, and the `require…` checks
//! that turn a policy answer into a 403 naming who may.

use crate::error_codes::code;
use std::future::{ready, Ready};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Serialize;

use crate::config::IpBlock;
use crate::domain::policy;
use crate::domain::policy::{Principal, Role};
use crate::web::error::{error_response_for, AppError};
use crate::web::forwarded::Origin;
use crate::web::{forwarded, AppState};

pub fn require_curator(p: &Principal) -> Result<(), AppError> {
    require(
        policy::can_curate_content(p),
        p,
        "the content problems and search misses",
        "trainers, managers and admins",
    )
}

pub fn require_analytics(p: &Principal) -> Result<(), AppError> {
    require(
        policy::can_see_analytics(p),
        p,
        "analytics across all accounts (Pareto, tier changes, the tier export)",
        "managers and admins",
    )
}

pub fn require_override(p: &Principal) -> Result<(), AppError> {
    require(
        policy::can_override_tier(p),
        p,
        "setting a tier override",
        "managers and admins",
    )
}

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
/// `csrf` field of a URL-encoded form (the body is read and put back for the handler), or the
/// `csrf` query parameter of a multipart form (file uploads).
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
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // A file upload form (multipart, which this guard does not parse) carries the token in
    // its action's query string; the origin check applies as to every form.
    if content_type.starts_with("multipart/form-data") {
        let found = form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(key, _)| key == CSRF_FIELD)
            .map(|(_, value)| value.into_owned());
        return match found {
            Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(()),
            _ => Err(missing()),
        };
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(missing());
    }
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            AppError::bad_request(
                code::INVALID_FORM,
                format!("the form could not be read: {e}"),
            )
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
pub fn client_of(req: &HttpRequest, state: &AppState) -> String {
    forwarded::client_address(req, &state.trusted_proxies)
}

pub fn session_cookie(req: &HttpRequest, state: &AppState, secret: String) -> Cookie<'static> {
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

pub fn removal_cookie() -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish();
    cookie.make_removal();
    cookie
}

/// The answer to a sign-in (or a password change): the new session's cookie and, as JSON, who
/// is signed in with its CSRF token.
pub fn signed_in(
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

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionView {
    user: String,
    role: Role,
    /// Send as `X-CSRF-Token` with state-changing requests signed in by this session.
    csrf_token: Option<String>,
    via: &'static str,
}

impl SessionView {
    pub fn of(identity: Identity) -> SessionView {
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
