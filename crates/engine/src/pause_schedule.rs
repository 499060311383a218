//! Pausing schedules: an environment paused at a time of day and resumed at another, on chosen
//! weekdays, in the machine's time zone, as Release's "Application pausing schedules" do. This
//! is the arithmetic of times; the clock that carries a schedule out is the API's
//! (`schedule.rs` there).
//!
//! A schedule says what happens at each of its times: "pause at 19:00, resume at 08:00, on
//! Monday to Friday" pauses on Friday at 19:00 and resumes on Monday at 08:00. Either time may
//! be left out (paused every night, resumed by hand). A local time a daylight-saving change
//! skips happens at the first minute after the gap; one it repeats, at its first occurrence.

use std::fmt;

use chrono::{DateTime, Datelike, Days as DayCount, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

/// How far back the clock looks for a time it missed: a schedule repeats every week, so the
/// newest time of any longer gap is within the last eight days.
const LOOK_BACK_DAYS: u64 = 8;

/// What a schedule does at one of its times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum ScheduledAction {
    Pause,
    Resume,
}

impl fmt::Display for ScheduledAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pause => "pause",
            Self::Resume => "resume",
        })
    }
}

/// What is wrong with a schedule as written, for a person: the field and what to write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PauseScheduleError {
    pub field: &'static str,
    pub message: String,
}

/// The weekdays a schedule acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weekdays(u8);

const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Weekdays {
    pub const EVERY_DAY: Self = Self(0b111_1111);
    pub const MONDAY_TO_FRIDAY: Self = Self(0b001_1111);

    /// The days `text` names: `mon-fri`, `mon,wed,fri`, `sat-sun`, `fri-mon` (a range may wrap
    /// the week), `daily`, `weekdays`, `weekends`; names in any case, three letters or whole.
    pub fn parse(text: &str) -> Result<Self, PauseScheduleError> {
        let fail = |message: String| PauseScheduleError {
            field: "days",
            message,
        };
        let hint = "write days as `mon-fri`, `mon,wed,fri`, `sat-sun`, `daily`, `weekdays` or \
                    `weekends`";
        let lower = text.trim().to_ascii_lowercase();
        match lower.as_str() {
            "" => return Err(fail(format!("no days given; {hint}"))),
            "daily" | "every day" | "all" | "*" => return Ok(Self::EVERY_DAY),
            "weekdays" => return Ok(Self::MONDAY_TO_FRIDAY),
            "weekends" => return Ok(Self(0b110_0000)),
            _ => {}
        }
        let mut bits = 0u8;
        for part in lower.split(',').map(str::trim) {
            let day = |name: &str| {
                day_index(name).ok_or_else(|| fail(format!("`{name}` is not a day; {hint}")))
            };
            match part.split_once('-') {
                Some((from, to)) => {
                    let (from, to) = (day(from.trim())?, day(to.trim())?);
                    let mut at = from;
                    loop {
                        bits |= 1 << at;
                        if at == to {
                            break;
                        }
                        at = (at + 1) % 7;
                    }
                }
                None => bits |= 1 << day(part)?,
            }
        }
        Ok(Self(bits))
    }

    /// The days as stored: bit 0 is Monday, bit 6 Sunday.
    #[must_use]
    pub fn bits(self) -> u8 {
        self.0
    }

    /// The days of stored `bits` (bits past Sunday ignored); `None` when no day is left.
    #[must_use]
    pub fn from_bits(bits: u8) -> Option<Self> {
        let bits = bits & Self::EVERY_DAY.0;
        (bits != 0).then_some(Self(bits))
    }

    #[must_use]
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }
}

fn day_index(name: &str) -> Option<u32> {
    let short = name.get(..3)?;
    let index = NAMES.iter().position(|n| *n == short)?;
    let whole = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    (name.len() == 3 || whole.get(index) == Some(&name)).then(|| u32::try_from(index).ok())?
}

impl fmt::Display for Weekdays {
    /// `every day`, `mon-fri`, or the days in order with runs joined (`mon-wed,sat`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Self::EVERY_DAY {
            return f.write_str("every day");
        }
        let mut parts = Vec::new();
        let mut day = 0;
        while day < 7 {
            if self.0 & (1 << day) == 0 {
                day += 1;
                continue;
            }
            let start = day;
            while day + 1 < 7 && self.0 & (1 << (day + 1)) != 0 {
                day += 1;
            }
            parts.push(match day - start {
                0 => NAMES[start].to_owned(),
                1 => format!("{},{}", NAMES[start], NAMES[day]),
                _ => format!("{}-{}", NAMES[start], NAMES[day]),
            });
            day += 1;
        }
        f.write_str(&parts.join(","))
    }
}

/// When an environment is paused and resumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PauseSchedule {
    pub pause_at: Option<NaiveTime>,
    pub resume_at: Option<NaiveTime>,
    pub days: Weekdays,
}

