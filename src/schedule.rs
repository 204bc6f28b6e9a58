//! Scheduled crawling inside `crosswalk serve`.
//!
//! Each enabled source runs on its own six-field cron expression (seconds first, UTC;
//! tokio-cron-scheduler's syntax, day-of-month AND day-of-week) with a random delay of up to
//! [`MAX_JITTER`] so sources sharing a schedule do not hit hosts together. One more job sweeps,
//! every minute, the sources whose transient failure was rescheduled (their next attempt time,
//! kept in the ops database, has come). [`Scheduler::sync`] adds jobs for sources registered or
//! rescheduled since; every job re-reads the registry when it fires and does nothing when its
//! source was removed, paused or given another schedule (so jobs never need removing).
//! Overlapping runs of one source are refused by the crawler itself.
//!
//! Entry points: [`parse`] (validation) and [`Scheduler`].

use crate::crawl::{CrawlReport, Crawler};
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

/// Upper bound of the random delay added to each scheduled run.
pub const MAX_JITTER: Duration = Duration::from_secs(30);
/// How often rescheduled retries are looked for.
const RETRY_SWEEP: &str = "0 * * * * *";

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "invalid schedule {expression:?}: expected six cron fields (sec min hour day-of-month month day-of-week), e.g. \"0 0 4 * * *\""
    )]
    Invalid { expression: String },
    #[error("scheduler: {0}")]
    Scheduler(#[from] JobSchedulerError),
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
}

/// Checks a cron expression with the same parser the scheduler uses.
pub fn parse(expression: &str) -> Result<(), ScheduleError> {
    let fields = expression.split_whitespace().count();
    // A 5-field expression would be rejected too, but with a less helpful message.
    if !(6..=7).contains(&fields) {
        return Err(ScheduleError::Invalid {
            expression: expression.into(),
        });
    }
    Job::new_async(expression, |_, _| Box::pin(async {}))
        .map(|_| ())
        .map_err(|_| ScheduleError::Invalid {
            expression: expression.into(),
        })
}

/// Called with each scheduled crawl's report (the server refreshes derived state with it).
pub type OnReport =
    Arc<dyn Fn(CrawlReport) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

pub struct Scheduler {
    inner: JobScheduler,
    crawler: Arc<Crawler>,
    on_report: OnReport,
    /// (source id, schedule) pairs that have a job.
    scheduled: tokio::sync::Mutex<HashSet<(String, String)>>,
}

impl Scheduler {
    /// Creates the scheduler with the retry sweep and one job per enabled source, and starts it.
    pub async fn start(crawler: Arc<Crawler>, on_report: OnReport) -> Result<Self, ScheduleError> {
        let inner = JobScheduler::new().await?;
        let sweep_crawler = crawler.clone();
        let sweep_report = on_report.clone();
        inner
            .add(Job::new_async(RETRY_SWEEP, move |_, _| {
                let crawler = sweep_crawler.clone();
                let on_report = sweep_report.clone();
                Box::pin(async move {
                    let now = chrono::Utc::now().timestamp();
                    let due = match crawler.ops().due_retries(now) {
                        Ok(due) => due,
                        Err(error) => {
                            tracing::error!(%error, "retry sweep");
                            return;
                        }
                    };
                    for id in due {
                        if let Ok(report) = crawler.crawl_source(&id).await {
                            on_report(report).await;
                        }
                    }
                })
            })?)
            .await?;
        inner.start().await?;
        let scheduler = Self {
            inner,
            crawler,
            on_report,
            scheduled: tokio::sync::Mutex::new(HashSet::new()),
        };
        scheduler.sync().await?;
        Ok(scheduler)
    }

    /// Adds jobs for enabled sources without one for their current schedule. Returns how many.
    pub async fn sync(&self) -> Result<usize, ScheduleError> {
        let sources = crate::source::list(self.crawler.graph())?;
        let mut scheduled = self.scheduled.lock().await;
        let mut added = 0;
        for source in sources.into_iter().filter(|s| s.enabled) {
            let schedule = source
                .schedule
                .clone()
                .unwrap_or_else(|| crate::source::DEFAULT_SCHEDULE.into());
            if scheduled.contains(&(source.id.clone(), schedule.clone())) {
                continue;
            }
            if let Err(error) = parse(&schedule) {
                tracing::warn!(source = %source.id, %error, "source not scheduled");
                continue;
            }
            let crawler = self.crawler.clone();
            let on_report = self.on_report.clone();
            let (id, expected) = (source.id.clone(), schedule.clone());
            let job = Job::new_async(schedule.as_str(), move |_, _| {
                let crawler = crawler.clone();
                let on_report = on_report.clone();
                let (id, expected) = (id.clone(), expected.clone());
                Box::pin(async move {
                    // The registry may have changed since this job was created.
                    let current = crate::source::get(crawler.graph(), &id).ok();
                    let still_due = current.is_some_and(|s| {
                        s.enabled
                            && s.schedule
                                .as_deref()
                                .unwrap_or(crate::source::DEFAULT_SCHEDULE)
                                == expected
                    });
                    if !still_due {
                        return;
                    }
                    let jitter = MAX_JITTER.mul_f64(fastrand::f64());
                    tokio::time::sleep(jitter).await;
                    match crawler.crawl_source(&id).await {
                        Ok(report) => on_report(report).await,
                        Err(error) => tracing::error!(source = %id, %error, "scheduled crawl"),
                    }
                })
            })?;
            self.inner.add(job).await?;
            scheduled.insert((source.id, schedule));
            added += 1;
        }
        tracing::info!(added, "crawl schedules synchronised");
        Ok(added)
    }

    pub async fn shutdown(mut self) {
        let _ = self.inner.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_field_cron_only() {
        assert!(parse("0 0 4 * * *").is_ok());
        assert!(parse("0 7 2 1 * *").is_ok());
        assert!(parse("0 0 3 * * Mon").is_ok());
        assert!(parse("0 */15 * * * Mon-Fri").is_ok());
        // Five fields (Vixie cron) and garbage are refused with a hint.
        let err = parse("0 4 * * *").unwrap_err();
        assert!(err.to_string().contains("six cron fields"));
        assert!(parse("every day").is_err());
        assert!(parse("0 61 * * * *").is_err());
    }

    #[test]
    fn seeded_schedules_parse() {
        let seeds =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/sources.ttl"))
                .unwrap();
        let mut n = 0;
        for line in seeds
            .lines()
            .filter(|l| l.trim_start().starts_with("cw:schedule"))
        {
            let expr = line.split('"').nth(1).unwrap();
            parse(expr).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
        assert!(n > 10, "only {n} schedules found");
    }
}
