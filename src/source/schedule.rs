//! When a source is crawled: a six-field cron expression (seconds first, UTC, day-of-month AND
//! day-of-week), checked with the parser the scheduler itself uses (croner, configured as
//! tokio-cron-scheduler configures it), so a schedule the registry accepts is one that runs.

use chrono::{DateTime, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds};

/// Daily at 04:00 UTC: the schedule of a source registered without one.
const DEFAULT: &str = "0 0 4 * * *";

#[derive(Debug, thiserror::Error)]
#[error(
    "invalid schedule {expression:?}: expected six cron fields (sec min hour day-of-month month day-of-week), e.g. \"0 0 4 * * *\""
)]
pub struct InvalidSchedule {
    pub expression: String,
}

/// A parsed, valid crawl schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    expression: String,
    cron: Cron,
}

impl Schedule {
    pub fn parse(expression: &str) -> Result<Self, InvalidSchedule> {
        let invalid = || InvalidSchedule {
            expression: expression.into(),
        };
        let expression = expression.trim();
        // A 5-field (Vixie) expression would be refused too, but with a less helpful message.
        if !(6..=7).contains(&expression.split_whitespace().count()) {
            return Err(invalid());
        }
        let cron = parser().parse(expression).map_err(|_| invalid())?;
        Ok(Self {
            expression: expression.to_owned(),
            cron,
        })
    }

    /// The expression as written (what the scheduler is given).
    pub fn as_str(&self) -> &str {
        &self.expression
    }

    /// The first run strictly after `time`.
    pub fn next_after(&self, time: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&time, false).ok()
    }
}

impl Default for Schedule {
    fn default() -> Self {
        Self::parse(DEFAULT).expect("the default schedule is valid")
    }
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.expression == other.expression
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.expression)
    }
}

impl serde::Serialize for Schedule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.expression)
    }
}

/// The parser tokio-cron-scheduler builds for `Job::new_async`.
fn parser() -> CronParser {
    CronParser::builder()
        .seconds(Seconds::Required)
        .dom_and_dow(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_field_cron_only() {
        for ok in [
            "0 0 4 * * *",
            "0 7 2 1 * *",
            "0 0 3 * * Mon",
            "0 */15 * * * Mon-Fri",
        ] {
            assert!(Schedule::parse(ok).is_ok(), "{ok}");
        }
        // Five fields (Vixie cron) and garbage are refused with a hint.
        let err = Schedule::parse("0 4 * * *").unwrap_err();
        assert!(err.to_string().contains("six cron fields"));
        assert!(Schedule::parse("every day").is_err());
        assert!(Schedule::parse("0 61 * * * *").is_err());
    }

    #[test]
    fn what_the_registry_accepts_the_scheduler_accepts() {
        for expression in ["0 0 4 * * *", "0 30 1 * * Sun", "0 0 */6 * * *"] {
            Schedule::parse(expression).unwrap();
            tokio_cron_scheduler::Job::new_async(expression, |_, _| Box::pin(async {}))
                .unwrap_or_else(|e| panic!("{expression}: {e}"));
        }
    }

    #[test]
    fn next_run_of_the_default_is_four_in_the_morning() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T05:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let next = Schedule::default().next_after(at).unwrap();
        assert_eq!(next.to_rfc3339(), "2026-12-02T04:00:00+00:00");
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
            Schedule::parse(expr).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
        assert!(n > 10, "only {n} schedules found");
    }
}
