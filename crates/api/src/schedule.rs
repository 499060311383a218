//! Pausing schedules (Release's "Application pausing schedules"): an environment paused at a
//! time of day and resumed at another, on chosen weekdays, in the machine's time zone. An app
//! has a default for its environments; an environment's own schedule overrides it, or turns
//! it off for that environment.
//!
//! The clock carries them out (`tick()`, the app's or `stagecraft serve`'s): each round, the
//! newest of an environment's schedule times since the clock last looked (or since its
//! schedule was saved or changed, or the environment created, whichever came last) is acted
//! on. So a time missed while no clock ran is caught up when a clock starts, once, with the
//! newest time winning (closed from Friday 18:00 to Monday 09:00 with "pause 19:00, resume
//! 08:00": Monday's resume, and no pause). A scheduled pause pauses a running environment (it
//! queues behind a deploy in progress); a scheduled resume resumes only a pause the schedule
//! made (one still waiting or running is resumed the round after it ends): an environment
//! paused by hand stays paused until resumed by hand, except by a schedule with no pause time,
//! whose only use is to wake what was paused by hand. Both are deploys like the user's, with
//! the schedule in their reason, run in the background; one environment's failure is logged
//! and leaves the others' schedules going.

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use stagecraft_engine::{
    DeployStatus, Environment, EnvironmentStatus, PauseSchedule, PauseScheduleError,
    ScheduledAction, Stage, Weekdays,
};
use stagecraft_store::schedule::{self, NewSchedule, ScheduleRow, ScheduleState};
use ts_rs::TS;

use crate::clock::TICK_EVERY;
use crate::deploy::{DeployReport, Planned};
use crate::{Error, Stagecraft};

/// A schedule as the window and the command show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PauseScheduleView {
    /// `HH:MM`, the machine's local time.
    pub pause_at: Option<String>,
    pub resume_at: Option<String>,
    /// The weekdays, `mon` … `sun`, in order.
    pub days: Vec<String>,
    /// As a person reads it: `pause 19:00, resume 08:00, mon-fri`.
    pub summary: String,
}

/// A schedule as a person writes it (the form, the command's flags).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PauseScheduleInput {
    pub pause_at: Option<String>,
    pub resume_at: Option<String>,
    /// `mon-fri`, `mon,wed,fri`, `daily`, `weekends`…
    pub days: String,
}

/// Where an environment's schedule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleSource {
    /// Its own.
    Environment,
    /// Its app's default.
    App,
    /// Turned off for it, whatever its app's default.
    Off,
    /// Neither it nor its app has one.
    None,
}

/// The schedule's next time, and what it does then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledTime {
    pub action: ScheduledAction,
    /// RFC 3339, UTC.
    pub at: String,
}

/// An environment's pausing schedule, where it comes from, and its next time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentScheduleView {
    pub schedule: Option<PauseScheduleView>,
    pub source: ScheduleSource,
    /// The app's default, shown beside an environment's own.
    pub app_default: Option<PauseScheduleView>,
    pub next: Option<ScheduledTime>,
    /// The machine's UTC offset now (`+01:00`): the schedule's times are its local times.
    pub utc_offset: String,
}

/// What to do with an environment's schedule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum ScheduleChange {
    /// Its own schedule.
    Set(PauseScheduleInput),
    /// No schedule, whatever its app's default.
    Off,
    /// Its app's default (its own removed).
    AppDefault,
}

impl PauseScheduleInput {
    fn parse(&self) -> Result<PauseSchedule, Error> {
        PauseSchedule::parse(
            self.pause_at.as_deref().filter(|t| !t.trim().is_empty()),
            self.resume_at.as_deref().filter(|t| !t.trim().is_empty()),
            &self.days,
        )
        .map_err(invalid)
    }
}

fn invalid(error: PauseScheduleError) -> Error {
    Error::InvalidRequest {
        field: error.field,
        message: error.message,
    }
}

