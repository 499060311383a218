//! `stagecraft datasets create|list|refresh|delete`: named copies of an environment's volumes
//! that new environments start from (`environments create --dataset NAME`, or a template's
//! `datasets` name).

use clap::Subcommand;
use stagecraft_api::{DatasetView, Error, Stagecraft};

use crate::Output;
use crate::output::{structured, table};

#[derive(Debug, Subcommand)]
pub(crate) enum Datasets {
    /// Takes the volumes of a set-up environment as a dataset named NAME. Pause the
    /// environment first (`environments pause ID`) for files at rest: a database writing while
    /// it is taken may be caught mid-write.
    Create {
        name: String,
        #[arg(long)]
        environment: String,
        /// `SERVICE:VOLUME`: a service and the name of one of its `volumes`; again for each.
        #[arg(long = "volume", value_name = "SERVICE:VOLUME", required = true)]
        volumes: Vec<String>,
    },
    /// Every dataset, with its size, the environment and commit it came from, and when.
    List,
    /// Takes the dataset again from its environment and volumes.
    Refresh { name: String },
    /// Deletes the dataset and its files (environments made from it keep their volumes), and
    /// lists those left.
    Delete { name: String },
}

pub(crate) async fn execute(
    stagecraft: &Stagecraft,
    command: Datasets,
    output: Output,
) -> Result<u8, Error> {
    let command_kind = match command {
        Datasets::Create { .. } | Datasets::Refresh { .. } => Kind::Took,
        Datasets::List | Datasets::Delete { .. } => Kind::Listed,
    };
    let shown = match command {
        Datasets::Create {
            name,
            environment,
            volumes,
        } => vec![
            stagecraft
                .create_dataset(&name, &environment, &volumes)
                .await?,
        ],
        Datasets::List => stagecraft.datasets().await?,
        Datasets::Refresh { name } => vec![stagecraft.refresh_dataset(&name).await?],
        Datasets::Delete { name } => {
            stagecraft.delete_dataset(&name).await?;
            stagecraft.datasets().await?
        }
    };
    let took = matches!(command_kind, Kind::Took);
    for dataset in &shown {
        if took && !dataset.paused {
            eprintln!(
                "note: {} was running while its volumes were taken; for files at rest, pause \
                 it first (stagecraft environments pause {}) and refresh",
                dataset.environment, dataset.environment
            );
        }
    }
    match output {
        Output::Table => print(&shown),
        _ => structured(&shown, output),
    }
    Ok(0)
}

/// Whether the command took a dataset (and may warn of a running environment).
enum Kind {
    Took,
    Listed,
}

fn print(datasets: &[DatasetView]) {
    table(
        &[
            "NAME",
            "APP",
            "FROM",
            "KEPT ON",
            "VOLUMES",
            "JOBS COVERED",
            "SIZE",
            "COMMIT",
            "TAKEN",
        ],
        &datasets
            .iter()
            .map(|d| {
                vec![
                    d.name.clone(),
                    d.app.clone(),
                    d.environment.clone(),
                    d.runtime.clone(),
                    d.volumes
                        .iter()
                        .map(|v| format!("{}:{}", v.service, v.volume))
                        .collect::<Vec<_>>()
                        .join(", "),
                    d.jobs.join(", "),
                    size(d.bytes),
                    d.commit
                        .as_deref()
                        .map_or_else(|| "-".to_owned(), |c| c.chars().take(12).collect()),
                    d.taken_at.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    );
}

/// Bytes as people read them.
fn size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    #[allow(clippy::cast_precision_loss)]
    let b = bytes as f64;
    if b >= KIB * KIB * KIB {
        format!("{:.1} GiB", b / (KIB * KIB * KIB))
    } else if b >= KIB * KIB {
        format!("{:.1} MiB", b / (KIB * KIB))
    } else {
        format!("{:.0} KiB", (b / KIB).ceil())
    }
}
