//! The local ingress's access log, kept beside each service's own log (the environment's
//! Logs view: `web, requests through the ingress`, a log of its own so requests never push
//! the service's lines out of their cap): each request the ingress passed to a service, or
//! tried to, with its status and how long the service took to answer (its answer's head; a
//! streamed body goes on after). The path only: a query string (tokens, codes, signed URLs)
//! is not kept. A busy service's requests past [`LINES_PER_BATCH`] a second are summed up in
//! one line.

use std::collections::BTreeMap;

use stagecraft_store::log::Stream;

use crate::{Error, Stagecraft};

/// A request through the ingress, as its access log keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct IngressAccess {
    pub env_id: String,
    pub service: String,
    pub method: String,
    /// [`IngressAccess::shown_path`]'s.
    pub path: String,
    /// The service's, or 502 when the ingress answered for a service that did not.
    pub status: u16,
    /// Until the answer's head.
    pub millis: f64,
}

/// Requests a service's log takes in full from one batch (the ingress writes a batch a
/// second); the rest are counted in one line.
pub const LINES_PER_BATCH: usize = 20;
/// The most of a path a line shows.
const PATH_SHOWN: usize = 200;

impl IngressAccess {
    /// What the log keeps of a request's `path` (its query left out, said by `?…`): at most
    /// [`PATH_SHOWN`] bytes, cut where a character ends.
    pub fn shown_path(path: &str, has_query: bool) -> String {
        let mut shown = if path.len() > PATH_SHOWN {
            let mut end = PATH_SHOWN;
            while !path.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}…", &path[..end])
        } else {
            path.to_owned()
        };
        if has_query {
            shown.push_str("?…");
        }
        shown
    }
}

/// `[ingress] GET /api/users?… -> 200 (3.2 ms)`.
fn access_line(access: &IngressAccess) -> String {
    format!(
        "[ingress] {} {} -> {} ({:.1} ms)",
        access.method, access.path, access.status, access.millis
    )
}

/// The lines a service's log gets for its `requests` of one batch.
fn access_lines(requests: &[IngressAccess]) -> Vec<(Stream, String)> {
    let mut lines: Vec<(Stream, String)> = requests
        .iter()
        .take(LINES_PER_BATCH)
        .map(|a| {
            let stream = if a.status >= 500 {
                Stream::Stderr
            } else {
                Stream::Stdout
            };
            (stream, access_line(a))
        })
        .collect();
    if let Some(rest) = requests.get(LINES_PER_BATCH..)
        && !rest.is_empty()
    {
        let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
        for access in rest {
            *statuses.entry(access.status).or_default() += 1;
        }
        let counted: Vec<String> = statuses
            .iter()
            .map(|(status, count)| format!("{status}: {count}"))
            .collect();
        lines.push((
            Stream::Stdout,
            format!(
                "[ingress] and {} more requests in this second ({})",
                rest.len(),
                counted.join(", ")
            ),
        ));
    }
    lines
}

impl Stagecraft {
    /// Keeps `batch` (the requests through the ingress since its last batch) in each
    /// service's requests log; a request of an environment this data folder no longer has
    /// (or has torn down) is left out. One service's log that could not be written does not
    /// keep the others' from theirs: the first error is given after.
    pub async fn record_ingress_access(&self, batch: Vec<IngressAccess>) -> Result<(), Error> {
        let mut first_error = None;
        let mut by_service: BTreeMap<(String, String), Vec<IngressAccess>> = BTreeMap::new();
        for access in batch {
            by_service
                .entry((access.env_id.clone(), access.service.clone()))
                .or_default()
                .push(access);
        }
        for ((env_id, service), requests) in by_service {
            let written = async {
                let Some(env) =
                    stagecraft_store::environment::by_env_id(self.store.pool(), &env_id).await?
                else {
                    return Ok(());
                };
                if env.status == stagecraft_engine::EnvironmentStatus::TornDown {
                    return Ok(());
                }
                let resource = format!("{env_id}/services.{service}/ingress.requests");
                self.logs
                    .append(&resource, env.id, &access_lines(&requests))
                    .await
                    .map_err(Error::from)
            }
            .await;
            if let Err(error) = written {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::{IngressAccess, LINES_PER_BATCH, access_lines};
    use stagecraft_store::log::Stream;

    fn access(path: &str, status: u16) -> IngressAccess {
        IngressAccess {
            env_id: "ted1bc4".into(),
            service: "web".into(),
            method: "GET".into(),
            path: path.into(),
            status,
            millis: 3.25,
        }
    }

    #[test]
    fn each_request_is_a_line_until_a_busy_second_is_summed_up() {
        let path = IngressAccess::shown_path("/api/users", true);
        let lines = access_lines(&[access(&path, 200), access("/", 502)]);
        assert_eq!(
            lines,
            [
                (
                    Stream::Stdout,
                    "[ingress] GET /api/users?… -> 200 (3.2 ms)".to_owned()
                ),
                (Stream::Stderr, "[ingress] GET / -> 502 (3.2 ms)".to_owned()),
            ]
        );

        let mut busy: Vec<IngressAccess> = (0..LINES_PER_BATCH).map(|_| access("/", 200)).collect();
        busy.extend([access("/a", 200), access("/b", 404), access("/c", 200)]);
        let lines = access_lines(&busy);
        assert_eq!(lines.len(), LINES_PER_BATCH + 1);
        assert_eq!(
            lines.last().unwrap().1,
            "[ingress] and 3 more requests in this second (200: 2, 404: 1)"
        );
    }

    #[test]
    fn a_long_path_is_cut_where_a_character_ends() {
        let long = format!("/{}", "é".repeat(300));
        let shown = IngressAccess::shown_path(&long, false);
        assert!(shown.ends_with('…') && shown.len() <= 204, "{shown}");
        assert_eq!(IngressAccess::shown_path("/a", false), "/a");
    }
}
