//! Presets: the options of `environments create` saved under a name (an app, and any of a
//! branch, an environment template, a TTL, a runtime and parameter values), used by
//! `environments create --preset NAME` (a flag given beside it wins) and the New environment
//! dialog. Checked when saved as creating would check them, but for the runtime, which may be
//! away now and back when the preset is used (creating says so then).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use stagecraft_store::preset;
use ts_rs::TS;

use crate::{CreateEnvironment, Error, Stagecraft};

/// What a preset gives `environments create`; each left out takes the usual default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PresetOptions {
    /// The branch; with a `*` (`feature/*`), a pattern the branch asked for must match
    /// (there is no default branch then).
    pub branch: Option<String>,
    /// The `environment_templates` entry.
    pub template: Option<String>,
    #[ts(type = "number | null")]
    pub ttl_hours: Option<u64>,
    pub runtime: Option<String>,
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
}

/// A saved preset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PresetView {
    pub name: String,
    pub app: String,
    pub options: PresetOptions,
}

impl PresetView {
    /// The request it makes, `given` (what was asked beside it) winning over it; refused when
    /// the preset's branch is a pattern the branch asked for does not match.
    pub fn request(&self, given: PresetOptions) -> Result<CreateEnvironment, Error> {
        let mut parameters = self.options.parameters.clone();
        parameters.extend(given.parameters);
        let branch = match (&self.options.branch, given.branch) {
            (Some(pattern), given) if pattern.contains('*') => match given {
                Some(branch) if matches(pattern, &branch) => Some(branch),
                Some(branch) => {
                    return Err(Error::InvalidRequest {
                        field: "branch",
                        message: format!(
                            "the preset {} is for branches like `{pattern}`: `{branch}` is not one",
                            self.name
                        ),
                    });
                }
                None => {
                    return Err(Error::InvalidRequest {
                        field: "branch",
                        message: format!(
                            "the preset {} is for branches like `{pattern}`: name one (`--branch`)",
                            self.name
                        ),
                    });
                }
            },
            (preset, given) => given.or_else(|| preset.clone()),
        };
        Ok(CreateEnvironment {
            dataset: None,
            app: self.app.clone(),
            branch,
            environment_template: given
                .template
                .or_else(|| self.options.template.clone())
                .unwrap_or_else(|| "ephemeral".to_owned()),
            runtime: given
                .runtime
                .or_else(|| self.options.runtime.clone())
                .unwrap_or_else(|| "docker".to_owned()),
            name: None,
            ttl: given
                .ttl_hours
                .or(self.options.ttl_hours)
                .map(|h| Duration::from_secs(h.saturating_mul(3600))),
            working_tree: false,
            parameters,
        })
    }
}

/// Whether `text` matches `pattern`, where each `*` stands for any run of characters.
fn matches(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

impl Stagecraft {
    /// Saves `options` for `app` under `name` (replacing a preset of that name), checked as
    /// creating an environment checks them.
    pub async fn save_preset(
        &self,
        name: &str,
        app_name: &str,
        options: PresetOptions,
    ) -> Result<PresetView, Error> {
        let name = name.trim();
        if name.is_empty() || name.len() > 64 {
            return Err(Error::InvalidRequest {
                field: "name",
                message: "a preset's name is 1 to 64 characters".to_owned(),
            });
        }
        let app = self.find_app(app_name).await?;
        let template = options.template.as_deref().unwrap_or("ephemeral");
        // The template and the parameters, as creating checks them.
        let parameters = self.app_parameters(app_name, template).await?;
        if let Some(unknown) = options
            .parameters
            .keys()
            .find(|k| !parameters.iter().any(|p| &p.name == *k))
        {
            return Err(Error::InvalidRequest {
                field: "parameters",
                message: format!(
                    "the template has no parameter {unknown}: it declares {}",
                    parameters
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        if let Some(hours) = options.ttl_hours
            && (hours == 0
                || Duration::from_secs(hours.saturating_mul(3600)) > crate::MAX_EXTENSION)
        {
            return Err(Error::InvalidRequest {
                field: "ttl",
                message: format!(
                    "{hours} h: an ephemeral environment lives 1 h to {} days",
                    crate::MAX_EXTENSION.as_secs() / 86_400
                ),
            });
        }
        let json = serde_json::to_string(&options).map_err(|e| Error::InvalidRequest {
            field: "options",
            message: e.to_string(),
        })?;
        preset::save(self.store.pool(), name, app.id, &json).await?;
        self.preset(name).await
    }

    /// Every preset, by name.
    pub async fn presets(&self) -> Result<Vec<PresetView>, Error> {
        preset::list(self.store.pool())
            .await?
            .into_iter()
            .map(|row| {
                let options =
                    serde_json::from_str(&row.options_json).map_err(|e| Error::Conflict {
                        message: format!(
                            "the preset {} cannot be read ({e}): save it again",
                            row.name
                        ),
                    })?;
                Ok(PresetView {
                    name: row.name,
                    app: row.app,
                    options,
                })
            })
            .collect()
    }

    /// The preset `name`.
    pub async fn preset(&self, name: &str) -> Result<PresetView, Error> {
        let name = name.trim();
        let presets = self.presets().await?;
        let known: Vec<String> = presets.iter().map(|p| p.name.clone()).collect();
        presets
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| Error::NotFound {
                what: "preset",
                name: if known.is_empty() {
                    format!("{name} (none saved: `stagecraft presets save`)")
                } else {
                    format!("{name} (saved: {})", known.join(", "))
                },
            })
    }

    /// Removes the preset `name`.
    pub async fn delete_preset(&self, name: &str) -> Result<(), Error> {
        let name = name.trim();
        if preset::delete(self.store.pool(), name).await? {
            Ok(())
        } else {
            Err(Error::NotFound {
                what: "preset",
                name: name.to_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn a_star_stands_for_any_run_of_characters() {
        for (pattern, text, expected) in [
            ("feature/*", "feature/cart", true),
            ("feature/*", "feature/", true),
            ("feature/*", "fix/cart", false),
            ("*-hotfix", "v2-hotfix", true),
            ("*-hotfix", "v2-hotfix-2", false),
            ("release/*/rc*", "release/2.1/rc3", true),
            ("release/*/rc*", "release/2.1/beta", false),
            ("a*a", "a", false),
            ("a*a", "aa", true),
            ("main", "main", true),
            ("main", "mainline", false),
        ] {
            assert_eq!(matches(pattern, text), expected, "{pattern} ~ {text}");
        }
    }
}
