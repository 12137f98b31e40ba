//! The sign-in throttle's rule, wherever its counters are kept: in memory on one node
//! (`app::users`), in the store when nodes share one (`store::throttle`).

/// Failed attempts counted for one key (a user name, a client address) since the start of
/// their window (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    pub since: i64,
}

impl Failures {
    /// Seconds to wait before another attempt, when `limit` failures fell within the
    /// `window` (seconds) that is still running at `now`; `None`: an attempt may be made.
    pub fn wait(&self, limit: u32, now: i64, window: i64) -> Option<u64> {
        (self.count >= limit && now - self.since < window)
            .then(|| (window - (now - self.since)).max(1) as u64)
    }

    /// The counter after one more failure at `now`: counted in the running window, or the first
    /// of a new one when there is none or it is over.
    pub fn after_failure(current: Option<Failures>, now: i64, window: i64) -> Failures {
        match current {
            Some(f) if now - f.since < window => Failures {
                count: f.count + 1,
                since: f.since,
            },
            _ => Failures {
                count: 1,
                since: now,
            },
        }
    }

    /// The counter after giving back one failure counted in the window that started at
    /// `since` (a window started again since keeps its count); `None` when none is left.
    pub fn after_give_back(self, since: i64) -> Option<Failures> {
        if self.since != since {
            return Some(self);
        }
        (self.count > 1).then_some(Failures {
            count: self.count - 1,
            since,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_within_the_window_waits_and_a_new_window_starts_afresh() {
        let first = Failures::after_failure(None, 100, 60);
        assert_eq!(
            first,
            Failures {
                count: 1,
                since: 100
            }
        );
        let second = Failures::after_failure(Some(first), 110, 60);
        assert_eq!(
            second,
            Failures {
                count: 2,
                since: 100
            }
        );
        assert_eq!(second.wait(2, 120, 60), Some(40));
        assert_eq!(second.wait(3, 120, 60), None, "below the limit");
        assert_eq!(second.wait(2, 160, 60), None, "the window is over");
        assert_eq!(
            Failures::after_failure(Some(second), 160, 60),
            Failures {
                count: 1,
                since: 160
            }
        );
        assert_eq!(second.after_give_back(100), Some(first));
        assert_eq!(first.after_give_back(100), None);
        assert_eq!(second.after_give_back(50), Some(second), "another window's");
    }
}
