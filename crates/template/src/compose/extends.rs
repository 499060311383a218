//! `extends`: a service built on another, of the same file (`extends: web`, or
//! `extends: {service: web}`) or of another (`extends: {file: base.yml, service: db}`), merged
//! by compose's rules: mappings key by key, lists appended (`ports` and `volumes` once each),
//! `command`, `entrypoint` and `healthcheck.test` replaced; the short forms (`build: ./dir`,
//! `environment` as a list of `KEY=VALUE`) read as their long forms first. A file named by
//! `extends` is read like the compose file itself: inside the repository, bounded, and
//! interpolated with the same variables. What comes from another file is located at the
//! `extends` that brought it, since the messages name the compose file being imported.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use super::ComposeSource;
use super::interpolate::{Finding, interpolate_tree};
use crate::read::child;
use crate::yaml::{self, Entry, Limits, Loc, Node, Style, Value};

/// How long a chain of `extends` may be, and how many other files one import may read.
const MAX_CHAIN: usize = 16;
const MAX_FILES: usize = 32;

/// One compose file's services, and where `extends.file` names in it are read from.
struct File {
    /// The folder its relative paths start from, as written from the imported file's folder
    /// (`""` for the imported file itself).
    prefix: PathBuf,
    /// Where it is on disk, when it was read from disk.
    dir: Option<PathBuf>,
    services: Vec<Entry>,
}

pub(super) struct Extender<'a> {
    source: &'a ComposeSource,
    files: Vec<File>,
    /// Files read, by their path on disk, as indexes into `files`.
    read: HashMap<PathBuf, usize>,
    done: HashMap<(usize, String), Node>,
    pub findings: Vec<Finding>,
}

impl<'a> Extender<'a> {
    pub fn new(source: &'a ComposeSource, services: &[Entry]) -> Self {
        Self {
            source,
            files: vec![File {
                prefix: PathBuf::new(),
                dir: source.dir.clone(),
                services: services.to_vec(),
            }],
            read: HashMap::new(),
            done: HashMap::new(),
            findings: Vec::new(),
        }
    }

    /// Every service of the imported file with its `extends` merged in; a service whose
    /// `extends` cannot be followed is kept as written, with an error at its `extends`.
    pub fn resolve_all(&mut self, services: &mut [Entry]) {
        for entry in services.iter_mut() {
            if entry.value.get("extends").is_none() {
                continue;
            }
            let path = child("services", &entry.key);
            match self.service(0, &entry.key, &mut Vec::new()) {
                Ok(node) => entry.value = node,
                Err(message) => {
                    let loc = extends_loc(&entry.value).unwrap_or(entry.key_loc);
                    self.findings.push(Finding {
                        loc,
                        path: child(&path, "extends"),
                        message,
                        error: true,
                    });
                    remove_key(&mut entry.value, "extends");
                }
            }
        }
    }

    /// Service `name` of file `file`, merged over what it extends.
    fn service(
        &mut self,
        file: usize,
        name: &str,
        chain: &mut Vec<(usize, String)>,
    ) -> Result<Node, String> {
        if let Some(done) = self.done.get(&(file, name.to_owned())) {
            return Ok(done.clone());
        }
        if chain.iter().any(|(f, n)| *f == file && n == name) {
            let names: Vec<&str> = chain.iter().map(|(_, n)| n.as_str()).collect();
            return Err(format!(
                "services extend each other in a circle: {} → {name}; remove one `extends`",
                names.join(" → ")
            ));
        }
        if chain.len() >= MAX_CHAIN {
            return Err(format!(
                "a chain of more than {MAX_CHAIN} `extends`: flatten some of these services"
            ));
        }
        let Some(node) = self.files[file]
            .services
            .iter()
            .find(|e| e.key == name)
            .map(|e| e.value.clone())
        else {
            return Err(format!(
                "`{name}` is not a service of {}",
                self.describe(file)
            ));
        };
        let Some(extends) = node.get("extends").cloned() else {
            return Ok(normalized(node));
        };
        let (base_file, base_name) = match &extends.value {
            Value::Scalar { text, .. } => (file, text.clone()),
            Value::Map(_) => {
                let Some(base_name) = scalar(&extends, "service") else {
                    return Err(
                        "`extends` needs `service:`, the name of the service to extend".to_owned(),
                    );
                };
                match scalar(&extends, "file") {
                    Some(other) => (self.open(file, &other)?, base_name),
                    None => (file, base_name),
                }
            }
            Value::Seq(_) => {
                return Err(
                    "`extends` is a service name or `{file: …, service: …}`, not a list".to_owned(),
                );
            }
        };
        chain.push((file, name.to_owned()));
        let base = self.service(base_file, &base_name, chain);
        chain.pop();
        let mut base = base?;
        remove_key(&mut base, "extends");
        if base_file != file {
            let prefix = self.files[base_file].prefix.clone();
            rebase_build(&mut base, &prefix, &self.files[file].prefix);
        }
        if base_file != 0 {
            relocate(&mut base, extends.loc);
        }
        let mut own = normalized(node);
        remove_key(&mut own, "extends");
        let merged = merge(base, own, "");
        self.done.insert((file, name.to_owned()), merged.clone());
        Ok(merged)
    }

