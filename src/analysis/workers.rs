//! Threads kept for the analysis of API requests: one per core, for the life of the process.
//!
//! On tokio's blocking pool each request's analysis ran on whichever thread was free, often
//! another than the last one, with its own allocator heap and stack to bring back into the
//! cache, and as many at once as there were requests, all switching in and out on the same
//! cores. Here a request's analysis waits in a queue (holding no thread) until one of a fixed
//! set of threads takes it; with one core, every analysis runs on the same thread.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// The analysis threads, and the queue in front of them.
pub struct Workers {
    jobs: mpsc::Sender<Job>,
    threads: usize,
}

/// A job that did not run to its end: it panicked, or there is no thread to run it.
#[derive(Debug, thiserror::Error)]
#[error("the analysis did not finish: {0}")]
pub struct Unfinished(&'static str);

impl Workers {
    /// Starts `threads` threads (`analysis-0`, …). A thread that cannot be started is logged
    /// and left out; with none, jobs run on tokio's blocking pool instead.
    pub fn new(threads: usize) -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let mut started = 0;
        for i in 0..threads {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("analysis-{i}"))
                .spawn(move || loop {
                    // The lock is held only while waiting for the next job, not while it runs.
                    let job = match rx.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        // Every sender is gone: the process is ending.
                        Err(_) => return,
                    }
                });
            match spawned {
                Ok(_) => started += 1,
                Err(e) => tracing::error!(error = %e, "cannot start an analysis thread"),
            }
        }
        Self {
            jobs: tx,
            threads: started,
        }
    }

    /// Runs `work` on one of the threads and waits for its result without holding one of
    /// the async workers. If the caller stops waiting (its client went away) before the job
    /// starts, the job is skipped.
    pub async fn run<R: Send + 'static>(
        &self,
        work: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, Unfinished> {
        if self.threads == 0 {
            return tokio::task::spawn_blocking(work)
                .await
                .map_err(|_| Unfinished("the job panicked"));
        }
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            if tx.is_closed() {
                return;
            }
            // A panic ends the job, not the thread.
            let _ = tx.send(catch_unwind(AssertUnwindSafe(work)));
        });
        self.jobs
            .send(job)
            .map_err(|_| Unfinished("no analysis thread is running"))?;
        match rx.await {
            Ok(Ok(result)) => Ok(result),
            Ok(Err(_)) => Err(Unfinished("the job panicked")),
            Err(_) => Err(Unfinished("no analysis thread is running")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_survives_a_panicking_one() {
        let workers = Workers::new(1);
        assert_eq!(workers.run(|| 2 + 2).await.unwrap(), 4);
        let name = workers
            .run(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert_eq!(name.as_deref(), Some("analysis-0"));
        let failed = workers.run(|| -> u8 { panic!("a bad text") }).await;
        assert!(failed.is_err());
        // The same thread goes on.
        let again = workers
            .run(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert_eq!(again, name);
    }

    #[tokio::test]
    async fn many_callers_at_once_each_get_their_own_result() {
        let workers = Arc::new(Workers::new(2));
        let calls = (0..64u64).map(|i| {
            let workers = workers.clone();
            tokio::spawn(async move { workers.run(move || i * i).await.unwrap() })
        });
        for (i, call) in calls.enumerate() {
            assert_eq!(call.await.unwrap(), (i * i) as u64);
        }
    }
}
