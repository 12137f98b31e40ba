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
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed: {0}")]
    Hash(String),
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

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    /// Unix seconds of the first failure of the current window.
    since: i64,
}

/// Runs the argon2 work (hashes and checks) on a few threads of its own: at most `slots` at
/// once, at most `max_waiting` more queued, none started after waiting `max_wait`; past that,
/// [`AuthError::Busy`]. Own threads rather than the callers' (the web layer's blocking pool,
/// hundreds of threads): the allocator keeps a freed 19 MiB block in the arena of the thread
/// that used it, so argon2 on many threads holds memory per thread long after the work is done
/// (measured: 18 checks, 2 at a time, on 18 pool threads left 394 MiB resident; on 2 threads
/// of their own, under 120).
struct PasswordGate {
    queue: std::sync::mpsc::SyncSender<PasswordJob>,
    max_wait: Duration,
    /// Jobs accepted and not yet started.
    waiting: Arc<std::sync::atomic::AtomicUsize>,
}

/// One unit of argon2 work, dropped unrun if it waited past its deadline (the caller then
/// hears "busy").
struct PasswordJob {
    deadline: Instant,
    work: Box<dyn FnOnce() + Send>,
}

impl PasswordGate {
    /// Starts `slots` threads; they end when the gate is dropped.
    fn new(slots: usize, max_waiting: usize, max_wait: Duration) -> PasswordGate {
        use std::sync::atomic::Ordering;
        let (queue, jobs) = std::sync::mpsc::sync_channel::<PasswordJob>(max_waiting);
        let jobs = Arc::new(Mutex::new(jobs));
        let waiting = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        for n in 0..slots.max(1) {
            let (jobs, waiting) = (jobs.clone(), waiting.clone());
            let worker = move || loop {
                let next = jobs.lock().unwrap_or_else(|p| p.into_inner()).recv();
                let Ok(job) = next else {
                    return; // the gate is gone
                };
                waiting.fetch_sub(1, Ordering::SeqCst);
                if Instant::now() <= job.deadline {
                    // argon2 does not panic on any input; if it ever did, this thread stays.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job.work));
                }
            };
            if let Err(e) = std::thread::Builder::new()
                .name(format!("password-{n}"))
                .spawn(worker)
            {
                tracing::error!(error = %e, "could not start a password thread");
            }
        }
        PasswordGate {
            queue,
            max_wait,
            waiting,
        }
    }

    /// Runs `work` (one argon2 hash or check) on a password thread and waits for its answer.
    fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        use std::sync::atomic::Ordering;
        let busy = || AuthError::Busy {
            retry_after_secs: BUSY_RETRY_AFTER_SECS,
        };
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        let job = PasswordJob {
            deadline: Instant::now() + self.max_wait,
            work: Box::new(move || {
                let _ = reply.send(work());
            }),
        };
        self.waiting.fetch_add(1, Ordering::SeqCst);
        if self.queue.try_send(job).is_err() {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(busy());
        }
        // Dropped unrun (too late) or never run (no thread): busy either way.
        answer.recv().map_err(|_| busy())
    }

    /// Jobs accepted and not yet started.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.waiting.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Sign-in, sessions, tokens and user administration over the store.
pub struct Auth {
    store: Store,
    settings: AuthSettings,
    clock: Clock,
    failures: Mutex<HashMap<String, Failures>>,
    passwords: PasswordGate,
}

/// Most remembered failure counters; beyond it, expired ones are dropped first and then the
/// oldest, so a flood of made-up names cannot grow memory without bound.
const MAX_THROTTLE_ENTRIES: usize = 100_000;

impl Auth {
    pub fn new(store: Store, settings: AuthSettings) -> Auth {
        Auth::with_clock(store, settings, system_clock())
    }

    pub fn with_clock(store: Store, settings: AuthSettings, clock: Clock) -> Auth {
        Auth {
            store,
            settings,
            clock,
            failures: Mutex::new(HashMap::new()),
            passwords: PasswordGate::new(
                password_slots(),
                password_slots() * WAITING_PER_SLOT,
                MAX_PASSWORD_WAIT,
            ),
        }
    }

