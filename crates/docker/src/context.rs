//! A build context: the files under the context folder that `.dockerignore` keeps, as the
//! engine receives them (a tar), and a digest of them that decides whether a build can be
//! skipped. Nothing outside the repository is ever read.

use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};
use sha2::{Digest as _, Sha256};
use stagecraft_engine::{BuildRequest, RuntimeError};

use crate::FileHashes;

/// The name a Dockerfile that lies outside the context gets inside the tar.
const OUTSIDE_DOCKERFILE: &str = ".stagecraft.Dockerfile";

/// One line of a `.dockerignore`, with Docker's meaning: `!` re-includes, and the last
/// matching line decides.
#[derive(Debug)]
struct Rule {
    matcher: GlobMatcher,
    exception: bool,
}

/// The rules of a `.dockerignore` file, applied as Docker applies them: a pattern matches a
/// path when it matches the path or one of its parent folders; `*` and `?` stop at `/`;
/// `**` crosses folders; a leading `/` or `./` means the context root.
#[derive(Debug, Default)]
pub struct Ignore {
    rules: Vec<Rule>,
}

impl Ignore {
    /// Parses `.dockerignore` text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, RuntimeError> {
        let mut rules = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exception, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let pattern = clean(pattern);
            if pattern.is_empty() {
                return Err(RuntimeError::new(format!(
                    "{file}:{}: `{line}` matches nothing: remove the line",
                    index + 1
                )));
            }
            let matcher = GlobBuilder::new(&pattern)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| {
                    RuntimeError::new(format!(
                        "{file}:{}: `{line}` is not a pattern Docker accepts: {e}",
                        index + 1
                    ))
                })?
                .compile_matcher();
            rules.push(Rule { matcher, exception });
        }
        Ok(Self { rules })
    }

    /// Whether `path` (relative to the context, `/`-separated) is left out.
    pub fn excludes(&self, path: &str) -> bool {
        let mut excluded = false;
        for rule in &self.rules {
            if rule.exception == excluded && matches_or_parent(&rule.matcher, path) {
                excluded = !rule.exception;
            }
        }
        excluded
    }

    fn has_exceptions(&self) -> bool {
        self.rules.iter().any(|r| r.exception)
    }
}

fn matches_or_parent(matcher: &GlobMatcher, path: &str) -> bool {
    if matcher.is_match(path) {
        return true;
    }
    path.match_indices('/')
        .any(|(at, _)| matcher.is_match(&path[..at]))
}

