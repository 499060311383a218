//! Static services' builds on the engine: the Dockerfile a site's build is made of, and the
//! image of Stagecraft's file server it ends in.
//!
//! The file server (`stagecraft-static-server`, a program with no library to load) is found
//! where the settings say; its image, `stagecraft/static-server:<digest>`, holds only that
//! program and is made on the engine the first time a site needs it (FROM scratch: nothing
//! pulled). A site's Dockerfile is written under the builder's folder, named by its content,
//! and read from there like a Dockerfile outside the context.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use futures_util::StreamExt as _;
use sha2::{Digest as _, Sha256};
use stagecraft_engine::{RuntimeError, STATIC_SERVER, StaticSite};

/// The file server's image repository; its tag is the program's digest.
const SERVER_IMAGE: &str = "stagecraft/static-server";
/// A file server larger than this is not ours.
const SERVER_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// Where a site is built inside its build image.
const WORKDIR: &str = "/stagecraft/site";

/// Where static services' builds find what they need: the file server's program, and a
/// folder for the Dockerfiles made for them.
#[derive(Debug, Clone, Default)]
pub struct StaticSites {
    /// `None`: static services cannot be built (the error says how to get the program).
    pub server: Option<PathBuf>,
    pub folder: PathBuf,
}

/// The file server found, and the tag its image has.
#[derive(Debug, Clone)]
pub(crate) struct Server {
    pub path: PathBuf,
    pub tag: String,
}

impl StaticSites {
    /// The file server, checked to be a Linux program that loads no library, and its image's
    /// tag.
    pub(crate) fn server(&self) -> Result<Server, RuntimeError> {
        let Some(path) = &self.server else {
            return Err(RuntimeError::new(
                "a static service is served by Stagecraft's file server, which this \
                 installation lacks: build it with `scripts/static-server.sh` and set \
                 STAGECRAFT_STATIC_SERVER to the path it prints",
            ));
        };
        let bytes = read_server(path)?;
        check_static_elf(&bytes).map_err(|problem| {
            RuntimeError::new(format!(
                "the file server {} (STAGECRAFT_STATIC_SERVER) {problem}: build it with \
                 `scripts/static-server.sh`",
                path.display()
            ))
        })?;
        // The program and how its image is made: a change of either is a new image.
        let mut hash = Sha256::new();
        hash.update(&bytes);
        hash.update(server_dockerfile().as_bytes());
        let digest: String = hash
            .finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Server {
            path: path.clone(),
            tag: format!("{SERVER_IMAGE}:{digest}"),
        })
    }

    /// Writes the Dockerfile of `site` (ending in `server`'s image) under the folder, named by
    /// its content, and gives its path.
    pub(crate) fn dockerfile(
        &self,
        service: &str,
        site: &StaticSite,
        args: &[String],
        server: &Server,
    ) -> Result<PathBuf, RuntimeError> {
        let text = dockerfile(service, site, args, &server.tag);
        let name: String = Sha256::digest(text.as_bytes())
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect();
        let dir = self.folder.join(name);
        let path = dir.join("Dockerfile");
        if std::fs::read_to_string(&path).is_ok_and(|old| old == text) {
            return Ok(path);
        }
        let failed = |e: std::io::Error| {
            RuntimeError::new(format!(
                "the Dockerfile of the static service {service} cannot be written in {}: {e}",
                dir.display()
            ))
        };
        std::fs::create_dir_all(&dir).map_err(failed)?;
        // Written whole under a name of its own, then renamed: a build reading it at the same
        // time sees all or none, and two builds writing it at once never share a file.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nth = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let partial = dir.join(format!("Dockerfile.{}.{nth}", std::process::id()));
        std::fs::write(&partial, &text).map_err(failed)?;
        if let Err(error) = std::fs::rename(&partial, &path) {
            let _ = std::fs::remove_file(&partial);
            // Another build put the same text there first: as good.
            if !std::fs::read_to_string(&path).is_ok_and(|old| old == text) {
                return Err(failed(error));
            }
        }
        Ok(path)
    }
}

/// Whether `path` is a file server that can run in an image FROM scratch (a Linux program
/// that loads no library): how a candidate found beside Stagecraft is told from a program of
/// the same name built for this machine.
pub fn is_static_program(path: &Path) -> bool {
    // Asked when Stagecraft starts: the ELF and program headers lead the file, so its head is
    // read, not the whole program.
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(HEAD_BYTES).read_to_end(&mut head))
        .is_ok_and(|_| check_static_elf(&head).is_ok())
}

