//! Reading a Release file from disk, bounded before it starts: only a regular file (a FIFO or
//! a device would hang or never end), no bigger than the parser takes (its size from the
//! metadata, then a capped reader in case it grows meanwhile), and text that is not UTF-8
//! located at its first bad byte.

use std::io::Read as _;
use std::path::Path;

use crate::yaml::{Limits, Loc};

/// Why a file was not read, and where in it when that is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub loc: Loc,
    pub message: String,
}

/// The text of the file at `path`, read only when it is a regular file of at most the parser's
/// size limit.
pub fn read_file(path: &Path) -> Result<String, ReadError> {
    let at_start = |message: String| ReadError {
        loc: Loc { line: 1, column: 1 },
        message,
    };
    let cap = Limits::default().max_bytes;
    let metadata =
        std::fs::metadata(path).map_err(|e| at_start(format!("cannot read the file: {e}")))?;
    if !metadata.is_file() {
        return Err(at_start(
            "is not a regular file (a folder, a pipe or a device): name a file".to_owned(),
        ));
    }
    let too_big = |size: u64| {
        at_start(format!(
            "is {} KiB; Release files are read up to {} KiB: split it or remove what is unused",
            size / 1024,
            cap / 1024
        ))
    };
    if metadata.len() > cap as u64 {
        return Err(too_big(metadata.len()));
    }
    let file =
        std::fs::File::open(path).map_err(|e| at_start(format!("cannot read the file: {e}")))?;
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(cap as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| at_start(format!("cannot read the file: {e}")))?;
    if bytes.len() > cap {
        return Err(too_big(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|error| {
        let good = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
        ReadError {
            loc: Loc { line, column },
            message: "is not UTF-8 text here: save the file as UTF-8".to_owned(),
        }
    })
}

/// The file `name` names, written in a file of folder `dir`, once links are followed: only
/// when it stays inside `root` (the repository) and exists. The error says which and what to
/// do.
pub fn inside(root: &Path, dir: &Path, name: &str) -> Result<std::path::PathBuf, String> {
    resolve_inside(root, &dir.join(name), name)
}

/// `path` (written `name`) once links are followed, when it stays inside `root` and exists.
pub fn resolve_inside(root: &Path, path: &Path, name: &str) -> Result<std::path::PathBuf, String> {
    let real_root = root
        .canonicalize()
        .map_err(|e| format!("cannot read the repository folder: {e}"))?;
    match path.canonicalize() {
        Ok(real) if real.starts_with(&real_root) => Ok(real),
        Ok(_) => Err(format!(
            "`{name}` leads outside the repository (through `..` or a link): name one inside \
             it, or put a copy there"
        )),
        Err(error) => Err(unreachable(name, path, &error)),
    }
}

/// Why `path` (written `name`) cannot be followed: missing, or a link that goes nowhere or
/// round in a circle.
pub(crate) fn unreachable(name: &str, path: &Path, error: &std::io::Error) -> String {
    let is_link = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link(path) {
        return if error.kind() == std::io::ErrorKind::NotFound {
            format!("`{name}` does not exist in the repository: fix the path")
        } else {
            format!("`{name}` cannot be read: {error}")
        };
    }
    // Follow the links one by one: a path seen twice is a loop.
    let mut seen = vec![path.to_path_buf()];
    let mut at = path.to_path_buf();
    while let Ok(target) = std::fs::read_link(&at) {
        at = at.parent().map_or(target.clone(), |dir| dir.join(&target));
        if seen.contains(&at) || seen.len() > 40 {
            return format!(
                "`{name}` is a link that leads back to itself (a loop of links): point it at a file"
            );
        }
        seen.push(at.clone());
    }
    format!("`{name}` is a link to nothing: point it at a file, or remove it")
}
