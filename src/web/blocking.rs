//! Running application work (which writes, flushes or hashes) on actix's blocking pool, so an
//! HTTP worker never waits on the disk or argon2. Every handler uses [`blocking`]; the pool's
//! own failure (the work panicked) is an internal error, the work's error converts into
//! `AppError` as it would anywhere else.

use actix_web::web;

use crate::web::error::AppError;

/// Runs `work` on the blocking pool and converts its error into an [`AppError`].
pub async fn blocking<T, E>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, AppError>
where
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    web::block(work)
        .await
        .map_err(AppError::internal)?
        .map_err(Into::into)
}
