//! Environment handles (Release's "environment handles"): pools of fixed names per app. An
//! environment whose template asks for a pool (`datasets: [{name: <pool>}]`, in the template
//! or the environment template it is made from) checks out a free name of it when it is made
//! and takes it as its id, so its URLs (`<service>-<id>...`, `RELEASE_ENV_ID`) are the same
//! each time; its teardown releases the name. A pool with nothing free refuses, naming the
//! environments holding its names. A `datasets` name that is no pool of the app is a dataset,
//! which Stagecraft does not check out (the template's warning says so).

use serde::Serialize;
use stagecraft_engine::App;
use stagecraft_store::handle;
use stagecraft_template::Template;
use ts_rs::TS;

use crate::{Error, Stagecraft};

/// The longest environment id: it names containers, networks and a namespace.
const MAX_ID: usize = 40;

/// One handle of an app's pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HandleView {
    pub pool: String,
    pub name: String,
    /// The environment holding it (its id is the handle); none when it is free.
    pub held_by: Option<String>,
}

/// Refuses a name that cannot be an environment's id: it names Docker objects and a
/// Kubernetes namespace (`stagecraft-<id>`), so lowercase letters, digits and `-`, starting
/// with a letter, at most 40.
pub(crate) fn check_id(name: &str, field: &'static str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= MAX_ID
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidRequest {
            field,
            message: format!(
                "`{name}` cannot be an environment's id: use lowercase letters, digits and `-`, \
                 starting with a letter and not ending with `-`, at most {MAX_ID} characters"
            ),
        })
    }
}

/// The pools `template` asks for, in its order (`datasets[].name`).
fn asked(template: &Template) -> Vec<String> {
    template
        .datasets
        .iter()
        .filter_map(|d| d.name.as_ref().map(|n| n.as_str().trim().to_owned()))
        .filter(|n| !n.is_empty())
        .collect()
}

impl Stagecraft {
    /// The app's handles, by pool, with who holds each.
    pub async fn handles(&self, app_name: &str) -> Result<Vec<HandleView>, Error> {
        let app = self.find_app(app_name).await?;
        Ok(handle::list(self.store.pool(), app.id)
            .await?
            .into_iter()
            .map(|h| HandleView {
                pool: h.pool,
                name: h.name,
                held_by: h.held_by,
            })
            .collect())
    }

    /// Adds `names` to the app's `pool`, and with `count` the names `<pool>1` to
    /// `<pool><count>` (Release's numbered handles); gives the app's handles.
    pub async fn add_handles(
        &self,
        app_name: &str,
        pool: &str,
        names: Vec<String>,
        count: Option<u32>,
    ) -> Result<Vec<HandleView>, Error> {
        let app = self.find_app(app_name).await?;
        // A pool is what `datasets[].name` names: any name without spaces.
        if pool.trim().is_empty() || pool.chars().any(char::is_whitespace) || pool.len() > MAX_ID {
            return Err(Error::InvalidRequest {
                field: "pool",
                message: format!(
                    "`{pool}` cannot name a pool: give the name its templates' `datasets` use, \
                     without spaces, at most {MAX_ID} characters"
                ),
            });
        }
        let mut all = names;
        if let Some(count) = count {
            if count == 0 || count > 50 {
                return Err(Error::InvalidRequest {
                    field: "count",
                    message: format!("{count} handles: give 1 to 50 (Release's most per pool)"),
                });
            }
            all.extend((1..=count).map(|i| format!("{pool}{i}")));
        }
        if all.is_empty() {
            return Err(Error::InvalidRequest {
                field: "names",
                message: "no handle named: give names, or `--count N` for numbered ones".into(),
            });
        }
        for name in &all {
            check_id(name, "names")?;
        }
        handle::add(self.store.pool(), app.id, pool, &all).await?;
        self.handles(app_name).await
    }

    /// Removes `names` from the app's `pool`; refused, naming them, while any is held.
    pub async fn remove_handles(
        &self,
        app_name: &str,
        pool: &str,
        names: Vec<String>,
    ) -> Result<Vec<HandleView>, Error> {
        let app = self.find_app(app_name).await?;
        let known = handle::list(self.store.pool(), app.id).await?;
        let unknown: Vec<&str> = names
            .iter()
            .filter(|n| !known.iter().any(|h| h.pool == pool && h.name == **n))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(Error::NotFound {
                what: "handle",
                name: format!("{} in {app_name}'s pool `{pool}`", unknown.join(", ")),
            });
        }
        let held = handle::remove(self.store.pool(), app.id, pool, &names).await?;
        if !held.is_empty() {
            return Err(Error::Conflict {
                message: format!(
                    "{} held by environments of the same id: tear them down first \
                     (`stagecraft environments delete ID`)",
                    held.join(", ")
                ),
            });
        }
        self.handles(app_name).await
    }

    /// The handle a new environment of `app` made from `own` checks out: `None` when its
    /// template asks for no pool of the app. A pool with nothing free refuses, naming who
    /// holds its names.
    /// A `requested` id must then be one of the pool's names (an environment brought back by
    /// `adopt` keeps the handle it had).
    pub(crate) async fn check_out_handle(
        &self,
        app: &App,
        own: &Template,
        requested: Option<&str>,
    ) -> Result<Option<String>, Error> {
        let pool = self.store.pool();
        for asked in asked(own) {
            if !handle::has_pool(pool, app.id, &asked).await? {
                continue;
            }
            // A name asked for must be one of the pool's, and free.
            if let Some(name) = requested {
                let members = handle::list(pool, app.id).await?;
                let Some(member) = members.iter().find(|h| h.pool == asked && h.name == name)
                else {
                    return Err(Error::InvalidRequest {
                        field: "name",
                        message: format!(
                            "{}'s template gives each environment a name of its handle pool \
                             `{asked}` as its id, and `{name}` is none of them: leave the name \
                             out, or give one of {}",
                            app.name,
                            members
                                .iter()
                                .filter(|h| h.pool == asked)
                                .map(|h| h.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    });
                };
                if let Some(holder) = &member.held_by {
                    return Err(Error::Conflict {
                        message: format!(
                            "the handle {name} is held by the environment {holder}: tear it \
                             down first, or leave the name out for a free one"
                        ),
                    });
                }
            }
            return match handle::check_out(pool, app.id, &asked, requested).await? {
                Some(name) => Ok(Some(name)),
                None => {
                    let held: Vec<String> = handle::list(pool, app.id)
                        .await?
                        .into_iter()
                        .filter(|h| h.pool == asked)
                        .filter_map(|h| h.held_by)
                        .collect();
                    Err(Error::Conflict {
                        message: format!(
                            "every handle of {}'s pool `{asked}` is held, by the environments \
                             {}: tear one down (`stagecraft environments delete ID`), or add \
                             handles (`stagecraft apps handles add {} {asked} NAME`)",
                            app.name,
                            held.join(", "),
                            app.name
                        ),
                    })
                }
            };
        }
        Ok(None)
    }
}