/// The schedule a stored row holds; `None` for an environment's "off" (or a row past reading).
fn from_row(row: &ScheduleRow) -> Option<PauseSchedule> {
    let time = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok())
    };
    let schedule = PauseSchedule {
        pause_at: time(&row.pause_at),
        resume_at: time(&row.resume_at),
        days: Weekdays::from_bits(u8::try_from(row.days).ok()?)?,
    };
    schedule.check().ok().map(|()| schedule)
}

fn view(schedule: &PauseSchedule) -> PauseScheduleView {
    let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let days = [
        chrono::Weekday::Mon,
        chrono::Weekday::Tue,
        chrono::Weekday::Wed,
        chrono::Weekday::Thu,
        chrono::Weekday::Fri,
        chrono::Weekday::Sat,
        chrono::Weekday::Sun,
    ];
    PauseScheduleView {
        pause_at: schedule.pause_at.map(|t| t.format("%H:%M").to_string()),
        resume_at: schedule.resume_at.map(|t| t.format("%H:%M").to_string()),
        days: days
            .iter()
            .zip(names)
            .filter(|(day, _)| schedule.days.contains(**day))
            .map(|(_, name)| name.to_owned())
            .collect(),
        summary: schedule.to_string(),
    }
}

fn time_text(time: Option<NaiveTime>) -> Option<String> {
    time.map(|t| t.format("%H:%M").to_string())
}

fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// An environment's schedule in effect, where it comes from, and when it was saved.
struct Effective {
    schedule: Option<PauseSchedule>,
    source: ScheduleSource,
    saved_at: Option<DateTime<Utc>>,
    app_default: Option<PauseSchedule>,
}

impl Stagecraft {
    async fn effective_schedule(&self, env: &Environment) -> Result<Effective, Error> {
        let pool = self.store.pool();
        let own = schedule::of_environment(pool, env.id).await?;
        let app = schedule::of_app(pool, env.app_id).await?;
        let app_default = app.as_ref().and_then(from_row);
        Ok(match (own, app) {
            (Some(own), _) => {
                let schedule = from_row(&own);
                Effective {
                    source: if schedule.is_some() {
                        ScheduleSource::Environment
                    } else {
                        ScheduleSource::Off
                    },
                    schedule,
                    saved_at: parse_utc(&own.saved_at),
                    app_default,
                }
            }
            (None, Some(app)) => Effective {
                schedule: app_default,
                source: ScheduleSource::App,
                saved_at: parse_utc(&app.saved_at),
                app_default,
            },
            (None, None) => Effective {
                schedule: None,
                source: ScheduleSource::None,
                saved_at: None,
                app_default: None,
            },
        })
    }

    /// `env_id`'s pausing schedule, where it comes from, and its next time.
    pub async fn environment_schedule(
        &self,
        env_id: &str,
    ) -> Result<EnvironmentScheduleView, Error> {
        let env = self.environment(env_id).await?;
        let effective = self.effective_schedule(&env).await?;
        let next = effective
            .schedule
            .filter(|_| env.status != EnvironmentStatus::TornDown)
            .and_then(|s| s.next_after(Utc::now(), &chrono::Local))
            .map(|(action, at)| ScheduledTime {
                action,
                at: at.to_rfc3339(),
            });
        Ok(EnvironmentScheduleView {
            schedule: effective.schedule.as_ref().map(view),
            source: effective.source,
            app_default: effective.app_default.as_ref().map(view),
            next,
            utc_offset: chrono::Local::now().offset().to_string(),
        })
    }

