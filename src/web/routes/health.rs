//! `GET /healthz`: liveness and what the node serves; on a shared store, whether the database
//! answers and how far this node's search index and tiers are behind it.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::web::AppState;

#[derive(Serialize)]
struct Health {
    /// `ok`, or `unavailable` (503) when the store's database does not answer.
    status: &'static str,
    /// `sled` or `postgres`.
    store: &'static str,
    content_items: usize,
    content_problems: usize,
    accounts: usize,
    /// Content changes in the store this node's search index has not applied yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    index_lag: Option<u64>,
    /// Recomputes recorded in the store (by other nodes) that this node's tiers do not show yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    tiers_lag: Option<u64>,
    /// Why the database does not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let lags = web::block({
        let state = state.clone();
        move || -> anyhow::Result<(u64, u64)> {
            let index_lag = state.library.index_lag()?;
            let recorded = state.library.store().last_recompute()?.map_or(0, |r| r.seq);
            Ok((
                index_lag,
                recorded.saturating_sub(state.accounts.state().seq()),
            ))
        }
    })
    .await
    .unwrap_or_else(|e| Err(anyhow::anyhow!(e.to_string())));
    let mut health = Health {
        status: "ok",
        store: if state.library.store().is_shared() {
            "postgres"
        } else {
            "sled"
        },
        content_items: state.library.stored_items(),
        content_problems: state.library.problems().len(),
        accounts: state.accounts.state().len(),
        index_lag: None,
        tiers_lag: None,
        error: None,
    };
    match lags {
        Ok((index_lag, tiers_lag)) => {
            health.index_lag = Some(index_lag);
            health.tiers_lag = Some(tiers_lag);
            HttpResponse::Ok().json(health)
        }
        Err(e) => {
            health.status = "unavailable";
            health.error = Some(format!("{e:#}"));
            HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", "5"))
                .json(health)
        }
    }
}
