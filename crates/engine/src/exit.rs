//! How a container ended, said the same way whichever runtime ran it: out of memory (with its
//! limit), killed by a signal (which one), the exit codes that mean "command not found" and
//! "not executable", or a plain exit code. Both runtimes hand over what they saw ([`Ended`]);
//! the words are made here.

use serde::Serialize;

/// What a runtime saw of a container that stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Ended {
    pub code: i64,
    /// The kernel killed it for passing its memory limit (Docker's `OOMKilled`, Kubernetes'
    /// `OOMKilled` reason).
    pub oom_killed: bool,
}

/// The signals a container is usually ended by, by number (Linux's numbering, which both
/// runtimes use for exit codes above 128).
const SIGNALS: &[(i64, &str)] = &[
    (1, "SIGHUP"),
    (2, "SIGINT"),
    (3, "SIGQUIT"),
    (4, "SIGILL"),
    (6, "SIGABRT"),
    (7, "SIGBUS"),
    (8, "SIGFPE"),
    (9, "SIGKILL"),
    (11, "SIGSEGV"),
    (13, "SIGPIPE"),
    (14, "SIGALRM"),
    (15, "SIGTERM"),
];

/// A command the image does not have (exit code 127, or a start refused by the engine).
pub const NOT_FOUND: &str = "its command was not found in the image (check `command` and \
                             `args`, and that the image has that program)";

/// A command that cannot be run (exit code 126, or a start refused by the engine).
pub const NOT_EXECUTABLE: &str = "its command is not executable (check the file's mode, and \
                                  that it was built for this platform)";

/// Why the engine refused to start a container, from its own words, when it is the command:
/// the same words as the exit codes 127 and 126 say.
pub fn start_refused(engine_says: &str) -> Option<&'static str> {
    let lower = engine_says.to_ascii_lowercase();
    if lower.contains("executable file not found")
        || (lower.contains("exec") && lower.contains("no such file or directory"))
    {
        Some(NOT_FOUND)
    } else if (lower.contains("exec") && lower.contains("permission denied"))
        || lower.contains("exec format error")
    {
        Some(NOT_EXECUTABLE)
    } else {
        None
    }
}

/// `bytes` as people write a memory limit: `64 MiB`, `1.5 GiB`.
pub fn memory(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    let mib = bytes as f64 / MIB;
    if mib >= 1024.0 {
        format!("{:.1} GiB", mib / 1024.0)
    } else {
        format!("{mib:.0} MiB")
    }
}

impl Ended {
    pub fn new(code: i64, oom_killed: bool) -> Self {
        Self { code, oom_killed }
    }

    /// What happened, and what to do where there is something to do. `memory_limit` is the
    /// container's limit in bytes, when it has one.
    pub fn explain(&self, memory_limit: Option<u64>) -> String {
        let code = self.code;
        if self.oom_killed {
            return match memory_limit {
                Some(bytes) => format!(
                    "ran out of memory: killed for passing its limit of {} (exit code {code}); \
                     raise `memory.limits` in the template, or make it use less",
                    memory(bytes)
                ),
                None => format!(
                    "ran out of memory: killed when the machine running it ran out (exit code \
                     {code}); give that machine (or Docker's VM) more memory, or set \
                     `memory.limits`"
                ),
            };
        }
        match code {
            126 => format!("exited with code 126: {NOT_EXECUTABLE}"),
            127 => format!("exited with code 127: {NOT_FOUND}"),
            129..=192 => {
                let number = code - 128;
                let name = SIGNALS.iter().find(|(n, _)| *n == number).map_or_else(
                    || format!("signal {number}"),
                    |(_, name)| (*name).to_owned(),
                );
                let hint = if number == 9 {
                    " (something outside it stopped it, or the kernel ran out of memory)"
                } else if number == 11 {
                    " (it crashed)"
                } else {
                    ""
                };
                format!("was killed by {name}{hint} (exit code {code})")
            }
            _ => format!("exited with code {code}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_ending_in_words() {
        assert_eq!(Ended::new(3, false).explain(None), "exited with code 3");
        assert!(
            Ended::new(137, true)
                .explain(Some(16 * 1024 * 1024))
                .starts_with(
                    "ran out of memory: killed for passing its limit of 16 MiB (exit code 137)"
                )
        );
        assert!(
            Ended::new(137, false)
                .explain(None)
                .starts_with("was killed by SIGKILL")
        );
        assert!(
            Ended::new(143, false)
                .explain(None)
                .starts_with("was killed by SIGTERM (exit code 143)")
        );
        assert!(
            Ended::new(139, false)
                .explain(None)
                .contains("SIGSEGV (it crashed)")
        );
        assert!(Ended::new(127, false).explain(None).contains("not found"));
        assert!(
            Ended::new(126, false)
                .explain(None)
                .contains("not executable")
        );
        assert!(
            Ended::new(128 + 40, false)
                .explain(None)
                .contains("signal 40")
        );
        assert_eq!(memory(3 * 1024 * 1024 * 1024 / 2), "1.5 GiB");
        assert_eq!(
            start_refused(
                "OCI runtime create failed: runc create failed: unable to start container process: \
                 exec: \"nosuch\": executable file not found in $PATH: unknown"
            ),
            Some(NOT_FOUND)
        );
        assert_eq!(
            start_refused("exec: \"/app/run.sh\": permission denied: unknown"),
            Some(NOT_EXECUTABLE)
        );
        assert_eq!(start_refused("port is already allocated"), None);
        assert_eq!(
            start_refused("exec /app: exec format error"),
            Some(NOT_EXECUTABLE)
        );
        assert!(
            Ended::new(137, true)
                .explain(None)
                .contains("the machine running it ran out")
        );
    }
}