/// Enough of a program for its ELF header and program headers.
const HEAD_BYTES: u64 = 64 * 1024;

fn read_server(path: &Path) -> Result<Vec<u8>, RuntimeError> {
    let failed = |e: std::io::Error| {
        RuntimeError::new(format!(
            "the file server {} (STAGECRAFT_STATIC_SERVER) cannot be read: {e}",
            path.display()
        ))
    };
    let file = std::fs::File::open(path).map_err(failed)?;
    let mut bytes = Vec::new();
    file.take(SERVER_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() as u64 > SERVER_MAX_BYTES {
        return Err(RuntimeError::new(format!(
            "the file server {} is larger than {} MiB: it is not Stagecraft's",
            path.display(),
            SERVER_MAX_BYTES / 1024 / 1024
        )));
    }
    Ok(bytes)
}

/// Whether `bytes` is a 64-bit little-endian ELF program with no interpreter (it loads no
/// library, so it runs in an image FROM scratch); what is wrong with it otherwise.
fn check_static_elf(bytes: &[u8]) -> Result<(), &'static str> {
    const PT_INTERP: u32 = 3;
    if bytes.get(..4) != Some(b"\x7fELF".as_slice()) {
        return Err("is not a Linux program (no ELF header)");
    }
    if bytes.get(4) != Some(&2) || bytes.get(5) != Some(&1) {
        return Err("is not a 64-bit little-endian Linux program");
    }
    let u16_at = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let u64_at = |at: usize| {
        bytes.get(at..at + 8).map(|b| {
            let mut word = [0_u8; 8];
            word.copy_from_slice(b);
            u64::from_le_bytes(word)
        })
    };
    let header = (|| {
        let table = usize::try_from(u64_at(0x20)?).ok()?;
        Some((
            table,
            usize::from(u16_at(0x36)?),
            usize::from(u16_at(0x38)?),
        ))
    })();
    let Some((table, size, count)) = header else {
        return Err("is cut short (its program headers cannot be read)");
    };
    for index in 0..count {
        match u32_at(table + index * size) {
            Some(PT_INTERP) => {
                return Err("loads libraries (it was not built statically)");
            }
            Some(_) => {}
            None => return Err("is cut short (its program headers cannot be read)"),
        }
    }
    Ok(())
}

/// The Dockerfile of a site: its commands run in the build image on the context's files,
/// with the variables as build arguments, then the output folder copied into the file
/// server's image. Commands go in exec form through `/bin/sh -c`, so any text is one command.
pub(crate) fn dockerfile(
    service: &str,
    site: &StaticSite,
    args: &[String],
    server: &str,
) -> String {
    let json = |text: &str| serde_json::to_string(text).unwrap_or_default();
    let run = |command: &str| format!("RUN [\"/bin/sh\", \"-c\", {}]\n", json(command));
    let out = &site.output_directory;
    let mut text = format!(
        "# A static service's site ({service}), made by Stagecraft: built in {image}, served \
         by Stagecraft's file server.\n\
         FROM {image} AS site\n\
         WORKDIR {WORKDIR}\n\
         COPY . .\n",
        image = site.build_image,
        service = service.replace(|c: char| c.is_control(), " "),
    );
    // The install step first, without the variables: they are in a step's cache key, so it
    // stays cached while only they change (another environment, a new URL).
    if let Some(install) = &site.install_command {
        text.push_str(&run(install));
    }
    for arg in args {
        let key = arg.split_once('=').map_or(arg.as_str(), |(key, _)| key);
        if is_arg_name(key) {
            text.push_str(&format!("ARG {key}\n"));
        }
    }
    if let Some(build) = &site.build_command {
        text.push_str(&run(build));
    }
    text.push_str(&run(&format!(
        "test -d {dir} || {{ echo {said} >&2; exit 1; }}",
        dir = shell_word(out),
        said = shell_word(&format!(
            "the build wrote no folder {out} (build_output_directory), relative to build_base"
        )),
    )));
    text.push_str(&format!(
        "FROM {server}\nCOPY --from=site [{from}, \"/site/\"]\n",
        from = json(&format!("{WORKDIR}/{out}/")),
    ));
    text
}

