//! Who this process is when it holds a lease or runs a build, and whether the process a lease
//! or a build names still lives.
//!
//! Each process records itself when it opens the data folder (the store's `holder` table): the
//! name its leases and builds carry, its pid, when the operating system started it, and the
//! host. Another process on the same host then knows at once that it died (no process has its
//! pid, the one that has it started at another time because the pid was reused, or it is a
//! zombie nobody reaped) and takes its environments over without waiting for its lease to
//! expire (`recovery.rs`). A holder on another host (a data folder on a shared disk), one never
//! recorded (a process older than this table), or one whose start time could not be read is
//! never judged dead this way: its lease's expiry decides, as before.

use stagecraft_store::holder::Holder;
use sysinfo::System;
#[cfg(not(target_os = "linux"))]
use sysinfo::{Pid, ProcessRefreshKind, ProcessStatus, ProcessesToUpdate};

/// Start times read twice may differ by rounding where they are seconds of the wall clock; a
/// reused pid starts later at least by that. (Linux gives exact clock ticks: they match.)
const START_TOLERANCE: u64 = if cfg!(target_os = "linux") { 0 } else { 1 };

/// This process, as the operating system knows it, named `name`.
pub fn this_process(name: String) -> Holder {
    let pid = std::process::id();
    Holder {
        name,
        pid: i64::from(pid),
        started: start_time(pid).map_or(0, |t| i64::try_from(t).unwrap_or(0)),
        host: System::host_name().unwrap_or_default(),
    }
}

/// Whether `holder` is known to have died: recorded on `host` (this one), and no live process
/// has its pid and start time.
pub(crate) fn is_dead(holder: &Holder, host: &str) -> bool {
    if host.is_empty() || holder.host != host || holder.started <= 0 {
        return false;
    }
    let (Ok(pid), Ok(started)) = (u32::try_from(holder.pid), u64::try_from(holder.started)) else {
        return false;
    };
    start_time(pid).is_none_or(|now| now.abs_diff(started) > START_TOLERANCE)
}

/// When the live process `pid` started; none when no live process has that pid (a zombie is
/// not live). On Linux, the kernel's own count of clock ticks from boot to the process's start
/// (`/proc/<pid>/stat`), which a change of the wall clock never moves; elsewhere, seconds since
/// the Unix epoch as the operating system reports them.
#[cfg(target_os = "linux")]
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (name) state ppid …`: the name may hold spaces and parentheses, so the fields are
    // counted from the last `)`: the state is the 3rd field, the start time the 22nd.
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .collect();
    if matches!(fields.first(), Some(&"Z" | &"X" | &"x")) {
        return None;
    }
    fields.get(19)?.parse().ok()
}

/// See the Linux twin above.
#[cfg(not(target_os = "linux"))]
fn start_time(pid: u32) -> Option<u64> {
    let pid = Pid::from_u32(pid);
    let mut system = System::new();
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[pid]),
        true,
        ProcessRefreshKind::nothing(),
    );
    system
        .process(pid)
        .filter(|p| !matches!(p.status(), ProcessStatus::Zombie | ProcessStatus::Dead))
        .map(sysinfo::Process::start_time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_lives_and_a_reaped_child_is_dead() {
        let me = this_process("me".into());
        assert!(me.started > 0, "the start time of this process is read");
        assert!(!is_dead(&me, &me.host));

        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--list")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let child_pid = child.id();
        let alive = Holder {
            pid: i64::from(child_pid),
            ..this_process("child".into())
        };
        let alive = Holder {
            started: start_time(child_pid).map_or(alive.started, |t| i64::try_from(t).unwrap()),
            ..alive
        };
        child.wait().unwrap();
        assert!(is_dead(&alive, &me.host), "a child that exited is dead");

        // The same pid, started at another time, is another process.
        let reused = Holder {
            started: me.started + 3600,
            ..me.clone()
        };
        assert!(is_dead(&reused, &me.host));
        // Another host's process, or one whose start is unknown, is never judged here.
        assert!(!is_dead(&reused, "another-host"));
        assert!(!is_dead(
            &Holder {
                started: 0,
                ..reused
            },
            &me.host
        ));
    }
}
