//! `extends`: a service built on another, of the same file (`extends: web`, or
//! `extends: {service: web}`) or of another (`extends: {file: base.yml, service: db}`), merged
//! by compose's rules: mappings key by key, lists appended (`ports`, `expose` and `volumes`
//! once each), `command`, `entrypoint` and `healthcheck.test` replaced; the short forms
//! (`build: ./dir`, `environment` as a list of `KEY=VALUE`) read as their long forms first.
//! A file named by `extends` is read like the compose file itself: inside the repository,
//! bounded, and interpolated with the same variables; its build contexts are rewritten from
//! the imported file's folder. What comes from another file is located at the `extends` that
//! brought it, since the messages name the compose file being imported. Everything merged
//! counts against the reader's limit of values, so a few lines that extend a large service
//! many times cost no more than a file that large.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use super::interpolate::{Finding, interpolate_tree};
use super::{ComposeSource, scalar};
use crate::read::child;
use crate::yaml::{self, Entry, Limits, Loc, Node, Style, Value};

/// How long a chain of `extends` may be, and how many other files one import may read.
const MAX_CHAIN: usize = 16;
const MAX_FILES: usize = 32;

/// One compose file's services, and where `extends.file` names in it are read from.
struct File {
    /// Its folder from the imported file's folder (empty for the imported file itself).
    prefix: PathBuf,
    /// Its folder on disk, when it was read from disk.
    dir: Option<PathBuf>,
    services: HashMap<String, Node>,
}

pub(super) struct Extender<'a> {
    source: &'a ComposeSource,
    files: Vec<File>,
    /// Files opened (or that failed to open), by their path on disk.
    opened: HashMap<PathBuf, Result<usize, String>>,
    done: HashMap<(usize, String), Result<Node, String>>,
    /// Values made by merging so far, against the reader's limit.
    values: usize,
    pub findings: Vec<Finding>,
}

impl<'a> Extender<'a> {
    pub fn new(source: &'a ComposeSource, services: &[Entry]) -> Self {
        let mut opened = HashMap::new();
        if let Some(location) = &source.location {
            // The imported file extended by its own name is the file already read.
            opened.insert(location.path.clone(), Ok(0));
        }
        Self {
            source,
            files: vec![File {
                prefix: PathBuf::new(),
                dir: source.location.as_ref().map(super::ComposeLocation::dir),
                services: services
                    .iter()
                    .map(|e| (e.key.clone(), e.value.clone()))
                    .collect(),
            }],
            opened,
            done: HashMap::new(),
            values: 0,
            findings: Vec::new(),
        }
    }

