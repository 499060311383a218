//! The files inside an image's layers, read from the image as `docker save` exports it: the
//! export streamed to a temporary file (bounded), then each layer's tar read entry by entry,
//! every regular file's contents hashed, and the layers paired with the history entries that
//! made them (the image's config: `history`, skipping `empty_layer` ones).
//!
//! Both export layouts are read: the OCI one (`blobs/sha256/…`, Docker 25 and later) and the
//! older one (`<id>/layer.tar`). Compressed layers (a containerd image store) are not read;
//! the comparison then says the files are unknown.

use std::collections::HashMap;
use std::io::{Read, Write as _};
use std::path::PathBuf;
use std::time::Duration;

use bollard::Docker;
use futures_util::StreamExt as _;
use sha2::{Digest as _, Sha256};
use stagecraft_engine::{LayerFile, LayerFiles, RuntimeError};

/// The largest export read: bigger images are compared by size only.
pub(crate) const EXPORT_LIMIT: u64 = 4 << 30;
/// The longest an export and its reading may take.
pub(crate) const READ_LIMIT: Duration = Duration::from_secs(120);
/// The largest JSON document of an export kept to read (manifests, configs).
const JSON_LIMIT: u64 = 4 << 20;

/// A temporary file removed when dropped.
struct Spool(PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The files of each of `tag`'s layers, oldest first.
pub(crate) async fn layer_files(
    docker: &Docker,
    tag: &str,
) -> Result<Vec<LayerFiles>, RuntimeError> {
    let read = async {
        let spool = Spool(std::env::temp_dir().join(format!(
            "stagecraft-export-{}-{}.tar",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        )));
        let mut file = std::fs::File::create(&spool.0)
            .map_err(|e| RuntimeError::new(format!("a temporary file cannot be made: {e}")))?;
        let mut stream = docker.export_image(tag);
        let mut written = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk =
                chunk.map_err(|e| RuntimeError::new(format!("{tag} cannot be exported: {e}")))?;
            written += chunk.len() as u64;
            if written > EXPORT_LIMIT {
                return Err(RuntimeError::new(format!(
                    "{tag} is larger than {} GiB: compared by size only",
                    EXPORT_LIMIT >> 30
                )));
            }
            file.write_all(&chunk).map_err(|e| {
                RuntimeError::new(format!("the export of {tag} cannot be kept: {e}"))
            })?;
        }
        drop(file);
        let tag = tag.to_owned();
        tokio::task::spawn_blocking(move || {
            let file = std::fs::File::open(&spool.0).map_err(|e| {
                RuntimeError::new(format!("the export of {tag} cannot be read: {e}"))
            })?;
            read_export(file).map_err(|e| RuntimeError::new(format!("the export of {tag}: {e}")))
        })
        .await
        .map_err(|e| RuntimeError::new(format!("reading an export stopped: {e}")))?
    };
    tokio::time::timeout(READ_LIMIT, read)
        .await
        .map_err(|_| RuntimeError::new(format!("{tag} took longer than {READ_LIMIT:?} to read")))?
}

/// What one entry of the export held.
enum Blob {
    Layer(Vec<LayerFile>),
    Json(serde_json::Value),
    Compressed,
}

