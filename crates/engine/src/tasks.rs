//! Background tasks kept by key, for as long as the process runs: a runtime's liveness
//! watchers and port forwards, the log followers of a process. A newer task under a key
//! replaces (and stops) the older one; an environment's go together, by key prefix.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::task::AbortHandle;

#[derive(Debug, Clone, Default)]
pub struct Tasks(Arc<Mutex<HashMap<String, AbortHandle>>>);

impl Tasks {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, AbortHandle>> {
        // Each change is one call on the map: a panic elsewhere leaves it consistent.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a task under `key` still runs.
    pub fn is_running(&self, key: &str) -> bool {
        self.lock().get(key).is_some_and(|task| !task.is_finished())
    }

    /// Keeps `task` under `key`, stopping the one it replaces.
    pub fn replace(&self, key: impl Into<String>, task: AbortHandle) {
        if let Some(previous) = self.lock().insert(key.into(), task) {
            previous.abort();
        }
    }

    /// Stops every task whose key starts with `prefix`.
    pub fn abort_prefix(&self, prefix: &str) {
        self.lock().retain(|key, task| {
            let keep = !key.starts_with(prefix);
            if !keep {
                task.abort();
            }
            keep
        });
    }
}

#[cfg(test)]
mod tests {
    use super::Tasks;

    #[tokio::test]
    async fn a_newer_task_replaces_the_older_and_a_prefix_stops_an_environments() {
        let tasks = Tasks::default();
        let forever = || tokio::spawn(std::future::pending::<()>());
        let first = forever();
        tasks.replace("ab12cd3/web", first.abort_handle());
        tasks.replace("ab12cd3/web", forever().abort_handle());
        tasks.replace("zz99zz9/web", forever().abort_handle());

        assert!(first.await.unwrap_err().is_cancelled(), "replaced: stopped");
        assert!(tasks.is_running("ab12cd3/web"));

        tasks.abort_prefix("ab12cd3/");
        tokio::task::yield_now().await;
        assert!(!tasks.is_running("ab12cd3/web"));
        assert!(tasks.is_running("zz99zz9/web"));
    }
}
