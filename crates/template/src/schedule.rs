//! A cron job's `schedule`: five fields (minute, hour, day of month, month, day of week) with
//! the usual lists, ranges, steps and names, or `@yearly`, `@monthly`, `@weekly`, `@daily`,
//! `@hourly`: what a Kubernetes CronJob takes. croner's extensions beyond it (`L`, `W`, `#`,
//! seconds, years) are refused, so a schedule means the same on Docker and on a cluster.

use chrono::{DateTime, Timelike as _, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// A checked schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    text: String,
}

impl Schedule {
    /// The schedule `text`, or what is wrong with it (said for a person, with what to write).
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let hint = "write five fields (minute hour day-of-month month day-of-week), as in \
                    `*/15 * * * *` or `0 3 * * mon-fri`, or @hourly, @daily, @weekly, @monthly, \
                    @yearly";
        if trimmed.starts_with('@') {
            const MACROS: [&str; 6] = [
                "@yearly",
                "@annually",
                "@monthly",
                "@weekly",
                "@daily",
                "@hourly",
            ];
            if !MACROS.contains(&trimmed.to_ascii_lowercase().as_str()) {
                return Err(format!("`{trimmed}` is not a schedule: {hint}"));
            }
        } else {
            let fields: Vec<&str> = trimmed.split_whitespace().collect();
            if fields.len() != 5 {
                return Err(format!(
                    "`{trimmed}` has {} field(s), not 5: {hint}",
                    fields.len()
                ));
            }
            if let Some(field) = fields.iter().find(|f| beyond_kubernetes(f)) {
                return Err(format!(
                    "`{field}` in `{trimmed}` uses L, W or #, which a Kubernetes CronJob does \
                     not take: {hint}"
                ));
            }
            let weekday_seven = fields[4]
                .split([',', '-', '/'])
                .any(|n| n.parse::<u32>().is_ok_and(|n| n > 6));
            if weekday_seven {
                return Err(format!(
                    "`{}` in `{trimmed}`: a day of the week is 0 to 6 (0 is Sunday) or a name \
                     (mon-fri): {hint}",
                    fields[4]
                ));
            }
        }
        let cron = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .build()
            .parse(trimmed)
            .map_err(|e| format!("`{trimmed}` is not a schedule ({e}): {hint}"))?;
        // A macro as a cluster reads it: in lower case.
        let text = if trimmed.starts_with('@') {
            trimmed.to_ascii_lowercase()
        } else {
            trimmed.to_owned()
        };
        Ok(Self { cron, text })
    }

    /// As written, trimmed (a macro in lower case).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first time it runs strictly after `after`, in UTC.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&after, false).ok()
    }

    /// How many times it was due in (`after`, `until`], counted up to `cap`, and the last of
    /// them (the latest, however many there were).
    pub fn due_between(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
        cap: usize,
    ) -> (usize, Option<DateTime<Utc>>) {
        let count = self
            .cron
            .iter_after(after)
            .take_while(|at| *at <= until)
            .take(cap)
            .count();
        if count == 0 {
            return (0, None);
        }
        // croner keeps the fraction of a second it was given: a schedule's times have none.
        let last = self
            .cron
            .find_previous_occurrence(&until, true)
            .ok()
            .and_then(|at| at.with_nanosecond(0))
            .filter(|at| *at > after);
        (count, last)
    }
}

/// A field with croner's extensions: `#`, or `L`/`W` on a day (`L`, `5L`, `15W`, `LW`); month
/// and weekday names (`JUL`, `WED`) are not.
fn beyond_kubernetes(field: &str) -> bool {
    field.contains('#')
        || field.split(',').any(|token| {
            let upper = token.to_ascii_uppercase();
            let digits = upper.trim_end_matches(['L', 'W']);
            upper != digits && digits.chars().all(|c| c.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn five_fields_and_macros_are_schedules() {
        for text in [
            "*/5 * * * *",
            "0 3 * * mon-fri",
            "15 2 1 jan,jul *",
            "@hourly",
        ] {
            assert!(Schedule::parse(text).is_ok(), "{text}");
        }
        assert_eq!(Schedule::parse(" @Daily ").unwrap().as_str(), "@daily");
    }

    #[test]
    fn what_a_cluster_would_refuse_is_refused_saying_what_to_write() {
        for (text, says) in [
            ("* * * *", "has 4 field(s), not 5"),
            ("0 * * * * *", "has 6 field(s), not 5"),
            ("0 0 L * *", "uses L, W or #"),
            ("0 0 15W * *", "uses L, W or #"),
            ("0 0 * * 5#2", "uses L, W or #"),
            ("61 * * * *", "is not a schedule"),
            ("@every 5m", "is not a schedule"),
            ("0 0 * * 7", "a day of the week is 0 to 6"),
            ("0 0 * * 1-7", "a day of the week is 0 to 6"),
        ] {
            let error = Schedule::parse(text).unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
            assert!(error.contains("write five fields"), "{error}");
        }
    }

    #[test]
    fn runs_are_found_after_a_time_and_counted_between_two() {
        let every_five = Schedule::parse("*/5 * * * *").unwrap();
        let at = |h, m| Utc.with_ymd_and_hms(2026, 12, 4, h, m, 0).unwrap();
        assert_eq!(every_five.next_after(at(10, 0)), Some(at(10, 5)));
        assert_eq!(every_five.next_after(at(10, 3)), Some(at(10, 5)));
        assert_eq!(
            every_five.due_between(at(10, 0), at(10, 17), 100),
            (3, Some(at(10, 15)))
        );
        assert_eq!(every_five.due_between(at(10, 0), at(10, 4), 100), (0, None));
        let fraction = at(10, 5) + chrono::TimeDelta::milliseconds(457);
        assert_eq!(
            every_five.due_between(at(10, 5), fraction, 100),
            (0, None),
            "the time just run is not due again a moment later"
        );
        assert_eq!(
            every_five.due_between(at(10, 0), fraction, 100),
            (1, Some(at(10, 5)))
        );
        assert_eq!(
            every_five.due_between(at(0, 0), at(23, 0), 10),
            (10, Some(at(23, 0))),
            "counted to the cap, the latest time still found"
        );
    }
}
