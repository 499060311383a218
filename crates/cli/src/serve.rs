//! `stagecraft serve`: the clock without the window, for people who never open it: expiry
//! warnings, teardowns of expired environments, auto_deploy of new commits on environments'
//! branches. One process at a time runs the clock: while the app (or another `serve`) holds it,
//! this one waits and takes it over once that one stops. Ctrl-C or SIGTERM stops it after the
//! round under way (its deploys end as they would) and hands the clock over at once.

use std::time::Duration;

use stagecraft_api::{Error, Stagecraft};

pub(crate) async fn execute(stagecraft: &Stagecraft, every: Duration) -> Result<u8, Error> {
    eprintln!(
        "stagecraft serve: the clock runs every {} s while this process holds it (Ctrl-C stops)",
        every.as_secs()
    );
    let stop = tokio_util::sync::CancellationToken::new();
    let on_signal = stop.clone();
    tokio::spawn(async move {
        stopped().await;
        eprintln!("stagecraft serve: stopping after the current round");
        on_signal.cancel();
    });
    // A round's deploys end as they would; the clock is let go at once after.
    stagecraft.run_clock_until(every, &stop).await;
    Ok(0)
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
