//! `POST /api/v1/backup`: a consistent copy of the store into the backup directory.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::domain::policy;
use crate::domain::policy::Principal;
use crate::web::blocking::blocking;
use crate::web::error::responses::{Forbidden, Unauthenticated};
use crate::web::error::AppError;
use crate::web::guard::require;
use crate::web::AppState;

/// The answer of `POST /api/v1/backup`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BackupView {
    /// The new subdirectory of the backup directory.
    name: String,
    /// Its full path on the server, for `playbook restore`.
    dir: String,
    manifest: crate::store::backup::Manifest,
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
    require(
        policy::can_operate(&principal),
        &principal,
        "making backups",
        "admins",
    )?;
    let root = state.backup_dir.clone();
    let store = state.library.store().clone();
    let (name, dir, manifest) = blocking(move || -> Result<_, AppError> {
        let (name, dir) = new_backup_dir(&root).map_err(AppError::internal)?;
        let manifest = store.backup_to(&dir).map_err(AppError::internal)?;
        Ok((name, dir, manifest))
    })
    .await?;
    tracing::info!(
        records = manifest.records,
        bytes = manifest.bytes,
        by = %principal.user,
        "backup written to {}",
        dir.display()
    );
    Ok(HttpResponse::Created().json(BackupView {
        name,
        dir: dir.display().to_string(),
        manifest,
    }))
}

/// Creates `root/backup-YYYYMMDDTHHMMSSZ` (with `-2`, `-3`, … when taken), never reusing a
/// directory that exists.
fn new_backup_dir(root: &std::path::Path) -> anyhow::Result<(String, std::path::PathBuf)> {
    use anyhow::Context;
    std::fs::create_dir_all(root)
        .with_context(|| format!("cannot create the backup directory {}", root.display()))?;
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .context("formatting the time")?;
    for n in 1..1000 {
        let name = match n {
            1 => format!("backup-{stamp}"),
            n => format!("backup-{stamp}-{n}"),
        };
        let dir = root.join(&name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((name, dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", dir.display())),
        }
    }
    anyhow::bail!("too many backups in one second in {}", root.display())
}
