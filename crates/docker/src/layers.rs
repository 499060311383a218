//! The files inside an image's layers, read from the image as `docker save` exports it: the
//! export streamed to a temporary file (bounded), then each layer's tar read entry by entry,
//! every regular file's contents hashed, and the layers paired with the history entries that
//! made them (the image's config: `history`, skipping `empty_layer` ones).
//!
//! Both export layouts are read: the OCI one (`blobs/sha256/…`, Docker 25 and later) and the
//! older one (`<id>/layer.tar`). Compressed layers (a containerd image store) are not read;
//! the comparison then says the files are unknown.

use std::collections::HashMap;
use std::io::Read;
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

/// The export's bytes as the blocking reader takes them: chunks handed over a small bounded
/// channel, so at most a few chunks are held at once whatever the image's size.
struct Chunks {
    from: tokio::sync::mpsc::Receiver<bytes::Bytes>,
    current: bytes::Bytes,
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.from.blocking_recv() {
                Some(chunk) => self.current = chunk,
                // The export ended (or was cut short: the tar then reads as truncated).
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// The files of each of `tag`'s layers, oldest first, read as the engine exports the image
/// (one pass, nothing written to disk).
pub(crate) async fn layer_files(
    docker: &Docker,
    tag: &str,
) -> Result<Vec<LayerFiles>, RuntimeError> {
    let (sender, receiver) = tokio::sync::mpsc::channel::<bytes::Bytes>(8);
    let reader = tokio::task::spawn_blocking(move || {
        read_export(Chunks {
            from: receiver,
            current: bytes::Bytes::new(),
        })
    });
    let export = async move {
        let mut stream = docker.export_image(tag);
        let mut read = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk =
                chunk.map_err(|e| RuntimeError::new(format!("{tag} cannot be exported: {e}")))?;
            read += chunk.len() as u64;
            if read > EXPORT_LIMIT {
                return Err(RuntimeError::new(format!(
                    "{tag} is larger than {} GiB: compared by size only",
                    EXPORT_LIMIT >> 30
                )));
            }
            if sender.send(chunk).await.is_err() {
                // The reader stopped early (it found what it reads as an error).
                break;
            }
        }
        Ok(())
    };
    let both = async {
        // The sender goes with `export`: once it ends, the reader sees the end.
        let exported = export.await;
        let read = reader
            .await
            .map_err(|e| RuntimeError::new(format!("reading an export stopped: {e}")))?;
        exported?;
        read.map_err(|e| RuntimeError::new(format!("the export of {tag}: {e}")))
    };
    tokio::time::timeout(READ_LIMIT, both)
        .await
        .map_err(|_| RuntimeError::new(format!("{tag} took longer than {READ_LIMIT:?} to read")))?
}

/// What one entry of the export held.
#[derive(Clone)]
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
        // A layer the manifest lists twice (byte-identical layers) is stored once.
        match blobs.get(&path).cloned() {
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