/// Reads an export (`docker save`'s tar) into its layers' files, oldest first.
pub(crate) fn read_export(export: impl Read) -> Result<Vec<LayerFiles>, String> {
    let mut archive = tar::Archive::new(export);
    let mut blobs: HashMap<String, Blob> = HashMap::new();
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()
            .map_err(|e| e.to_string())?
            .to_string_lossy()
            .into_owned();
        let size = entry.size();
        let mut head = Vec::with_capacity(512);
        (&mut entry)
            .take(512)
            .read_to_end(&mut head)
            .map_err(|e| e.to_string())?;
        let blob = if head.len() >= 262 && &head[257..262] == b"ustar" {
            Blob::Layer(layer(std::io::Cursor::new(head).chain(entry))?)
        } else if head.starts_with(&[0x1f, 0x8b]) {
            Blob::Compressed
        } else if size <= JSON_LIMIT && head.first().is_some_and(|b| matches!(b, b'{' | b'[')) {
            let mut text = head;
            entry.read_to_end(&mut text).map_err(|e| e.to_string())?;
            match serde_json::from_slice(&text) {
                Ok(json) => Blob::Json(json),
                Err(_) => continue,
            }
        } else if size == 0 {
            // An empty layer (BuildKit writes a tar with nothing in it as 1 KiB of zeros, but
            // an empty file may stand for one too).
            Blob::Layer(Vec::new())
        } else if head.iter().all(|b| *b == 0) {
            Blob::Layer(Vec::new())
        } else {
            continue;
        };
        blobs.insert(path, blob);
    }
    let Some(Blob::Json(manifest)) = blobs.get("manifest.json") else {
        return Err("no manifest.json".to_owned());
    };
    let manifest = manifest.get(0).ok_or("an empty manifest.json")?;
    let config_path = manifest["Config"]
        .as_str()
        .ok_or("no Config in manifest.json")?;
    let config_path = config_path.to_owned();
    let layers: Vec<String> = manifest["Layers"]
        .as_array()
        .ok_or("no Layers in manifest.json")?
        .iter()
        .filter_map(|l| l.as_str().map(str::to_owned))
        .collect();
    let Some(Blob::Json(config)) = blobs.get(&config_path) else {
        return Err(format!("no image config at {config_path}"));
    };
    let history = config["history"].as_array().cloned().unwrap_or_default();
    let mut made_layers = history
        .iter()
        .filter(|h| !h["empty_layer"].as_bool().unwrap_or(false))
        .map(|h| crate::builder::instruction(h["created_by"].as_str().unwrap_or_default()));
    let mut out = Vec::with_capacity(layers.len());
    for path in layers {
        let instruction = made_layers.next().unwrap_or_default();
        match blobs.remove(&path) {
            Some(Blob::Layer(files)) => out.push(LayerFiles { instruction, files }),
            Some(Blob::Compressed) => {
                return Err(
                    "its layers are compressed (a containerd image store): compared by size only"
                        .to_owned(),
                );
            }
            _ => return Err(format!("no layer at {path}")),
        }
    }
    Ok(out)
}

/// The files of one layer's tar: each regular file hashed, each whiteout a deletion.
fn layer(tar: impl Read) -> Result<Vec<LayerFile>, String> {
    let mut archive = tar::Archive::new(tar);
    let mut files = Vec::new();
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let path = entry
            .path()
            .map_err(|e| e.to_string())?
            .to_string_lossy()
            .into_owned();
        let path = path.trim_start_matches("./").to_owned();
        let (dir, name) = path
            .rsplit_once('/')
            .map_or(("", path.as_str()), |(d, n)| (d, n));
        if let Some(gone) = name.strip_prefix(".wh.") {
            if gone.starts_with(".wh.") {
                continue; // an opaque directory marker
            }
            let gone = if dir.is_empty() {
                gone.to_owned()
            } else {
                format!("{dir}/{gone}")
            };
            files.push(LayerFile {
                path: gone,
                size_bytes: 0,
                digest: String::new(),
                deleted: true,
            });
            continue;
        }
        let kind = entry.header().entry_type();
        let digest = if kind.is_file() {
            let mut hasher = Sha256::new();
            std::io::copy(&mut entry, &mut hasher).map_err(|e| e.to_string())?;
            hex(&hasher.finalize())
        } else if kind.is_symlink() || kind.is_hard_link() {
            let target = entry
                .link_name()
                .map_err(|e| e.to_string())?
                .unwrap_or_default();
            format!("link:{}", target.to_string_lossy())
        } else {
            continue;
        };
        files.push(LayerFile {
            path,
            size_bytes: entry.header().size().unwrap_or_default(),
            digest,
            deleted: false,
        });
    }
    Ok(files)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
