//! Auth: sign-in, sessions, API tokens and user administration over the store, throttled and
//! bounded.

use super::*;

/// Sign-in, sessions, tokens and user administration over the store.
pub struct Auth {
    pub(super) store: Store,
    pub(super) settings: AuthSettings,
    pub(super) clock: Clock,
    pub(super) failures: Mutex<HashMap<String, Failures>>,
    pub(super) passwords: PasswordGate,
    /// Held by [`Auth::change_user`] from its checks to its writes, so two admins demoting
    /// each other at once cannot both pass the last-admin check.
    pub(super) user_changes: Mutex<()>,
}

/// Most remembered failure counters; beyond it, expired ones are dropped first and then the
/// oldest, so a flood of made-up names cannot grow memory without bound.
pub(super) const MAX_THROTTLE_ENTRIES: usize = 100_000;

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
            user_changes: Mutex::new(()),
        }
    }

    /// `password` hashed with argon2id, on a thread of the password gate.
    pub(super) fn hash(&self, password: &str) -> Result<String, AuthError> {
        let password = password.to_owned();
        self.passwords.run(move || hash_password(&password))?
    }

    pub(super) fn now(&self) -> i64 {
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

    /// Adds a user as [`Auth::add_user`] does, with their position and region (`None` or
    /// empty: not set); answers the user as stored and the generated password, if any.
    pub fn add_user_with_profile(
        &self,
        name: &str,
        role: Role,
        password: Option<&str>,
        position: Option<&str>,
        region: Option<&str>,
    ) -> Result<(UserView, Option<String>), AuthError> {
        let generated = self.add_user(name, role, password)?;
        let name = name.trim();
        let given = |v: Option<&str>| v.is_some_and(|v| !v.trim().is_empty());
        if given(position) || given(region) {
            self.set_profile(name, position, region)?;
        }
        let user = self
            .user(name)?
            .ok_or_else(|| AuthError::NoSuchUser(name.to_owned()))?;
        Ok((user, generated))
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

    pub(super) fn existing(&self, name: &str) -> Result<UserRecord, AuthError> {
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

    /// Applies an admin's `change` to user `name`, setting by setting (each write ends the
    /// user's sessions as its own method says); answers the user as changed and the generated
    /// password, if one was asked for. `by` may not disable themselves or drop their own admin
    /// role, and the last enabled admin stays one, so there is always an admin to undo a
    /// change.
    pub fn change_user(
        &self,
        by: &str,
        name: &str,
        change: UserChange,
    ) -> Result<(UserView, Option<String>), AuthError> {
        let demotes =
            change.disabled == Some(true) || change.role.is_some_and(|r| r != Role::Admin);
        if by == name && demotes {
            return Err(AuthError::DemoteSelf);
        }
        let _serial = self.user_changes.lock().unwrap_or_else(|p| p.into_inner());
        if demotes {
            let users = self.store.list_users()?;
            let enabled_admin = |u: &&UserRecord| u.role == Role::Admin && !u.disabled;
            let target_is_admin = users.iter().filter(enabled_admin).any(|u| u.name == name);
            let admins = users.iter().filter(enabled_admin).count();
            if target_is_admin && admins <= 1 {
                return Err(AuthError::LastAdmin(name.to_owned()));
            }
        }
        if let Some(role) = change.role {
            self.set_role(name, role)?;
        }
        if let Some(disabled) = change.disabled {
            self.set_disabled(name, disabled)?;
        }
        if change.position.is_some() || change.region.is_some() {
            self.set_profile(name, change.position.as_deref(), change.region.as_deref())?;
        }
        let mut generated = None;
        if let Some(password) = &change.password {
            generated =
                self.set_password(name, Some(password.as_str()).filter(|p| !p.is_empty()))?;
        }
        let user = self
            .user(name)?
            .ok_or_else(|| AuthError::NoSuchUser(name.to_owned()))?;
        Ok((user, generated))
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
    pub(super) fn sweep_expired_sessions(&self) -> Result<(), AuthError> {
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
    pub(super) fn new_session(&self, user: &UserRecord) -> (String, SessionRecord) {
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
    pub(super) fn check_credentials(
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
    pub(super) fn verify(
        &self,
        name: &str,
        password: &str,
    ) -> Result<Option<UserRecord>, AuthError> {
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
    pub(super) fn count_attempt<const N: usize>(
        &self,
        keys: [(&str, u32); N],
        now: i64,
    ) -> Result<[i64; N], AuthError> {
        let window = THROTTLE_WINDOW.as_secs() as i64;
        if self.store.is_shared() {
            // Nodes sharing the store share the counters: the limits hold across them.
            return match self.store.count_attempt(&keys, now, window)? {
                Ok(starts) => Ok(std::array::from_fn(|i| starts[i])),
                Err(retry_after_secs) => Err(AuthError::Throttled { retry_after_secs }),
            };
        }
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for (key, limit) in keys {
            if let Some(retry_after_secs) =
                failures.get(key).and_then(|f| f.wait(limit, now, window))
            {
                return Err(AuthError::Throttled { retry_after_secs });
            }
        }
        Ok(keys.map(|(key, _)| count_failure(&mut failures, key, now)))
    }

    /// Takes back one failure counted for `key` in the window that started at `since` (a
    /// window that has been restarted since keeps its count).
    pub(super) fn give_back(&self, key: &str, since: i64) {
        if self.store.is_shared() {
            if let Err(e) = self.store.give_back_attempt(key, since) {
                tracing::warn!(error = %e, "cannot give back a counted sign-in attempt");
            }
            return;
        }
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = failures.get(key) {
            match f.after_give_back(since) {
                Some(left) => failures.insert(key.to_owned(), left),
                None => failures.remove(key),
            };
        }
    }

    pub(super) fn clear_failures(&self, key: &str) {
        if self.store.is_shared() {
            if let Err(e) = self.store.clear_attempts(key) {
                tracing::warn!(error = %e, "cannot clear the sign-in failures of {key}");
            }
            return;
        }
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
pub(super) fn count_failure(failures: &mut HashMap<String, Failures>, key: &str, now: i64) -> i64 {
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
    let counted = Failures::after_failure(failures.get(key).copied(), now, window);
    failures.insert(key.to_owned(), counted);
    counted.since
}