    /// Sets, turns off, or hands back to its app `env_id`'s pausing schedule.
    pub async fn set_environment_schedule(
        &self,
        env_id: &str,
        change: ScheduleChange,
    ) -> Result<EnvironmentScheduleView, Error> {
        let env = self.environment(env_id).await?;
        crate::environment::ensure_standing(&env)?;
        let pool = self.store.pool();
        match change {
            ScheduleChange::Set(input) => {
                let parsed = input.parse()?;
                let (pause_at, resume_at) =
                    (time_text(parsed.pause_at), time_text(parsed.resume_at));
                let new = NewSchedule {
                    pause_at: pause_at.as_deref(),
                    resume_at: resume_at.as_deref(),
                    days: i64::from(parsed.days.bits()),
                };
                schedule::save_for_environment(pool, env.id, Some(new)).await?;
            }
            ScheduleChange::Off => {
                let off = NewSchedule {
                    pause_at: None,
                    resume_at: None,
                    days: 0,
                };
                schedule::save_for_environment(pool, env.id, Some(off)).await?;
            }
            ScheduleChange::AppDefault => {
                schedule::save_for_environment(pool, env.id, None).await?;
            }
        }
        // Whatever it follows now acts from now on: no time before the change is acted on
        // (the app's default may be older than the environment's turning to it).
        let paused_by = schedule::state(pool, env.id)
            .await?
            .and_then(|s| s.paused_by);
        let state = ScheduleState {
            checked_until: utc_text(Utc::now()),
            paused_by,
        };
        schedule::record_state(pool, env.id, &state).await?;
        self.environment_schedule(env_id).await
    }

    /// The app's default pausing schedule for its environments.
    pub async fn app_schedule(&self, app: &str) -> Result<Option<PauseScheduleView>, Error> {
        let app = self.find_app(app).await?;
        let row = schedule::of_app(self.store.pool(), app.id).await?;
        Ok(row.as_ref().and_then(from_row).as_ref().map(view))
    }

    /// Sets (or, with `None`, removes) the app's default pausing schedule: every environment
    /// of the app without one of its own follows it from now on.
    pub async fn set_app_schedule(
        &self,
        app: &str,
        input: Option<PauseScheduleInput>,
    ) -> Result<Option<PauseScheduleView>, Error> {
        let found = self.find_app(app).await?;
        let parsed = input.as_ref().map(PauseScheduleInput::parse).transpose()?;
        let texts = parsed.map(|p| (time_text(p.pause_at), time_text(p.resume_at), p.days));
        let new = texts
            .as_ref()
            .map(|(pause_at, resume_at, days)| NewSchedule {
                pause_at: pause_at.as_deref(),
                resume_at: resume_at.as_deref(),
                days: i64::from(days.bits()),
            });
        schedule::save_for_app(self.store.pool(), found.id, new).await?;
        self.app_schedule(app).await
    }

