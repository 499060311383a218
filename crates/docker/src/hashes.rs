//! Content hashes of build-context files, kept between runs and trusted while a file's metadata
//! says it has not changed, as git's index does: size, modification time and, on Unix, inode
//! and change time. Deciding that an image can be reused then reads only the files that
//! changed, not the whole context (a `node_modules` folder can hold hundreds of megabytes).
//!
//! A file modified within [`RACY`] of being hashed is hashed again next time: its timestamp
//! cannot tell a later write in the same tick apart (git's "racy clean" problem).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// How recent a modification may be for its hash to be kept.
const RACY: Duration = Duration::from_secs(2);

/// What a file's metadata said when its content was hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    len: u64,
    modified_ns: u128,
    changed_ns: i128,
    inode: u64,
}

impl Stamp {
    fn of(metadata: &std::fs::Metadata) -> Option<Stamp> {
        let modified_ns = metadata
            .modified()
            .ok()?
            .duration_since(SystemTime::UNIX_EPOCH)
            .ok()?
            .as_nanos();
        #[cfg(unix)]
        let (changed_ns, inode) = {
            use std::os::unix::fs::MetadataExt as _;
            (
                i128::from(metadata.ctime()) * 1_000_000_000 + i128::from(metadata.ctime_nsec()),
                metadata.ino(),
            )
        };
        #[cfg(not(unix))]
        let (changed_ns, inode) = (0, 0);
        Some(Stamp {
            len: metadata.len(),
            modified_ns,
            changed_ns,
            inode,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    stamp: Stamp,
    sha256: String,
}

/// The cache: in memory, and in a file when given one.
#[derive(Debug, Default)]
pub struct FileHashes {
    file: Option<PathBuf>,
    entries: Mutex<Option<HashMap<PathBuf, Entry>>>,
    /// Whether `entries` holds hashes its file does not.
    changed: std::sync::atomic::AtomicBool,
}

impl FileHashes {
    /// A cache kept in `file` (read on first use, written after a change).
    pub fn in_file(file: PathBuf) -> Self {
        Self {
            file: Some(file),
            ..Self::default()
        }
    }

    /// The SHA-256 of the file at `path`, whose metadata is `metadata`: from the cache when
    /// the metadata is unchanged, else read and remembered.
    pub fn sha256(&self, path: &Path, metadata: &std::fs::Metadata) -> std::io::Result<[u8; 32]> {
        let stamp = Stamp::of(metadata);
        if let Some(stamp) = &stamp
            && let Some(known) = self.lookup(path, stamp)
        {
            return Ok(known);
        }
        // Streamed: a file of any size costs a buffer, not its size.
        let mut hasher = Sha256::new();
        std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
        let hash: [u8; 32] = hasher.finalize().into();
        // Read after hashing: a write that raced the read changes the stamp and is not kept.
        if let Some(stamp) = stamp
            && Stamp::of(&std::fs::symlink_metadata(path)?).as_ref() == Some(&stamp)
            && !racy(&stamp)
        {
            self.remember(path, stamp, &hash);
        }
        Ok(hash)
    }

    fn lookup(&self, path: &Path, stamp: &Stamp) -> Option<[u8; 32]> {
        let mut entries = self.entries.lock().ok()?;
        let entries = entries.get_or_insert_with(|| self.load());
        let entry = entries.get(path)?;
        if &entry.stamp != stamp {
            return None;
        }
        let mut hash = [0u8; 32];
        for (i, byte) in hash.iter_mut().enumerate() {
            *byte = u8::from_str_radix(entry.sha256.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(hash)
    }

    fn remember(&self, path: &Path, stamp: Stamp, hash: &[u8; 32]) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let entries = entries.get_or_insert_with(|| self.load());
        entries.insert(
            path.to_owned(),
            Entry {
                stamp,
                sha256: hash.iter().map(|b| format!("{b:02x}")).collect(),
            },
        );
        self.changed
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    fn load(&self) -> HashMap<PathBuf, Entry> {
        // A missing or unreadable cache is an empty one: every file is read again.
        self.file
            .as_ref()
            .and_then(|file| std::fs::read(file).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Writes the cache to its file when it learnt something, keeping only files that still
    /// exist. Another process may write it at the same time: the file is replaced whole, so
    /// either version is whole.
    pub fn save(&self) {
        let Some(file) = &self.file else { return };
        if !self
            .changed
            .swap(false, std::sync::atomic::Ordering::Relaxed)
        {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let Some(entries) = entries.as_mut() else {
            return;
        };
        entries.retain(|path, _| path.exists());
        let Ok(bytes) = serde_json::to_vec(&*entries) else {
            return;
        };
        if let Some(parent) = file.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let partial = file.with_extension(format!("partial-{}", std::process::id()));
        if std::fs::write(&partial, bytes).is_ok() && std::fs::rename(&partial, file).is_err() {
            let _ = std::fs::remove_file(&partial);
        }
    }
}

fn racy(stamp: &Stamp) -> bool {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    now.saturating_sub(stamp.modified_ns) < RACY.as_nanos()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn age(path: &Path) {
        let old = SystemTime::now() - Duration::from_secs(60);
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(old).unwrap();
    }

    #[test]
    fn an_unchanged_file_is_not_read_again_across_instances() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "one").unwrap();
        age(&path);
        let cache_file = dir.path().join("hashes.json");
        let hashes = FileHashes::in_file(cache_file.clone());
        let first = hashes
            .sha256(&path, &std::fs::metadata(&path).unwrap())
            .unwrap();
        assert_eq!(first, <[u8; 32]>::from(Sha256::digest(b"one")));
        hashes.save();

        // The cache answers for the file's stamp: proven by a cache entry that lies.
        let mut lying: HashMap<PathBuf, Entry> =
            serde_json::from_slice(&std::fs::read(&cache_file).unwrap()).unwrap();
        lying.get_mut(&path).unwrap().sha256 = "ab".repeat(32);
        std::fs::write(&cache_file, serde_json::to_vec(&lying).unwrap()).unwrap();
        let again = FileHashes::in_file(cache_file);
        assert_eq!(
            again
                .sha256(&path, &std::fs::metadata(&path).unwrap())
                .unwrap(),
            [0xab; 32]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_changed_file_is_read_again_even_with_the_same_size_and_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "one").unwrap();
        age(&path);
        let hashes = FileHashes::default();
        hashes
            .sha256(&path, &std::fs::metadata(&path).unwrap())
            .unwrap();
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::fs::write(&path, "two").unwrap();
        // Same size, same modification time: the change time (or inode) still differs.
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        let hash = hashes
            .sha256(&path, &std::fs::metadata(&path).unwrap())
            .unwrap();
        assert_eq!(hash, <[u8; 32]>::from(Sha256::digest(b"two")));
    }

    #[test]
    fn a_file_written_just_now_is_not_trusted_next_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "one").unwrap();
        let hashes = FileHashes::default();
        hashes
            .sha256(&path, &std::fs::metadata(&path).unwrap())
            .unwrap();
        let kept = hashes.entries.lock().unwrap().as_ref().unwrap().len();
        assert_eq!(kept, 0, "a racy file must not be cached");
    }
}
