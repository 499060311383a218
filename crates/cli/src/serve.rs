//! `stagecraft serve`: the clock without the window, for people who never open it: expiry
//! warnings, teardowns of expired environments, auto_deploy of new commits on environments'
//! branches. One process at a time runs the clock: while the app (or another `serve`) holds it,
//! this one waits and takes it over once that one stops. Ctrl-C or SIGTERM stops it after the
//! round under way (its deploys end as they would) and hands the clock over at once.
//!
//! It serves the HTTP API too (`stagecraft-http`), on 127.0.0.1 unless told otherwise, from
//! the start, whoever holds the clock; the deploys it queues run in this process. And the
//! local ingress (`stagecraft-ingress`), unless another Stagecraft (the app) serves it.

use std::net::SocketAddr;
use std::time::Duration;

use stagecraft_api::{Error, Stagecraft};

/// What `serve` runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Serve {
    /// The clock's period.
    pub every: Duration,
    /// Where the HTTP API listens; none with `--no-api`.
    pub api: Option<SocketAddr>,
    pub limits: stagecraft_http::Limits,
    /// Runs the local ingress (or uses another Stagecraft's).
    pub ingress: bool,
}

pub(crate) async fn execute(stagecraft: &Stagecraft, serve: Serve) -> Result<u8, Error> {
    let stop = tokio_util::sync::CancellationToken::new();
    let api_failed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let api = match serve.api {
        None => None,
        Some(address) => {
            let listener =
                stagecraft_http::bind(address)
                    .await
                    .map_err(|error| Error::Conflict {
                        message: error.to_string(),
                    })?;
            let bound = listener.local_addr().unwrap_or(address);
            if !bound.ip().is_loopback() {
                eprintln!(
                    "warning: the API listens on {bound}, beyond this machine: anyone who \
                     reaches it can try tokens, and they travel unencrypted"
                );
            }
            eprintln!("stagecraft serve: the API answers on http://{bound}/api/v1/");
            let served =
                stagecraft_http::serve(stagecraft.clone(), listener, serve.limits, stop.clone());
            let api = tokio::spawn(served);
            // The API ends only at the stop: one that ends before (it panicked) stops `serve`
            // at once with an error, rather than leave scripts meeting a closed port.
            let (api_stop, failed) = (stop.clone(), std::sync::Arc::clone(&api_failed));
            Some(tokio::spawn(async move {
                let ended = api.await;
                if !api_stop.is_cancelled() {
                    let why = ended.err().map_or_else(String::new, |e| format!(": {e}"));
                    eprintln!("error: the HTTP API stopped{why}; stopping serve");
                    failed.store(true, std::sync::atomic::Ordering::SeqCst);
                    api_stop.cancel();
                }
            }))
        }
    };
    if serve.ingress {
        let stagecraft_api::IngressPorts { port, https_port } = stagecraft.ingress_ports();
        match stagecraft_ingress::start(stagecraft.clone(), port, stop.clone()).await {
            Ok(started) if *started.borrow() == stagecraft_ingress::Started::Here => {
                eprintln!(
                    "stagecraft serve: the ingress answers on http://127.0.0.1:{port}/: each \
                     environment's services at http://<service>-<id>.localhost:{port}/"
                );
                if let Some(https) = https_port {
                    // The ingress binds it as it starts: said once it answers there.
                    let mut answers = false;
                    for _ in 0..50 {
                        if tokio::net::TcpStream::connect(("127.0.0.1", https))
                            .await
                            .is_ok()
                        {
                            answers = true;
                            break;
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                    let authority = stagecraft.settings().data_dir.ingress_authority();
                    if answers {
                        eprintln!(
                            "stagecraft serve: and HTTPS at https://<service>-<id>.localhost:{https}/, \
                             signed by the data folder's authority: trust {} once (README, \
                             \"HTTPS\")",
                            authority.display()
                        );
                    } else {
                        eprintln!(
                            "warning: the ingress answers no HTTPS on port {https} (the warning \
                             above says why); serve goes on with HTTP"
                        );
                    }
                }
            }
            Ok(_) => eprintln!(
                "stagecraft serve: this data folder's ingress is served by another Stagecraft on \
                 port {port} (this one takes over if it stops)"
            ),
            // The clock and the API are what `serve` is for; the URLs say where the ingress
            // would be, and the warning why nothing answers there.
            Err(error) => eprintln!("warning: {error}; serve goes on without the ingress"),
        }
    }
    eprintln!(
        "stagecraft serve: the clock runs every {} s while this process holds it (Ctrl-C stops)",
        serve.every.as_secs()
    );
    let on_signal = stop.clone();
    tokio::spawn(async move {
        stopped().await;
        eprintln!(
            "stagecraft serve: stopping after the current round and the deploys and builds \
             under way (Ctrl-C again quits at once)"
        );
        on_signal.cancel();
        stopped().await;
        eprintln!("stagecraft serve: quitting at once; what ran is recovered at the next start");
        std::process::exit(130);
    });
    // A round's deploys end as they would; the clock is let go at once after.
    stagecraft.run_clock_until(serve.every, &stop).await;
    if let Some(api) = api {
        let _ = api.await;
    }
    Ok(u8::from(
        api_failed.load(std::sync::atomic::Ordering::SeqCst),
    ))
}

/// Ctrl-C, or (on Unix) SIGTERM.
async fn stopped() {
    #[cfg(unix)]
    {
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
