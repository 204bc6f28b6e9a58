//! Scheduled crawling inside `crosswalk serve`.
//!
//! Each enabled source runs on its [`Schedule`](crate::source::Schedule) (six-field cron, seconds
//! first, UTC) with a random delay of up to [`MAX_JITTER`] so sources sharing a schedule do not
//! hit hosts together. One more job sweeps, every minute, the sources whose transient failure was
//! rescheduled (their next attempt time has come). The scheduler is a consumer of the graph's
//! change feed: when the registry changes it adds jobs for sources registered or rescheduled
//! since; every job re-reads the registry when it fires and does nothing when its source was
//! removed, paused or given another schedule (so jobs never need removing). Overlapping runs of
//! one source are refused by the crawler itself.
//!
//! What a job runs is a [`Crawl`]: the crawler implements it, so this module knows the registry
//! but not how a source is fetched.
//!
//! Entry point: [`Scheduler::start`].

use crate::graph::Graph;
use crate::graph::feed::{Consumer, ConsumerError};
use crate::source::{self, Schedule};
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

/// Upper bound of the random delay added to each scheduled run.
pub const MAX_JITTER: Duration = Duration::from_secs(30);
/// How often rescheduled retries are looked for.
const RETRY_SWEEP: &str = "0 * * * * *";

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("scheduler: {0}")]
    Scheduler(#[from] JobSchedulerError),
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
}

/// A future a scheduled job awaits.
pub type Run<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// What scheduled jobs do: crawl a source now, and say which retries are due.
pub trait Crawl: Send + Sync + 'static {
    /// Crawls one source now; failures are the crawler's to record.
    fn crawl<'a>(&'a self, source: &'a str) -> Run<'a>;

    /// Sources whose rescheduled retry is due at `now` (Unix seconds).
    fn due_retries(&self, now: i64) -> Vec<String>;
}

pub struct Scheduler {
    inner: JobScheduler,
    graph: Graph,
    target: Arc<dyn Crawl>,
    /// (source id, schedule) pairs that have a job.
    scheduled: tokio::sync::Mutex<HashSet<(String, String)>>,
    /// The graph revision whose registry the jobs reflect.
    revision: AtomicU64,
    /// The runtime the jobs run on, for catch-ups called from blocking threads.
    runtime: tokio::runtime::Handle,
}

impl Scheduler {
    /// Creates the scheduler with the retry sweep and one job per enabled source, and starts it.
    /// Must be called on the runtime the jobs are to run on.
    pub async fn start(graph: Graph, target: Arc<dyn Crawl>) -> Result<Self, ScheduleError> {
        let inner = JobScheduler::new().await?;
        let sweep_target = target.clone();
        inner
            .add(Job::new_async(RETRY_SWEEP, move |_, _| {
                let target = sweep_target.clone();
                Box::pin(async move {
                    for id in target.due_retries(chrono::Utc::now().timestamp()) {
                        target.crawl(&id).await;
                    }
                })
            })?)
            .await?;
        inner.start().await?;
        let scheduler = Self {
            inner,
            graph,
            target,
            scheduled: tokio::sync::Mutex::new(HashSet::new()),
            revision: AtomicU64::new(0),
            runtime: tokio::runtime::Handle::current(),
        };
        scheduler.sync().await?;
        Ok(scheduler)
    }

    /// Adds jobs for enabled sources without one for their current schedule. Returns how many.
    pub async fn sync(&self) -> Result<usize, ScheduleError> {
        let revision = self.graph.revision();
        let sources = source::list(&self.graph)?;
        let mut scheduled = self.scheduled.lock().await;
        let mut added = 0;
        for source in sources.into_iter().filter(|s| s.enabled) {
            // An invalid stored schedule was logged by the registry; the source is not run.
            let Some(schedule) = source.schedule else {
                continue;
            };
            let key = (source.id.clone(), schedule.as_str().to_owned());
            if scheduled.contains(&key) {
                continue;
            }
            self.inner.add(self.job(source.id, schedule)?).await?;
            scheduled.insert(key);
            added += 1;
        }
        self.revision.store(revision, Ordering::SeqCst);
        if added > 0 {
            tracing::info!(added, "crawl schedules synchronised");
        }
        Ok(added)
    }

    fn job(&self, id: String, expected: Schedule) -> Result<Job, ScheduleError> {
        let (graph, target) = (self.graph.clone(), self.target.clone());
        let expression = expected.as_str().to_owned();
        Ok(Job::new_async(expression, move |_, _| {
            let (graph, target) = (graph.clone(), target.clone());
            let (id, expected) = (id.clone(), expected.clone());
            Box::pin(async move {
                // The registry may have changed since this job was created.
                let still_due = source::get(&graph, &id)
                    .is_ok_and(|s| s.enabled && s.schedule.as_ref() == Some(&expected));
                if !still_due {
                    return;
                }
                tokio::time::sleep(MAX_JITTER.mul_f64(fastrand::f64())).await;
                target.crawl(&id).await;
            })
        })?)
    }

    pub async fn shutdown(&self) {
        let _ = self.inner.clone().shutdown().await;
    }
}

impl Consumer for Scheduler {
    fn name(&self) -> &'static str {
        "schedules"
    }

    fn revision(&self) -> u64 {
        self.revision.load(Ordering::SeqCst)
    }

    fn catch_up(&self, graph: &Graph) -> Result<u64, ConsumerError> {
        if self.revision() == graph.revision() {
            return Ok(self.revision());
        }
        // The change feed runs on a blocking thread; the jobs belong to the serving runtime.
        self.runtime.block_on(self.sync())?;
        Ok(self.revision())
    }
}