    /// Carries out the pausing schedules' times that came by `now` (in `zone`, the machine's
    /// time zone for the clock; a test gives its own): the clock's part. The pauses and
    /// resumes it queues run in the background. An environment whose schedule cannot be
    /// carried out is logged and left for the next round; the others go on.
    pub async fn run_schedules_due<Tz: TimeZone>(
        &self,
        now: DateTime<Utc>,
        zone: &Tz,
    ) -> Result<Vec<DeployReport>, Error>
    where
        Tz::Offset: std::fmt::Display,
    {
        let mut queued = Vec::new();
        for env in self.environments().await? {
            if env.status == EnvironmentStatus::TornDown {
                continue;
            }
            match self.run_schedule_due(&env, now, zone).await {
                Ok(Some(report)) => queued.push(report),
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(env = %env.env_id, %error, "pausing schedule not carried out");
                }
            }
        }
        Ok(queued)
    }

    /// One environment's part of [`Stagecraft::run_schedules_due`].
    async fn run_schedule_due<Tz: TimeZone>(
        &self,
        env: &Environment,
        now: DateTime<Utc>,
        zone: &Tz,
    ) -> Result<Option<DeployReport>, Error>
    where
        Tz::Offset: std::fmt::Display,
    {
        let pool = self.store.pool();
        let effective = self.effective_schedule(env).await?;
        let Some(pause_schedule) = effective.schedule else {
            return Ok(None);
        };
        let state = schedule::state(pool, env.id).await?;
        let from = [
            state.as_ref().and_then(|s| parse_utc(&s.checked_until)),
            effective.saved_at,
            parse_utc(&env.created_at),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(now);
        let mut state = ScheduleState {
            checked_until: utc_text(now),
            paused_by: state.and_then(|s| s.paused_by),
        };
        let mut report = None;
        if let Some((action, at)) = pause_schedule.latest_between(from, now, zone) {
            let missed =
                now - from > chrono::Duration::from_std(TICK_EVERY * 2).unwrap_or_default();
            let reason = scheduled_reason(&pause_schedule, action, at, missed, zone);
            match action {
                ScheduledAction::Pause => {
                    report = self.scheduled_pause(env, &reason).await?;
                    if let Some(paused) = &report {
                        state.paused_by = Some(paused.deploy.id);
                    }
                }
                ScheduledAction::Resume => {
                    match self
                        .scheduled_resume(env, &pause_schedule, state.paused_by, &reason)
                        .await?
                    {
                        Resumed::Queued(resumed) => {
                            state.paused_by = None;
                            report = Some(*resumed);
                        }
                        // The pause is still waiting or running: the resume's time is looked
                        // at again next round.
                        Resumed::NotYet => {
                            state.checked_until = utc_text(at - chrono::Duration::seconds(1));
                        }
                        Resumed::NotPaused => {}
                    }
                }
            }
        }
        schedule::record_state(pool, env.id, &state).await?;
        Ok(report)
    }

    /// The schedule's pause of `env`, unless nothing of it runs to pause (never set up,
    /// paused already, or a pause waits).
    async fn scheduled_pause(
        &self,
        env: &Environment,
        reason: &str,
    ) -> Result<Option<DeployReport>, Error> {
        if crate::pause::ensure_pausable(env).is_err()
            || crate::pause::paused_by_then(self, env).await?
        {
            return Ok(None);
        }
        Ok(Some(
            self.queue_in_background(env, &Planned::of(Stage::Pause, reason))
                .await?,
        ))
    }

    /// The schedule's resume of `env`, when the pause it is in is the schedule's own (the
    /// newest pause is the one the schedule queued), or any pause when the schedule has no
    /// pause time (it wakes what was paused by hand: its only use).
    async fn scheduled_resume(
        &self,
        env: &Environment,
        pause_schedule: &PauseSchedule,
        paused_by: Option<i64>,
        reason: &str,
    ) -> Result<Resumed, Error> {
        let deploys = stagecraft_store::deploy::for_environment(self.store.pool(), env.id).await?;
        let Some(newest_pause) = deploys.iter().rev().find(|d| d.stage == Stage::Pause) else {
            return Ok(Resumed::NotPaused);
        };
        let ours = pause_schedule.pause_at.is_none() || Some(newest_pause.id) == paused_by;
        if !ours {
            return Ok(Resumed::NotPaused);
        }
        if matches!(
            newest_pause.status,
            DeployStatus::Queued | DeployStatus::Running
        ) {
            return Ok(Resumed::NotYet);
        }
        // Paused, or a pause cut short (which a resume mends); not once something else ran.
        if crate::pause::ensure_resumable(self, env).await.is_err() {
            return Ok(Resumed::NotPaused);
        }
        let planned = crate::pause::resume_planned(self, env, reason).await?;
        let report = self.queue_in_background(env, &planned).await?;
        Ok(Resumed::Queued(Box::new(report)))
    }
}

/// What a scheduled resume found.
enum Resumed {
    Queued(Box<DeployReport>),
    /// The schedule's pause waits or runs.
    NotYet,
    /// Nothing of the schedule's to resume.
    NotPaused,
}

fn utc_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Why the clock pauses or resumes: the schedule, and the time, said to be caught up when no
/// clock looked at the schedule then (`missed`: the gap since the last look is longer than
/// two rounds).
fn scheduled_reason<Tz: TimeZone>(
    schedule: &PauseSchedule,
    action: ScheduledAction,
    at: DateTime<Utc>,
    missed: bool,
    zone: &Tz,
) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let local = at.with_timezone(zone);
    let mut reason = format!(
        "its pausing schedule ({schedule}): the {action} at {}",
        local.format("%H:%M")
    );
    if missed {
        reason.push_str(&format!(
            " on {} was missed while no clock ran; caught up now",
            local.format("%a %-d %b")
        ));
    }
    reason
}
