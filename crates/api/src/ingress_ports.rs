//! The local ingress's ports as a setting of the data folder: the System screen (or `stagecraft
//! ingress ports`) saves them, and a process of the folder (the app, `stagecraft serve`, each
//! command) reads them as it opens, unless the folder's ingress is served now: then it takes
//! the ports that one listens on, so every process names one ingress (the URLs of every
//! environment, the `*_INGRESS_URL` variables a deploy gives its services, the switchboard's
//! asks) until the process serving it stops. The saved ports apply at the ingress's next start.

use stagecraft_store::Store;
use stagecraft_store::ingress_setting::{self, IngressSetting};

use crate::{DEFAULT_INGRESS_PORT, Error, IngressPorts, Stagecraft};

fn ports_of(saved: IngressSetting) -> IngressPorts {
    IngressPorts {
        port: saved.port,
        https_port: saved.https_port,
    }
}

/// The ports the folder's ingress serves now, when the process that recorded them lives.
async fn live(store: &Store, host: &str) -> Result<Option<IngressPorts>, Error> {
    let Some((ports, holder)) = ingress_setting::served(store.pool()).await? else {
        return Ok(None);
    };
    let alive = stagecraft_store::holder::by_name(store.pool(), &holder)
        .await?
        .is_some_and(|h| !crate::holder::is_dead(&h, host));
    Ok(alive.then(|| ports_of(ports)))
}

/// The data folder's ports for a process that opens it: the served ones while their process
/// lives, else the saved ones (none: the defaults).
pub(crate) async fn folder_ports(store: &Store, host: &str) -> Result<Option<IngressPorts>, Error> {
    Ok(match live(store, host).await? {
        Some(ports) => Some(ports),
        None => ingress_setting::get(store.pool()).await?.map(ports_of),
    })
}

impl Stagecraft {
    /// The ingress's ports for this process, fixed as it opened: the ones its surroundings
    /// give ([`crate::GivenIngressPorts`]), else the ones the folder's ingress serves, else
    /// the saved ones, else the defaults.
    pub fn ingress_ports(&self) -> IngressPorts {
        self.ingress_ports
    }

    /// The data folder's saved ports, the defaults when none were saved: what the ingress
    /// starts with when no process serves it.
    pub async fn saved_ingress_ports(&self) -> Result<IngressPorts, Error> {
        Ok(ingress_setting::get(self.store.pool())
            .await?
            .map(ports_of)
            .unwrap_or_default())
    }

    /// Records that this process serves the folder's ingress at its ports: processes that
    /// open the folder from now on take them.
    pub async fn ingress_serving(&self) -> Result<(), Error> {
        let ports = self.ingress_ports;
        ingress_setting::set_served(
            self.store.pool(),
            IngressSetting {
                port: ports.port,
                https_port: ports.https_port,
            },
            &self.deploys.me().name,
        )
        .await?;
        Ok(())
    }

    /// Records that this process no longer serves the ingress.
    pub async fn ingress_stopped(&self) -> Result<(), Error> {
        ingress_setting::clear_served(self.store.pool(), &self.deploys.me().name).await?;
        Ok(())
    }

    /// Saves the ingress's ports for the data folder, from the ingress's next start. A port
    /// that changes and is not free on 127.0.0.1 now (another program holds it, or it needs
    /// privileges) is refused, with the reason: the ingress would not start there. The saved
    /// ports and the ones the folder's ingress serves are taken as they are.
    pub async fn set_ingress_ports(&self, ports: IngressPorts) -> Result<IngressPorts, Error> {
        if ports.port == 0 {
            return Err(Error::InvalidRequest {
                field: "port",
                message: format!("give a port from 1 to 65535 ({DEFAULT_INGRESS_PORT} by default)"),
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
                    "{} is the HTTP port too: HTTPS needs a port of its own (another one, or \
                     HTTPS off)",
                    ports.port
                ),
            });
        }
        let saved = self.saved_ingress_ports().await?;
        let served = live(&self.store, &self.deploys.me().host).await?;
        let ours = |port: u16| {
            [Some(saved), served]
                .into_iter()
                .flatten()
                .any(|known| known.port == port || known.https_port == Some(port))
        };
        for (field, port) in [("port", Some(ports.port)), ("httpsPort", ports.https_port)] {
            let Some(port) = port else { continue };
            if !ours(port) {
                free_here(port).map_err(|message| Error::InvalidRequest { field, message })?;
            }
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
            "this user may not listen on 127.0.0.1:{port} ({error}): on Linux ports below 1024 \
             need privileges, on Windows a range the system keeps for itself refuses it too \
             (`netsh int ipv4 show excludedportrange protocol=tcp` lists them); choose another \
             port"
        )),
        Err(error) => Err(format!(
            "cannot listen on 127.0.0.1:{port}: {error}; choose another port"
        )),
    }
}
