//! From the located YAML tree to typed values, collecting every mistake on the way instead of
//! stopping at the first. Each typed value knows how to write itself back to a tree, so a
//! template round-trips with unknown keys kept where they were.
//!
//! Release files are read in two passes: `yaml.rs` makes the located tree, and this module
//! turns it into typed records by hand-written rules (one `record!` per record) rather than
//! serde derive, because derive stops at the first error: here one pass reports every mistake
//! with its file, line, column and key path (`services[2].ports[0].target_port`). Keys the
//! model does not know are kept in `extra` and reported as warnings; every record writes itself
//! back, so a template round-trips unchanged in meaning.

use crate::diagnostic::{Diagnostics, Severity};
use crate::yaml::{Entry, Loc, Node, Style, Value};

/// The state of one read: the file name for messages, and what was found.
#[derive(Debug)]
pub(crate) struct Ctx<'f> {
    pub file: &'f str,
    pub diagnostics: Diagnostics,
}

impl<'f> Ctx<'f> {
    pub fn new(file: &'f str) -> Self {
        Self {
            file,
            diagnostics: Diagnostics::default(),
        }
    }

    pub fn error(&mut self, loc: Loc, path: &str, message: impl Into<String>) {
        self.diagnostics
            .push(Severity::Error, self.file, loc, path, message.into());
    }

    pub fn warn(&mut self, loc: Loc, path: &str, message: impl Into<String>) {
        self.diagnostics
            .push(Severity::Warning, self.file, loc, path, message.into());
    }

    fn expected(&mut self, node: &Node, path: &str, what: &str) {
        self.error(
            node.loc,
            path,
            format!("expected {what}, found {}", node.describe()),
        );
    }

    /// The keys of a mapping, to be taken one by one; `null` counts as an empty mapping.
    pub fn fields<'n>(&mut self, node: &'n Node, path: &str) -> Option<Fields<'n>> {
        match &node.value {
            Value::Map(entries) => Some(Fields {
                entries,
                used: vec![false; entries.len()],
                path: path.to_owned(),
            }),
            _ if node.is_null() => Some(Fields {
                entries: &[],
                used: Vec::new(),
                path: path.to_owned(),
            }),
            _ => {
                self.expected(node, path, "a mapping of keys to values");
                None
            }
        }
    }
}

pub(crate) fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// The keys of one mapping, with a record of which ones the model used.
#[derive(Debug)]
pub(crate) struct Fields<'n> {
    entries: &'n [Entry],
    used: Vec<bool>,
    path: String,
}

impl<'n> Fields<'n> {
    /// Marks `key` as used and returns its value and path.
    pub fn take(&mut self, key: &str) -> Option<(&'n Node, String)> {
        let position = self.entries.iter().position(|e| e.key == key)?;
        self.used[position] = true;
        Some((&self.entries[position].value, child(&self.path, key)))
    }

    pub fn read<T: FieldValue>(&mut self, ctx: &mut Ctx<'_>, key: &str) -> T {
        match self.take(key) {
            Some((node, path)) => T::from_node(ctx, node, &path),
            None => T::missing(),
        }
    }

    /// The keys nobody took: kept, and reported once each.
    pub fn finish(self, ctx: &mut Ctx<'_>) -> Extra {
        let mut extra = Extra::default();
        for (entry, used) in self.entries.iter().zip(self.used) {
            if !used {
                let path = child(&self.path, &entry.key);
                ctx.warn(
                    entry.key_loc,
                    &path,
                    format!(
                        "Stagecraft does not know the key `{}`: it is kept as written but has no \
                         effect. Check its spelling",
                        entry.key
                    ),
                );
                extra.0.push((entry.key.clone(), entry.value.clone()));
            }
        }
        extra
    }
}

/// Keys the model does not know, in the order they were written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extra(pub Vec<(String, Node)>);

impl Extra {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The keys a value's shape has below `prefix` (`services[].ports[].type`), so a test can walk
/// every key of the model. Values without keys of their own have none. Only the test of
/// `support.rs` walks them.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) trait Keys {
    fn keys(_prefix: &str, _out: &mut Vec<String>) {}
}

