//! Users, sessions and API tokens in sled.
//!
//! Secrets are never stored: a session or token is kept under the SHA-256 of its secret, and a
//! password as its argon2id hash (computed by `crate::app::users`). Records are JSON. Writes that a
//! user is told about (user changes, new sessions and tokens, revocations) flush before they
//! return; the "last seen" stamp of a session is written without a flush: losing it in a crash
//! makes the session look idle for longer, so it can only expire sooner, never later.

use serde::{Deserialize, Serialize};

use super::{decode, encode, Store, StoreError};
use crate::domain::policy::Role;

/// Tree `users`: key = user name (UTF-8), value = JSON [`UserRecord`].
pub const USERS_TREE: &str = "users";
/// Tree `sessions`: key = SHA-256 of the session secret, value = JSON [`SessionRecord`].
pub const SESSIONS_TREE: &str = "sessions";
/// Tree `api_tokens`: key = SHA-256 of the token secret, value = JSON [`ApiTokenRecord`].
pub const API_TOKENS_TREE: &str = "api_tokens";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub name: String,
    pub role: Role,
    /// PHC string of the argon2id hash.
    pub password_hash: String,
    pub disabled: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339 of the last change of password, role or state.
    pub updated_at: String,
    /// Job title and level as courses name their audience, e.g. `销售代表 L1`.
    #[serde(default)]
    pub position: Option<String>,
    /// Sales region, e.g. `华东`: campaigns may target one.
    #[serde(default)]
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub user: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last request (updated at most once a minute).
    pub last_seen: i64,
    /// The per-session token forms carry against cross-site requests.
    pub csrf: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenRecord {
    /// Public id (shown in lists, used to revoke); not the secret.
    pub id: String,
    pub user: String,
    pub label: String,
    /// RFC 3339.
    pub created_at: String,
    /// Unix seconds of the last use (updated at most once a minute).
    pub last_used: Option<i64>,
}

