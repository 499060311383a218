//! `stagecraft environments schedule ID` and `stagecraft apps schedule APP`: pausing schedules
//! (pause at a time, resume at a time, on weekdays, in this machine's time zone), carried out
//! by the clock of the app or of `stagecraft serve`.

use stagecraft_api::{
    EnvironmentScheduleView, Error, PauseScheduleInput, PauseScheduleView, ScheduleChange,
    ScheduleSource, Stagecraft,
};

use crate::Output;
use crate::output::{structured, table};

/// The times and days of a schedule, as flags.
#[derive(Debug, clap::Args)]
pub(crate) struct ScheduleFlags {
    /// Pauses at this time of day, local time (HH:MM, 24-hour).
    #[arg(long, value_name = "HH:MM")]
    pause: Option<String>,
    /// Resumes at this time of day, local time (HH:MM, 24-hour).
    #[arg(long, value_name = "HH:MM")]
    resume: Option<String>,
    /// The weekdays it acts on: `mon-fri`, `mon,wed,fri`, `weekends`, `daily` (when not
    /// given).
    #[arg(long, value_name = "DAYS")]
    days: Option<String>,
}

impl ScheduleFlags {
    /// The schedule the flags give; `None` when no flag is given (the command then shows the
    /// schedule).
    fn input(self) -> Option<PauseScheduleInput> {
        if self.pause.is_none() && self.resume.is_none() && self.days.is_none() {
            return None;
        }
        Some(PauseScheduleInput {
            pause_at: self.pause,
            resume_at: self.resume,
            days: self.days.unwrap_or_else(|| "daily".to_owned()),
        })
    }
}

/// `environments schedule ID [--pause HH:MM] [--resume HH:MM] [--days DAYS] [--off |
/// --app-default]`: shows, sets, turns off, or hands back to its app an environment's
/// schedule.
pub(crate) async fn environment(
    stagecraft: &Stagecraft,
    id: &str,
    flags: ScheduleFlags,
    off: bool,
    app_default: bool,
    output: Output,
) -> Result<(), Error> {
    let change = match (flags.input(), off, app_default) {
        (Some(input), _, _) => Some(ScheduleChange::Set(input)),
        (None, true, _) => Some(ScheduleChange::Off),
        (None, _, true) => Some(ScheduleChange::AppDefault),
        (None, false, false) => None,
    };
    let view = match change {
        Some(change) => stagecraft.set_environment_schedule(id, change).await?,
        None => stagecraft.environment_schedule(id).await?,
    };
    match output {
        Output::Table => print_environment(&view),
        _ => structured(&view, output),
    }
    Ok(())
}

/// `apps schedule APP [--pause HH:MM] [--resume HH:MM] [--days DAYS] [--clear]`: shows, sets
/// or removes the app's default schedule for its environments.
pub(crate) async fn app(
    stagecraft: &Stagecraft,
    app: &str,
    flags: ScheduleFlags,
    clear: bool,
    output: Output,
) -> Result<(), Error> {
    let view = match (flags.input(), clear) {
        (Some(input), _) => stagecraft.set_app_schedule(app, Some(input)).await?,
        (None, true) => stagecraft.set_app_schedule(app, None).await?,
        (None, false) => stagecraft.app_schedule(app).await?,
    };
    match output {
        Output::Table => table(
            &["APP", "DEFAULT SCHEDULE"],
            &[vec![app.to_owned(), summary(view.as_ref())]],
        ),
        _ => structured(&view, output),
    }
    Ok(())
}

fn summary(view: Option<&PauseScheduleView>) -> String {
    view.map_or_else(|| "none".to_owned(), |v| v.summary.clone())
}

fn print_environment(view: &EnvironmentScheduleView) {
    let source = match view.source {
        ScheduleSource::Environment => "its own".to_owned(),
        ScheduleSource::App => "its app's default".to_owned(),
        ScheduleSource::Off => format!(
            "turned off (its app's default: {})",
            summary(view.app_default.as_ref())
        ),
        ScheduleSource::None => "none set, for it or its app".to_owned(),
    };
    let next = view.next.as_ref().map_or_else(
        || "-".to_owned(),
        |next| {
            let local = chrono::DateTime::parse_from_rfc3339(&next.at)
                .map(|t| {
                    t.with_timezone(&chrono::Local)
                        .format("%a %-d %b %H:%M")
                        .to_string()
                })
                .unwrap_or_else(|_| next.at.clone());
            format!("{} at {local}", next.action)
        },
    );
    table(
        &["SCHEDULE", "FROM", "NEXT", "TIME ZONE"],
        &[vec![
            summary(view.schedule.as_ref()),
            source,
            next,
            format!("local (UTC{})", view.utc_offset),
        ]],
    );
}