    /// `password` hashed with argon2id, on a thread of the password gate.
    fn hash(&self, password: &str) -> Result<String, AuthError> {
        let password = password.to_owned();
        self.passwords.run(move || hash_password(&password))?
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    // -----------------------------------------------------------------------------------------
    // Users
    // -----------------------------------------------------------------------------------------

    /// Adds a user. With `password` `None`, a random one is generated and returned (show it
    /// once); with `Some`, it is checked against the password rules.
    pub fn add_user(
        &self,
        name: &str,
        role: Role,
        password: Option<&str>,
    ) -> Result<Option<String>, AuthError> {
        let name = valid_name(name)?;
        let (password, generated) = given_or_generated(password)?;
        let now = now_rfc3339();
        let record = UserRecord {
            name: name.to_owned(),
            role,
            password_hash: self.hash(&password)?,
            disabled: false,
            created_at: now.clone(),
            updated_at: now,
            position: None,
            region: None,
        };
        if !self.store.insert_new_user(&record)? {
            return Err(AuthError::Exists(name.to_owned()));
        }
        Ok(generated)
    }

    pub fn user(&self, name: &str) -> Result<Option<UserView>, AuthError> {
        Ok(self.store.get_user(name)?.as_ref().map(UserView::from))
    }

    pub fn list_users(&self) -> Result<Vec<UserView>, AuthError> {
        Ok(self
            .store
            .list_users()?
            .iter()
            .map(UserView::from)
            .collect())
    }

    fn existing(&self, name: &str) -> Result<UserRecord, AuthError> {
        self.store
            .get_user(name)?
            .ok_or_else(|| AuthError::NoSuchUser(name.to_owned()))
    }

    /// Sets a new password (generated and returned when `None`) and ends every way in: every
    /// session of the user ends and every API token of theirs is revoked, in one write.
    pub fn set_password(
        &self,
        name: &str,
        password: Option<&str>,
    ) -> Result<Option<String>, AuthError> {
        let mut user = self.existing(name)?;
        let (password, generated) = given_or_generated(password)?;
        user.password_hash = self.hash(&password)?;
        user.updated_at = now_rfc3339();
        self.store.put_user_ending_access(&user, true, None)?;
        Ok(generated)
    }

    /// Disables (or re-enables) a user. Disabling ends their sessions and revokes their API
    /// tokens.
    pub fn set_disabled(&self, name: &str, disabled: bool) -> Result<UserView, AuthError> {
        let mut user = self.existing(name)?;
        user.disabled = disabled;
        user.updated_at = now_rfc3339();
        if disabled {
            self.store.put_user_ending_access(&user, true, None)?;
        } else {
            self.store.put_user(&user)?;
        }
        Ok(UserView::from(&user))
    }

    /// Changes a user's role; their sessions end so the new role applies at once.
    pub fn set_role(&self, name: &str, role: Role) -> Result<UserView, AuthError> {
        let mut user = self.existing(name)?;
        user.role = role;
        user.updated_at = now_rfc3339();
        self.store.put_user_ending_access(&user, false, None)?;
        Ok(UserView::from(&user))
    }

    /// Sets a user's position (job title and level) and region: what decides their courses.
    /// `Some("")` clears one; `None` leaves it.
    pub fn set_profile(
        &self,
        name: &str,
        position: Option<&str>,
        region: Option<&str>,
    ) -> Result<UserView, AuthError> {
        let mut user = self.existing(name)?;
        let value = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        if let Some(position) = position {
            user.position = value(position);
        }
        if let Some(region) = region {
            user.region = value(region);
        }
        user.updated_at = now_rfc3339();
        self.store.put_user(&user)?;
        Ok(UserView::from(&user))
    }

    /// True if an enabled admin exists.
    pub fn has_admin(&self) -> Result<bool, AuthError> {
        Ok(self
            .store
            .list_users()?
            .iter()
            .any(|u| u.role == Role::Admin && !u.disabled))
    }

    // -----------------------------------------------------------------------------------------
    // Sign-in and sessions
    // -----------------------------------------------------------------------------------------

    /// Checks a name and password from `client` (an address) and opens a session. `previous`
    /// is the secret of the session the request arrived with, if any: it ends in the same write
    /// that stores the new one (a sign-in never leaves the browser's old session behind, whoever
    /// it belonged to).
    pub fn login(
        &self,
        name: &str,
        password: &str,
        client: &str,
        previous: Option<&str>,
    ) -> Result<NewSession, AuthError> {
        let user = self.check_credentials(name, password, client)?;
        self.sweep_expired_sessions()?;
        let (secret, record) = self.new_session(&user);
        self.store
            .replace_session(previous.map(digest).as_deref(), &digest(&secret), &record)?;
        Ok(NewSession::of(secret, &user, record))
    }

    /// A user's own password change: the current password is checked (and throttled) like a
    /// sign-in; then, in one write, the new password is stored, every session of the user ends,
    /// every API token of theirs is revoked, and a new session for the caller begins (returned:
    /// they stay signed in where they changed it, and only there).
    pub fn change_password(
        &self,
        name: &str,
        current: &str,
        new: &str,
        client: &str,
    ) -> Result<NewSession, AuthError> {
        let new = valid_password(new)?;
        let mut user = self.check_credentials(name, current, client)?;
        user.password_hash = self.hash(new)?;
        user.updated_at = now_rfc3339();
        self.sweep_expired_sessions()?;
        let (secret, record) = self.new_session(&user);
        self.store
            .put_user_ending_access(&user, true, Some((&digest(&secret), &record)))?;
        Ok(NewSession::of(secret, &user, record))
    }

    /// Ends expired sessions (at each sign-in, so the tree stays small).
    fn sweep_expired_sessions(&self) -> Result<(), AuthError> {
        let now = self.now();
        let (idle, absolute) = (
            self.settings.idle.as_secs() as i64,
            self.settings.absolute.as_secs() as i64,
        );
        self.store
            .remove_sessions_where(|s| now - s.last_seen > idle || now - s.created_at > absolute)?;
        Ok(())
    }

    /// A new session of `user`: its secret (for the cookie) and its record (to store).
    fn new_session(&self, user: &UserRecord) -> (String, SessionRecord) {
        let now = self.now();
        let record = SessionRecord {
            user: user.name.clone(),
            created_at: now,
            last_seen: now,
            csrf: random_hex(32),
        };
        (random_hex(32), record)
    }

    /// The enabled user `name` if `password` is theirs. The attempt counts toward throttling
    /// before the password is checked (a failure in advance, under the throttle's lock, so
    /// concurrent attempts see each other); a success clears the name's failures and gives the
    /// client's back, and an attempt that could not be checked (busy, store error) is given
    /// back whole.
    fn check_credentials(
        &self,
        name: &str,
        password: &str,
        client: &str,
    ) -> Result<UserRecord, AuthError> {
        let now = self.now();
        let user_key = format!("user:{}", name.trim());
        let client_key = format!("client:{client}");
        let [user_window, client_window] = self.count_attempt(
            [
                (user_key.as_str(), MAX_FAILURES_PER_USER),
                (client_key.as_str(), MAX_FAILURES_PER_CLIENT),
            ],
            now,
        )?;
        match self.verify(name.trim(), password) {
            Ok(Some(user)) => {
                self.clear_failures(&user_key);
                self.give_back(&client_key, client_window);
                Ok(user)
            }
            Ok(None) => Err(AuthError::BadCredentials),
            Err(error) => {
                self.give_back(&user_key, user_window);
                self.give_back(&client_key, client_window);
                Err(error)
            }
        }
    }

    /// `Some(user)` if `name` is an enabled user whose password is `password`. An unknown name
    /// is checked against a dummy hash: the same work, in the same gate, so neither timing nor
    /// load tells which names exist.
    fn verify(&self, name: &str, password: &str) -> Result<Option<UserRecord>, AuthError> {
        let user = self.store.get_user(name)?;
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let password = password.to_owned();
        let matches = self.passwords.run(move || match &hash {
            Some(hash) => verify_password(&password, hash),
            None => verify_password(&password, dummy_hash()),
        })?;
        Ok(user.filter(|u| matches && !u.disabled))
    }

    /// The live session behind a cookie secret, or `None` (unknown, ended, expired, or its user
    /// disabled).
    pub fn session(&self, secret: &str) -> Result<Option<SessionInfo>, AuthError> {
        let key = digest(secret);
        let Some(mut session) = self.store.get_session(&key)? else {
            return Ok(None);
        };
        let now = self.now();
        if now - session.last_seen > self.settings.idle.as_secs() as i64
            || now - session.created_at > self.settings.absolute.as_secs() as i64
        {
            self.store.remove_session(&key)?;
            return Ok(None);
        }
        let Some(user) = self.store.get_user(&session.user)?.filter(|u| !u.disabled) else {
            self.store.remove_session(&key)?;
            return Ok(None);
        };
        if now - session.last_seen >= TOUCH_EVERY_SECS {
            session.last_seen = now;
            self.store.touch_session(&key, &session)?;
        }
        Ok(Some(SessionInfo {
            principal: Principal::new(user.name, user.role),
            csrf: session.csrf,
        }))
    }

    /// Ends the session behind a cookie secret (nothing happens for an unknown one).
    pub fn logout(&self, secret: &str) -> Result<(), AuthError> {
        self.store.remove_session(&digest(secret))?;
        Ok(())
    }

    /// Counts an attempt as a failure for each `(key, limit)`, all under one lock, unless one
    /// of the keys has reached its limit within the window (then nothing is counted and the
    /// answer says how long to wait). Returns the start of each key's window, to give the
    /// attempt back later.
    fn count_attempt<const N: usize>(
        &self,
        keys: [(&str, u32); N],
        now: i64,
    ) -> Result<[i64; N], AuthError> {
        let window = THROTTLE_WINDOW.as_secs() as i64;
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for (key, limit) in keys {
            if let Some(f) = failures.get(key) {
                if f.count >= limit && now - f.since < window {
                    return Err(AuthError::Throttled {
                        retry_after_secs: (window - (now - f.since)).max(1) as u64,
                    });
                }
            }
        }
        Ok(keys.map(|(key, _)| count_failure(&mut failures, key, now)))
    }

    /// Takes back one failure counted for `key` in the window that started at `since` (a
    /// window that has been restarted since keeps its count).
    fn give_back(&self, key: &str, since: i64) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = failures.get_mut(key).filter(|f| f.since == since) {
            f.count = f.count.saturating_sub(1);
            if f.count == 0 {
                failures.remove(key);
            }
        }
    }

