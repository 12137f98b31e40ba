//! User administration: admins list, create and change users over `/api/v1/users` (here) and
//! on the `/users` page (`page`).

pub mod page;

use crate::error_codes::code;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::users::{UserChange, UserView};
use crate::domain::policy;
use crate::domain::policy::{Principal, Role};
use crate::web::blocking::blocking;
use crate::web::error::responses::{
    BadInput, Busy, Forbidden, NotFound, TooLarge, Unauthenticated,
};
use crate::web::error::{AppError, ErrorBody};
use crate::web::guard::require;
use crate::web::AppState;

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
            code::INVALID_ROLE,
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
    let (user, password) = blocking(move || {
        auth.add_user_with_profile(
            &name,
            role,
            password.as_deref(),
            position.as_deref(),
            region.as_deref(),
        )
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

impl UserChangeBody {
    fn into_change(self) -> Result<UserChange, AppError> {
        Ok(UserChange {
            role: self.role.as_deref().map(parse_role).transpose()?,
            disabled: self.disabled,
            password: self.password,
            position: self.position,
            region: self.region,
        })
    }
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
    let change = body.into_inner().into_change()?;
    let auth = state.auth.clone();
    let (user, password) =
        blocking(move || auth.change_user(&principal.user, &name, change)).await?;
    Ok(web::Json(NewUserView { user, password }))
}
