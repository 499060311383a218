//! `stagecraft presets save|list|delete`: the options of `environments create` saved under a
//! name, used by `environments create --preset NAME`.

use clap::Subcommand;
use stagecraft_api::{Error, PresetOptions, PresetView, Stagecraft};

use crate::Output;
use crate::environments::name_value;
use crate::output::{structured, table};

#[derive(Debug, Subcommand)]
pub(crate) enum Presets {
    /// Saves create options under NAME (replacing a preset of that name), checked as
    /// `environments create` checks them.
    Save {
        name: String,
        #[arg(long)]
        app: String,
        #[arg(long)]
        branch: Option<String>,
        /// The `environment_templates` entry.
        #[arg(long)]
        template: Option<String>,
        #[arg(long)]
        ttl_hours: Option<u64>,
        /// `docker`, or `kube:<context>`.
        #[arg(long)]
        runtime: Option<String>,
        #[arg(long = "param", value_name = "NAME=VALUE", value_parser = name_value)]
        params: Vec<(String, String)>,
    },
    /// Every preset.
    List,
    /// Removes a preset.
    Delete { name: String },
}

pub(crate) async fn execute(
    stagecraft: &Stagecraft,
    command: Presets,
    output: Output,
) -> Result<u8, Error> {
    let presets = match command {
        Presets::Save {
            name,
            app,
            branch,
            template,
            ttl_hours,
            runtime,
            params,
        } => vec![
            stagecraft
                .save_preset(
                    &name,
                    &app,
                    PresetOptions {
                        branch,
                        template,
                        ttl_hours,
                        runtime,
                        parameters: params.into_iter().collect(),
                    },
                )
                .await?,
        ],
        Presets::List => stagecraft.presets().await?,
        Presets::Delete { name } => {
            stagecraft.delete_preset(&name).await?;
            stagecraft.presets().await?
        }
    };
    print(&presets, output);
    Ok(0)
}

fn print(presets: &[PresetView], output: Output) {
    match output {
        Output::Table => table(
            &[
                "PRESET",
                "APP",
                "BRANCH",
                "TEMPLATE",
                "TTL",
                "RUNTIME",
                "PARAMETERS",
            ],
            &presets
                .iter()
                .map(|p| {
                    let o = &p.options;
                    vec![
                        p.name.clone(),
                        p.app.clone(),
                        o.branch.clone().unwrap_or_default(),
                        o.template.clone().unwrap_or_default(),
                        o.ttl_hours.map(|h| format!("{h} h")).unwrap_or_default(),
                        o.runtime.clone().unwrap_or_default(),
                        o.parameters
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(" "),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
        _ => structured(&presets, output),
    }
}