    fn clear_failures(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }

    // -----------------------------------------------------------------------------------------
    // API tokens
    // -----------------------------------------------------------------------------------------

    /// Creates a token for `user`; the secret is in the answer and nowhere else.
    pub fn create_token(&self, user: &str, label: &str) -> Result<NewToken, AuthError> {
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 100 {
            return Err(AuthError::Invalid {
                field: "label",
                message: "give the token a label of 1–100 characters (what script uses it)".into(),
            });
        }
        self.existing(user)?;
        let id = random_hex(6);
        let secret = format!("pbt_{}", random_hex(32));
        let record = ApiTokenRecord {
            id,
            user: user.to_owned(),
            label: label.to_owned(),
            created_at: now_rfc3339(),
            last_used: None,
        };
        self.store.put_api_token(&digest(&secret), &record)?;
        Ok(NewToken {
            token: secret,
            info: TokenView::from(record),
        })
    }

    pub fn list_tokens(&self, user: &str) -> Result<Vec<TokenView>, AuthError> {
        Ok(self
            .store
            .list_api_tokens(Some(user))?
            .into_iter()
            .map(TokenView::from)
            .collect())
    }

    /// Revokes the token `id` of `user`.
    pub fn revoke_token(&self, user: &str, id: &str) -> Result<(), AuthError> {
        match self
            .store
            .remove_api_tokens_where(|t| t.user == user && t.id == id)?
        {
            0 => Err(AuthError::NoSuchToken(id.to_owned())),
            _ => Ok(()),
        }
    }

