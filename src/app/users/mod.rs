//! Users, passwords, sessions, API tokens and login throttling: the application core of
//! "who is this request from". It knows nothing of HTTP; the web layer turns cookies and
//! `Authorization` headers into calls here, and what a principal may do is decided by
//! `domain::policy`.
//!
//! - Passwords are hashed with argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes), and
//!   verified in constant time; an unknown user name costs the same hash as a known one. Every
//!   hash and check runs on the few threads of one gate (`PasswordGate`): at most
//!   [`password_slots`] at once, a short queue, then [`AuthError::Busy`] — a burst of sign-ins
//!   cannot take the server's memory (19 MiB each) or starve everything else of CPU.
//! - Sessions and API tokens are 256-bit random secrets; the store keeps only their SHA-256.
//!   A session ends on logout, on a password change or when the user is disabled, after
//!   [`AuthSettings::idle`] without a request, and after [`AuthSettings::absolute`] in any case.
//! - Failed logins are throttled per user name and per client address (in memory: a restart
//!   clears the counters). An attempt is counted *before* its password is checked (and given
//!   back if it succeeds), so concurrent attempts cannot all slip under the limit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::policy::{Principal, Role};
use crate::store::{now_rfc3339, ApiTokenRecord, SessionRecord, Store, StoreError, UserRecord};

mod gate;
mod passwords;
mod service;

use gate::*;
pub use passwords::*;
pub use service::*;

/// Failed logins per user name within [`THROTTLE_WINDOW`] before further attempts wait.
pub const MAX_FAILURES_PER_USER: u32 = 5;
/// Failed logins per client address within [`THROTTLE_WINDOW`] before further attempts wait.
pub const MAX_FAILURES_PER_CLIENT: u32 = 20;
/// How long failures are remembered, and how long a throttled name or client waits.
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (argon2 takes any length; this bounds the work per request).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Longest user name.
pub const MAX_NAME_CHARS: usize = 64;
/// A session's or token's "last seen" stamp is rewritten at most this often.
const TOUCH_EVERY_SECS: i64 = 60;
/// Password checks that may wait for a slot, per slot; one more is refused at once.
const WAITING_PER_SLOT: usize = 8;
/// Longest wait for a password slot before the request is refused.
pub const MAX_PASSWORD_WAIT: Duration = Duration::from_secs(5);
/// The `Retry-After` of a request refused because every password slot is taken.
pub const BUSY_RETRY_AFTER_SECS: u64 = 2;

/// Password hashes and checks that run at once: one per core, at least 2. Each takes 19 MiB
/// and a core for tens of milliseconds, so more at once would only queue on the CPU while
/// holding their memory.
pub fn password_slots() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .max(2)
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong name or password (which one is not said).
    #[error("the user name or password is wrong")]
    BadCredentials,
    #[error("too many failed sign-ins; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    /// Every password slot is taken and the queue is full (or the wait was too long).
    #[error("the server is busy checking other passwords; try again in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("a user named {0:?} already exists")]
    Exists(String),
    #[error("no user named {0:?}")]
    NoSuchUser(String),
    #[error("no API token {0:?} of yours")]
    NoSuchToken(String),
    /// An admin disabling themselves or taking away their own admin role.
    #[error("you cannot disable yourself or take away your own admin role: ask another admin")]
    DemoteSelf,
    /// A change that would leave no enabled admin (two admins demoting each other at once).
    #[error("{0:?} is the last enabled admin: make another user an admin first")]
    LastAdmin(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// What an admin changes of a user at once; `None` leaves a setting as it is.
#[derive(Debug, Default)]
pub struct UserChange {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    /// `Some("")` generates a new password (returned once); any other value sets it.
    pub password: Option<String>,
    /// `Some("")` clears it.
    pub position: Option<String>,
    pub region: Option<String>,
}

/// Session lifetimes.
#[derive(Debug, Clone, Copy)]
pub struct AuthSettings {
    /// A session unused for this long ends (`PLAYBOOK_SESSION_IDLE_MINUTES`, default 8 hours).
    pub idle: Duration,
    /// A session ends this long after sign-in whatever its use (`PLAYBOOK_SESSION_MAX_HOURS`,
    /// default 7 days).
    pub absolute: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            idle: Duration::from_secs(8 * 3600),
            absolute: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// A user as listed (never the hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
    pub updated_at: String,
    pub position: Option<String>,
    pub region: Option<String>,
}

impl From<&UserRecord> for UserView {
    fn from(u: &UserRecord) -> UserView {
        UserView {
            name: u.name.clone(),
            role: u.role,
            disabled: u.disabled,
            created_at: u.created_at.clone(),
            updated_at: u.updated_at.clone(),
            position: u.position.clone(),
            region: u.region.clone(),
        }
    }
}

/// A signed-in session as the web layer needs it.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub principal: Principal,
    /// The token forms must carry.
    pub csrf: String,
}

/// A new session: the secret goes into the cookie, once.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub secret: String,
    pub info: SessionInfo,
}

impl NewSession {
    fn of(secret: String, user: &UserRecord, record: SessionRecord) -> NewSession {
        NewSession {
            secret,
            info: SessionInfo {
                principal: Principal::new(user.name.clone(), user.role),
                csrf: record.csrf,
            },
        }
    }
}

/// An API token as listed (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    pub id: String,
    pub label: String,
    pub user: String,
    pub created_at: String,
    pub last_used: Option<String>,
}

impl From<ApiTokenRecord> for TokenView {
    fn from(t: ApiTokenRecord) -> TokenView {
        TokenView {
            id: t.id,
            label: t.label,
            user: t.user,
            created_at: t.created_at,
            last_used: t.last_used.map(unix_to_rfc3339),
        }
    }
}

/// A new token: the secret is shown once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NewToken {
    pub token: String,
    #[serde(flatten)]
    pub info: TokenView,
}

/// The clock, in Unix seconds (replaceable in tests).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| time::OffsetDateTime::now_utc().unix_timestamp())
}

#[cfg(test)]
mod tests;
