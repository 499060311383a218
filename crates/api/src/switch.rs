//! The runtimes' [`Switchboard`]: where each service is published now (the store's
//! `published_port`, kept for every process), and the local ingress asked to make its table
//! again when a service moves. The ingress may run in another process (the app, `stagecraft
//! serve`): it is spoken to over its own port, in two plain requests any process can send.

use std::time::Duration;

use stagecraft_engine::{EnvironmentRef, RuntimeError, Switchboard};
use stagecraft_store::Store;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The header that marks an answer as the ingress's own (not a service's), with its data
/// folder's id; on a refresh request, the data folder asking.
pub const INGRESS_HEADER: &str = "x-stagecraft-ingress";
/// The host of a probe: no environment has it, so the ingress answers with a page of its own.
pub const PROBE_HOST: &str = "stagecraft-probe.invalid";
/// The host of a request to make the table again (a `POST` with [`INGRESS_HEADER`]).
pub const REFRESH_HOST: &str = "stagecraft-refresh.invalid";

/// How long the ingress gets to answer a probe, or to make its table again: longer than the
/// 5 s the ingress itself gives a refresh, so an answer it sends is never missed.
const ASK_WITHIN: Duration = Duration::from_secs(8);

/// Whether the ingress of data folder `identity` answers on 127.0.0.1:`port`: with `refresh`,
/// once it has made its table again from the store.
pub async fn ask_ingress(port: u16, identity: &str, refresh: bool) -> bool {
    let request = if refresh {
        format!(
            "POST / HTTP/1.1\r\nHost: {REFRESH_HOST}\r\n{INGRESS_HEADER}: {identity}\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n"
        )
    } else {
        format!("HEAD / HTTP/1.1\r\nHost: {PROBE_HOST}\r\nConnection: close\r\n\r\n")
    };
    let asked = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut head = Vec::new();
        stream.read_to_end(&mut head).await.ok()?;
        let head = String::from_utf8_lossy(&head).into_owned();
        let status_ok = !refresh
            || head
                .lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                == Some("204");
        let ours = head.lines().any(|line| {
            line.split_once(':').is_some_and(|(name, value)| {
                name.trim().eq_ignore_ascii_case(INGRESS_HEADER) && value.trim() == identity
            })
        });
        Some(status_ok && ours)
    };
    tokio::time::timeout(ASK_WITHIN, asked)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// The ingress of one data folder, at its port.
#[derive(Debug)]
pub(crate) struct IngressSwitch {
    pub(crate) store: Store,
    pub(crate) port: u16,
}

impl IngressSwitch {
    async fn identity(&self) -> Result<String, RuntimeError> {
        Ok(self
            .store
            .meta()
            .await
            .map_err(|e| RuntimeError::new(format!("the data folder's id was not read: {e}")))?
            .folder_id)
    }
}

fn store_failed(error: stagecraft_store::StoreError) -> RuntimeError {
    RuntimeError::new(format!(
        "where a service is published was not kept: {error}"
    ))
}

#[async_trait::async_trait]
impl Switchboard for IngressSwitch {
    /// Asked as a switch is: an ingress that answers it takes switches (one of an older
    /// Stagecraft, which does not, is not used for them).
    async fn serving(&self) -> bool {
        match self.identity().await {
            Ok(identity) => ask_ingress(self.port, &identity, true).await,
            Err(_) => false,
        }
    }

    async fn published(
        &self,
        env: &EnvironmentRef,
        service: &str,
        port: u16,
    ) -> Result<u16, RuntimeError> {
        let moved = stagecraft_store::published_port::of(self.store.pool(), &env.env_id)
            .await
            .map_err(store_failed)?;
        Ok(moved
            .into_iter()
            .find(|p| p.service == service && p.port == port)
            .map_or_else(
                || stagecraft_engine::stable_host_port(&env.env_id, service, port),
                |p| p.host_port,
            ))
    }

    async fn switch(
        &self,
        env: &EnvironmentRef,
        service: &str,
        port: u16,
        host_port: u16,
    ) -> Result<(), RuntimeError> {
        let stable = stagecraft_engine::stable_host_port(&env.env_id, service, port) == host_port;
        stagecraft_store::published_port::set(
            self.store.pool(),
            &env.env_id,
            service,
            port,
            host_port,
            stable,
        )
        .await
        .map_err(store_failed)?;
        let identity = self.identity().await?;
        if ask_ingress(self.port, &identity, true).await {
            Ok(())
        } else {
            Err(RuntimeError::new(format!(
                "the ingress on port {} did not take {service}'s move to 127.0.0.1:{host_port} \
                 (it stopped, or could not read the store): the old replica stays",
                self.port
            )))
        }
    }
}
