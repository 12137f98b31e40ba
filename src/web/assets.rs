//! Static assets, compiled into the binary so the server needs no files beside it and no CDN.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::web::error::AppError;

const STYLE_CSS: &str = include_str!("../../static/style.css");
const APP_JS: &str = include_str!("../../static/app.js");
const FAVICON_SVG: &str = include_str!("../../static/favicon.svg");

pub async fn serve_asset(name: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (body, content_type) = match name.as_str() {
        "style.css" => (STYLE_CSS, "text/css; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (FAVICON_SVG, "image/svg+xml"),
        other => return Err(AppError::NotFound(format!("no static file {other:?}"))),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body))
}
