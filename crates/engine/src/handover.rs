//! A service replaced without downtime behind the local ingress. Each `node_port` of a service
//! has two 127.0.0.1 ports: its stable one and a second one. The new container starts beside
//! the old on whichever of the two the old does not hold, is waited for until it is ready, the
//! ingress is switched to it, and only then is the old one stopped (after a few seconds for
//! its requests under way, then its stop's grace period). Only for a service with one
//! `node_port` and no volume that outlives its containers. Where the service is published now
//! is kept by whoever runs the ingress ([`Switchboard`]).

use crate::{EnvironmentRef, RuntimeError};

/// What sends a service's requests where they are told: the local ingress, and where each
/// service is published now. The API implements it over the store and the ingress.
#[async_trait::async_trait]
pub trait Switchboard: std::fmt::Debug + Send + Sync + 'static {
    /// Whether an ingress of this data folder serves requests now: only then is a
    /// replacement started beside the old replica (nobody else would send it requests).
    async fn serving(&self) -> bool;

    /// The 127.0.0.1 port `service`'s `port` of `env` is published on now: its stable one
    /// unless a handover moved it.
    async fn published(
        &self,
        env: &EnvironmentRef,
        service: &str,
        port: u16,
    ) -> Result<u16, RuntimeError>;

    /// From now on `service`'s `port` is reached at 127.0.0.1:`host_port`: kept, and the
    /// ingress's table made again. Returns once the ingress sends new requests there; fails
    /// when it did not say so (the caller goes back).
    async fn switch(
        &self,
        env: &EnvironmentRef,
        service: &str,
        port: u16,
        host_port: u16,
    ) -> Result<(), RuntimeError>;
}

/// The other of `service`'s two host ports for `port`: the one a replacement takes while the
/// old replica holds `current`.
pub fn other_host_port(env_id: &str, service: &str, port: u16, current: u16) -> u16 {
    let stable = crate::stable_host_port(env_id, service, port);
    if current != stable {
        return stable;
    }
    let second = crate::runtime::host_port_of(&format!("{env_id}/{service}/{port}/second"));
    if second == stable {
        crate::runtime::host_port_of(&format!("{env_id}/{service}/{port}/third"))
    } else {
        second
    }
}

#[cfg(test)]
mod tests {
    use super::other_host_port;
    use crate::stable_host_port;

    #[test]
    fn a_service_moves_between_its_two_ports() {
        let stable = stable_host_port("ted1bc4", "web", 8080);
        let second = other_host_port("ted1bc4", "web", 8080, stable);
        assert_ne!(second, stable);
        assert!((20000..32000).contains(&second));
        assert_eq!(other_host_port("ted1bc4", "web", 8080, second), stable);
        assert_eq!(
            other_host_port("ted1bc4", "web", 8080, stable),
            second,
            "the same every time"
        );
    }
}
