//! The `/users` page: admins list users, add one, change a role, disable or enable, and reset
//! a password. A password the server generates is shown once, on the answer to the form that
//! asked for it, and never again; every other action answers with a redirect back to the list,
//! which confirms it. Refusals (a bad or taken name, a short password, disabling oneself,
//! demoting the last admin) are shown on the page in the UI language, naming the field.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::app::users::{AuthError, UserChange, UserView, MAX_NAME_CHARS, MIN_PASSWORD_CHARS};
use crate::domain::policy::{self, Principal, Role};
use crate::domain::Lang;
use crate::error_codes::code;
use crate::web::blocking::blocking;
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::guard::require;
use crate::web::i18n::Ui;
use crate::web::labels::{human_time, HumanTime};
use crate::web::page::{html, page_with_status, path_segment, PageContext};
use crate::web::AppState;

fn require_user_admin(p: &Principal) -> Result<(), AppError> {
    require(policy::can_manage_users(p), p, "managing users", "admins")
}

/// A role in the UI language (the pages' one wording).
pub use crate::web::labels::role as role_label;

/// A page that shows a password once: never kept by the browser's cache or history.
fn secret_page(page: &UsersPage, lang: Lang) -> Result<HttpResponse, PageError> {
    let mut response = html(page).or_page(lang)?;
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

fn t(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// A refusal as the page shows it: the field it concerns (for `aria-invalid`) and the message
/// in the UI language. `None` for errors that are no refusal (the store failing): those get
/// the error page.
fn refusal(error: &AuthError, lang: Lang) -> Option<(&'static str, String)> {
    let zh = lang == Lang::Zh;
    Some(match error {
        AuthError::Invalid {
            field: "name",
            message,
        } => (
            "name",
            if zh {
                format!(
                    "用户名：需要 1–{MAX_NAME_CHARS} 个字符，只能用字母（任何文字）、数字和 . _ - @，与客户导入中“负责人”列写的名字相同。"
                )
            } else {
                format!("Name: {message}.")
            },
        ),
        AuthError::Invalid {
            field: "password",
            message,
        } => (
            "password",
            if zh {
                format!(
                    "密码：至少 {MIN_PASSWORD_CHARS} 个字符（几个词组成的短语最好记）；留空则由服务器生成一个。"
                )
            } else {
                format!("Password: {message}; leave it empty to have one generated.")
            },
        ),
        AuthError::Invalid { field, message } => (*field, format!("{field}: {message}")),
        AuthError::Exists(name) => (
            "name",
            if zh {
                format!("用户名：已经有名为“{name}”的用户，请换一个名字。")
            } else {
                format!("Name: a user named “{name}” already exists; choose another name.")
            },
        ),
        AuthError::NoSuchUser(name) => (
            "name",
            if zh {
                format!("没有名为“{name}”的用户。")
            } else {
                format!("There is no user named “{name}”.")
            },
        ),
        AuthError::DemoteSelf => (
            "role",
            t(
                lang,
                "不能停用自己，也不能取消自己的管理员角色：请另一位管理员来做。",
                "You cannot disable yourself or take away your own admin role: ask another admin.",
            ),
        ),
        AuthError::LastAdmin(name) => (
            "role",
            if zh {
                format!("“{name}”是最后一位启用的管理员，不能停用或改为其他角色：请先让另一位用户成为管理员。")
            } else {
                format!("“{name}” is the last enabled admin and cannot be disabled or given another role: make another user an admin first.")
            },
        ),
        AuthError::Busy { .. } => ("", Ui::for_lang(lang).login_busy.to_owned()),
        _ => return None,
    })
}

/// The role of a form, or the refusal naming the field.
fn form_role(value: &str, lang: Lang) -> Result<Role, (AppError, String)> {
    Role::parse(value).ok_or_else(|| {
        let labels: Vec<&str> = Role::ALL.iter().map(|r| role_label(*r, lang)).collect();
        let message = match lang {
            Lang::Zh => format!("角色：请选择{}之一。", labels.join("、")),
            Lang::En => format!("Role: choose one of {}.", labels.join(", ")),
        };
        (
            AppError::bad_request(code::INVALID_ROLE, format!("role: unknown role {value:?}")),
            message,
        )
    })
}

/// One user as the page lists them.
pub struct UserRow {
    pub name: String,
    pub role: &'static str,
    pub role_label: &'static str,
    pub disabled: bool,
    /// The signed-in admin themselves (no disable, role or reset buttons).
    pub is_me: bool,
    pub created: HumanTime,
    pub updated: HumanTime,
    pub position: Option<String>,
    pub region: Option<String>,
}

impl UserRow {
    fn of(user: UserView, me: &str, lang: Lang, offset: time::UtcOffset) -> UserRow {
        UserRow {
            is_me: user.name == me,
            role: user.role.as_str(),
            role_label: role_label(user.role, lang),
            disabled: user.disabled,
            created: human_time(&user.created_at, lang, offset),
            updated: human_time(&user.updated_at, lang, offset),
            position: user.position,
            region: user.region,
            name: user.name,
        }
    }
}

/// A role choice of a select.
pub struct RoleChoice {
    pub value: &'static str,
    pub label: &'static str,
}

/// A password shown this once.
pub struct ShownPassword {
    pub user: String,
    pub password: String,
}

/// The add form as submitted, shown again after a refusal.
#[derive(Default)]
pub struct AddForm {
    pub name: String,
    pub role: String,
    pub position: String,
    pub region: String,
    pub error: Option<String>,
    /// The field the error concerns: `name`, `password` or `role`.
    pub error_field: &'static str,
}

#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub ctx: PageContext,
    pub users: Vec<UserRow>,
    pub roles: Vec<RoleChoice>,
    /// The confirmation of the last action.
    pub done: Option<String>,
    pub shown_password: Option<ShownPassword>,
    pub add: AddForm,
    /// A refused action on one user: (user, message).
    pub row_error: Option<(String, String)>,
}

impl UsersPage {
    /// The refusal shown on user `name`'s card, if any.
    pub fn row_error_for(&self, name: &str) -> Option<&str> {
        self.row_error
            .as_ref()
            .filter(|(user, _)| user == name)
            .map(|(_, message)| message.as_str())
    }

    /// A refused action on a user the list does not show (a name that does not exist), shown
    /// at the top of the page.
    pub fn orphan_error(&self) -> Option<&str> {
        self.row_error
            .as_ref()
            .filter(|(user, _)| !self.users.iter().any(|u| &u.name == user))
            .map(|(_, message)| message.as_str())
    }

    /// `aria-invalid` for a field of the add form.
    pub fn invalid(&self, field: &str) -> &'static str {
        if self.add.error.is_some() && self.add.error_field == field {
            "true"
        } else {
            "false"
        }
    }

    pub fn enabled_count(&self) -> usize {
        self.users.iter().filter(|u| !u.disabled).count()
    }
}