    /// Every service of the imported file with its `extends` merged in; a service whose
    /// `extends` cannot be followed is kept as written, with an error at its `extends`.
    pub fn resolve_all(&mut self, services: &mut [Entry]) {
        for entry in services.iter_mut() {
            let Some(loc) = extends_loc(&entry.value) else {
                continue;
            };
            let path = child(&child("services", &entry.key), "extends");
            match self.service(0, &entry.key, &mut Vec::new()) {
                Ok(node) => entry.value = node,
                Err(message) => {
                    self.findings.push(Finding {
                        loc,
                        path,
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
            return done.clone();
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
        chain.push((file, name.to_owned()));
        let result = self.merged(file, name, chain);
        chain.pop();
        self.done.insert((file, name.to_owned()), result.clone());
        result
    }

    fn merged(
        &mut self,
        file: usize,
        name: &str,
        chain: &mut Vec<(usize, String)>,
    ) -> Result<Node, String> {
        let Some(node) = self.files[file].services.get(name).cloned() else {
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
                let Some(base_name) = extends.get("service").and_then(scalar) else {
                    return Err(
                        "`extends` needs `service:`, the name of the service to extend".to_owned(),
                    );
                };
                match extends.get("file").and_then(scalar) {
                    Some(other) => (self.open(file, other, extends.loc)?, base_name.to_owned()),
                    None => (file, base_name.to_owned()),
                }
            }
            Value::Seq(_) => {
                return Err(
                    "`extends` is a service name or `{file: …, service: …}`, not a list".to_owned(),
                );
            }
        };
        let deeper = self.files[base_file]
            .services
            .get(&base_name)
            .is_some_and(|n| n.get("extends").is_some());
        let mut base = self.service(base_file, &base_name, chain).map_err(|e| {
            if deeper {
                format!("through `{base_name}`: {e}")
            } else {
                e
            }
        })?;
        remove_key(&mut base, "extends");
        if base_file != 0 {
            relocate(&mut base, extends.loc);
        }
        let mut own = normalized(node);
        remove_key(&mut own, "extends");
        let merged = merge(base, own, "");
        self.values += yaml::size_of_tree(&merged);
        let limit = Limits::default().max_nodes;
        if self.values > limit {
            return Err(format!(
                "`extends` makes more than {limit} values, the most Stagecraft reads: extend \
                 fewer or smaller services"
            ));
        }
        Ok(merged)
    }

    fn describe(&self, file: usize) -> String {
        if file == 0 {
            "this file".to_owned()
        } else {
            format!("the file in `{}`", self.files[file].prefix.display())
        }
    }

    /// Opens the compose file `name`, written in file `from` (its `extends` at `loc`): its
    /// index in `files`. A file that failed once fails again without being read again.
    fn open(&mut self, from: usize, name: &str, loc: Loc) -> Result<usize, String> {
        let (Some(location), Some(dir)) = (&self.source.location, &self.files[from].dir) else {
            return Err(format!(
                "`{name}` cannot be read: this compose file was not read from a folder"
            ));
        };
        let path = crate::file::inside(&location.root, dir, name)?;
        if let Some(known) = self.opened.get(&path) {
            return known.clone();
        }
        let result = if self.opened.len() >= MAX_FILES {
            Err(format!(
                "more than {MAX_FILES} files are extended: merge some of them"
            ))
        } else {
            self.read(from, name, &path, loc)
        };
        self.opened.insert(path, result.clone());
        result
    }

    fn read(&mut self, from: usize, name: &str, path: &Path, loc: Loc) -> Result<usize, String> {
        let text = crate::read_file(path)
            .map_err(|error| format!("`{name}` line {}: {}", error.loc.line, error.message))?;
        let (mut tree, _) = yaml::parse(&text, Limits::default()).map_err(|error| {
            format!(
                "`{name}` is not valid YAML at line {}: {}",
                error.loc.line, error.message
            )
        })?;
        let mut findings = Vec::new();
        interpolate_tree(
            &mut tree,
            "",
            &self.source.env,
            &mut findings,
            &mut Vec::new(),
        );
        for finding in findings {
            if finding.error {
                return Err(format!(
                    "`{name}` line {}, `{}`: {}",
                    finding.loc.line, finding.path, finding.message
                ));
            }
            // Said at the `extends` that brought it, naming where it is.
            self.findings.push(Finding {
                loc,
                path: finding.path.clone(),
                message: format!("in `{name}` line {}: {}", finding.loc.line, finding.message),
                error: false,
            });
        }
        let Some(Value::Map(services)) = tree.get("services").map(|n| n.value.clone()) else {
            return Err(format!("`{name}` has no `services:` mapping"));
        };
        let written = Path::new(name).parent().unwrap_or(Path::new(""));
        let prefix = lexical(&self.files[from].prefix.join(written));
        let services = services
            .into_iter()
            .map(|mut entry| {
                rebase_build(&mut entry.value, &prefix);
                (entry.key, entry.value)
            })
            .collect();
        self.files.push(File {
            prefix,
            dir: path.parent().map(Path::to_path_buf),
            services,
        });
        Ok(self.files.len() - 1)
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

/// A path without `.` and with each `dir/..` folded (a leading `..` stays).
pub(super) fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if out
                    .components()
                    .next_back()
                    .is_some_and(|c| matches!(c, Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A service's build context, written from its file's folder, written from `prefix` (the
/// imported file's folder) instead; a build without one is that folder.
pub(super) fn rebase_build(node: &mut Node, prefix: &Path) {
    let Value::Map(entries) = &mut node.value else {
        return;
    };
    let Some(build) = entries.iter_mut().find(|e| e.key == "build") else {
        return;
    };
    let loc = build.value.loc;
    if let Value::Scalar { .. } = build.value.value {
        let context = std::mem::replace(&mut build.value, Node::null(loc));
        build.value = Node {
            value: Value::Map(vec![Entry {
                key: "context".to_owned(),
                key_loc: loc,
                value: context,
            }]),
            loc,
        };
    }
    let Value::Map(build) = &mut build.value.value else {
        return;
    };
    match build.iter_mut().find(|e| e.key == "context") {
        Some(context) => {
            if let Value::Scalar { text, .. } = &mut context.value.value
                && !prefix.as_os_str().is_empty()
                && !text.starts_with('/')
                && !text.contains("://")
            {
                let joined = lexical(&prefix.join(text.as_str()));
                let shown = joined.display().to_string();
                *text = if shown.is_empty() {
                    ".".to_owned()
                } else {
                    shown
                };
            }
        }
        None if !prefix.as_os_str().is_empty() => build.push(Entry {
            key: "context".to_owned(),
            key_loc: loc,
            value: Node {
                value: Value::Scalar {
                    text: prefix.display().to_string(),
                    style: Style::Quoted,
                },
                loc,
            },
        }),
        None => {}
    }
}

/// The long forms of a service's short ones, so two services merge key by key: `build: dir`
/// as `{context: dir}`, and `environment`, `labels` and `build.args` lists of `KEY=VALUE` as
/// mappings, `depends_on` lists as mappings of names.
fn normalized(mut node: Node) -> Node {
    rebase_build(&mut node, Path::new(""));
    let Value::Map(entries) = &mut node.value else {
        return node;
    };
    for entry in entries.iter_mut() {
        match entry.key.as_str() {
            "build" => {
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

/// What makes two items of a list the same item when lists merge: a port by its text, a
/// volume by where it is mounted, an `expose` by its text; `None` for lists that only append.
fn identity(path: &str, item: &Node) -> Option<String> {
    match (path, &item.value) {
        ("ports" | "expose", Value::Scalar { text, .. }) => Some(text.clone()),
        ("volumes", Value::Scalar { text, .. }) => {
            Some(text.split(':').nth(1).unwrap_or(text).to_owned())
        }
        ("volumes", Value::Map(_)) => item.get("target").and_then(scalar).map(str::to_owned),
        _ => None,
    }
}

/// `over` merged onto `base` by compose's rules; `path` is the key path within the service.
fn merge(base: Node, over: Node, path: &str) -> Node {
    if matches!(path, "command" | "entrypoint" | "healthcheck.test") {
        return over;
    }
    match (base.value, over.value) {
        (Value::Map(mut entries), Value::Map(overrides)) => {
            let mut at: HashMap<String, usize> = entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.key.clone(), i))
                .collect();
            for entry in overrides {
                let key_path = if path.is_empty() {
                    entry.key.clone()
                } else {
                    format!("{path}.{}", entry.key)
                };
                match at.get(&entry.key) {
                    Some(&i) => {
                        let old =
                            std::mem::replace(&mut entries[i].value, Node::null(entry.key_loc));
                        entries[i].value = merge(old, entry.value, &key_path);
                    }
                    None => {
                        at.insert(entry.key.clone(), entries.len());
                        entries.push(entry);
                    }
                }
            }
            Node {
                value: Value::Map(entries),
                loc: over.loc,
            }
        }
        (Value::Seq(mut items), Value::Seq(more)) => {
            let mut at: HashMap<String, usize> = items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| identity(path, item).map(|id| (id, i)))
                .collect();
            for item in more {
                match identity(path, &item) {
                    Some(id) => match at.get(&id) {
                        Some(&i) => items[i] = item,
                        None => {
                            at.insert(id, items.len());
                            items.push(item);
                        }
                    },
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