/// As Go's `filepath.Clean`, then without a leading `/`: Docker's normalisation of a pattern.
fn clean(pattern: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in pattern.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

/// The files of one build, ready to digest or send.
#[derive(Debug)]
pub struct Context {
    root: PathBuf,
    /// Relative, `/`-separated, sorted.
    entries: Vec<String>,
    /// The Dockerfile's name inside the tar.
    dockerfile: String,
    /// Set when the Dockerfile lies outside the context (but inside the repository).
    outside_dockerfile: Option<PathBuf>,
}

impl Context {
    /// Collects the context of `request`, refusing a context or Dockerfile outside the
    /// repository.
    pub fn collect(request: &BuildRequest) -> Result<Self, RuntimeError> {
        Self::collect_with(request, None)
    }

    /// Collects the context of `request`, with `generated` as its Dockerfile when given (one
    /// Stagecraft wrote, outside the repository: a static site's).
    pub fn collect_with(
        request: &BuildRequest,
        generated: Option<&Path>,
    ) -> Result<Self, RuntimeError> {
        let base = if request.site.is_some() {
            "static build_base"
        } else {
            "build context"
        };
        let repo = request.repo.canonicalize().map_err(|e| {
            RuntimeError::new(format!(
                "the repository {} cannot be read: {e}",
                request.repo.display()
            ))
        })?;
        let root = inside(&repo, &repo.join(&request.context), base, &request.context)?;
        let dockerfile_given = request.dockerfile.as_deref().unwrap_or("Dockerfile");
        let dockerfile_path = match generated {
            Some(path) => path.to_path_buf(),
            None => inside(
                &repo,
                &root.join(dockerfile_given),
                "dockerfile",
                dockerfile_given,
            )?,
        };
        let (dockerfile, outside_dockerfile) = match dockerfile_path.strip_prefix(&root) {
            Ok(relative) => (slashed(relative), None),
            Err(_) => (OUTSIDE_DOCKERFILE.to_owned(), Some(dockerfile_path.clone())),
        };
        if !std::fs::metadata(&dockerfile_path).is_ok_and(|m| m.is_file()) {
            return Err(RuntimeError::new(format!(
                "the dockerfile `{dockerfile_given}` is not a regular file (a folder, a pipe or \
                 a device): check `build.dockerfile` in the template"
            )));
        }
        let ignore_file = root.join(".dockerignore");
        let ignore = match read_ignore(&ignore_file)? {
            Some(text) => Ignore::parse(&ignore_file.display().to_string(), &text)?,
            None => Ignore::default(),
        };
        // Excluded folders are skipped whole unless a `!` line may bring something back.
        let prune = !ignore.has_exceptions();
        let mut entries = Vec::new();
        let mut walk = walkdir::WalkDir::new(&root)
            .follow_links(false)
            .sort_by_file_name()
            .min_depth(1)
            .into_iter();
        while let Some(entry) = walk.next() {
            let entry = entry.map_err(|e| {
                RuntimeError::new(format!(
                    "reading the build context {} failed: {e}",
                    root.display()
                ))
            })?;
            let relative = entry
                .path()
                .strip_prefix(&root)
                .map(slashed)
                .unwrap_or_default();
            // The engine needs these two even when .dockerignore names them, as Docker's CLI
            // sends them.
            let always = relative == dockerfile || relative == ".dockerignore";
            // Sockets and devices have no place in an image; Docker's CLI leaves them out too.
            if is_socket_or_device(&entry.file_type()) {
                continue;
            }
            if !always && ignore.excludes(&relative) {
                if prune && entry.file_type().is_dir() {
                    walk.skip_current_dir();
                }
                continue;
            }
            entries.push(relative);
        }
        Ok(Self {
            root,
            entries,
            dockerfile,
            outside_dockerfile,
        })
    }

    pub fn dockerfile(&self) -> &str {
        &self.dockerfile
    }

    /// The context's folder.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// What `.dockerignore` keeps, relative to the root with `/`, in walk order.
    pub(crate) fn entries(&self) -> &[String] {
        &self.entries
    }

    /// The Dockerfile when it lies outside the context.
    pub(crate) fn outside_dockerfile(&self) -> Option<&Path> {
        self.outside_dockerfile.as_deref()
    }

    /// Everything the image is made from: each kept file's path, kind, mode and content,
    /// the Dockerfile, the args (in any order) and the target. Times are left out, as the
    /// engine's own cache leaves them out.
    pub fn digest(
        &self,
        request: &BuildRequest,
        hashes: &FileHashes,
    ) -> Result<String, RuntimeError> {
        let mut hash = Sha256::new();
        for relative in &self.entries {
            let path = self.root.join(relative);
            let metadata = std::fs::symlink_metadata(&path).map_err(|e| read_failed(&path, &e))?;
            hash.update(relative.as_bytes());
            hash.update([0]);
            if metadata.file_type().is_symlink() {
                let target = std::fs::read_link(&path).map_err(|e| read_failed(&path, &e))?;
                hash.update(b"l");
                hash.update(target.to_string_lossy().as_bytes());
            } else if metadata.is_dir() {
                hash.update(b"d");
            } else if !metadata.is_file() {
                // A pipe, a socket or a device: never opened (a pipe would wait for ever),
                // sent as what it is, like Docker's CLI sends it.
                hash.update(b"s");
                hash.update(mode(&metadata).to_le_bytes());
            } else {
                hash.update(b"f");
                hash.update(mode(&metadata).to_le_bytes());
                let content = hashes
                    .sha256(&path, &metadata)
                    .map_err(|e| read_failed(&path, &e))?;
                hash.update(content);
            }
            hash.update([0]);
        }
        if let Some(outside) = &self.outside_dockerfile {
            let metadata = std::fs::metadata(outside).map_err(|e| read_failed(outside, &e))?;
            let content = hashes
                .sha256(outside, &metadata)
                .map_err(|e| read_failed(outside, &e))?;
            hash.update(b"dockerfile");
            hash.update(content);
        }
        hash.update(self.dockerfile.as_bytes());
        hash.update([0]);
        let mut args = request.args.clone();
        args.sort();
        for arg in &args {
            hash.update(arg.as_bytes());
            hash.update([0]);
        }
        hash.update(request.target.as_deref().unwrap_or_default().as_bytes());
        Ok(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The tar the engine builds from.
    pub fn tar(&self) -> Result<Vec<u8>, RuntimeError> {
        let mut archive = tar::Builder::new(Vec::new());
        archive.follow_symlinks(false);
        for relative in &self.entries {
            // Written below with the outside Dockerfile's name added.
            if self.outside_dockerfile.is_some() && relative == ".dockerignore" {
                continue;
            }
            let path = self.root.join(relative);
            let metadata = std::fs::symlink_metadata(&path).map_err(|e| read_failed(&path, &e))?;
            if is_pipe(&metadata) {
                // Sent as a pipe, never opened, as Docker's CLI sends one.
                let mut header = tar::Header::new_gnu();
                header.set_entry_type(tar::EntryType::Fifo);
                header.set_size(0);
                header.set_mode(mode(&metadata));
                header.set_cksum();
                archive
                    .append_data(&mut header, relative, std::io::empty())
                    .map_err(|e| read_failed(&path, &e))?;
                continue;
            }
            archive
                .append_path_with_name(&path, relative)
                .map_err(|e| read_failed(&path, &e))?;
        }
        if let Some(outside) = &self.outside_dockerfile {
            archive
                .append_path_with_name(outside, OUTSIDE_DOCKERFILE)
                .map_err(|e| read_failed(outside, &e))?;
            // As the `docker` command does: the engine must read the Dockerfile, but `COPY .`
            // must not put it in the image, so `.dockerignore` names it.
            let ignore_path = self.root.join(".dockerignore");
            let mut ignore = read_ignore(&ignore_path)?.unwrap_or_default().into_bytes();
            ignore.extend_from_slice(format!("\n{OUTSIDE_DOCKERFILE}\n").as_bytes());
            let mut header = tar::Header::new_gnu();
            header.set_size(ignore.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            archive
                .append_data(&mut header, ".dockerignore", ignore.as_slice())
                .map_err(|e| read_failed(&ignore_path, &e))?;
        }
        archive
            .into_inner()
            .map_err(|e| RuntimeError::new(format!("packing the build context failed: {e}")))
    }

    /// How many entries (files, folders, links) the context holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, relative: &str) -> bool {
        self.entries.iter().any(|e| e == relative)
    }
}

fn read_failed(path: &Path, error: &std::io::Error) -> RuntimeError {
    RuntimeError::new(format!("{} cannot be read: {error}", path.display()))
}

#[cfg(unix)]
fn mode(metadata: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    metadata.permissions().mode()
}

#[cfg(not(unix))]
fn mode(metadata: &std::fs::Metadata) -> u32 {
    u32::from(metadata.permissions().readonly())
}

fn slashed(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(unix)]
fn is_pipe(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt as _;
    metadata.file_type().is_fifo()
}

#[cfg(not(unix))]
fn is_pipe(_metadata: &std::fs::Metadata) -> bool {
    false
}

#[cfg(unix)]
fn is_socket_or_device(kind: &std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt as _;
    kind.is_socket() || kind.is_char_device() || kind.is_block_device()
}

#[cfg(not(unix))]
fn is_socket_or_device(_kind: &std::fs::FileType) -> bool {
    false
}

/// The most a `.dockerignore` is read up to.
const MAX_IGNORE_BYTES: u64 = 1024 * 1024;

/// The text of the `.dockerignore` at `path`, `None` when there is none; only a regular file
/// (a pipe would wait for ever), read up to a bound.
fn read_ignore(path: &Path) -> Result<Option<String>, RuntimeError> {
    use std::io::Read as _;
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(read_failed(path, &error)),
    };
    if !metadata.is_file() || metadata.len() > MAX_IGNORE_BYTES {
        return Err(RuntimeError::new(format!(
            "{} is not a regular file of at most {} KiB: make it one",
            path.display(),
            MAX_IGNORE_BYTES / 1024
        )));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_IGNORE_BYTES).read_to_string(&mut text))
        .map_err(|e| read_failed(path, &e))?;
    Ok(Some(text))
}

/// `path` resolved, and refused unless it lies inside `repo`.
fn inside(repo: &Path, path: &Path, what: &str, given: &str) -> Result<PathBuf, RuntimeError> {
    let resolved = path.canonicalize().map_err(|e| {
        RuntimeError::new(format!(
            "the {what} `{given}` cannot be read ({}): {e}. Check `{}` in the template",
            path.display(),
            match what {
                "dockerfile" => "build.dockerfile",
                "static build_base" => "build_base",
                _ => "build.context",
            }
        ))
    })?;
    if resolved.starts_with(repo) {
        Ok(resolved)
    } else {
        Err(RuntimeError::new(format!(
            "the {what} `{given}` lies outside the repository {} ({}): a build may only read \
             the repository's own files",
            repo.display(),
            resolved.display()
        )))
    }
}