async fn users_page(
    req: &HttpRequest,
    state: &AppState,
    lang: Lang,
    principal: &Principal,
) -> Result<UsersPage, PageError> {
    let auth = state.auth.clone();
    let users = blocking(move || auth.list_users()).await.or_page(lang)?;
    Ok(UsersPage {
        ctx: PageContext::for_request(req, state, lang),
        users: users
            .into_iter()
            .map(|u| UserRow::of(u, &principal.user, lang, state.utc_offset))
            .collect(),
        roles: Role::ALL
            .iter()
            .map(|r| RoleChoice {
                value: r.as_str(),
                label: role_label(*r, lang),
            })
            .collect(),
        done: None,
        shown_password: None,
        add: AddForm {
            role: Role::Rep.as_str().to_owned(),
            ..AddForm::default()
        },
        row_error: None,
    })
}

#[derive(Deserialize)]
pub struct UsersQuery {
    /// The action just done: `role`, `disabled` or `enabled`.
    done: Option<String>,
    /// The user it was done to.
    user: Option<String>,
}

/// The confirmation of `done` to `user`, if the list agrees it happened (a hand-made link
/// cannot make the page claim a change that is not so).
fn confirmation(done: &str, user: &UserRow, lang: Lang) -> Option<String> {
    let name = &user.name;
    let zh = lang == Lang::Zh;
    Some(match done {
        "role" if zh => format!(
            "已把 {name} 的角色改为“{}”。{name} 需要重新登录，新角色立即生效。",
            user.role_label
        ),
        "role" => format!(
            "{name}'s role is now {}. {name} signs in again; the new role applies at once.",
            user.role_label
        ),
        "disabled" if user.disabled && zh => {
            format!("已停用 {name}：其会话已结束，API 令牌已撤销，无法再登录。")
        }
        "disabled" if user.disabled => format!(
            "{name} is disabled: their sessions ended, their API tokens are revoked, and they can no longer sign in."
        ),
        "enabled" if !user.disabled && zh => format!("已重新启用 {name}，可以再次登录。"),
        "enabled" if !user.disabled => format!("{name} is enabled again and can sign in."),
        _ => return None,
    })
}

