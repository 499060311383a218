//! Pausing schedules: days and times as people write them, and the times a schedule acts at.

use chrono::{DateTime, FixedOffset, NaiveTime, Utc};
use stagecraft_engine::{PauseSchedule, ScheduledAction, Weekdays};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a time")
        .with_timezone(&Utc)
}

fn evenings() -> PauseSchedule {
    PauseSchedule::parse(Some("19:00"), Some("08:00"), "mon-fri").expect("a schedule")
}

#[test]
fn days_are_read_as_people_write_them() {
    let read = |text: &str| Weekdays::parse(text).expect(text).to_string();
    assert_eq!(read("mon-fri"), "mon-fri");
    assert_eq!(read("Monday-Friday"), "mon-fri");
    assert_eq!(read("weekdays"), "mon-fri");
    assert_eq!(read("daily"), "every day");
    assert_eq!(read("sat,sun"), "sat,sun");
    assert_eq!(read("fri-mon"), "mon,fri-sun");
    assert_eq!(read("mon,tue,wed,sat"), "mon-wed,sat");
    let bits = Weekdays::parse("tue,thu").expect("days").bits();
    assert_eq!(Weekdays::from_bits(bits), Weekdays::parse("tue,thu").ok());
    assert_eq!(Weekdays::from_bits(0), None);
    for bad in ["", "mon-", "someday", "mo", "mondays"] {
        let error = Weekdays::parse(bad).expect_err(bad);
        assert_eq!(error.field, "days", "{bad}");
        assert!(
            error.message.contains("mon-fri"),
            "{bad}: {}",
            error.message
        );
    }
}

#[test]
fn a_schedule_needs_one_time_and_two_different_ones() {
    let error = PauseSchedule::parse(None, None, "daily").expect_err("no time");
    assert_eq!(error.field, "pause");
    let error = PauseSchedule::parse(Some("19:00"), Some("19:00"), "daily").expect_err("same");
    assert!(error.message.contains("19:00"), "{}", error.message);
    let error = PauseSchedule::parse(Some("7pm"), None, "daily").expect_err("not HH:MM");
    assert_eq!(error.field, "pause");
    assert!(error.message.contains("HH:MM"), "{}", error.message);
    let error = PauseSchedule::parse(None, Some("25:00"), "daily").expect_err("no such hour");
    assert_eq!(error.field, "resume");
    let only_pause = PauseSchedule::parse(Some("7:30"), None, "daily").expect("pause only");
    assert_eq!(only_pause.pause_at, NaiveTime::from_hms_opt(7, 30, 0));
    assert_eq!(only_pause.to_string(), "pause 07:30, every day");
    assert_eq!(evenings().to_string(), "pause 19:00, resume 08:00, mon-fri");
}

#[test]
fn the_newest_time_in_a_window_is_what_the_schedule_wants_now() {
    let utc = Utc;
    // Friday 2026-12-04, 18:59 to 19:01: the pause.
    let found =
        evenings().latest_between(at("2026-12-04T18:59:00Z"), at("2026-12-04T19:01:00Z"), &utc);
    assert_eq!(
        found,
        Some((ScheduledAction::Pause, at("2026-12-04T19:00:00Z")))
    );
    // Nothing between two of its times.
    let none =
        evenings().latest_between(at("2026-12-04T19:01:00Z"), at("2026-12-04T20:00:00Z"), &utc);
    assert_eq!(none, None);
    // The window's end counts, its start does not.
    let end =
        evenings().latest_between(at("2026-12-04T18:00:00Z"), at("2026-12-04T19:00:00Z"), &utc);
    assert_eq!(end.map(|(a, _)| a), Some(ScheduledAction::Pause));
    let start =
        evenings().latest_between(at("2026-12-04T19:00:00Z"), at("2026-12-04T19:30:00Z"), &utc);
    assert_eq!(start, None);
    // The weekend acts on nothing: Friday's pause holds until Monday's resume.
    let weekend =
        evenings().latest_between(at("2026-12-04T19:30:00Z"), at("2026-12-07T07:59:00Z"), &utc);
    assert_eq!(weekend, None);
    let monday =
        evenings().latest_between(at("2026-12-04T19:30:00Z"), at("2026-12-07T08:00:00Z"), &utc);
    assert_eq!(
        monday,
        Some((ScheduledAction::Resume, at("2026-12-07T08:00:00Z")))
    );
}

#[test]
fn a_long_gap_is_caught_up_with_its_newest_time() {
    // Closed from Monday morning to Wednesday noon a month later: Wednesday's 08:00 resume
    // is the newest time, whatever came before it.
    let found =
        evenings().latest_between(at("2026-11-02T09:00:00Z"), at("2026-12-09T12:00:00Z"), &Utc);
    assert_eq!(
        found,
        Some((ScheduledAction::Resume, at("2026-12-09T08:00:00Z")))
    );
    // Closed on Wednesday at 18:00 and opened at 23:00: the pause it missed.
    let found =
        evenings().latest_between(at("2026-12-09T18:00:00Z"), at("2026-12-09T23:00:00Z"), &Utc);
    assert_eq!(found.map(|(a, _)| a), Some(ScheduledAction::Pause));
}

#[test]
fn times_are_the_machines_local_times() {
    // UTC+1: 19:00 local is 18:00 UTC; and a Friday evening local time that is already
    // Saturday in UTC+14 still belongs to Friday.
    let paris = FixedOffset::east_opt(3600).expect("an offset");
    let found = evenings().latest_between(
        at("2026-12-04T17:30:00Z"),
        at("2026-12-04T18:30:00Z"),
        &paris,
    );
    assert_eq!(
        found,
        Some((ScheduledAction::Pause, at("2026-12-04T18:00:00Z")))
    );
    let kiribati = FixedOffset::east_opt(14 * 3600).expect("an offset");
    let found = evenings().latest_between(
        at("2026-12-04T04:30:00Z"),
        at("2026-12-04T05:30:00Z"),
        &kiribati,
    );
    assert_eq!(
        found,
        Some((ScheduledAction::Pause, at("2026-12-04T05:00:00Z")))
    );
}

#[test]
fn the_next_time_skips_days_the_schedule_leaves_out() {
    // After Friday's pause, the next time is Monday's resume.
    let next = evenings().next_after(at("2026-12-04T19:00:00Z"), &Utc);
    assert_eq!(
        next,
        Some((ScheduledAction::Resume, at("2026-12-07T08:00:00Z")))
    );
    let next = evenings().next_after(at("2026-12-07T08:00:00Z"), &Utc);
    assert_eq!(
        next,
        Some((ScheduledAction::Pause, at("2026-12-07T19:00:00Z")))
    );
    let sundays = PauseSchedule::parse(Some("03:00"), None, "sun").expect("a schedule");
    let next = sundays.next_after(at("2026-12-07T08:00:00Z"), &Utc);
    assert_eq!(
        next,
        Some((ScheduledAction::Pause, at("2026-12-13T03:00:00Z")))
    );
}