    /// The principal behind a bearer token, or `None` (unknown, revoked, or its user disabled).
    pub fn token(&self, secret: &str) -> Result<Option<Principal>, AuthError> {
        let key = digest(secret);
        let Some(mut token) = self.store.get_api_token(&key)? else {
            return Ok(None);
        };
        let Some(user) = self.store.get_user(&token.user)?.filter(|u| !u.disabled) else {
            return Ok(None);
        };
        let now = self.now();
        if token.last_used.is_none_or(|t| now - t >= TOUCH_EVERY_SECS) {
            token.last_used = Some(now);
            self.store.touch_api_token(&key, &token)?;
        }
        Ok(Some(Principal::new(user.name, user.role)))
    }
}

/// Counts one failure for `key` at `now` (starting a new window when the last one is over) and
/// returns the start of its window. Beyond [`MAX_THROTTLE_ENTRIES`] counters, expired ones are
/// dropped first and then the oldest.
fn count_failure(failures: &mut HashMap<String, Failures>, key: &str, now: i64) -> i64 {
    let window = THROTTLE_WINDOW.as_secs() as i64;
    if failures.len() >= MAX_THROTTLE_ENTRIES && !failures.contains_key(key) {
        failures.retain(|_, f| now - f.since < window);
        if failures.len() >= MAX_THROTTLE_ENTRIES {
            if let Some(oldest) = failures
                .iter()
                .min_by_key(|(_, f)| f.since)
                .map(|(k, _)| k.clone())
            {
                failures.remove(&oldest);
            }
        }
    }
    let entry = failures.entry(key.to_owned()).or_insert(Failures {
        count: 0,
        since: now,
    });
    if now - entry.since >= window {
        *entry = Failures {
            count: 0,
            since: now,
        };
    }
    entry.count += 1;
    entry.since
}

// ---------------------------------------------------------------------------------------------
// Secrets and hashing
// ---------------------------------------------------------------------------------------------

fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS random source failing is not something to serve requests through.
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes
}

