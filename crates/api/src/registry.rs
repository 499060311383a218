//! An app's image registry: where its built images are pushed for a cluster that pulls them.
//!
//! It is `app.image_registry` (migration 0013), set with `stagecraft apps set-registry` or in
//! the create form when a runtime that pulls is chosen, and checked against Docker's reference
//! grammar before it is kept, so a deploy never meets a name Docker would refuse. Whether
//! clusters pull with the user's own Docker login is `app.share_registry_login` (migration
//! 0015, `--share-login`, or the create form's checkbox; off by default). How the images and
//! the login reach a cluster: the kube crate's `runtime.rs`.

use stagecraft_store::app;

use crate::{Error, Stagecraft};

const FIELD: &str = "image_registry";

impl Stagecraft {
    /// Names the registry `app`'s built images are pushed to (`host[:port]/path`, as in
    /// `registry.example.com/team`), or none; and whether clusters pull them with the user's
    /// own Docker login for it (kept as a Secret in each environment's namespace). Checked
    /// here, so a deploy never meets a name Docker would refuse.
    pub async fn set_image_registry(
        &self,
        app_name: &str,
        registry: Option<&str>,
        share_login: bool,
    ) -> Result<stagecraft_engine::App, Error> {
        let registry = registry
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(check_registry)
            .transpose()?;
        if share_login && registry.is_none() {
            return Err(invalid(
                "sharing your registry login needs a registry to share it for: name one".to_owned(),
            ));
        }
        let found = app::by_name(self.store.pool(), app_name)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "app",
                name: app_name.to_owned(),
            })?;
        if !app::set_image_registry(
            self.store.pool(),
            found.id,
            registry.as_deref(),
            share_login,
        )
        .await?
        {
            return Err(Error::NotFound {
                what: "app",
                name: app_name.to_owned(),
            });
        }
        app::by_id(self.store.pool(), found.id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "app",
                name: app_name.to_owned(),
            })
    }
}

fn invalid(message: String) -> Error {
    Error::InvalidRequest {
        field: FIELD,
        message,
    }
}

/// The registry as Docker will read it, or what is wrong with it: `host[:port]` and then
/// repository path components, no scheme, tag or digest (Stagecraft adds the image's name and
/// tag).
fn check_registry(text: &str) -> Result<String, Error> {
    if let Some((scheme, rest)) = text.split_once("://") {
        return Err(invalid(format!(
            "`{text}` starts with `{scheme}://`: leave the scheme out (`{rest}`); Docker \
             decides between HTTPS and HTTP itself"
        )));
    }
    let text = text.trim_end_matches('/');
    let mut parts = text.split('/');
    let first = parts.next().unwrap_or_default();
    let names_host = first.contains(['.', ':']) || first == "localhost";
    if names_host {
        check_host(text, first)?;
    } else {
        // `acme` is Docker Hub's `docker.io/acme`: a path component like the rest.
        check_component(text, first)?;
    }
    for component in parts {
        check_component(text, component)?;
    }
    Ok(text.to_owned())
}

fn check_host(text: &str, host: &str) -> Result<(), Error> {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        // An IPv6 address: `[::1]:5000`.
        let Some((address, after)) = rest.split_once(']') else {
            return Err(invalid(format!(
                "`{text}`: `{host}` opens `[` and never closes it"
            )));
        };
        if address.is_empty() || !address.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return Err(invalid(format!(
                "`{text}`: `[{address}]` is not an IPv6 address"
            )));
        }
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => {
                return Err(invalid(format!(
                    "`{text}`: `{after}` follows the IPv6 address; only `:<port>` may"
                )));
            }
        };
        (None, port)
    } else {
        match host.split_once(':') {
            Some((name, port)) => (Some(name), Some(port)),
            None => (Some(host), None),
        }
    };
    if let Some(name) = name {
        let fits = name.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
        if !fits {
            return Err(invalid(format!(
                "`{text}`: `{name}` is not a host name (letters, digits and `-`, in parts joined \
                 by dots, as in `registry.example.com:5000/team`)"
            )));
        }
    }
    if let Some(port) = port
        && port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err(invalid(format!(
            "`{text}`: the port `{port}` is not a number from 1 to 65535"
        )));
    }
    Ok(())
}

/// A repository path component: lowercase letters and digits, joined by `.`, `_`, `__` or
/// dashes.
fn check_component(text: &str, component: &str) -> Result<(), Error> {
    let fits = !component.is_empty()
        && component.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && component.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && component
            .split(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            .all(|run| matches!(run, "" | "." | "_" | "__") || run.chars().all(|c| c == '-'));
    if fits {
        return Ok(());
    }
    let hint = if component.contains(':') || component.contains('@') {
        ": name the registry and path only; Stagecraft adds each image's name and tag"
    } else if component.chars().any(|c| c.is_ascii_uppercase()) {
        ": repository paths are lowercase"
    } else {
        ""
    };
    Err(invalid(format!(
        "`{text}`: `{component}` is not a repository path part (lowercase letters and digits, \
         joined by `.`, `_` or `-`){hint}"
    )))
}

#[cfg(test)]
mod tests {
    use super::check_registry;

    #[test]
    fn registries_docker_takes_are_taken_as_written() {
        for registry in [
            "registry.example.com/team",
            "127.0.0.1:5000",
            "localhost:5000/dev/images",
            "ghcr.io/acme-corp/shop__v2",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop",
            "acme",
            "docker.io/acme",
            "[::1]:5000/team",
        ] {
            assert_eq!(check_registry(registry).unwrap(), registry);
        }
        assert_eq!(
            check_registry("registry.example.com/team/").unwrap(),
            "registry.example.com/team"
        );
    }

    #[test]
    fn what_docker_would_refuse_is_refused_with_what_to_write_instead() {
        let message = |text: &str| check_registry(text).unwrap_err().to_string();
        assert!(
            message("https://registry.example.com/team")
                .contains("leave the scheme out (`registry.example.com/team`)")
        );
        assert!(
            message("registry.example.com/team/web:1")
                .contains("Stagecraft adds each image's name and tag")
        );
        assert!(message("registry.example.com/Team").contains("lowercase"));
        assert!(message("registry.example.com:99999/team").contains("port `99999`"));
        assert!(message("registry.example.com:/team").contains("port ``"));
        assert!(message("bad_host.example.com/team").contains("not a host name"));
        assert!(message("registry.example.com//team").contains("``"));
        assert!(message("registry.example.com/-team").contains("`-team`"));
        assert!(message("registry.example.com/te..am").contains("`te..am`"));
        assert!(message("[zz]:5000/team").contains("not an IPv6 address"));
        for text in ["https://x.io/a", "x.io/a:1", "x.io/A"] {
            assert!(message(text).starts_with("image_registry: "), "{text}");
        }
    }
}
