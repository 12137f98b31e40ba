//! The sign-in throttle counters and the password gate: argon2 work on a few threads of its own, a
//! short queue with a deadline, then busy.

use super::*;

pub(super) use crate::domain::throttle::Failures;

/// Runs the argon2 work (hashes and checks) on a few threads of its own: at most `slots` at
/// once, at most `max_waiting` more queued, none started after waiting `max_wait`; past that,
/// [`AuthError::Busy`]. Own threads rather than the callers' (the web layer's blocking pool,
/// hundreds of threads): the allocator keeps a freed 19 MiB block in the arena of the thread
/// that used it, so argon2 on many threads holds memory per thread long after the work is done
/// (measured: 18 checks, 2 at a time, on 18 pool threads left 394 MiB resident; on 2 threads
/// of their own, under 120).
pub(super) struct PasswordGate {
    pub(super) queue: std::sync::mpsc::SyncSender<PasswordJob>,
    pub(super) max_wait: Duration,
    /// Jobs accepted and not yet started.
    pub(super) waiting: Arc<std::sync::atomic::AtomicUsize>,
}

/// One unit of argon2 work, dropped unrun if it waited past its deadline (the caller then
/// hears "busy").
pub(super) struct PasswordJob {
    pub(super) deadline: Instant,
    pub(super) work: Box<dyn FnOnce() + Send>,
}

impl PasswordGate {
    /// Starts `slots` threads; they end when the gate is dropped.
    pub(super) fn new(slots: usize, max_waiting: usize, max_wait: Duration) -> PasswordGate {
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
    pub(super) fn run<T: Send + 'static>(
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
    pub(super) fn waiting(&self) -> usize {
        self.waiting.load(std::sync::atomic::Ordering::SeqCst)
    }
}