    fn describe(&self, file: usize) -> String {
        if file == 0 {
            "this file".to_owned()
        } else {
            format!("`{}`", self.files[file].prefix.display())
        }
    }

    /// Reads the compose file `name`, written in file `from`: its index in `files`.
    fn open(&mut self, from: usize, name: &str) -> Result<usize, String> {
        let (Some(root), Some(dir)) = (&self.source.root, &self.files[from].dir) else {
            return Err(format!(
                "`{name}` cannot be read: this compose file was not read from a folder"
            ));
        };
        let path = crate::file::inside(root, dir, name)?;
        if let Some(index) = self.read.get(&path) {
            return Ok(*index);
        }
        if self.read.len() >= MAX_FILES {
            return Err(format!(
                "more than {MAX_FILES} files are extended: merge some of them"
            ));
        }
        let text = crate::read_file(&path)
            .map_err(|error| format!("`{name}` (line {}): {}", error.loc.line, error.message))?;
        let (mut tree, _) = yaml::parse(&text, Limits::default()).map_err(|error| {
            format!(
                "`{name}` is not valid YAML at line {}: {}",
                error.loc.line, error.message
            )
        })?;
        let mut findings = Vec::new();
        interpolate_tree(&mut tree, "", &self.source.env, &mut findings);
        if let Some(finding) = findings.iter().find(|f| f.error) {
            return Err(format!(
                "`{name}` line {}, `{}`: {}",
                finding.loc.line, finding.path, finding.message
            ));
        }
        let services = match tree.get("services").map(|n| &n.value) {
            Some(Value::Map(services)) => services.clone(),
            _ => return Err(format!("`{name}` has no `services:` mapping")),
        };
        let written = Path::new(name).parent().unwrap_or(Path::new(""));
        self.files.push(File {
            prefix: lexical(&self.files[from].prefix.join(written)),
            dir: path.parent().map(Path::to_path_buf),
            services,
        });
        let index = self.files.len() - 1;
        self.read.insert(path, index);
        Ok(index)
    }
}

fn scalar(node: &Node, key: &str) -> Option<String> {
    match &node.get(key)?.value {
        Value::Scalar { text, .. } => Some(text.clone()),
        _ => None,
    }
}

fn extends_loc(node: &Node) -> Option<Loc> {
    match &node.value {
        Value::Map(entries) => entries
            .iter()
            .find(|e| e.key == "extends")
            .map(|e| e.key_loc),
        _ => None,
    }
}

fn remove_key(node: &mut Node, key: &str) {
    if let Value::Map(entries) = &mut node.value {
        entries.retain(|e| e.key != key);
    }
}

/// Everything under `node` located at `loc`.
fn relocate(node: &mut Node, loc: Loc) {
    node.loc = loc;
    match &mut node.value {
        Value::Scalar { .. } => {}
        Value::Seq(items) => items.iter_mut().for_each(|item| relocate(item, loc)),
        Value::Map(entries) => {
            for entry in entries {
                entry.key_loc = loc;
                relocate(&mut entry.value, loc);
            }
        }
    }
}

/// A path without `.` and with each `dir/..` folded.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A build context written in a file under `from` (relative to the imported file's folder),
/// rewritten to be read from `to`'s folder.
fn rebase_build(node: &mut Node, from: &Path, to: &Path) {
    let Value::Map(entries) = &mut node.value else {
        return;
    };
    let Some(build) = entries.iter_mut().find(|e| e.key == "build") else {
        return;
    };
    let Value::Map(build) = &mut build.value.value else {
        return;
    };
    let Some(context) = build.iter_mut().find(|e| e.key == "context") else {
        return;
    };
    if let Value::Scalar { text, .. } = &mut context.value.value
        && !text.starts_with('/')
        && !text.contains("://")
    {
        let joined = lexical(&from.join(text.as_str()));
        let relative = joined.strip_prefix(to).unwrap_or(&joined);
        let shown = relative.display().to_string();
        *text = if shown.is_empty() {
            ".".to_owned()
        } else {
            shown
        };
    }
}

