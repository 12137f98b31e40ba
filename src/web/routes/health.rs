//! `GET /healthz`: liveness and what the node serves.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::web::AppState;

#[derive(Serialize)]
struct Health {
    status: &'static str,
    content_items: usize,
    content_problems: usize,
    accounts: usize,
}

pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        content_items: state.library.stored_items(),
        content_problems: state.library.problems().len(),
        accounts: state.accounts.state().len(),
    })
}
