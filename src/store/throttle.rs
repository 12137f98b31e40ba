//! Sign-in throttle counters kept in the store, for nodes sharing one (PostgreSQL): a limit
//! then holds across nodes, whichever one an attempt reaches. A single node keeps its counters
//! in memory (`app::users`); the rules are the same.
//!
//! Tree `throttle`: key = the counter's name (`user:NAME`, `client:ADDRESS`), value = failures
//! (u32 big-endian) and the start of their window (Unix seconds, i64 big-endian). Not flushed on
//! its own and not backed up: a lost counter only forgets recent failures.

use super::kv::{TransactionError, TxError};
use super::{Store, StoreError};
use crate::domain::throttle::Failures;

pub const THROTTLE_TREE: &str = "throttle";

fn decode(bytes: &[u8]) -> Option<Failures> {
    let count = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?);
    let since = i64::from_be_bytes(bytes.get(4..12)?.try_into().ok()?);
    Some(Failures { count, since })
}

fn encode(f: Failures) -> Vec<u8> {
    let mut out = f.count.to_be_bytes().to_vec();
    out.extend_from_slice(&f.since.to_be_bytes());
    out
}

impl Store {
    /// Counts an attempt as a failure for each `(key, limit)` in one transaction, unless one of
    /// the keys has reached its limit within `window` seconds: then nothing is counted and the
    /// answer is `Err(seconds to wait)`. `Ok` holds the start of each key's window.
    pub fn count_attempt(
        &self,
        keys: &[(&str, u32)],
        now: i64,
        window: i64,
    ) -> Result<Result<Vec<i64>, u64>, StoreError> {
        let counted = self.kv.transaction(&[&self.throttle], |tx| {
            let mut current = Vec::with_capacity(keys.len());
            for (key, limit) in keys {
                let entry = tx.get(&self.throttle, key)?.and_then(|b| decode(&b));
                if let Some(wait) = entry.and_then(|f| f.wait(*limit, now, window)) {
                    return Err(TxError::Abort(wait));
                }
                current.push(entry);
            }
            let mut starts = Vec::with_capacity(keys.len());
            for ((key, _), entry) in keys.iter().zip(current) {
                let counted = Failures::after_failure(entry, now, window);
                tx.insert(&self.throttle, key, encode(counted))?;
                starts.push(counted.since);
            }
            Ok(starts)
        });
        match counted {
            Ok(starts) => Ok(Ok(starts)),
            Err(TransactionError::Abort(wait)) => Ok(Err(wait)),
            Err(TransactionError::Storage(e)) => Err(e),
        }
    }

    /// Takes back one failure counted for `key` in the window that started at `since`.
    pub fn give_back_attempt(&self, key: &str, since: i64) -> Result<(), StoreError> {
        let given = self.kv.transaction(&[&self.throttle], |tx| {
            if let Some(f) = tx.get(&self.throttle, key)?.and_then(|b| decode(&b)) {
                match f.after_give_back(since) {
                    Some(left) => tx.insert(&self.throttle, key, encode(left))?,
                    None => tx.remove(&self.throttle, key)?,
                }
            }
            Ok::<(), TxError<()>>(())
        });
        super::kv::transaction_result(given)
    }

    /// Forgets `key`'s failures.
    pub fn clear_attempts(&self, key: &str) -> Result<(), StoreError> {
        self.throttle.remove(key)?;
        Ok(())
    }

    /// Drops counters whose window ended; returns how many.
    pub fn prune_attempts(&self, now: i64, window: i64) -> Result<usize, StoreError> {
        let mut expired = super::kv::Batch::default();
        let mut n = 0;
        for entry in self.throttle.iter() {
            let (key, value) = entry?;
            if decode(&value).is_none_or(|f| now - f.since >= window) {
                expired.remove(key);
                n += 1;
            }
        }
        self.throttle.apply_batch(expired)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_holds_and_an_expired_window_starts_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let keys = [("user:a", 2), ("client:x", 10)];
        assert_eq!(
            store.count_attempt(&keys, 100, 60).unwrap(),
            Ok(vec![100, 100])
        );
        assert_eq!(
            store.count_attempt(&keys, 110, 60).unwrap(),
            Ok(vec![100, 100])
        );
        // The user's limit is reached: nothing more is counted, and the wait is what is left.
        assert_eq!(store.count_attempt(&keys, 120, 60).unwrap(), Err(40));
        store.give_back_attempt("user:a", 100).unwrap();
        assert_eq!(
            store.count_attempt(&keys, 121, 60).unwrap(),
            Ok(vec![100, 100])
        );
        // A window that is over starts again.
        assert_eq!(
            store.count_attempt(&keys, 200, 60).unwrap(),
            Ok(vec![200, 200])
        );
        store.clear_attempts("user:a").unwrap();
        assert_eq!(store.prune_attempts(200, 60).unwrap(), 0);
        assert_eq!(store.prune_attempts(300, 60).unwrap(), 1, "client:x");
    }
}