/// `GET /users`: every user, the add form, and per user: role, disable or enable, reset
/// password.
pub async fn show_users(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    query: web::Query<UsersQuery>,
) -> Result<HttpResponse, PageError> {
    require_user_admin(&principal).or_page(lang)?;
    let mut page = users_page(&req, &state, lang, &principal).await?;
    if let (Some(done), Some(name)) = (&query.done, &query.user) {
        page.done = page
            .users
            .iter()
            .find(|u| &u.name == name)
            .and_then(|u| confirmation(done, u, lang));
    }
    html(&page).or_page(lang)
}

#[derive(Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    /// Empty: the server generates one and shows it once.
    #[serde(default)]
    password: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    region: String,
    #[serde(default, rename = "csrf")]
    _csrf: String,
}

/// `POST /users`: adds a user. The answer is the page itself (no redirect), so a generated
/// password is shown this once and is in no URL or history entry.
pub async fn submit_new_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    form: web::Form<NewUserForm>,
) -> Result<HttpResponse, PageError> {
    require_user_admin(&principal).or_page(lang)?;
    let form = form.into_inner();
    let refuse = |page: &mut UsersPage, field, message, error: &AppError| {
        page.add = AddForm {
            name: form.name.clone(),
            role: form.role.clone(),
            position: form.position.clone(),
            region: form.region.clone(),
            error: Some(message),
            error_field: field,
        };
        page_with_status(&*page, error, lang)
    };
    let role = match form_role(&form.role, lang) {
        Ok(role) => role,
        Err((error, message)) => {
            let mut page = users_page(&req, &state, lang, &principal).await?;
            return refuse(&mut page, "role", message, &error);
        }
    };
    let auth = state.auth.clone();
    let (name, password) = (form.name.trim().to_owned(), form.password.clone());
    let (position, region) = (form.position.clone(), form.region.clone());
    let added = blocking(move || {
        let given = |v: &str| Some(v.to_owned()).filter(|v| !v.trim().is_empty());
        // The refusal is the page's to show: only a failure of the pool itself is an error here.
        Ok::<_, AppError>(auth.add_user_with_profile(
            &name,
            role,
            given(&password).as_deref(),
            given(&position).as_deref(),
            given(&region).as_deref(),
        ))
    })
    .await
    .or_page(lang)?;
    let mut page = users_page(&req, &state, lang, &principal).await?;
    match added {
        Ok((user, generated)) => {
            let name = user.name;
            let label = role_label(role, lang);
            page.done = Some(match (lang, generated.is_some()) {
                (Lang::Zh, true) => format!("已添加用户 {name}（{label}）。"),
                (Lang::Zh, false) => {
                    format!("已添加用户 {name}（{label}），使用你设定的密码。")
                }
                (Lang::En, true) => format!("User {name} ({label}) added."),
                (Lang::En, false) => {
                    format!("User {name} ({label}) added with the password you set.")
                }
            });
            page.shown_password = generated.map(|password| ShownPassword {
                user: name,
                password,
            });
            secret_page(&page, lang)
        }
        Err(error) => match refusal(&error, lang) {
            Some((field, message)) => refuse(&mut page, field, message, &error.into()),
            None => Err(PageError {
                error: error.into(),
                lang,
            }),
        },
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
    #[serde(default, rename = "csrf")]
    _csrf: String,
}

#[derive(Deserialize)]
pub struct ButtonForm {
    #[serde(default, rename = "csrf")]
    _csrf: String,
}

/// Applies `change` to user `name` as `principal`: back to the list with `done` confirmed, or
/// the page with the refusal on the user's card. With a password asked for, the page itself
/// shows it this once.
async fn change(
    req: &HttpRequest,
    state: &AppState,
    lang: Lang,
    principal: &Principal,
    name: String,
    change: UserChange,
    done: &str,
) -> Result<HttpResponse, PageError> {
    let auth = state.auth.clone();
    let (by, user) = (principal.user.clone(), name.clone());
    let changed = blocking(move || Ok::<_, AppError>(auth.change_user(&by, &user, change)))
        .await
        .or_page(lang)?;
    match changed {
        Ok((_, Some(password))) => {
            let mut page = users_page(req, state, lang, principal).await?;
            page.done = Some(match lang {
                Lang::Zh => format!(
                    "已为 {name} 重置密码：其会话已结束，API 令牌已撤销，旧密码不再可用。"
                ),
                Lang::En => format!(
                    "{name}'s password is reset: their sessions ended, their API tokens are revoked, and the old password no longer works."
                ),
            });
            page.shown_password = Some(ShownPassword {
                user: name,
                password,
            });
            secret_page(&page, lang)
        }
        Ok((_, None)) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!(
                    "/users?done={done}&user={}#user-{}",
                    path_segment(&name),
                    path_segment(&name)
                ),
            ))
            .finish()),
        Err(error) => {
            let Some((_, message)) = refusal(&error, lang) else {
                return Err(PageError {
                    error: error.into(),
                    lang,
                });
            };
            let mut page = users_page(req, state, lang, principal).await?;
            page.row_error = Some((name, message));
            page_with_status(&page, &error.into(), lang)
        }
    }
}

