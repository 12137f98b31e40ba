//! Backups of the store: `POST /api/v1/backup` (a consistent copy into the backup directory),
//! `GET /api/v1/backups` (the copies there), and the `/backups` page that does both and says
//! how to restore.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::domain::policy;
use crate::domain::policy::Principal;
use crate::domain::Lang;
use crate::store::backup::BackupEntry;
use crate::web::blocking::blocking;
use crate::web::error::responses::{Forbidden, Unauthenticated};
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::guard::require;
use crate::web::labels::{group_digits, human_time, HumanTime};
use crate::web::page::{html, PageContext};
use crate::web::AppState;

fn require_operator(p: &Principal) -> Result<(), AppError> {
    require(policy::can_operate(p), p, "making backups", "admins")
}

/// The answer of `POST /api/v1/backup`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BackupView {
    /// The new subdirectory of the backup directory.
    name: String,
    /// Its full path on the server, for `playbook restore`.
    dir: String,
    manifest: crate::store::backup::Manifest,
}

/// A consistent copy of the store in a new subdirectory of the backup directory.
async fn new_backup(state: &AppState, principal: &Principal) -> Result<BackupView, AppError> {
    let root = state.backup_dir.clone();
    let store = state.library.store().clone();
    let (name, dir, manifest) =
        blocking(move || store.backup_into(&root).map_err(AppError::internal)).await?;
    tracing::info!(
        records = manifest.records,
        bytes = manifest.bytes,
        by = %principal.user,
        "backup written to {}",
        dir.display()
    );
    Ok(BackupView {
        name,
        dir: dir.display().to_string(),
        manifest,
    })
}

/// `POST /api/v1/backup`: a consistent copy of the store in a new timestamped subdirectory of
/// the configured backup directory (`--backup-dir`, default `DATA_DIR/backups`). The request
/// names no path: an API caller cannot make the server write anywhere else.
#[utoipa::path(
    post,
    path = "/api/v1/backup",
    responses(
        (status = 201, description = "A consistent copy of the store", body = BackupView),
        Unauthenticated,
        Forbidden,
    )
)]
pub async fn create_backup(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, AppError> {
    require_operator(&principal)?;
    let backup = new_backup(&state, &principal).await?;
    Ok(HttpResponse::Created().json(backup))
}

/// The backups in the backup directory, newest first.
async fn backups_of(state: &AppState) -> Result<Vec<BackupEntry>, AppError> {
    let root = state.backup_dir.clone();
    blocking(move || crate::store::backup::list_backups(&root).map_err(AppError::internal)).await
}

/// `GET /api/v1/backups`: the backups in the backup directory, newest first. A subdirectory
/// that is no usable backup (an interrupted one has no manifest) is listed with its `problem`.
#[utoipa::path(
    get,
    path = "/api/v1/backups",
    responses(
        (status = 200, description = "The backups in the backup directory, newest first", body = Vec<BackupEntry>),
        Unauthenticated,
        Forbidden,
    )
)]
pub async fn list_backups(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<web::Json<Vec<BackupEntry>>, AppError> {
    require_operator(&principal)?;
    Ok(web::Json(backups_of(&state).await?))
}

/// One backup as the page lists it.
pub struct BackupRow {
    pub name: String,
    pub dir: String,
    /// When it was taken (absent for a broken one).
    pub taken: Option<HumanTime>,
    /// Records, grouped by thousands.
    pub records: String,
    pub size: String,
    pub version: String,
    pub problem: Option<String>,
}

impl BackupRow {
    fn of(entry: BackupEntry, lang: Lang, offset: time::UtcOffset) -> BackupRow {
        let manifest = entry.manifest.as_ref();
        BackupRow {
            taken: manifest.map(|m| human_time(&m.created_at, lang, offset)),
            records: manifest
                .map(|m| group_digits(m.records))
                .unwrap_or_default(),
            size: manifest
                .map(|m| crate::extract::human_bytes(m.bytes))
                .unwrap_or_default(),
            version: manifest
                .map(|m| m.playbook_version.clone())
                .unwrap_or_default(),
            problem: entry.problem,
            name: entry.name,
            dir: entry.dir,
        }
    }
}

#[derive(Template)]
#[template(path = "backups.html")]
pub struct BackupsPage {
    pub ctx: PageContext,
    pub backups: Vec<BackupRow>,
    /// The backup directory.
    pub root: String,
    pub data_dir: String,
    /// The name of the backup just made (`/backups?created=NAME`).
    pub created: Option<String>,
}

impl BackupsPage {
    /// The restore command for the backup in `dir`.
    pub fn restore_command(&self, dir: &str) -> String {
        format!(
            "playbook restore {} --data-dir {} --force",
            shell_word(dir),
            shell_word(&self.data_dir)
        )
    }

    /// The restore command for the newest usable backup (a placeholder when there is none).
    pub fn example_restore_command(&self) -> String {
        let dir = self
            .backups
            .iter()
            .find(|b| b.problem.is_none())
            .map(|b| b.dir.clone())
            .unwrap_or_else(|| format!("{}/backup-…", self.root.trim_end_matches('/')));
        self.restore_command(&dir)
    }
}

/// `word` quoted for a POSIX shell when it holds anything but plain path characters.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+:,@%=…".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[derive(Deserialize)]
pub struct BackupsQuery {
    /// The backup just made, named in the confirmation.
    created: Option<String>,
}

/// `GET /backups`: make a backup, the backups there are, how to restore one.
pub async fn show_backups(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    query: web::Query<BackupsQuery>,
) -> Result<HttpResponse, PageError> {
    require_operator(&principal).or_page(lang)?;
    let backups = backups_of(&state).await.or_page(lang)?;
    // Only a backup that is there is confirmed: a hand-made link cannot claim one.
    let created = query.into_inner().created.filter(|name| {
        backups
            .iter()
            .any(|b| &b.name == name && b.problem.is_none())
    });
    html(&BackupsPage {
        ctx: PageContext::for_request(&req, &state, lang),
        backups: backups
            .into_iter()
            .map(|b| BackupRow::of(b, lang, state.utc_offset))
            .collect(),
        root: state.backup_dir.display().to_string(),
        data_dir: state.data_dir.display().to_string(),
        created,
    })
    .or_page(lang)
}

#[derive(Deserialize)]
pub struct BackupForm {
    #[serde(default, rename = "csrf")]
    _csrf: String,
}

/// `POST /backups`: makes a backup, then back to the list, which confirms it.
pub async fn submit_backup(
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    _form: web::Form<BackupForm>,
) -> Result<HttpResponse, PageError> {
    require_operator(&principal).or_page(lang)?;
    let backup = new_backup(&state, &principal).await.or_page(lang)?;
    let location = format!(
        "/backups?created={}#backup-{}",
        crate::web::page::path_segment(&backup.name),
        crate::web::page::path_segment(&backup.name)
    );
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn paths_are_quoted_for_the_shell_only_when_needed() {
        assert_eq!(shell_word("/srv/playbook/data"), "/srv/playbook/data");
        assert_eq!(shell_word("/srv/my data"), "'/srv/my data'");
        assert_eq!(shell_word("/srv/it's"), r"'/srv/it'\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
