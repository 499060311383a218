//! The local ingress's ports as a setting of the data folder: the System screen saves them, and
//! every process of the folder (the app, `stagecraft serve`, each command) reads them as it
//! opens. A running ingress keeps its port until its process starts again: the URLs of every
//! environment and the `*_INGRESS_URL` variables a deploy gives its services name the port,
//! so it changes with a start, not under a running window's links.

use stagecraft_store::ingress_setting::{self, IngressSetting};

use crate::{Error, IngressPorts, Stagecraft};

/// The saved setting as the ports it names.
pub(crate) fn ports_of(saved: IngressSetting) -> IngressPorts {
    IngressPorts {
        port: saved.port,
        https_port: saved.https_port,
    }
}

impl Stagecraft {
    /// The ingress's ports for this process, fixed as it opened: the ones its surroundings
    /// give ([`crate::GivenIngressPorts`]), else the data folder's saved ones, else the
    /// defaults.
    pub fn ingress_ports(&self) -> IngressPorts {
        self.ingress_ports
    }

    /// The data folder's saved ports, the defaults when none were saved: what a process
    /// without [`crate::INGRESS_PORT_VAR`] and [`crate::INGRESS_HTTPS_PORT_VAR`] starts with.
    pub async fn saved_ingress_ports(&self) -> Result<IngressPorts, Error> {
        Ok(ingress_setting::get(self.store.pool())
            .await?
            .map(ports_of)
            .unwrap_or_default())
    }

    /// Saves the ingress's ports for the data folder, from each process's next start. A port
    /// that is neither this process's ingress's nor free on 127.0.0.1 now (another program
    /// holds it, or it needs privileges) is refused, with the reason: the ingress would not
    /// start there.
    pub async fn set_ingress_ports(&self, ports: IngressPorts) -> Result<IngressPorts, Error> {
        if ports.port == 0 {
            return Err(Error::InvalidRequest {
                field: "port",
                message: "give a port from 1 to 65535 (7480 by default)".into(),
            });
        }
        if ports.https_port == Some(0) {
            return Err(Error::InvalidRequest {
                field: "httpsPort",
                message: "give a port from 1 to 65535, or none to turn HTTPS off".into(),
            });
        }
        if ports.https_port == Some(ports.port) {
            return Err(Error::InvalidRequest {
                field: "httpsPort",
                message: format!(
                    "{} is the HTTP port too: HTTPS needs a port of its own",
                    ports.port
                ),
            });
        }
        let held = self.ingress_ports;
        for (field, port) in [("port", Some(ports.port)), ("httpsPort", ports.https_port)] {
            let Some(port) = port else { continue };
            if port == held.port || Some(port) == held.https_port {
                continue;
            }
            free_here(port).map_err(|message| Error::InvalidRequest { field, message })?;
        }
        ingress_setting::set(
            self.store.pool(),
            IngressSetting {
                port: ports.port,
                https_port: ports.https_port,
            },
        )
        .await?;
        Ok(ports)
    }
}

/// Whether this process could listen on 127.0.0.1:`port` now; why not, said for a person.
fn free_here(port: u16) -> Result<(), String> {
    match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => Err(format!(
            "another program listens on 127.0.0.1:{port}: choose another port, or stop it"
        )),
        Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => Err(format!(
            "127.0.0.1:{port} needs privileges this user does not have ({error}): ports \
             below 1024 do on Linux; choose one above 1024"
        )),
        Err(error) => Err(format!("cannot listen on 127.0.0.1:{port}: {error}")),
    }
}
