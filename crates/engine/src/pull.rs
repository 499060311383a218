//! Why an image could not be pulled, said the same way whichever runtime pulled it: no
//! registry could be reached (which one), or the registry has no such image (a typo in its
//! name or tag, or a private image without a login). Both runtimes hand over the registry's
//! or the engine's own words; the classification is made here from what those words say.

/// Words that mean the registry was never reached.
const UNREACHABLE: &[&str] = &[
    "dial tcp",
    "no such host",
    "i/o timeout",
    "connection refused",
    "network is unreachable",
    "tls handshake timeout",
    "temporary failure in name resolution",
    "server misbehaving",
    "context deadline exceeded",
    "connection reset",
];

/// Words that mean the registry answered and has no such image (or will not show it).
const MISSING: &[&str] = &[
    "manifest unknown",
    "not found",
    "repository does not exist",
    "pull access denied",
    "requested access to the resource is denied",
    "name unknown",
    "unauthorized",
];

/// The registry an image reference names: its first part when that looks like a host
/// (`127.0.0.1:5000/team/web`, `ghcr.io/org/app`), else Docker Hub.
pub fn registry_of(image: &str) -> &str {
    match image.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first,
        _ => "docker.io",
    }
}

/// Who pulled: the advice differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Puller {
    /// The local Docker engine.
    Engine,
    /// A cluster's nodes.
    Cluster,
}

/// What to say when pulling `image` failed with `reason` (the engine's or the registry's
/// words, kept at the end).
pub fn pull_failure(image: &str, reason: &str, puller: Puller) -> String {
    let lower = reason.to_ascii_lowercase();
    let registry = registry_of(image);
    let other_way = match puller {
        Puller::Engine => {
            "Build the image (give the workload a `build`) or load it into the engine \
             (`docker load`)"
        }
        Puller::Cluster => {
            "Push it to a registry the cluster's nodes reach (the environment's image \
             registry), or load it into the cluster"
        }
    };
    let login = match puller {
        Puller::Engine => format!("`docker login {registry}`"),
        Puller::Cluster => "a pull secret (the create form's \"Let the cluster pull with my \
                            Docker login\")"
            .to_owned(),
    };
    if UNREACHABLE.iter().any(|w| lower.contains(w)) {
        format!(
            "cannot pull {image}: no registry could be reached at {registry} ({reason}). \
             {other_way}, or check the network and the registry's address"
        )
    } else if MISSING.iter().any(|w| lower.contains(w)) {
        format!(
            "cannot pull {image}: {registry} has no such image ({reason}). Check the name and \
             the tag for a typo; a private image needs a login ({login})"
        )
    } else {
        format!("cannot pull {image}: {reason}. {other_way}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_registry_and_a_missing_image_are_told_apart() {
        let unreachable = pull_failure(
            "127.0.0.1:1/team/web:1",
            "Get \"https://127.0.0.1:1/v2/\": dial tcp 127.0.0.1:1: connect: connection refused",
            Puller::Engine,
        );
        assert!(
            unreachable.contains("no registry could be reached at 127.0.0.1:1"),
            "{unreachable}"
        );
        let typo = pull_failure(
            "postgress:16",
            "pull access denied for postgress, repository does not exist or may require 'docker login'",
            Puller::Engine,
        );
        assert!(typo.contains("docker.io has no such image"), "{typo}");
        assert!(typo.contains("typo"));
        let kube = pull_failure(
            "ghcr.io/org/app:v9",
            "rpc error: code = NotFound desc = failed to pull and unpack image \"ghcr.io/org/app:v9\": not found",
            Puller::Cluster,
        );
        assert!(kube.contains("ghcr.io has no such image"), "{kube}");
        assert!(
            kube.contains("pull secret") && !kube.contains("docker login"),
            "{kube}"
        );
        assert_eq!(registry_of("localhost/web"), "localhost");
        assert_eq!(registry_of("library/nginx"), "docker.io");
    }
}
