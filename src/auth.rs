//! Users, passwords, sessions, API tokens and login throttling: the application core of
//! "who is this request from". It knows nothing of HTTP; the web layer turns cookies and
//! `Authorization` headers into calls here, and what a principal may do is decided by
//! `domain::policy`.
//!
//! - Passwords are hashed with argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes), and
//!   verified in constant time; an unknown user name costs the same hash as a known one.
//! - Sessions and API tokens are 256-bit random secrets; the store keeps only their SHA-256.
//!   A session ends on logout, on a password change or when the user is disabled, after
//!   [`AuthSettings::idle`] without a request, and after [`AuthSettings::absolute`] in any case.
//! - Failed logins are throttled per user name and per client address (in memory: a restart
//!   clears the counters).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
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

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong name or password (which one is not said).
    #[error("the user name or password is wrong")]
    BadCredentials,
    #[error("too many failed sign-ins; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
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

/// Sign-in, sessions, tokens and user administration over the store.
pub struct Auth {
    store: Store,
    settings: AuthSettings,
    clock: Clock,
    failures: Mutex<HashMap<String, Failures>>,
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
        }
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
            password_hash: hash_password(&password)?,
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

    /// Sets a new password (generated and returned when `None`) and ends every session of
    /// the user.
    pub fn set_password(
        &self,
        name: &str,
        password: Option<&str>,
    ) -> Result<Option<String>, AuthError> {
        let mut user = self.existing(name)?;
        let (password, generated) = given_or_generated(password)?;
        user.password_hash = hash_password(&password)?;
        user.updated_at = now_rfc3339();
        self.store.put_user_ending_access(&user, false)?;
        Ok(generated)
    }

    /// Disables (or re-enables) a user. Disabling ends their sessions and revokes their API
    /// tokens.
    pub fn set_disabled(&self, name: &str, disabled: bool) -> Result<UserView, AuthError> {
        let mut user = self.existing(name)?;
        user.disabled = disabled;
        user.updated_at = now_rfc3339();
        if disabled {
            self.store.put_user_ending_access(&user, true)?;
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
        self.store.put_user_ending_access(&user, false)?;
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

    /// Checks a name and password from `client` (an address) and opens a session.
    pub fn login(&self, name: &str, password: &str, client: &str) -> Result<NewSession, AuthError> {
        let user = self.check_credentials(name, password, client)?;
        let now = self.now();
        // Expired sessions are swept at each sign-in, so the tree stays small.
        let (idle, absolute) = (
            self.settings.idle.as_secs() as i64,
            self.settings.absolute.as_secs() as i64,
        );
        self.store
            .remove_sessions_where(|s| now - s.last_seen > idle || now - s.created_at > absolute)?;
        let secret = random_hex(32);
        let record = SessionRecord {
            user: user.name.clone(),
            created_at: now,
            last_seen: now,
            csrf: random_hex(32),
        };
        self.store.put_session(&digest(&secret), &record)?;
        Ok(NewSession {
            secret,
            info: SessionInfo {
                principal: Principal::new(user.name, user.role),
                csrf: record.csrf,
            },
        })
    }

    /// A user's own password change: the current password is checked (and throttled) like a
    /// sign-in, then every session of the user ends.
    pub fn change_password(
        &self,
        name: &str,
        current: &str,
        new: &str,
        client: &str,
    ) -> Result<(), AuthError> {
        self.check_credentials(name, current, client)?;
        self.set_password(name, Some(new))?;
        Ok(())
    }

    /// The enabled user `name` if `password` is theirs; failures count toward throttling.
    fn check_credentials(
        &self,
        name: &str,
        password: &str,
        client: &str,
    ) -> Result<UserRecord, AuthError> {
        let now = self.now();
        let user_key = format!("user:{}", name.trim());
        let client_key = format!("client:{client}");
        self.check_throttle(&user_key, MAX_FAILURES_PER_USER, now)?;
        self.check_throttle(&client_key, MAX_FAILURES_PER_CLIENT, now)?;
        let user = self.store.get_user(name.trim())?;
        let ok = match &user {
            Some(u) => verify_password(password, &u.password_hash) && !u.disabled,
            None => {
                // Same work as a real check, so timing does not tell which names exist.
                let _ = verify_password(password, dummy_hash());
                false
            }
        };
        let user = match (ok, user) {
            (true, Some(user)) => user,
            _ => {
                self.record_failure(&user_key, now);
                self.record_failure(&client_key, now);
                return Err(AuthError::BadCredentials);
            }
        };
        self.clear_failures(&user_key);
        Ok(user)
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

    fn check_throttle(&self, key: &str, limit: u32, now: i64) -> Result<(), AuthError> {
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = failures.get(key) {
            let window = THROTTLE_WINDOW.as_secs() as i64;
            if f.count >= limit && now - f.since < window {
                return Err(AuthError::Throttled {
                    retry_after_secs: (window - (now - f.since)).max(1) as u64,
                });
            }
        }
        Ok(())
    }

    fn record_failure(&self, key: &str, now: i64) {
        let window = THROTTLE_WINDOW.as_secs() as i64;
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() >= MAX_THROTTLE_ENTRIES {
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

pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>())
        .map_err(|e| AuthError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
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
        assert!(auth.login("ann", "correct horse battery", "c").is_ok());
        assert!(matches!(
            auth.login("ann", "wrong password!", "c"),
            Err(AuthError::BadCredentials)
        ));
        assert!(matches!(
            auth.login("nobody", "whatever123", "c"),
            Err(AuthError::BadCredentials)
        ));
    }

    #[test]
    fn a_generated_password_is_returned_once_and_works() {
        let (_dir, auth) = auth_at(clock());
        let password = auth.add_user("ann", Role::Admin, None).unwrap().unwrap();
        assert_eq!(password.chars().count(), 20);
        assert!(auth.login("ann", &password, "c").is_ok());
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
        let login = || auth.login("ann", "a long password", "c").unwrap().secret;

        let s = login();
        assert_eq!(auth.session(&s).unwrap().unwrap().principal.user, "ann");
        auth.logout(&s).unwrap();
        assert!(auth.session(&s).unwrap().is_none(), "logout");

        let s = login();
        auth.set_password("ann", Some("another long one")).unwrap();
        assert!(auth.session(&s).unwrap().is_none(), "password change");

        let s = auth.login("ann", "another long one", "c").unwrap().secret;
        auth.set_disabled("ann", true).unwrap();
        assert!(auth.session(&s).unwrap().is_none(), "disabled");
        assert!(matches!(
            auth.login("ann", "another long one", "c"),
            Err(AuthError::BadCredentials)
        ));
        auth.set_disabled("ann", false).unwrap();

        let s = auth.login("ann", "another long one", "c").unwrap().secret;
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

        let s = auth.login("ann", "another long one", "c").unwrap().secret;
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
                auth.login("ann", "wrong guess!!", "1.1.1.1"),
                Err(AuthError::BadCredentials)
            ));
        }
        // Even the right password waits now, from any client.
        let err = auth.login("ann", "a long password", "2.2.2.2").unwrap_err();
        assert!(
            matches!(err, AuthError::Throttled { retry_after_secs } if retry_after_secs > 0),
            "{err}"
        );
        now.fetch_add(THROTTLE_WINDOW.as_secs() as i64, Ordering::SeqCst);
        assert!(
            auth.login("ann", "a long password", "2.2.2.2").is_ok(),
            "the window passed"
        );

        // One client trying many names.
        for i in 0..MAX_FAILURES_PER_CLIENT {
            let _ = auth.login(&format!("user{i}"), "wrong guess!!", "3.3.3.3");
        }
        assert!(matches!(
            auth.login("ann", "a long password", "3.3.3.3"),
            Err(AuthError::Throttled { .. })
        ));
        assert!(auth.login("ann", "a long password", "4.4.4.4").is_ok());
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
    fn changing_ones_password_checks_the_current_one_and_leaves_no_session_behind() {
        let (_dir, auth) = auth_at(clock());
        auth.add_user("ann", Role::Rep, Some("a long password"))
            .unwrap();
        let s = auth.login("ann", "a long password", "c").unwrap().secret;
        let err = auth
            .change_password("ann", "not the password", "a new passphrase", "c")
            .unwrap_err();
        assert!(matches!(err, AuthError::BadCredentials), "{err}");
        assert!(
            auth.session(&s).unwrap().is_some(),
            "a refused change ends nothing"
        );
        auth.change_password("ann", "a long password", "a new passphrase", "c")
            .unwrap();
        assert!(auth.session(&s).unwrap().is_none());
        assert!(
            auth.store.remove_sessions_where(|_| true).unwrap() == 0,
            "no session was opened to check the password"
        );
        assert!(auth.login("ann", "a new passphrase", "c").is_ok());
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