/// `n` random bytes as lower-case hex.
fn random_hex(n: usize) -> String {
    let mut out = String::with_capacity(n * 2);
    while out.len() < n * 2 {
        for b in random_bytes::<32>() {
            if out.len() == n * 2 {
                break;
            }
            out.push_str(&format!("{b:02x}"));
        }
    }
    out
}

/// A random 20-character password from letters and digits without look-alikes (about 113
/// bits), easy to read out and type on a phone.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::with_capacity(20);
    while out.len() < 20 {
        for b in random_bytes::<64>() {
            // Rejection sampling keeps every character equally likely.
            let limit = 256 - 256 % ALPHABET.len();
            if (b as usize) < limit && out.len() < 20 {
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
    }
    out
}

/// Most argon2 memory a stored hash may ask for (64 MiB; ours take 19): a record that asks for
/// more is treated as not matching rather than allowed to take the server's memory.
const MAX_ARGON2_BLOCKS: usize = 64 * 1024;

thread_local! {
    /// argon2's working memory (19 MiB), allocated once per thread and kept. Allocating it per
    /// hash, as `argon2`'s own `hash_password` does, grows the process by about that much per
    /// hash for the first dozen hashes of each thread (glibc does not reuse the freed, 64-byte
    /// aligned blocks), measured: 12 checks on one thread, 7 → 224 MiB resident.
    static ARGON2_MEMORY: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs argon2 with `params` over this thread's kept working memory.
fn argon2_into(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let blocks = params.block_count();
    if blocks > MAX_ARGON2_BLOCKS {
        return Err(argon2::Error::MemoryTooMuch);
    }
    ARGON2_MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, out, &mut memory[..blocks])
    })
}

/// `password` hashed with argon2id (the crate's default parameters: 19 MiB, 2 passes, one
/// lane) and a random salt, as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`). Call it on a
/// thread of the password gate ([`Auth`] does): it keeps 19 MiB per thread.
fn hash_password(password: &str) -> Result<String, AuthError> {
    let hash_error = |e: &dyn std::fmt::Display| AuthError::Hash(e.to_string());
    let salt = SaltString::encode_b64(&random_bytes::<16>()).map_err(|e| hash_error(&e))?;
    let params = Params::default();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| hash_error(&e))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon2, &params, password, salt_bytes, &mut out).map_err(|e| hash_error(&e))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params).try_into().map_err(|e| hash_error(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| hash_error(&e))?),
    };
    Ok(hash.to_string())
}

/// True if `password` matches the PHC string `hash` (any argon2 variant and parameters up to
/// [`MAX_ARGON2_BLOCKS`]), compared in constant time.
fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    argon2_into(&argon2, &params, password, salt, &mut out).is_ok()
        && constant_time_eq(&out, expected.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A hash of a random password, computed once: unknown names are checked against it.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&generate_password()).unwrap_or_default())
}

fn valid_name(name: &str) -> Result<&str, AuthError> {
    let name = name.trim();
    let invalid = |message: String| AuthError::Invalid {
        field: "name",
        message,
    };
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(format!(
            "a user name has 1–{MAX_NAME_CHARS} characters"
        )));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
    {
        return Err(invalid(format!(
            "{c:?} is not allowed in a user name: use letters (any script), digits, '.', '_', '-' or '@' — the same name as the owner column of the account import"
        )));
    }
    Ok(name)
}

/// `password` checked against the rules, or a generated one (then also returned to be shown).
fn given_or_generated(password: Option<&str>) -> Result<(String, Option<String>), AuthError> {
    match password {
        Some(p) => Ok((valid_password(p)?.to_owned(), None)),
        None => {
            let p = generate_password();
            Ok((p.clone(), Some(p)))
        }
    }
}

fn valid_password(password: &str) -> Result<&str, AuthError> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(AuthError::Invalid {
            field: "password",
            message: format!(
                "a password has {MIN_PASSWORD_CHARS}–{MAX_PASSWORD_CHARS} characters (this one has {chars}); a passphrase of a few words is easiest"
            ),
        });
    }
    Ok(password)
}