fn hex_key(hash: &[u8]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    pub fn get_user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        match self.users.get(name.as_bytes())? {
            Some(bytes) => Ok(Some(decode(USERS_TREE, name.as_bytes(), &bytes)?)),
            None => Ok(None),
        }
    }

    /// Every user, ordered by name.
    pub fn list_users(&self) -> Result<Vec<UserRecord>, StoreError> {
        self.users
            .iter()
            .map(|entry| {
                let (key, value) = entry?;
                decode(USERS_TREE, &key, &value)
            })
            .collect()
    }

    /// Inserts or replaces a user, durably.
    pub fn put_user(&self, user: &UserRecord) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        let bytes = encode(USERS_TREE, &user.name, user)?;
        self.users.insert(user.name.as_bytes(), bytes)?;
        self.flush()
    }

    /// Inserts `user` only if no user of that name exists; `false` if one does. Durable.
    pub fn insert_new_user(&self, user: &UserRecord) -> Result<bool, StoreError> {
        let _gate = self.write_gate();
        let bytes = encode(USERS_TREE, &user.name, user)?;
        let swapped = self
            .users
            .compare_and_swap(user.name.as_bytes(), None, Some(bytes))?;
        self.flush()?;
        Ok(swapped)
    }

    /// Replaces a user and, in the same sled transaction, ends every session of theirs (and
    /// with `revoke_tokens` revokes their API tokens) and stores `new_session` (the caller's own
    /// after a password change), durably: after a crash either all of it is stored or none of
    /// it — never a new password with the old sessions or tokens still valid.
    pub fn put_user_ending_access(
        &self,
        user: &UserRecord,
        revoke_tokens: bool,
        new_session: Option<(&[u8], &SessionRecord)>,
    ) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        let bytes = encode(USERS_TREE, &user.name, user)?;
        let mut sessions = Vec::new();
        for entry in self.sessions.iter() {
            let (key, value) = entry?;
            // An unreadable session record is ended too: it can never be used.
            match decode::<SessionRecord>(SESSIONS_TREE, &key, &value) {
                Ok(session) if session.user != user.name => {}
                _ => sessions.push(key),
            }
        }
        let new_session = match new_session {
            Some((hash, session)) => Some((hash, encode(SESSIONS_TREE, &hex_key(hash), session)?)),
            None => None,
        };
        let mut tokens = Vec::new();
        if revoke_tokens {
            for entry in self.api_tokens.iter() {
                let (key, value) = entry?;
                let token: ApiTokenRecord = decode(API_TOKENS_TREE, &key, &value)?;
                if token.user == user.name {
                    tokens.push(key);
                }
            }
        }
        let written = self
            .kv
            .transaction(&[&self.users, &self.sessions, &self.api_tokens], |tx| {
                tx.insert(&self.users, user.name.as_bytes(), &bytes)?;
                for key in &sessions {
                    tx.remove(&self.sessions, key)?;
                }
                if let Some((hash, bytes)) = &new_session {
                    tx.insert(&self.sessions, hash, bytes)?;
                }
                for key in &tokens {
                    tx.remove(&self.api_tokens, key)?;
                }
                Ok::<(), super::TxError<()>>(())
            });
        super::kv::transaction_result(written)?;
        self.flush()
    }

    pub fn get_session(&self, hash: &[u8]) -> Result<Option<SessionRecord>, StoreError> {
        match self.sessions.get(hash)? {
            Some(bytes) => Ok(Some(decode(
                SESSIONS_TREE,
                hex_key(hash).as_bytes(),
                &bytes,
            )?)),
            None => Ok(None),
        }
    }

    /// Stores a new session, durably.
    pub fn put_session(&self, hash: &[u8], session: &SessionRecord) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        self.sessions
            .insert(hash, encode(SESSIONS_TREE, &hex_key(hash), session)?)?;
        self.flush()
    }

    /// Stores a new session and, in the same transaction, ends the one it replaces (the session
    /// a sign-in arrived with), durably.
    pub fn replace_session(
        &self,
        previous: Option<&[u8]>,
        hash: &[u8],
        session: &SessionRecord,
    ) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        let bytes = encode(SESSIONS_TREE, &hex_key(hash), session)?;
        let written = self.kv.transaction(&[&self.sessions], |tx| {
            if let Some(previous) = previous {
                tx.remove(&self.sessions, previous)?;
            }
            tx.insert(&self.sessions, hash, &bytes)?;
            Ok::<(), super::TxError<()>>(())
        });
        super::kv::transaction_result(written)?;
        self.flush()
    }

    /// Updates a session's last-seen stamp without waiting for the disk.
    pub fn touch_session(&self, hash: &[u8], session: &SessionRecord) -> Result<(), StoreError> {
        self.sessions
            .insert(hash, encode(SESSIONS_TREE, &hex_key(hash), session)?)?;
        Ok(())
    }

    /// Ends one session, durably.
    pub fn remove_session(&self, hash: &[u8]) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        self.sessions.remove(hash)?;
        self.flush()
    }

    /// Ends every session for which `end` is true (a user's on password change; expired ones),
    /// durably. Returns how many ended.
    pub fn remove_sessions_where(
        &self,
        end: impl Fn(&SessionRecord) -> bool,
    ) -> Result<usize, StoreError> {
        let _gate = self.write_gate();
        let mut ended = 0;
        for entry in self.sessions.iter() {
            let (key, value) = entry?;
            // An unreadable session record is ended too: it can never be used.
            let remove = match decode::<SessionRecord>(SESSIONS_TREE, &key, &value) {
                Ok(session) => end(&session),
                Err(_) => true,
            };
            if remove {
                self.sessions.remove(&key)?;
                ended += 1;
            }
        }
        self.flush()?;
        Ok(ended)
    }

    pub fn get_api_token(&self, hash: &[u8]) -> Result<Option<ApiTokenRecord>, StoreError> {
        match self.api_tokens.get(hash)? {
            Some(bytes) => Ok(Some(decode(
                API_TOKENS_TREE,
                hex_key(hash).as_bytes(),
                &bytes,
            )?)),
            None => Ok(None),
        }
    }

    /// Stores a token, durably.
    pub fn put_api_token(&self, hash: &[u8], token: &ApiTokenRecord) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        self.api_tokens
            .insert(hash, encode(API_TOKENS_TREE, &token.id, token)?)?;
        self.flush()
    }

    /// Updates a token's last-used stamp without waiting for the disk.
    pub fn touch_api_token(&self, hash: &[u8], token: &ApiTokenRecord) -> Result<(), StoreError> {
        self.api_tokens
            .insert(hash, encode(API_TOKENS_TREE, &token.id, token)?)?;
        Ok(())
    }

    /// Every token of `user` (all users for `None`), oldest first.
    pub fn list_api_tokens(&self, user: Option<&str>) -> Result<Vec<ApiTokenRecord>, StoreError> {
        let mut tokens = Vec::new();
        for entry in self.api_tokens.iter() {
            let (key, value) = entry?;
            let token: ApiTokenRecord = decode(API_TOKENS_TREE, &key, &value)?;
            if user.is_none_or(|u| u == token.user) {
                tokens.push(token);
            }
        }
        tokens.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(tokens)
    }

    /// Revokes every token for which `revoke` is true, durably; returns how many.
    pub fn remove_api_tokens_where(
        &self,
        revoke: impl Fn(&ApiTokenRecord) -> bool,
    ) -> Result<usize, StoreError> {
        let _gate = self.write_gate();
        let mut removed = 0;
        for entry in self.api_tokens.iter() {
            let (key, value) = entry?;
            let token: ApiTokenRecord = decode(API_TOKENS_TREE, &key, &value)?;
            if revoke(&token) {
                self.api_tokens.remove(&key)?;
                removed += 1;
            }
        }
        self.flush()?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> UserRecord {
        UserRecord {
            name: name.to_owned(),
            role: Role::Rep,
            password_hash: "$argon2id$fake".to_owned(),
            disabled: false,
            created_at: "2026-01-01T00:00:00Z".to_owned(),
            updated_at: "2026-01-01T00:00:00Z".to_owned(),
            position: None,
            region: None,
        }
    }

    #[test]
    fn users_sessions_and_tokens_round_trip_and_can_be_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert!(store.insert_new_user(&user("ann")).unwrap());
        assert!(
            !store.insert_new_user(&user("ann")).unwrap(),
            "names are unique"
        );
        store.put_user(&user("bob")).unwrap();
        let names: Vec<String> = store
            .list_users()
            .unwrap()
            .into_iter()
            .map(|u| u.name)
            .collect();
        assert_eq!(names, ["ann", "bob"]);

        let session = SessionRecord {
            user: "ann".into(),
            created_at: 1,
            last_seen: 1,
            csrf: "c".into(),
        };
        store.put_session(b"h1", &session).unwrap();
        store
            .put_session(
                b"h2",
                &SessionRecord {
                    user: "bob".into(),
                    ..session.clone()
                },
            )
            .unwrap();
        assert_eq!(store.get_session(b"h1").unwrap(), Some(session));
        assert_eq!(store.remove_sessions_where(|s| s.user == "ann").unwrap(), 1);
        assert_eq!(store.get_session(b"h1").unwrap(), None);
        assert!(store.get_session(b"h2").unwrap().is_some());

        let token = ApiTokenRecord {
            id: "t1".into(),
            user: "ann".into(),
            label: "script".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            last_used: None,
        };
        store.put_api_token(b"k1", &token).unwrap();
        assert_eq!(
            store.list_api_tokens(Some("ann")).unwrap(),
            std::slice::from_ref(&token)
        );
        assert!(store.list_api_tokens(Some("bob")).unwrap().is_empty());
        assert_eq!(store.remove_api_tokens_where(|t| t.id == "t1").unwrap(), 1);
        assert_eq!(store.get_api_token(b"k1").unwrap(), None);
    }

    #[test]
    fn a_user_change_ends_only_that_users_sessions_and_tokens_in_one_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.put_user(&user("ann")).unwrap();
        store.put_user(&user("bob")).unwrap();
        let session = |name: &str| SessionRecord {
            user: name.into(),
            created_at: 1,
            last_seen: 1,
            csrf: "c".into(),
        };
        store.put_session(b"ann1", &session("ann")).unwrap();
        store.put_session(b"bob1", &session("bob")).unwrap();
        let token = |id: &str, name: &str| ApiTokenRecord {
            id: id.into(),
            user: name.into(),
            label: "l".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            last_used: None,
        };
        store.put_api_token(b"tann", &token("t1", "ann")).unwrap();
        store.put_api_token(b"tbob", &token("t2", "bob")).unwrap();

        let mut changed = user("ann");
        changed.password_hash = "$argon2id$new".into();
        store.put_user_ending_access(&changed, false, None).unwrap();
        assert_eq!(store.get_user("ann").unwrap(), Some(changed.clone()));
        assert_eq!(store.get_session(b"ann1").unwrap(), None);
        assert!(store.get_session(b"bob1").unwrap().is_some());
        assert!(
            store.get_api_token(b"tann").unwrap().is_some(),
            "tokens kept"
        );

        changed.disabled = true;
        store.put_user_ending_access(&changed, true, None).unwrap();
        assert_eq!(store.get_api_token(b"tann").unwrap(), None);
        assert!(store.get_api_token(b"tbob").unwrap().is_some());
    }

    #[test]
    fn a_password_change_can_keep_the_caller_signed_in_with_a_new_session_in_the_same_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.put_user(&user("ann")).unwrap();
        let session = SessionRecord {
            user: "ann".into(),
            created_at: 1,
            last_seen: 1,
            csrf: "c".into(),
        };
        store.put_session(b"old", &session).unwrap();

        store
            .put_user_ending_access(&user("ann"), true, Some((b"new", &session)))
            .unwrap();

        assert_eq!(store.get_session(b"old").unwrap(), None);
        assert_eq!(store.get_session(b"new").unwrap(), Some(session));
    }

    #[test]
    fn a_new_session_can_end_the_one_it_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let session = SessionRecord {
            user: "ann".into(),
            created_at: 1,
            last_seen: 1,
            csrf: "c".into(),
        };
        store.put_session(b"old", &session).unwrap();
        store.put_session(b"other", &session).unwrap();

        store
            .replace_session(Some(b"old"), b"new", &session)
            .unwrap();
        store
            .replace_session(Some(b"unknown"), b"newer", &session)
            .unwrap();

        assert_eq!(store.get_session(b"old").unwrap(), None);
        assert!(store.get_session(b"new").unwrap().is_some());
        assert!(store.get_session(b"newer").unwrap().is_some());
        assert!(
            store.get_session(b"other").unwrap().is_some(),
            "others stay"
        );
    }
}
