//! Hostnames on this machine: what a template's hostname pattern gives for an environment
//! when `${domain}` is `localhost` (browsers and most resolvers send every `*.localhost` name
//! to the loopback address), and whether that is a name that can reach it.

/// The domain of every local hostname.
pub const LOCAL_DOMAIN: &str = "localhost";

/// What a hostname pattern (`frontend-${env_id}.${domain}`) gives for `env_id`, lowercase;
/// none when that is not a name under `localhost` (another domain, a port, a character a
/// hostname cannot have, a `${…}` left): nothing on this machine would send it here.
pub fn local_hostname(pattern: &str, env_id: &str) -> Option<String> {
    let host = pattern
        .replace("${env_id}", env_id)
        .replace("${domain}", LOCAL_DOMAIN)
        .trim()
        .to_ascii_lowercase();
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let under = host.strip_suffix(&format!(".{LOCAL_DOMAIN}"))?;
    under.split('.').all(label_ok).then_some(host)
}