/// The long forms of a service's short ones, so two services merge key by key: `build: dir`
/// as `{context: dir}`, and `environment`, `labels` and `build.args` lists of `KEY=VALUE` as
/// mappings, `depends_on` lists as mappings of names.
fn normalized(mut node: Node) -> Node {
    let Value::Map(entries) = &mut node.value else {
        return node;
    };
    for entry in entries.iter_mut() {
        match entry.key.as_str() {
            "build" => {
                if let Value::Scalar { .. } = entry.value.value {
                    let loc = entry.value.loc;
                    let context = std::mem::replace(&mut entry.value, Node::null(loc));
                    entry.value = Node {
                        value: Value::Map(vec![Entry {
                            key: "context".to_owned(),
                            key_loc: loc,
                            value: context,
                        }]),
                        loc,
                    };
                }
                if let Value::Map(build) = &mut entry.value.value
                    && let Some(args) = build.iter_mut().find(|e| e.key == "args")
                {
                    pairs_as_map(&mut args.value);
                }
            }
            "environment" | "labels" => pairs_as_map(&mut entry.value),
            "depends_on" => {
                if let Value::Seq(items) = &entry.value.value {
                    let names = items
                        .iter()
                        .filter_map(|item| match &item.value {
                            Value::Scalar { text, .. } => Some(Entry {
                                key: text.clone(),
                                key_loc: item.loc,
                                value: Node::null(item.loc),
                            }),
                            _ => None,
                        })
                        .collect();
                    entry.value.value = Value::Map(names);
                }
            }
            _ => {}
        }
    }
    node
}

/// A list of `KEY=VALUE` (or `KEY`) as a mapping.
fn pairs_as_map(node: &mut Node) {
    let Value::Seq(items) = &node.value else {
        return;
    };
    let entries = items
        .iter()
        .filter_map(|item| match &item.value {
            Value::Scalar { text, .. } => {
                let (key, value) = match text.split_once('=') {
                    Some((key, value)) => (
                        key,
                        Node {
                            value: Value::Scalar {
                                text: value.to_owned(),
                                style: Style::Quoted,
                            },
                            loc: item.loc,
                        },
                    ),
                    None => (text.as_str(), Node::null(item.loc)),
                };
                Some(Entry {
                    key: key.to_owned(),
                    key_loc: item.loc,
                    value,
                })
            }
            _ => None,
        })
        .collect();
    node.value = Value::Map(entries);
}

/// `over` merged onto `base` by compose's rules; `path` is the key path within the service.
fn merge(base: Node, over: Node, path: &str) -> Node {
    if matches!(path, "command" | "entrypoint" | "healthcheck.test") {
        return over;
    }
    match (base.value, over.value) {
        (Value::Map(mut entries), Value::Map(overrides)) => {
            for entry in overrides {
                let key_path = if path.is_empty() {
                    entry.key.clone()
                } else {
                    format!("{path}.{}", entry.key)
                };
                match entries.iter().position(|e| e.key == entry.key) {
                    Some(i) => {
                        let old =
                            std::mem::replace(&mut entries[i].value, Node::null(entry.key_loc));
                        entries[i].value = merge(old, entry.value, &key_path);
                    }
                    None => entries.push(entry),
                }
            }
            Node {
                value: Value::Map(entries),
                loc: over.loc,
            }
        }
        (Value::Seq(mut items), Value::Seq(more)) => {
            for item in more {
                let same = |existing: &Node| match path {
                    "ports" => existing.value == item.value,
                    "volumes" => target(existing).is_some() && target(existing) == target(&item),
                    _ => false,
                };
                match items.iter().position(same) {
                    Some(i) => items[i] = item,
                    None => items.push(item),
                }
            }
            Node {
                value: Value::Seq(items),
                loc: over.loc,
            }
        }
        (_, value) => Node {
            value,
            loc: over.loc,
        },
    }
}

/// Where a volume is mounted: its `target`, or the part after the first `:`.
fn target(node: &Node) -> Option<String> {
    match &node.value {
        Value::Scalar { text, .. } => text.split(':').nth(1).map(str::to_owned),
        Value::Map(_) => scalar(node, "target"),
        Value::Seq(_) => None,
    }
}