impl Keys for Text {}
impl Keys for bool {}
impl Keys for u64 {}
impl Keys for Opaque {}
impl Keys for TextMap {}
impl Keys for TextList {}

impl<T: Keys> Keys for Option<T> {
    fn keys(prefix: &str, out: &mut Vec<String>) {
        T::keys(prefix, out);
    }
}

impl<T: Keys> Keys for Vec<T> {
    fn keys(prefix: &str, out: &mut Vec<String>) {
        T::keys(&format!("{prefix}[]"), out);
    }
}

/// A value read from one node.
pub(crate) trait Read: Sized {
    fn read(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Option<Self>;
}

/// A value written back to a node.
pub(crate) trait Write {
    fn write(&self) -> Node;
}

/// How a field behaves when its key is missing or null.
pub(crate) trait FieldValue: Sized {
    fn missing() -> Self;
    fn from_node(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Self;
    fn write_into(&self, key: &str, entries: &mut Vec<(String, Node)>);
}

impl<T: Read + Write> FieldValue for Option<T> {
    fn missing() -> Self {
        None
    }

    fn from_node(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Self {
        if node.is_null() {
            return None;
        }
        T::read(ctx, node, path)
    }

    fn write_into(&self, key: &str, entries: &mut Vec<(String, Node)>) {
        if let Some(value) = self {
            entries.push((key.to_owned(), value.write()));
        }
    }
}

impl<T: Read + Write> FieldValue for Vec<T> {
    fn missing() -> Self {
        Vec::new()
    }

    fn from_node(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Self {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| T::read(ctx, item, &index(path, i)))
                .collect(),
            _ if node.is_null() => Vec::new(),
            _ => {
                ctx.expected(node, path, "a list");
                Vec::new()
            }
        }
    }

    fn write_into(&self, key: &str, entries: &mut Vec<(String, Node)>) {
        if !self.is_empty() {
            entries.push((
                key.to_owned(),
                Node::seq(self.iter().map(Write::write).collect()),
            ));
        }
    }
}

/// Text as written. Plain numbers and booleans are text too (`port: 80` is the text "80"),
/// because Release files write the same field both ways.
///
/// Two texts are equal when they have the same value and are both typed or both not: `80`
/// and `'80'` differ (a number and a string), `web` and `'web'` do not.
#[derive(Debug, Clone, Default)]
pub struct Text {
    pub value: String,
    pub loc: Loc,
    /// Written without quotes, so a number stays a number when written back.
    pub plain: bool,
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value && self.is_typed() == other.is_typed()
    }
}

impl Eq for Text {}

impl Text {
    /// Written plain and read by YAML as a number, a boolean or null.
    pub fn is_typed(&self) -> bool {
        self.plain && crate::yaml::looks_typed(&self.value)
    }

    /// Text made by a program: written plain when it reads back as the same text.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        Self {
            plain: crate::yaml::plain_is_safe(&value, false),
            value,
            loc: Loc::default(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.value)
    }
}

impl Read for Text {
    fn read(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Option<Self> {
        // `~`, `null` and nothing at all are one value: null, kept as empty plain text.
        if node.is_null() {
            return Some(Self {
                value: String::new(),
                loc: node.loc,
                plain: true,
            });
        }
        match &node.value {
            Value::Scalar { text, style } => Some(Self {
                value: text.clone(),
                loc: node.loc,
                plain: *style == Style::Plain,
            }),
            _ => {
                ctx.expected(node, path, "text");
                None
            }
        }
    }
}

impl Write for Text {
    fn write(&self) -> Node {
        if self.plain {
            Node::plain(self.value.clone())
        } else {
            Node::text(self.value.clone())
        }
    }
}

impl Read for bool {
    fn read(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Option<Self> {
        match &node.value {
            Value::Scalar { text, .. } => match text.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => {
                    ctx.expected(node, path, "true or false");
                    None
                }
            },
            _ => {
                ctx.expected(node, path, "true or false");
                None
            }
        }
    }
}

impl Write for bool {
    fn write(&self) -> Node {
        Node::plain(self.to_string())
    }
}

impl Read for u64 {
    fn read(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Option<Self> {
        let parsed = match &node.value {
            Value::Scalar { text, .. } => text.trim().parse::<u64>().ok(),
            _ => None,
        };
        if parsed.is_none() {
            ctx.expected(node, path, "a whole number, 0 or more");
        }
        parsed
    }
}

impl Write for u64 {
    fn write(&self) -> Node {
        Node::plain(self.to_string())
    }
}

/// Any value, kept as written: for keys whose shape Release does not document.
#[derive(Debug, Clone, PartialEq)]
pub struct Opaque(pub Node);

impl Read for Opaque {
    fn read(_ctx: &mut Ctx<'_>, node: &Node, _path: &str) -> Option<Self> {
        Some(Self(node.clone()))
    }
}

impl Write for Opaque {
    fn write(&self) -> Node {
        self.0.clone()
    }
}

/// A list of text that may be written as one text: a chart's `values: values.yaml` (seen in
/// real templates) is a list of one file. Written back as a list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TextList(pub Vec<Text>);

impl FieldValue for TextList {
    fn missing() -> Self {
        Self::default()
    }

