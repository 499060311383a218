//! The local ingress's ports as a setting of the data folder: the System screen (or `stagecraft
//! ingress ports`) saves them, and a process of the folder (the app, `stagecraft serve`, each
//! command) reads them as it opens, unless the folder's ingress is in use now: then it takes
//! the ports the processes using it recorded (the one serving it, those standing by), so every
//! process names one ingress (the URLs of every environment, the `*_INGRESS_URL` variables a
//! deploy gives its services, the switchboard's asks) until all of those have stopped. The
//! saved ports apply at the ingress's next start.

use stagecraft_store::Store;
use stagecraft_store::ingress_setting::{self, IngressSetting};

use crate::{DEFAULT_INGRESS_PORT, Error, IngressPorts, Stagecraft};

impl From<IngressSetting> for IngressPorts {
    fn from(saved: IngressSetting) -> Self {
        Self {
            port: saved.port,
            https_port: saved.https_port,
        }
    }
}

impl From<IngressPorts> for IngressSetting {
    fn from(ports: IngressPorts) -> Self {
        Self {
            port: ports.port,
            https_port: ports.https_port,
        }
    }
}

/// The ports the folder's ingress is used at now: those of the first process recorded as
/// using it (serving it first) that lives on this host. A process another host recorded is
/// never this machine's ingress; one that died here is forgotten.
async fn live(store: &Store, host: &str) -> Result<Option<IngressPorts>, Error> {
    for user in ingress_setting::users(store.pool()).await? {
        let holder = stagecraft_store::holder::by_name(store.pool(), &user.holder).await?;
        match holder {
            Some(h) if h.host == host && !crate::holder::is_dead(&h, host) => {
                return Ok(Some(user.ports.into()));
            }
            Some(h) if h.host != host => {}
            _ => ingress_setting::forget_user(store.pool(), &user.holder).await?,
        }
    }
    Ok(None)
}

/// The data folder's ports for a process that opens it: those its ingress is used at while
/// a process using it lives, else the saved ones (none: the defaults).
pub(crate) async fn folder_ports(store: &Store, host: &str) -> Result<Option<IngressPorts>, Error> {
    Ok(match live(store, host).await? {
        Some(ports) => Some(ports),
        None => ingress_setting::get(store.pool()).await?.map(Into::into),
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
            .map(Into::into)
            .unwrap_or_default())
    }

    /// Records that this process uses the folder's ingress at `ports`: serving it (the ports
    /// it listens on), or standing by to take it over where it found it. Processes that open
    /// the folder from now on take them.
    pub async fn ingress_in_use(&self, ports: IngressPorts, serving: bool) -> Result<(), Error> {
        let me = &self.deploys.me().name;
        ingress_setting::record_user(self.store.pool(), me, ports.into(), serving).await?;
        self.ingress_recorded
            .store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// Records that this process no longer uses the ingress (it stops, or closes).
    pub async fn ingress_stopped(&self) -> Result<(), Error> {
        ingress_setting::forget_user(self.store.pool(), &self.deploys.me().name).await?;
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
        ingress_setting::set(self.store.pool(), ports.into()).await?;
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