fn unix_to_rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering};

    fn auth_at(clock: Arc<AtomicI64>) -> (tempfile::TempDir, Auth) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let auth = Auth::with_clock(
            store,
            AuthSettings {
                idle: Duration::from_secs(600),
                absolute: Duration::from_secs(3600),
            },
            Arc::new(move || clock.load(Ordering::SeqCst)),
        );
        (dir, auth)
    }

    fn clock() -> Arc<AtomicI64> {
        Arc::new(AtomicI64::new(1_000_000))
    }

    #[test]
    fn passwords_are_stored_as_argon2id_and_checked() {
        let (_dir, auth) = auth_at(clock());
        auth.add_user("ann", Role::Rep, Some("correct horse battery"))
            .unwrap();
        let stored = auth.store.get_user("ann").unwrap().unwrap();
        assert!(
            stored.password_hash.starts_with("$argon2id$"),
            "{}",
            stored.password_hash
        );
        assert!(!stored.password_hash.contains("correct horse"));
        assert!(auth
            .login("ann", "correct horse battery", "c", None)
            .is_ok());
        assert!(matches!(
            auth.login("ann", "wrong password!", "c", None),
            Err(AuthError::BadCredentials)
        ));
        assert!(matches!(
            auth.login("nobody", "whatever123", "c", None),
            Err(AuthError::BadCredentials)
        ));
    }

    #[test]
    fn a_generated_password_is_returned_once_and_works() {
        let (_dir, auth) = auth_at(clock());
        let password = auth.add_user("ann", Role::Admin, None).unwrap().unwrap();
        assert_eq!(password.chars().count(), 20);
        assert!(auth.login("ann", &password, "c", None).is_ok());
        assert!(matches!(
            auth.add_user("ann", Role::Rep, None),
            Err(AuthError::Exists(_))
        ));
    }

    #[test]
    fn bad_names_and_short_passwords_are_refused_with_the_field() {
        let (_dir, auth) = auth_at(clock());
        let err = auth.add_user("a b", Role::Rep, None).unwrap_err();
        assert!(
            matches!(err, AuthError::Invalid { field: "name", .. }),
            "{err}"
        );
        let err = auth.add_user("ann", Role::Rep, Some("short")).unwrap_err();
        assert!(
            matches!(
                err,
                AuthError::Invalid {
                    field: "password",
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            auth.add_user("张伟", Role::Rep, None).is_ok(),
            "Chinese names are names"
        );
    }

    #[test]
    fn sessions_end_on_logout_password_change_disable_idle_and_age() {
        let now = clock();
        let (_dir, auth) = auth_at(now.clone());
        auth.add_user("ann", Role::Rep, Some("a long password"))
            .unwrap();
        let login = || {
            auth.login("ann", "a long password", "c", None)
                .unwrap()
                .secret
        };

        let s = login();
        assert_eq!(auth.session(&s).unwrap().unwrap().principal.user, "ann");
        auth.logout(&s).unwrap();
        assert!(auth.session(&s).unwrap().is_none(), "logout");

        let s = login();
        auth.set_password("ann", Some("another long one")).unwrap();
        assert!(auth.session(&s).unwrap().is_none(), "password change");

        let s = auth
            .login("ann", "another long one", "c", None)
            .unwrap()
            .secret;
        auth.set_disabled("ann", true).unwrap();
        assert!(auth.session(&s).unwrap().is_none(), "disabled");
        assert!(matches!(
            auth.login("ann", "another long one", "c", None),
            Err(AuthError::BadCredentials)
        ));
        auth.set_disabled("ann", false).unwrap();

        let s = auth
            .login("ann", "another long one", "c", None)
            .unwrap()
            .secret;
        now.fetch_add(500, Ordering::SeqCst);
        assert!(
            auth.session(&s).unwrap().is_some(),
            "used within the idle time"
        );
        now.fetch_add(500, Ordering::SeqCst);
        assert!(
            auth.session(&s).unwrap().is_some(),
            "each use restarts the idle clock"
        );
        now.fetch_add(601, Ordering::SeqCst);
        assert!(auth.session(&s).unwrap().is_none(), "idle too long");

        let s = auth
            .login("ann", "another long one", "c", None)
            .unwrap()
            .secret;
        for _ in 0..8 {
            now.fetch_add(500, Ordering::SeqCst);
            let _ = auth.session(&s).unwrap();
        }
        assert!(
            auth.session(&s).unwrap().is_none(),
            "older than the absolute limit"
        );
    }

    #[test]
    fn failed_logins_are_throttled_per_name_and_per_client() {
        let now = clock();
        let (_dir, auth) = auth_at(now.clone());
        auth.add_user("ann", Role::Rep, Some("a long password"))
            .unwrap();
        for _ in 0..MAX_FAILURES_PER_USER {
            assert!(matches!(
                auth.login("ann", "wrong guess!!", "1.1.1.1", None),
                Err(AuthError::BadCredentials)
            ));
        }
        // Even the right password waits now, from any client.
        let err = auth
            .login("ann", "a long password", "2.2.2.2", None)
            .unwrap_err();
        assert!(
            matches!(err, AuthError::Throttled { retry_after_secs } if retry_after_secs > 0),
            "{err}"
        );
        now.fetch_add(THROTTLE_WINDOW.as_secs() as i64, Ordering::SeqCst);
        assert!(
            auth.login("ann", "a long password", "2.2.2.2", None)
                .is_ok(),
            "the window passed"
        );

        // One client trying many names.
        for i in 0..MAX_FAILURES_PER_CLIENT {
            let _ = auth.login(&format!("user{i}"), "wrong guess!!", "3.3.3.3", None);
        }
        assert!(matches!(
            auth.login("ann", "a long password", "3.3.3.3", None),
            Err(AuthError::Throttled { .. })
        ));
        assert!(auth
            .login("ann", "a long password", "4.4.4.4", None)
            .is_ok());
    }

    #[test]
    fn tokens_are_stored_hashed_listed_and_revocable_by_their_owner() {
        let (_dir, auth) = auth_at(clock());
        auth.add_user("ann", Role::Manager, None).unwrap();
        auth.add_user("bob", Role::Rep, None).unwrap();
        let new = auth.create_token("ann", "nightly export").unwrap();
        assert!(new.token.starts_with("pbt_"));
        assert_eq!(
            auth.token(&new.token).unwrap().unwrap(),
            Principal::new("ann", Role::Manager)
        );
        let listed = auth.list_tokens("ann").unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].label, "nightly export");
        let stored = format!("{:?}", auth.store.list_api_tokens(None).unwrap());
        assert!(!stored.contains(&new.token), "the secret is not stored");
        assert!(matches!(
            auth.revoke_token("bob", &new.info.id),
            Err(AuthError::NoSuchToken(_))
        ));
        auth.revoke_token("ann", &new.info.id).unwrap();
        assert!(auth.token(&new.token).unwrap().is_none());
    }

    #[test]
    fn changing_ones_password_ends_every_way_in_but_the_callers_new_session() {
        let (_dir, auth) = auth_at(clock());
        auth.add_user("ann", Role::Rep, Some("a long password"))
            .unwrap();
        let s = auth
            .login("ann", "a long password", "c", None)
            .unwrap()
            .secret;
        let token = auth.create_token("ann", "script").unwrap().token;
        let err = auth
            .change_password("ann", "not the password", "a new passphrase", "c")
            .unwrap_err();
        assert!(matches!(err, AuthError::BadCredentials), "{err}");
        assert!(
            auth.session(&s).unwrap().is_some() && auth.token(&token).unwrap().is_some(),
            "a refused change ends nothing"
        );

        let fresh = auth
            .change_password("ann", "a long password", "a new passphrase", "c")
            .unwrap();

        assert!(auth.session(&s).unwrap().is_none(), "old sessions end");
        assert!(auth.token(&token).unwrap().is_none(), "tokens are revoked");
        let info = auth
            .session(&fresh.secret)
            .unwrap()
            .expect("the new session");
        assert_eq!(info.principal.user, "ann");
        assert_eq!(info.csrf, fresh.info.csrf);
        assert_eq!(
            auth.store.remove_sessions_where(|_| true).unwrap(),
            1,
            "the caller's new session is the only one"
        );
        assert!(auth.login("ann", "a new passphrase", "c", None).is_ok());
    }

    #[test]
    fn an_admins_password_reset_revokes_the_users_tokens_too() {
        let (_dir, auth) = auth_at(clock());
        auth.add_user("ann", Role::Rep, Some("a long password"))
            .unwrap();
        let token = auth.create_token("ann", "script").unwrap().token;
        auth.set_password("ann", None).unwrap();
        assert!(auth.token(&token).unwrap().is_none());
    }

    #[test]
    fn a_sign_in_ends_the_session_it_arrived_with() {
        let (_dir, auth) = auth_at(clock());
        auth.add_user("ann", Role::Rep, Some("a long password"))
            .unwrap();
        auth.add_user("bob", Role::Rep, Some("another password"))
            .unwrap();
        let anns = auth
            .login("ann", "a long password", "c", None)
            .unwrap()
            .secret;
        let other = auth
            .login("ann", "a long password", "c", None)
            .unwrap()
            .secret;

        let refused = auth.login("bob", "not his password", "c", Some(&anns));
        let bobs = auth
            .login("bob", "another password", "c", Some(&anns))
            .unwrap()
            .secret;

        assert!(matches!(refused, Err(AuthError::BadCredentials)));
        assert!(auth.session(&anns).unwrap().is_none(), "replaced");
        assert!(auth.session(&bobs).unwrap().is_some());
        assert!(
            auth.session(&other).unwrap().is_some(),
            "other browsers keep theirs"
        );
    }

    #[test]
    fn an_attempt_counts_before_its_check_and_a_success_gives_the_clients_back() {
        let (_dir, auth) = auth_at(clock());
        auth.add_user("ann", Role::Rep, Some("a long password"))
            .unwrap();
        let failures = |key: &str| {
            auth.failures
                .lock()
                .unwrap()
                .get(key)
                .map_or(0, |f| f.count)
        };
        // Counted under the lock, before any check: the sixth of six concurrent attempts
        // would see five.
        for _ in 0..MAX_FAILURES_PER_USER {
            auth.count_attempt([("user:ann", MAX_FAILURES_PER_USER)], 1_000_000)
                .unwrap();
        }
        assert!(matches!(
            auth.count_attempt([("user:ann", MAX_FAILURES_PER_USER)], 1_000_000),
            Err(AuthError::Throttled { .. })
        ));
        auth.failures.lock().unwrap().clear();

        auth.login("ann", "wrong password", "c", None).unwrap_err();
        assert_eq!((failures("user:ann"), failures("client:c")), (1, 1));
        auth.login("ann", "a long password", "c", None).unwrap();
        assert_eq!(
            (failures("user:ann"), failures("client:c")),
            (0, 1),
            "a success clears the name and gives the client its attempt back"
        );
    }

    #[test]
    fn the_password_gate_runs_at_most_its_slots_at_once_and_refuses_past_its_queue() {
        use std::sync::atomic::AtomicUsize;
        let gate = Arc::new(PasswordGate::new(2, 3, Duration::from_secs(30)));
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Arc::new(Mutex::new(released));
        // Two running, held until released; then three waiting. One caller at a time, so
        // that the queue fills only once the threads are busy.
        let callers: Vec<_> = (0..5)
            .map(|n| {
                let (gate, running, most, released) = (
                    gate.clone(),
                    running.clone(),
                    most.clone(),
                    released.clone(),
                );
                let caller = {
                    let (gate, running) = (gate.clone(), running.clone());
                    std::thread::spawn(move || {
                        gate.run(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            released.lock().unwrap().recv().unwrap();
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                    })
                };
                while running.load(Ordering::SeqCst) + gate.waiting() < n + 1 {
                    std::thread::sleep(Duration::from_millis(2));
                }
                caller
            })
            .collect();
        assert_eq!((running.load(Ordering::SeqCst), gate.waiting()), (2, 3));

        let refused = gate.run(|| ());

        assert!(
            matches!(refused, Err(AuthError::Busy { retry_after_secs }) if retry_after_secs > 0)
        );
        for _ in 0..5 {
            release.send(()).unwrap();
        }
        for caller in callers {
            assert!(caller.join().unwrap().is_ok(), "every queued one ran");
        }
        assert_eq!(most.load(Ordering::SeqCst), 2, "never more than the slots");
        assert_eq!(gate.waiting(), 0);
    }

    #[test]
    fn work_that_waited_past_the_limit_is_not_started_and_its_caller_hears_busy() {
        let gate = Arc::new(PasswordGate::new(1, 10, Duration::from_millis(50)));
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = std::sync::mpsc::channel::<()>();
        let holder = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                gate.run(move || {
                    started_tx.send(()).unwrap();
                    released.recv().unwrap()
                })
            })
        };
        started.recv().unwrap();
        let late = {
            let gate = gate.clone();
            std::thread::spawn(move || gate.run(|| "ran"))
        };
        std::thread::sleep(Duration::from_millis(100));

        release.send(()).unwrap();

        assert!(holder.join().unwrap().is_ok());
        assert!(matches!(late.join().unwrap(), Err(AuthError::Busy { .. })));
        assert_eq!(gate.run(|| "ran").unwrap(), "ran", "free again");
    }

    #[test]
    fn hashes_are_the_argon2_crates_own_format_both_ways() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let ours = hash_password("correct horse battery").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse battery", &parsed)
            .is_ok());
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );

        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        let theirs = Argon2::default()
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("correct horse battery", &theirs));
        assert!(!verify_password("correct horse batterz", &theirs));
        assert!(!verify_password(
            "correct horse battery",
            "$argon2id$v=19$garbage"
        ));
        assert!(!verify_password("x", ""));
        let greedy = theirs.replace("m=19456", "m=1048576");
        assert!(
            !verify_password("correct horse battery", &greedy),
            "1 GiB is refused"
        );
    }

    #[test]
    fn generated_passwords_differ_and_use_the_alphabet() {
        let a = generate_password();
        let b = generate_password();
        assert_ne!(a, b);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() && !"0O1lI".contains(c)));
    }
}