impl PauseSchedule {
    /// A schedule from what a person wrote: times as `HH:MM` (24-hour), days as
    /// [`Weekdays::parse`] reads them. At least one time, and two different ones.
    pub fn parse(
        pause_at: Option<&str>,
        resume_at: Option<&str>,
        days: &str,
    ) -> Result<Self, PauseScheduleError> {
        let pause_at = pause_at.map(|t| parse_time("pause", t)).transpose()?;
        let resume_at = resume_at.map(|t| parse_time("resume", t)).transpose()?;
        let schedule = Self {
            pause_at,
            resume_at,
            days: Weekdays::parse(days)?,
        };
        schedule.check()?;
        Ok(schedule)
    }

    /// Refuses a schedule with no time, or the same time twice.
    pub fn check(&self) -> Result<(), PauseScheduleError> {
        match (self.pause_at, self.resume_at) {
            (None, None) => Err(PauseScheduleError {
                field: "pause",
                message: "a schedule needs a time to pause, to resume, or both (as in \
                          `--pause 19:00 --resume 08:00`)"
                    .to_owned(),
            }),
            (Some(pause), Some(resume)) if pause == resume => Err(PauseScheduleError {
                field: "resume",
                message: format!(
                    "pause and resume are both at {}: give them different times",
                    pause.format("%H:%M")
                ),
            }),
            _ => Ok(()),
        }
    }

    /// The schedule's newest time in (`after`, `until`], and what it does then; only the
    /// last eight days are looked at (a week holds every time of a schedule).
    pub fn latest_between<Tz: TimeZone>(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
        zone: &Tz,
    ) -> Option<(ScheduledAction, DateTime<Utc>)> {
        let last = until.with_timezone(zone).date_naive();
        let first = after
            .max(until - chrono::Duration::days(LOOK_BACK_DAYS as i64))
            .with_timezone(zone)
            .date_naive();
        let mut latest: Option<(ScheduledAction, DateTime<Utc>)> = None;
        let mut date = first;
        while date <= last {
            for (action, at) in self.times_on(date, zone) {
                if at > after && at <= until && latest.is_none_or(|(_, l)| at > l) {
                    latest = Some((action, at));
                }
            }
            date = date.checked_add_days(DayCount::new(1))?;
        }
        latest
    }

    /// The schedule's first time strictly after `after`, and what it does then.
    pub fn next_after<Tz: TimeZone>(
        &self,
        after: DateTime<Utc>,
        zone: &Tz,
    ) -> Option<(ScheduledAction, DateTime<Utc>)> {
        let mut date = after.with_timezone(zone).date_naive();
        for _ in 0..=LOOK_BACK_DAYS {
            let next = self
                .times_on(date, zone)
                .filter(|(_, at)| *at > after)
                .min_by_key(|(_, at)| *at);
            if next.is_some() {
                return next;
            }
            date = date.checked_add_days(DayCount::new(1))?;
        }
        None
    }

    /// The schedule's times on the local `date`, when it is one of its days.
    fn times_on<'a, Tz: TimeZone>(
        &'a self,
        date: NaiveDate,
        zone: &'a Tz,
    ) -> impl Iterator<Item = (ScheduledAction, DateTime<Utc>)> + 'a {
        let acts = self.days.contains(date.weekday());
        [
            (ScheduledAction::Pause, self.pause_at),
            (ScheduledAction::Resume, self.resume_at),
        ]
        .into_iter()
        .filter(move |_| acts)
        .filter_map(move |(action, time)| Some((action, local_to_utc(date, time?, zone)?)))
    }
}

impl fmt::Display for PauseSchedule {
    /// `pause 19:00, resume 08:00, mon-fri`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(pause) = self.pause_at {
            write!(f, "pause {}, ", pause.format("%H:%M"))?;
        }
        if let Some(resume) = self.resume_at {
            write!(f, "resume {}, ", resume.format("%H:%M"))?;
        }
        write!(f, "{}", self.days)
    }
}

/// `HH:MM` on a 24-hour clock (`7:30` too).
fn parse_time(field: &'static str, text: &str) -> Result<NaiveTime, PauseScheduleError> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").map_err(|_| PauseScheduleError {
        field,
        message: format!(
            "`{}` is not a time of day; write it as HH:MM, as in 19:00",
            text.trim()
        ),
    })
}

/// The instant of a local time: its first occurrence when a daylight-saving change repeats
/// it, the end of the gap when one skips it.
fn local_to_utc<Tz: TimeZone>(
    date: NaiveDate,
    time: NaiveTime,
    zone: &Tz,
) -> Option<DateTime<Utc>> {
    let local = date.and_time(time);
    let at = zone.from_local_datetime(&local).earliest().or_else(|| {
        // In a gap: the first minute after it (gaps are at most a few hours).
        (1..=180).find_map(|minutes| {
            zone.from_local_datetime(&(local + chrono::Duration::minutes(minutes)))
                .earliest()
        })
    })?;
    Some(at.with_timezone(&Utc))
}
