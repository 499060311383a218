//! # stagecraft-ingress
//!
//! Stagecraft's local ingress: every environment's services at readable hostnames
//! (`web-ted1bc4.localhost`, or the template's `hostnames`), host and path routing as
//! Release's ingress does it (`rules`), on one 127.0.0.1 port, in front of the ports the
//! runtimes publish. Knows nothing of the store or the runtimes: it is given a routing table,
//! and a new one whenever environments change.
//!
//! # Layout
//! - `table.rs`: the routing table (hostnames, longest path prefix first)
//! - `proxy.rs`: the server and the forwarding (streams, upgrades, HTTP/2 from clients)
//! - `page.rs`: the ingress's own answers (an unknown hostname, a service not answering)

mod page;
mod proxy;
mod table;

pub use page::FROM_INGRESS;
pub use proxy::{Body, Routes, serve};
pub use table::{Conflict, Found, Route, Table, Target, host_of};
