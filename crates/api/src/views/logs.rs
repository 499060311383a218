//! Kept logs as the window lists and pages them.

use serde::Serialize;
use ts_rs::TS;

use crate::{Error, Stagecraft};

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LogLineView {
    #[ts(type = "number")]
    pub seq: i64,
    pub at: String,
    pub stderr: bool,
    pub line: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LogPageView {
    pub lines: Vec<LogLineView>,
    /// Lines the cap dropped from the start of this log so far.
    #[ts(type = "number")]
    pub dropped: i64,
}

pub(crate) fn log_page_view(page: stagecraft_store::log::LogPage) -> LogPageView {
    LogPageView {
        lines: page
            .lines
            .into_iter()
            .map(|l| LogLineView {
                seq: l.seq,
                at: l.at,
                stderr: l.stream == "stderr",
                line: l.line,
            })
            .collect(),
        dropped: page.dropped,
    }
}

/// A log kept for an environment, for the Logs tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LogResourceView {
    /// What `follow_log` and `logs` take.
    pub resource: String,
    /// `service`, `job` (one run) or `build` (one image's build output).
    pub kind: String,
    /// `web`; `migrate, deploy 3`; `web, build 2`.
    pub label: String,
    #[ts(type = "number")]
    pub lines: i64,
    #[ts(type = "number")]
    pub dropped: i64,
}

/// Reads a log's name: `<env>/services.<name>`, `<env>/<deploy>/jobs.<name>`,
/// `builds/<build>/<service>`. The number orders runs newest first.
fn log_kind(env_id: &str, resource: &str) -> Option<(&'static str, String, i64)> {
    if let Some(rest) = resource.strip_prefix("builds/") {
        let (build, service) = rest.split_once('/')?;
        let build: i64 = build.parse().ok()?;
        return Some(("build", format!("{service}, build {build}"), build));
    }
    let rest = resource.strip_prefix(env_id)?.strip_prefix('/')?;
    if let Some(service) = rest.strip_prefix("services.") {
        // An init container's or a sidecar's, followed with its service.
        let label = match service.split_once('/') {
            Some((service, part)) => match part.split_once('.') {
                Some(("init", name)) => format!("{service}, init container {name}"),
                Some(("sidecar", name)) => format!("{service}, sidecar {name}"),
                Some(("ingress", _)) => format!("{service}, requests through the ingress"),
                _ => service.to_owned(),
            },
            None => service.to_owned(),
        };
        return Some(("service", label, 0));
    }
    let (deploy, job) = rest.split_once('/')?;
    let job = job.strip_prefix("jobs.")?;
    let deploy: i64 = deploy.parse().ok()?;
    Some(("job", format!("{job}, deploy {deploy}"), deploy))
}

impl Stagecraft {
    /// The environment's kept logs: services by name, then job runs and builds newest first.
    pub async fn log_resources(&self, env_id: &str) -> Result<Vec<LogResourceView>, Error> {
        let env = self.environment(env_id).await?;
        let found = stagecraft_store::log::resources(self.store.pool(), env.id).await?;
        let mut views: Vec<(i64, LogResourceView)> = found
            .into_iter()
            .filter_map(|r| {
                let (kind, label, order) = log_kind(env_id, &r.resource)?;
                Some((
                    order,
                    LogResourceView {
                        resource: r.resource,
                        kind: kind.to_owned(),
                        label,
                        lines: r.kept,
                        dropped: r.dropped,
                    },
                ))
            })
            .collect();
        let rank = |kind: &str| match kind {
            "service" => 0,
            "job" => 1,
            _ => 2,
        };
        views.sort_by(|(a_order, a), (b_order, b)| {
            rank(&a.kind)
                .cmp(&rank(&b.kind))
                .then(b_order.cmp(a_order))
                .then(a.label.cmp(&b.label))
        });
        Ok(views.into_iter().map(|(_, v)| v).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::log_kind;

    #[test]
    fn a_log_name_says_what_wrote_it() {
        assert_eq!(
            log_kind("ted1bc4", "ted1bc4/services.web"),
            Some(("service", "web".to_owned(), 0))
        );
        assert_eq!(
            log_kind("ted1bc4", "ted1bc4/12/jobs.migrate"),
            Some(("job", "migrate, deploy 12".to_owned(), 12))
        );
        assert_eq!(
            log_kind("ted1bc4", "builds/3/web"),
            Some(("build", "web, build 3".to_owned(), 3))
        );
        assert_eq!(
            log_kind("ted1bc4", "ted1bc4/services.web/sidecar.proxy"),
            Some(("service", "web, sidecar proxy".to_owned(), 0))
        );
        assert_eq!(
            log_kind("ted1bc4", "ted1bc4/services.web/init.render"),
            Some(("service", "web, init container render".to_owned(), 0))
        );
        assert_eq!(log_kind("ted1bc4", "other/services.web"), None);
        assert_eq!(log_kind("ted1bc4", "ted1bc4/x/jobs.migrate"), None);
    }
}
