//! A command in a running container of an environment's workload (`instances exec`), and an
//! interactive shell (`instances terminal`, the window's Terminal tab), on whichever runtime
//! holds the environment.
//!
//! Only environments of this Stagecraft's store are reached, and only their containers, found
//! by the environment's labels (the runtime's `exec`). Nothing sent to or read from a session
//! is logged or stored: the terminal's keys may be passwords.

use stagecraft_engine::{EnvironmentStatus, ExecRequest, ExecSession, TerminalSize};

use crate::Error;

/// The shells a terminal tries, in order, when none is asked for.
const SHELLS: [&str; 2] = ["bash", "sh"];

/// What a caller asks to run; `workload` is `web` (a service) or `jobs.migrate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exec {
    pub workload: String,
    pub replica: Option<u32>,
    pub command: Vec<String>,
    pub tty: Option<TerminalSize>,
    pub stdin: bool,
}

impl crate::Stagecraft {
    /// Starts `exec` in the environment `env_id`; the session's output and exit tell the rest.
    pub async fn exec(&self, env_id: &str, exec: Exec) -> Result<ExecSession, Error> {
        if exec.command.is_empty() {
            return Err(Error::InvalidRequest {
                field: "command",
                message: "no command given: name the program to run and its arguments".into(),
            });
        }
        let env = self.environment(env_id).await?;
        if matches!(
            env.status,
            EnvironmentStatus::TornDown | EnvironmentStatus::TearingDown
        ) {
            return Err(Error::Conflict {
                message: format!(
                    "environment {env_id} is torn down, or being torn down: it has no containers \
                     to run in"
                ),
            });
        }
        let runtime = self.runtime_of(&env)?;
        let target = self.environment_ref(&env).await?;
        let request = ExecRequest {
            workload: workload_name(&exec.workload),
            replica: exec.replica,
            command: exec.command,
            tty: exec.tty,
            stdin: exec.stdin,
        };
        runtime
            .exec(&target, &request)
            .await
            .map_err(|e| Error::runtime(&env, e))
    }

    /// An interactive shell in `workload`: `shell` when given, else the first of bash and sh
    /// the container has, in a terminal of `size`.
    pub async fn terminal(
        &self,
        env_id: &str,
        workload: &str,
        replica: Option<u32>,
        shell: Option<String>,
        size: TerminalSize,
    ) -> Result<ExecSession, Error> {
        let shell = match shell {
            Some(shell) => shell,
            None => self.first_shell(env_id, workload, replica).await?,
        };
        self.exec(
            env_id,
            Exec {
                workload: workload.to_owned(),
                replica,
                command: vec![shell],
                tty: Some(size),
                stdin: true,
            },
        )
        .await
    }

    /// The first of [`SHELLS`] that runs in the container; `sh` when none says so, whose
    /// failure then says why.
    async fn first_shell(
        &self,
        env_id: &str,
        workload: &str,
        replica: Option<u32>,
    ) -> Result<String, Error> {
        for shell in &SHELLS[..SHELLS.len() - 1] {
            let probe = Exec {
                workload: workload.to_owned(),
                replica,
                command: vec![(*shell).to_owned(), "-c".into(), "exit 0".into()],
                tty: None,
                stdin: false,
            };
            let mut session = self.exec(env_id, probe).await?;
            while session.output.recv().await.is_some() {}
            if matches!(session.exit.await, Ok(Ok(Some(0)))) {
                return Ok((*shell).to_owned());
            }
        }
        Ok(SHELLS[SHELLS.len() - 1].to_owned())
    }
}

/// `web` means `services.web`; `jobs.seed` and `services.web` are as given.
pub(crate) fn workload_name(workload: &str) -> String {
    if workload.contains('.') {
        workload.to_owned()
    } else {
        format!("services.{workload}")
    }
}