/// Whether `key` can be a build argument's name.
fn is_arg_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `text` as one word of a POSIX shell.
fn shell_word(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The Dockerfile of the file server's image. Not root: a cluster that requires it
/// (`runAsNonRoot`, the restricted Pod Security level) runs it, and port 8080 needs no
/// privilege.
fn server_dockerfile() -> String {
    format!(
        "FROM scratch\nCOPY {name} {STATIC_SERVER}\nUSER 65532:65532\nEXPOSE {port}\n\
         ENTRYPOINT [\"{STATIC_SERVER}\"]\n",
        name = STATIC_SERVER.trim_start_matches('/'),
        port = stagecraft_engine::STATIC_SITE_PORT,
    )
}

/// Makes the file server's image on the engine unless it is there: FROM scratch, the program
/// as its entry point; nothing is pulled.
pub(crate) async fn ensure_server_image(
    docker: &bollard::Docker,
    server: &Server,
) -> Result<(), RuntimeError> {
    if docker.inspect_image(&server.tag).await.is_ok() {
        return Ok(());
    }
    let program = std::fs::read(&server.path).map_err(|e| {
        RuntimeError::new(format!(
            "the file server {} cannot be read: {e}",
            server.path.display()
        ))
    })?;
    let name = STATIC_SERVER.trim_start_matches('/');
    let dockerfile = server_dockerfile();
    let mut archive = tar::Builder::new(Vec::new());
    for (path, mode, data) in [
        ("Dockerfile", 0o644, dockerfile.as_bytes()),
        (name, 0o755, program.as_slice()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_cksum();
        archive
            .append_data(&mut header, path, data)
            .map_err(|e| RuntimeError::new(format!("packing the file server failed: {e}")))?;
    }
    let tar = archive
        .into_inner()
        .map_err(|e| RuntimeError::new(format!("packing the file server failed: {e}")))?;
    let options = bollard::query_parameters::BuildImageOptionsBuilder::default()
        .t(&server.tag)
        .rm(true)
        .forcerm(true)
        .build();
    let mut stream = docker.build_image(options, None, Some(bollard::body_full(tar.into())));
    while let Some(item) = stream.next().await {
        let item = item.map_err(|e| {
            RuntimeError::new(format!("making the file server's image failed: {e}"))
        })?;
        if let Some(detail) = item.error_detail {
            return Err(RuntimeError::new(format!(
                "making the file server's image failed: {}",
                detail.message.unwrap_or_default()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> StaticSite {
        StaticSite {
            build_image: "node:24".into(),
            install_command: Some("npm install".into()),
            build_command: Some("npm run build -- --base='/'".into()),
            output_directory: "dist".into(),
        }
    }

    #[test]
    fn a_sites_dockerfile_builds_then_copies_its_output_into_the_servers_image() {
        let text = dockerfile(
            "front-end",
            &site(),
            &["API_URL=http://127.0.0.1:20001".into(), "bad-name=x".into()],
            "stagecraft/static-server:0123",
        );
        let lines: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(
            lines,
            [
                "FROM node:24 AS site",
                "WORKDIR /stagecraft/site",
                "COPY . .",
                r#"RUN ["/bin/sh", "-c", "npm install"]"#,
                "ARG API_URL",
                r#"RUN ["/bin/sh", "-c", "npm run build -- --base='/'"]"#,
                r#"RUN ["/bin/sh", "-c", "test -d 'dist' || { echo 'the build wrote no folder dist (build_output_directory), relative to build_base' >&2; exit 1; }"]"#,
                "FROM stagecraft/static-server:0123",
                r#"COPY --from=site ["/stagecraft/site/dist/", "/site/"]"#,
            ]
        );
    }

    #[test]
    fn only_a_static_linux_program_is_taken_as_the_file_server() {
        let mut elf = vec![0_u8; 0x40 + 2 * 56];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[4] = 2;
        elf[5] = 1;
        elf[0x20] = 0x40;
        elf[0x36] = 56;
        elf[0x38] = 2;
        elf[0x40] = 1; // PT_LOAD
        assert_eq!(check_static_elf(&elf), Ok(()));
        elf[0x40 + 56] = 3; // PT_INTERP
        assert!(check_static_elf(&elf).unwrap_err().contains("libraries"));
        assert!(check_static_elf(b"#!/bin/sh\n").is_err());
        assert!(check_static_elf(&elf[..0x50]).is_err());
    }
}
