//! # stagecraft-ingress
//!
//! Stagecraft's local ingress: every environment's services at readable hostnames
//! (`web-ted1bc4.localhost`, or the template's `hostnames`), host and path routing as
//! Release's ingress does it (`rules`), on one 127.0.0.1 port, in front of the ports the
//! runtimes publish. The proxy and its table know nothing of the store or the runtimes;
//! `run.rs` makes the table (`stagecraft_engine::routing`) from `stagecraft-api`'s routes and
//! keeps it current.
//!
//! # Layout
//! - `proxy.rs`: the server and the forwarding (streams, upgrades, HTTP/2 from clients)
//! - `page.rs`: the ingress's own answers (an unknown hostname, a service not answering)
//! - `tls.rs`: its HTTPS: the data folder's certificate authority, a certificate per hostname
//! - `run.rs`: one ingress per machine for a Stagecraft's environments, its table kept current

mod page;
mod proxy;
mod run;
mod tls;

pub use page::FROM_INGRESS;
pub use proxy::{Body, RefreshAsk, Routes, serve, serve_tls};
pub use run::{IngressError, REFRESH, Started, start};
pub use stagecraft_engine::routing::{Conflict, Found, Route, Table, Target, host_of};
pub use tls::{Authority, server_config};