    fn from_node(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Self {
        match &node.value {
            Value::Scalar { .. } if !node.is_null() => {
                Self(Text::read(ctx, node, path).into_iter().collect())
            }
            _ => Self(Vec::<Text>::from_node(ctx, node, path)),
        }
    }

    fn write_into(&self, key: &str, entries: &mut Vec<(String, Node)>) {
        self.0.write_into(key, entries);
    }
}

/// A mapping whose keys are the user's own (ingress settings, compose-style maps), kept in
/// order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TextMap(pub Vec<(String, Text)>);

impl Read for TextMap {
    fn read(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Option<Self> {
        let Value::Map(entries) = &node.value else {
            ctx.expected(node, path, "a mapping");
            return None;
        };
        Some(Self(
            entries
                .iter()
                .filter_map(|e| {
                    Text::read(ctx, &e.value, &child(path, &e.key)).map(|t| (e.key.clone(), t))
                })
                .collect(),
        ))
    }
}

impl Write for TextMap {
    fn write(&self) -> Node {
        Node::map(self.0.iter().map(|(k, v)| (k.clone(), v.write())).collect())
    }
}

/// Declares a record of the Release format: a struct with one field per known key (each an
/// `Option<_>` or a `Vec<_>`), its unknown keys, where it was written, and how it reads and
/// writes itself. Required keys are checked by validation, so a missing one is one located
/// error among the rest rather than a lost record.
macro_rules! record {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* $field:ident : $ty:ty = $key:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $ty, )*
            /// Keys Stagecraft does not know, kept as written.
            pub extra: $crate::read::Extra,
            pub loc: $crate::yaml::Loc,
            /// The path of keys to this record, like `services[2]`.
            pub path: $crate::yaml::KeyPath,
        }

        impl $crate::read::Read for $name {
            fn read(
                ctx: &mut $crate::read::Ctx<'_>,
                node: &$crate::yaml::Node,
                path: &str,
            ) -> Option<Self> {
                #[allow(unused_mut)]
                let mut fields = ctx.fields(node, path)?;
                #[allow(clippy::needless_update)]
                let mut record = Self {
                    $( $field: fields.read(ctx, $key), )*
                    extra: $crate::read::Extra::default(),
                    loc: node.loc,
                    path: $crate::yaml::KeyPath(path.to_owned()),
                };
                record.extra = fields.finish(ctx);
                Some(record)
            }
        }

        impl $crate::read::Keys for $name {
            fn keys(prefix: &str, out: &mut Vec<String>) {
                $(
                    let path = $crate::read::child(prefix, $key);
                    <$ty as $crate::read::Keys>::keys(&path, out);
                    out.push(path);
                )*
            }
        }

        impl $crate::read::Write for $name {
            fn write(&self) -> $crate::yaml::Node {
                #[allow(unused_mut)]
                let mut entries: Vec<(String, $crate::yaml::Node)> = Vec::new();
                $( $crate::read::FieldValue::write_into(&self.$field, $key, &mut entries); )*
                entries.extend(self.extra.0.iter().cloned());
                $crate::yaml::Node::map(entries)
            }
        }
    };
}

pub(crate) use record;