/// `POST /users/{name}/role`: a new role; the user's sessions end so it applies at once.
pub async fn submit_role(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    name: web::Path<String>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, PageError> {
    require_user_admin(&principal).or_page(lang)?;
    let name = name.into_inner();
    let role = match form_role(&form.role, lang) {
        Ok(role) => role,
        Err((error, message)) => {
            let mut page = users_page(&req, &state, lang, &principal).await?;
            page.row_error = Some((name, message));
            return page_with_status(&page, &error, lang);
        }
    };
    let role_change = UserChange {
        role: Some(role),
        ..UserChange::default()
    };
    change(&req, &state, lang, &principal, name, role_change, "role").await
}

/// `POST /users/{name}/disable`: sessions end, API tokens are revoked, sign-in is refused.
pub async fn submit_disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    name: web::Path<String>,
    _form: web::Form<ButtonForm>,
) -> Result<HttpResponse, PageError> {
    require_user_admin(&principal).or_page(lang)?;
    let disable = UserChange {
        disabled: Some(true),
        ..UserChange::default()
    };
    change(
        &req,
        &state,
        lang,
        &principal,
        name.into_inner(),
        disable,
        "disabled",
    )
    .await
}

/// `POST /users/{name}/enable`: a disabled user may sign in again.
pub async fn submit_enable(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    name: web::Path<String>,
    _form: web::Form<ButtonForm>,
) -> Result<HttpResponse, PageError> {
    require_user_admin(&principal).or_page(lang)?;
    let enable = UserChange {
        disabled: Some(false),
        ..UserChange::default()
    };
    change(
        &req,
        &state,
        lang,
        &principal,
        name.into_inner(),
        enable,
        "enabled",
    )
    .await
}

/// `POST /users/{name}/password`: a generated password, shown this once; the user's sessions
/// end and their API tokens are revoked.
pub async fn submit_password_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    name: web::Path<String>,
    _form: web::Form<ButtonForm>,
) -> Result<HttpResponse, PageError> {
    require_user_admin(&principal).or_page(lang)?;
    let reset = UserChange {
        password: Some(String::new()),
        ..UserChange::default()
    };
    change(
        &req,
        &state,
        lang,
        &principal,
        name.into_inner(),
        reset,
        "password",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_names_its_field_in_the_ui_language() {
        let cases = [
            (
                AuthError::Invalid {
                    field: "name",
                    message: "\"/\" is not allowed in a user name".into(),
                },
                "name",
                "用户名",
                "Name:",
            ),
            (
                AuthError::Invalid {
                    field: "password",
                    message: "a password has 10–256 characters (this one has 3)".into(),
                },
                "password",
                "密码",
                "Password:",
            ),
            (AuthError::Exists("ann".into()), "name", "用户名", "Name:"),
            (AuthError::DemoteSelf, "role", "自己", "yourself"),
            (
                AuthError::LastAdmin("root".into()),
                "role",
                "最后一位",
                "last enabled admin",
            ),
        ];
        for (error, field, zh, en) in cases {
            let (got_field, message) = refusal(&error, Lang::Zh).unwrap();
            assert_eq!(got_field, field, "{error}");
            assert!(message.contains(zh), "{message}");
            assert!(!message.is_ascii(), "Chinese: {message}");
            let (_, message) = refusal(&error, Lang::En).unwrap();
            assert!(message.contains(en), "{message}");
        }
        let store_failure = AuthError::Hash("broken".into());
        assert!(refusal(&store_failure, Lang::Zh).is_none());
    }

    #[test]
    fn an_unknown_role_is_refused_listing_the_roles_in_the_ui_language() {
        let (_, zh) = form_role("boss", Lang::Zh).unwrap_err();
        assert!(zh.contains("销售代表、培训师、销售经理、管理员"), "{zh}");
        let (_, en) = form_role("", Lang::En).unwrap_err();
        assert!(
            en.contains("Sales rep, Trainer, Manager, Administrator"),
            "{en}"
        );
        assert_eq!(form_role("Trainer", Lang::En).unwrap(), Role::Trainer);
    }
}
