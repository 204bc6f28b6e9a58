//! Which change events a reader wants: the filters of `/api/changes`, of the Atom feed and of
//! alert subscriptions, read from query pairs or JSON and checked against the graph's codes.

use super::{Change, ChangesError};
use crate::graph::codes::Codes;
use crate::graph::names::ID;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Every `cw:changeKind` the tracker records.
pub const KINDS: &[&str] = &[
    "provision-added",
    "provision-modified",
    "provision-removed",
    "provision-renumbered",
    "obligation-added",
    "obligation-removed",
    "obligation-strengthened",
    "obligation-weakened",
    "addressee-changed",
    "date-moved",
    "source-baseline",
    "source-removed",
    "source-restored",
    "consolidated-version",
    "document-discovered",
];

/// Most values one filter field takes (every input is bounded).
pub const MAX_VALUES: usize = 64;
/// Longest value accepted.
const MAX_VALUE_BYTES: usize = 512;

/// A conjunction of fields; each list is a disjunction (any of its values), an empty list or
/// `None` no condition. After [`Filter::from_query`] or [`Filter::resolved`] the jurisdiction,
/// instrument, source, theme and role values are full IRIs of known terms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Filter {
    pub jurisdiction: Vec<String>,
    pub instrument: Vec<String>,
    pub source: Vec<String>,
    pub theme: Vec<String>,
    pub role: Vec<String>,
    /// Change kinds; matches the primary kind or an aspect.
    pub kind: Vec<String>,
    pub material: Option<bool>,
    /// Detected at or after `since`, and before `until`.
    #[serde(with = "optional_time")]
    pub since: Option<DateTime<Utc>>,
    #[serde(with = "optional_time")]
    pub until: Option<DateTime<Utc>>,
}

/// The query parameters the filter reads; `limit` and `cursor` (pagination) are left to the
/// caller and skipped.
pub const PARAMETERS: &str =
    "jurisdiction, instrument, source, theme, role, kind, material, since, until, limit, cursor";

impl Filter {
    /// Reads `?jurisdiction=EU&theme=transparency,content-provenance&kind=…&material=true&since=2026-01-01`:
    /// repeated keys and comma-separated values add alternatives; codes or full IRIs; dates as
    /// RFC 3339 or `YYYY-MM-DD` (`until` a date means the end of that day). An unknown
    /// parameter, code or kind is an error naming it, with the closest known ones.
    pub fn from_query<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
        codes: &Codes,
    ) -> Result<Self, ChangesError> {
        let mut filter = Filter::default();
        for (key, value) in pairs {
            let (key, value) = (key.as_ref(), value.as_ref());
            if value.len() > MAX_VALUE_BYTES {
                return Err(invalid(key, value, "value too long"));
            }
            let list = |v: &str| -> Vec<String> {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            };
            match key {
                "jurisdiction" => filter.jurisdiction.extend(list(value)),
                "instrument" => filter.instrument.extend(list(value)),
                "source" => filter.source.extend(list(value)),
                "theme" => filter.theme.extend(list(value)),
                "role" => filter.role.extend(list(value)),
                "kind" => filter.kind.extend(list(value)),
                "material" => {
                    filter.material = match value {
                        "true" | "1" | "yes" => Some(true),
                        "false" | "0" | "no" => Some(false),
                        "any" | "" => None,
                        _ => return Err(invalid(key, value, "expected true, false or any")),
                    }
                }
                "since" => filter.since = Some(time(key, value, false)?),
                "until" => filter.until = Some(time(key, value, true)?),
                "limit" | "cursor" => {}
                other => {
                    return Err(ChangesError::UnknownParameter {
                        name: other.chars().take(64).collect(),
                        known: PARAMETERS,
                    });
                }
            }
        }
        filter.resolved(codes)
    }

    /// Checks every value and turns codes into IRIs (a filter from JSON, a subscription's).
    pub fn resolved(mut self, codes: &Codes) -> Result<Self, ChangesError> {
        for (name, values, base) in [
            ("jurisdiction", &mut self.jurisdiction, "jurisdiction/"),
            ("instrument", &mut self.instrument, "instrument/"),
            ("source", &mut self.source, "source/"),
            ("theme", &mut self.theme, "theme/"),
            ("role", &mut self.role, "role/"),
        ] {
            if values.len() > MAX_VALUES {
                return Err(invalid(name, "…", "too many values"));
            }
            let base = format!("{ID}{base}");
            for value in values.iter_mut() {
                *value =
                    codes
                        .resolve(&base, value)
                        .map_err(|source| ChangesError::UnknownCode {
                            parameter: name,
                            source,
                        })?;
            }
            values.sort();
            values.dedup();
        }
        if self.kind.len() > MAX_VALUES {
            return Err(invalid("kind", "…", "too many values"));
        }
        for kind in &self.kind {
            if !KINDS.contains(&kind.as_str()) {
                return Err(ChangesError::UnknownKind {
                    kind: kind.chars().take(64).collect(),
                    closest: closest_kinds(kind),
                });
            }
        }
        if let (Some(since), Some(until)) = (self.since, self.until)
            && until <= since
        {
            return Err(invalid("until", &until.to_rfc3339(), "must be after since"));
        }
        Ok(self)
    }

    /// Whether `change` passes every condition.
    pub fn matches(&self, change: &Change) -> bool {
        fn any<'a>(wanted: &[String], mut have: impl Iterator<Item = &'a str>) -> bool {
            wanted.is_empty() || have.any(|h| wanted.iter().any(|w| w == h))
        }
        fn iris(tags: &[super::Tag]) -> impl Iterator<Item = &str> {
            tags.iter().map(|t| t.iri.as_str())
        }
        any(&self.jurisdiction, iris(&change.jurisdictions))
            && any(&self.instrument, iris(&change.instruments))
            && any(&self.source, std::iter::once(change.source.as_str()))
            && any(&self.theme, iris(&change.themes))
            && any(&self.role, iris(&change.roles))
            && any(&self.kind, change.kinds.iter().map(String::as_str))
            && self.material.is_none_or(|m| m == change.material)
            && self.since.is_none_or(|s| change.at >= s)
            && self.until.is_none_or(|u| change.at < u)
    }

    /// True when nothing is filtered.
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }
}

fn invalid(parameter: &str, value: &str, reason: &str) -> ChangesError {
    ChangesError::Invalid {
        parameter: parameter.chars().take(64).collect(),
        value: value.chars().take(80).collect(),
        reason: reason.to_owned(),
    }
}

/// RFC 3339, or a date: its start (`since`) or the start of the next day (`until`).
fn time(key: &str, value: &str, end_of_day: bool) -> Result<DateTime<Utc>, ChangesError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| invalid(key, value, "expected an RFC 3339 time or YYYY-MM-DD"))?;
    let date = if end_of_day {
        date.succ_opt()
            .ok_or_else(|| invalid(key, value, "date out of range"))?
    } else {
        date
    };
    Ok(date
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default())
}

fn closest_kinds(kind: &str) -> Vec<String> {
    let mut scored: Vec<(f64, &str)> = KINDS
        .iter()
        .map(|k| (strsim::jaro_winkler(kind, k), *k))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
        .into_iter()
        .take(3)
        .filter(|(score, _)| *score > 0.6)
        .map(|(_, k)| k.to_owned())
        .collect()
}

/// `Option<DateTime<Utc>>` as an RFC 3339 string (chrono's serde feature is off).
mod optional_time {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_some(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        let Some(text) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        super::time("time", &text, false)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}
