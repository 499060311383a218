//! `stagecraft ingress ports`: the local ingress's ports, a setting of the data folder that the
//! app, `stagecraft serve` and every command read as they start (the System screen's Ingress
//! card sets them too).

use clap::Subcommand;
use serde::Serialize;
use stagecraft_api::{Error, IngressPorts, Stagecraft};

use crate::Output;
use crate::output::{structured, table};

#[derive(Debug, Subcommand)]
pub(crate) enum Ingress {
    /// Prints the ports this command uses (the ones the data folder's ingress serves now, else
    /// the saved ones) and the saved ones; with an option, saves them first: the ingress takes
    /// them at its next start (a running app or `serve` keeps it where it is until then).
    Ports {
        /// The port every environment's `*.localhost` hostnames answer on.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        port: Option<u16>,
        /// Turns HTTPS on at this port, with the data folder's own certificate authority.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..), conflicts_with = "no_https")]
        https_port: Option<u16>,
        /// Turns HTTPS off.
        #[arg(long)]
        no_https: bool,
    },
}

/// What `ingress ports` prints.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PortsView {
    /// This command's: the served ones, else the saved ones, unless a variable sets them.
    now: IngressPorts,
    saved: IngressPorts,
    set_by_env: Vec<&'static str>,
}

pub(crate) async fn execute(
    stagecraft: &Stagecraft,
    command: Ingress,
    output: Output,
) -> Result<u8, Error> {
    let Ingress::Ports {
        port,
        https_port,
        no_https,
    } = command;
    let mut saved = stagecraft.saved_ingress_ports().await?;
    if port.is_some() || https_port.is_some() || no_https {
        let asked = IngressPorts {
            port: port.unwrap_or(saved.port),
            https_port: if no_https {
                None
            } else {
                https_port.or(saved.https_port)
            },
        };
        saved = stagecraft
            .set_ingress_ports(asked)
            .await
            .map_err(|error| match error {
                // Named as this command's options, not the window's fields.
                Error::InvalidRequest { field, message } => Error::InvalidRequest {
                    field: match field {
                        "port" => "--port",
                        "httpsPort" => "--https-port",
                        other => other,
                    },
                    message,
                },
                other => other,
            })?;
        eprintln!(
            "saved: the ingress takes these ports at its next start (when no app or `stagecraft \
             serve` of this data folder serves it); environments' services get the new \
             *_INGRESS_URL with their next deploy after it"
        );
    }
    let view = PortsView {
        now: stagecraft.ingress_ports(),
        saved,
        set_by_env: stagecraft.settings().ingress.variables(),
    };
    match output {
        Output::Table => {
            let https = |p: IngressPorts| {
                p.https_port
                    .map_or_else(|| "off".to_owned(), |p| p.to_string())
            };
            table(
                &["", "PORT", "HTTPS"],
                &[
                    vec![
                        "saved".to_owned(),
                        view.saved.port.to_string(),
                        https(view.saved),
                    ],
                    vec![
                        "this command".to_owned(),
                        view.now.port.to_string(),
                        https(view.now),
                    ],
                ],
            );
            for name in &view.set_by_env {
                eprintln!("{name} sets this command's port instead of the data folder's");
            }
        }
        _ => structured(&view, output),
    }
    Ok(0)
}
