//! YAML text to a located tree: every node knows its line and column, every scalar keeps its
//! source text and whether it was quoted, so the model can read `port: '80'` and `port: 80`
//! alike and a value like `1.10` is never turned into `1.1`. This is the first of the two
//! passes that read Release files; `read.rs` is the second.
//!
//! Built from the events of serde-saphyr's parser (safe, maintained; serde_yaml is deprecated)
//! rather than through serde derive, because a derive stops at the first error; here one pass
//! reports every mistake with its path.
//!
//! Limits keep hostile input cheap: input size, nesting depth, and the number of nodes after
//! alias expansion (a "billion laughs" file fails fast instead of exhausting memory). Each
//! error for a limit says its value and what to do.
//!
//! A tab in indentation is reported on its own line, with what to do, rather than where the
//! parser noticed what it broke (the value before, or a key a line later).
//!
//! Where Release is silent: an alias to a missing anchor (`image: *org*/repo/service`;
//! Release's own redacted samples contain them) is read as text, with a warning, rather than
//! refused.
//!
//! `Loc` and `KeyPath` say where a value was written, not what it means: they compare equal, so
//! two templates are equal when they mean the same.

use std::collections::HashMap;

use serde_saphyr::granit_parser::{
    ErrorKind, Event, Options, Parser, ScalarStyle, ScanError, Span, StructureStyle,
};

/// Where something is in a file: 1-based line and column (0 when made by a program).
///
/// Two values that mean the same are equal wherever they were written, so every `Loc` equals
/// every other: models compare by meaning, which is what a round trip must keep.
#[derive(Debug, Clone, Copy, Default)]
pub struct Loc {
    pub line: usize,
    pub column: usize,
}

impl PartialEq for Loc {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl Eq for Loc {}

impl Loc {
    fn of(span: &Span) -> Self {
        Self {
            line: span.start.line(),
            column: span.start.col() + 1,
        }
    }
}

/// The path of keys to a value, like `services[2].ports[0]`. Like [`Loc`], it says where a
/// value was written, not what it means, so every `KeyPath` equals every other.
#[derive(Debug, Clone, Default)]
pub struct KeyPath(pub String);

impl PartialEq for KeyPath {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl Eq for KeyPath {}

impl std::ops::Deref for KeyPath {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for KeyPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a scalar was written: plain scalars are typed (`80`, `true`, `null`), quoted and block
/// scalars are always text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Block,
}

#[derive(Debug, Clone)]
pub enum Value {
    Scalar { text: String, style: Style },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// Values compare by meaning: the same text, and both typed (a plain number, boolean or null)
/// or both text, however they were quoted.
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Scalar { text: a, style: sa }, Self::Scalar { text: b, style: sb }) => {
                let typed = |text: &str, style: &Style| *style == Style::Plain && looks_typed(text);
                let null = |text: &str, style: &Style| {
                    *style == Style::Plain && matches!(text, "" | "~" | "null" | "Null" | "NULL")
                };
                (null(a, sa) && null(b, sb)) || (a == b && typed(a, sa) == typed(b, sb))
            }
            (Self::Seq(a), Self::Seq(b)) => a == b,
            (Self::Map(a), Self::Map(b)) => a == b,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_loc: Loc,
    pub value: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub loc: Loc,
}

impl Node {
    pub fn null(loc: Loc) -> Self {
        Self {
            value: Value::Scalar {
                text: String::new(),
                style: Style::Plain,
            },
            loc,
        }
    }

    pub fn text(text: impl Into<String>) -> Self {
        Self {
            value: Value::Scalar {
                text: text.into(),
                style: Style::Quoted,
            },
            loc: Loc::default(),
        }
    }

    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            value: Value::Scalar {
                text: text.into(),
                style: Style::Plain,
            },
            loc: Loc::default(),
        }
    }

    pub fn seq(items: Vec<Node>) -> Self {
        Self {
            value: Value::Seq(items),
            loc: Loc::default(),
        }
    }

    pub fn map(entries: Vec<(String, Node)>) -> Self {
        Self {
            value: Value::Map(
                entries
                    .into_iter()
                    .map(|(key, value)| Entry {
                        key,
                        key_loc: Loc::default(),
                        value,
                    })
                    .collect(),
            ),
            loc: Loc::default(),
        }
    }

    /// `~`, `null` or nothing at all, written plain.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, style: Style::Plain }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }

    /// What the node is, for messages: "a list", "a mapping", "the text `abc`".
    pub fn describe(&self) -> String {
        match &self.value {
            Value::Seq(_) => "a list".to_owned(),
            Value::Map(_) => "a mapping".to_owned(),
            _ if self.is_null() => "nothing (null)".to_owned(),
            Value::Scalar { text, .. } => {
                let shown: String = text.chars().take(40).collect();
                let ellipsis = if shown.len() < text.len() { "…" } else { "" };
                format!("`{shown}{ellipsis}`")
            }
        }
    }
}

/// The most a file may hold. Real templates are a few hundred lines.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_depth: usize,
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 4 * 1024 * 1024,
            max_depth: 64,
            max_nodes: 200_000,
        }
    }
}

/// A YAML mistake that stops the file from being read as a tree at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub loc: Loc,
    pub message: String,
}

/// Something odd but readable, reported as a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oddity {
    pub loc: Loc,
    pub message: String,
}

/// Parses one YAML document. An empty file gives a null node.
pub fn parse(text: &str, limits: Limits) -> Result<(Node, Vec<Oddity>), SyntaxError> {
    if text.len() > limits.max_bytes {
        return Err(SyntaxError {
            loc: Loc { line: 1, column: 1 },
            message: format!(
                "the file is {} bytes; Stagecraft reads files of at most {} bytes: split it or \
                 remove what is unused",
                text.len(),
                limits.max_bytes
            ),
        });
    }
    let mut options = Options::default();
    options.emit_unresolved_aliases = true;
    options.emit_comments = false;
    options.emit_anchor_events = false;
    // The parser reads ahead of the tree (a line of `[[[…` to its end), so it may be the first
    // to meet a file nested too deep: its limits are ours, so it stops no later, and says the
    // same.
    options.flow_nesting_limit = limits.max_depth;
    options.block_nesting_limit = limits.max_depth;
    let mut builder = Builder {
        parser: Parser::new_from_str_with_options(text, options),
        source: text,
        limits,
        anchors: HashMap::new(),
        nodes: 0,
        oddities: Vec::new(),
        verbatim: Vec::new(),
    };
    let root = builder.document()?;
    Ok((root, builder.oddities))
}

struct Builder<'a> {
    parser: Parser<'a, serde_saphyr::granit_parser::StrInput<'a>>,
    source: &'a str,
    limits: Limits,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    oddities: Vec<Oddity>,
    /// Lines (first, last) whose leading blanks are text or separate entries, so are no
    /// indentation: the lines a scalar continues on, and those inside brackets (to the end of
    /// the file while they are open).
    verbatim: Vec<(usize, usize)>,
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), SyntaxError> {
        // Comments and anchor names carry no meaning for the tree.
        let mut next = self.parser.next_event();
        while let Some(Ok((Event::Comment(..) | Event::Anchor(..), _))) = next {
            next = self.parser.next_event();
        }
        match next {
            Some(Ok(event)) => Ok(event),
            Some(Err(error)) => Err(self.parse_error(&error)),
            None => Err(SyntaxError {
                loc: Loc::default(),
                message: "the YAML ended unexpectedly".to_owned(),
            }),
        }
    }

    /// The parser's error as the user should read it: its nesting limit says its value and what
    /// to do, and a tab that broke the indentation is pointed at instead of what it broke.
    fn parse_error(&self, error: &ScanError) -> SyntaxError {
        let loc = Loc {
            line: error.marker().line(),
            column: error.marker().col() + 1,
        };
        if matches!(error.kind(), ErrorKind::RecursionLimitExceeded) {
            return SyntaxError {
                loc,
                message: self.too_deep(),
            };
        }
        match tab_in_indentation(self.source, error.kind(), loc.line, &self.verbatim) {
            Some(tab) => SyntaxError {
                loc: tab,
                message: "a tab is used for indentation here: YAML indents with spaces; \
                          replace the tab with spaces"
                    .to_owned(),
            },
            None => SyntaxError {
                loc,
                message: error.info(),
            },
        }
    }

    fn too_deep(&self) -> String {
        format!(
            "values are nested more than {} levels deep, the most Stagecraft reads: flatten the \
             structure",
            self.limits.max_depth
        )
    }

    /// Notes that the lines after `line` are inside brackets, until `close_flow`: blanks there
    /// only separate entries, so a tab among them is no mistake of indentation.
    fn open_flow(&mut self, style: StructureStyle, line: usize) -> Option<usize> {
        if style != StructureStyle::Flow {
            return None;
        }
        self.verbatim.push((line + 1, usize::MAX));
        Some(self.verbatim.len() - 1)
    }

    fn close_flow(&mut self, flow: Option<usize>, line: usize) {
        if let Some(lines) = flow.and_then(|index| self.verbatim.get_mut(index)) {
            lines.1 = line;
        }
    }

    fn document(&mut self) -> Result<Node, SyntaxError> {
        let mut root: Option<Node> = None;
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentEnd => {}
                Event::StreamEnd => break,
                Event::DocumentStart(..) if root.is_some() => {
                    return Err(SyntaxError {
                        loc: Loc::of(&span),
                        message: "a second YAML document (`---`): a Release file holds one"
                            .to_owned(),
                    });
                }
                Event::DocumentStart(..) => {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::DocumentEnd) {
                        root = Some(Node::null(Loc::of(&span)));
                    } else {
                        root = Some(self.node(event, span, 0)?);
                    }
                }
                _ => {}
            }
        }
        Ok(root.unwrap_or_else(|| Node::null(Loc { line: 1, column: 1 })))
    }

    fn count(&mut self, loc: Loc, added: usize) -> Result<(), SyntaxError> {
        self.nodes += added;
        if self.nodes > self.limits.max_nodes {
            return Err(SyntaxError {
                loc,
                message: format!(
                    "the file holds more than {} values (aliases count as copies), the most \
                     Stagecraft reads: use fewer aliases of large values, or split the file",
                    self.limits.max_nodes
                ),
            });
        }
        Ok(())
    }

    fn node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<Node, SyntaxError> {
        let loc = Loc::of(&span);
        if depth > self.limits.max_depth {
            return Err(SyntaxError {
                loc,
                message: self.too_deep(),
            });
        }
        self.count(loc, 1)?;
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                // The lines a scalar continues on hold its text, not indentation. A block
                // scalar's span starts on its first line of text and ends on the line after it.
                let lines = match style {
                    ScalarStyle::Literal | ScalarStyle::Folded => {
                        (span.start.line(), span.end.line().saturating_sub(1))
                    }
                    _ => (span.start.line() + 1, span.end.line()),
                };
                if lines.0 <= lines.1 {
                    self.verbatim.push(lines);
                }
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    _ => Style::Block,
                };
                // `!!str 80` is text even when plain.
                let style = match tag {
                    Some(tag) if style == Style::Plain && tag.to_string().ends_with("str") => {
                        Style::Quoted
                    }
                    _ => style,
                };
                let value = Value::Scalar {
                    text: text.into_owned(),
                    style,
                };
                (Node { value, loc }, anchor)
            }
            Event::SequenceStart(style, anchor, _) => {
                let flow = self.open_flow(style, loc.line);
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        self.close_flow(flow, span.end.line());
                        break;
                    }
                    items.push(self.node(event, span, depth + 1)?);
                }
                (
                    Node {
                        value: Value::Seq(items),
                        loc,
                    },
                    anchor,
                )
            }
            Event::MappingStart(style, anchor, _) => {
                let flow = self.open_flow(style, loc.line);
                (self.mapping(loc, depth, flow)?, anchor)
            }
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id).cloned() else {
                    return Err(SyntaxError {
                        loc,
                        message: "an alias to an anchor that is not defined".to_owned(),
                    });
                };
                self.count(loc, size_of_tree(&target))?;
                return Ok(Node { loc, ..target });
            }
            Event::UnresolvedAlias(name) => {
                // `image: *org*/repo/service` reads as an alias to a missing anchor; Release's
                // own redacted samples are written so. Keep the text and say so.
                let text = self
                    .source
                    .get(span.start.index()..span.end.index())
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("*{name}"));
                self.oddities.push(Oddity {
                    loc,
                    message: format!(
                        "`{text}` starts with `*`, which YAML reads as an alias, but no anchor \
                         `&{name}` exists: it is read as text; quote it to say so"
                    ),
                });
                return Ok(Node {
                    value: Value::Scalar {
                        text,
                        style: Style::Quoted,
                    },
                    loc,
                });
            }
            other => {
                return Err(SyntaxError {
                    loc,
                    message: format!("unexpected YAML event {other:?}"),
                });
            }
        };
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }

    fn mapping(
        &mut self,
        loc: Loc,
        depth: usize,
        flow: Option<usize>,
    ) -> Result<Node, SyntaxError> {
        let mut entries: Vec<Entry> = Vec::new();
        // Each key's place, so a mapping of many keys is checked in one pass.
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut merged: Vec<Node> = Vec::new();
        loop {
            let (event, key_span) = self.next()?;
            if matches!(event, Event::MappingEnd) {
                self.close_flow(flow, key_span.end.line());
                break;
            }
            let key_loc = Loc::of(&key_span);
            let key_node = self.node(event, key_span, depth + 1)?;
            let (event, span) = self.next()?;
            let value = self.node(event, span, depth + 1)?;
            let Value::Scalar { text: key, style } = key_node.value else {
                return Err(SyntaxError {
                    loc: key_loc,
                    message: "a mapping key must be plain text, not a list or a mapping".to_owned(),
                });
            };
            if key == "<<" && style == Style::Plain {
                merged.push(value);
                continue;
            }
            if let Some(first) = seen.get(&key) {
                return Err(SyntaxError {
                    loc: key_loc,
                    message: format!(
                        "the key `{key}` appears twice in one mapping (first at line {})",
                        entries[*first].key_loc.line
                    ),
                });
            }
            seen.insert(key.clone(), entries.len());
            entries.push(Entry {
                key,
                key_loc,
                value,
            });
        }
        // Merge keys (`<<: *defaults`): keys written in the mapping win over merged ones, and
        // earlier merged mappings win over later ones.
        for source in merged {
            let sources = match source.value {
                Value::Seq(items) => items,
                _ => vec![source],
            };
            for source in sources {
                let Value::Map(source_entries) = source.value else {
                    return Err(SyntaxError {
                        loc: source.loc,
                        message: "`<<` merges mappings only".to_owned(),
                    });
                };
                for entry in source_entries {
                    if !seen.contains_key(&entry.key) {
                        seen.insert(entry.key.clone(), entries.len());
                        entries.push(entry);
                    }
                }
            }
        }
        Ok(Node {
            value: Value::Map(entries),
            loc,
        })
    }
}

/// Where a tab indents a line, when that is why the parser failed with `kind` at `line`.
/// The parser refuses a tab where it must indent, but reports some where it noticed what the
/// tab broke: a plain value that could not go on, on the line before; a block scalar, on its
/// `|` line; a tab it took for a blank after spaces, at the next key or item that no longer
/// lines up. The user's mistake is the tab.
fn tab_in_indentation(
    source: &str,
    kind: &ErrorKind,
    line: usize,
    verbatim: &[(usize, usize)],
) -> Option<Loc> {
    let mut lines = source
        .lines()
        .enumerate()
        .map(|(index, text)| (index + 1, text));
    let tab_at = |(number, text): (usize, &str)| {
        indenting_tab(text).map(|column| Loc {
            line: number,
            column,
        })
    };
    match kind {
        ErrorKind::TabInBlockIndentation | ErrorKind::TabNotAllowed => {
            lines.find(|&(number, _)| number == line).and_then(tab_at)
        }
        ErrorKind::TabAtBlockScalarStart => lines
            .find(|&(number, _)| number == line + 1)
            .and_then(tab_at),
        // Reported at the value's start; the tab is on the first line it could not go on to.
        ErrorKind::TabInPlainScalar => lines.filter(|&(number, _)| number > line).find_map(tab_at),
        // A structure that does not line up: the nearest tab-indented line at or before it,
        // outside text and brackets, where a tab is no indentation.
        ErrorKind::ExpectedBlockMappingKey
        | ErrorKind::ExpectedBlockSequenceEntry
        | ErrorKind::BlockSequenceEntryNotAllowed
        | ErrorKind::MappingValueNotAllowed
        | ErrorKind::MappingKeyNotAllowed
        | ErrorKind::InvalidIndentation
        | ErrorKind::SimpleKeyExpected
        | ErrorKind::InvalidSimpleKey
        | ErrorKind::InvalidBlockScalarIndent => {
            // Which lines are text or inside brackets, in one pass however many ranges there
            // are (a hostile file may hold very many).
            let mut starts = vec![0i64; line + 2];
            for &(first, last) in verbatim {
                if first <= line {
                    starts[first] += 1;
                    starts[last.min(line) + 1] -= 1;
                }
            }
            let mut depth = 0i64;
            let covered: Vec<bool> = starts
                .iter()
                .map(|change| {
                    depth += change;
                    depth > 0
                })
                .collect();
            // Only the line of the error, or the line of content just above it: a tab further
            // up broke nothing here, and the parser's own message says more.
            let near: Vec<(usize, &str)> = lines
                .take_while(|&(number, _)| number <= line)
                .filter(|&(number, _)| !covered[number])
                .filter(|(_, text)| {
                    let content = text.trim_start_matches([' ', '\t']);
                    !content.is_empty() && !content.starts_with('#')
                })
                .collect();
            near.iter().rev().take(2).find_map(|&entry| tab_at(entry))
        }
        _ => None,
    }
}

/// The column of the first tab in the blanks that start `line`, when something other than a
/// comment follows them.
fn indenting_tab(line: &str) -> Option<usize> {
    let text = line.trim_start_matches([' ', '\t']);
    if text.is_empty() || text.starts_with('#') {
        return None;
    }
    line.strip_suffix(text)?.find('\t').map(|index| index + 1)
}

pub(crate) fn size_of_tree(node: &Node) -> usize {
    match &node.value {
        Value::Scalar { .. } => 1,
        Value::Seq(items) => 1 + items.iter().map(size_of_tree).sum::<usize>(),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|e| 1 + size_of_tree(&e.value))
                .sum::<usize>()
        }
    }
}

/// Writes a tree as block-style YAML. Plain scalars are written as they were read; text is
/// written plain when that reads back as the same text, quoted otherwise.
pub fn emit(node: &Node) -> String {
    let mut out = String::new();
    match &node.value {
        Value::Map(entries) if !entries.is_empty() => emit_map(entries, 0, &mut out),
        Value::Seq(items) if !items.is_empty() => emit_seq(items, 0, &mut out),
        _ => {
            out.push_str(&inline(node));
            out.push('\n');
        }
    }
    out
}

fn emit_map(entries: &[Entry], indent: usize, out: &mut String) {
    for entry in entries {
        out.push_str(&" ".repeat(indent));
        let key_style = if plain_is_safe(&entry.key, false) {
            Style::Plain
        } else {
            Style::Quoted
        };
        out.push_str(&scalar_text(&entry.key, key_style));
        out.push(':');
        emit_value(&entry.value, indent, out);
    }
}

fn emit_seq(items: &[Node], indent: usize, out: &mut String) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match &item.value {
            Value::Map(entries) if !entries.is_empty() => {
                // The first key shares the dash's line; the rest align under it.
                let mut first = String::new();
                emit_map(&entries[..1], indent + 2, &mut first);
                out.push(' ');
                out.push_str(first.trim_start());
                emit_map(&entries[1..], indent + 2, out);
            }
            Value::Seq(nested) if !nested.is_empty() => {
                out.push('\n');
                emit_seq(nested, indent + 2, out);
            }
            _ => {
                out.push(' ');
                out.push_str(&inline(item));
                out.push('\n');
            }
        }
    }
}

fn emit_value(node: &Node, indent: usize, out: &mut String) {
    match &node.value {
        Value::Map(entries) if !entries.is_empty() => {
            out.push('\n');
            emit_map(entries, indent + 2, out);
        }
        Value::Seq(items) if !items.is_empty() => {
            out.push('\n');
            emit_seq(items, indent, out);
        }
        _ => {
            let text = inline(node);
            if !text.is_empty() {
                out.push(' ');
                out.push_str(&text);
            }
            out.push('\n');
        }
    }
}

fn inline(node: &Node) -> String {
    match &node.value {
        Value::Map(_) => "{}".to_owned(),
        Value::Seq(_) => "[]".to_owned(),
        Value::Scalar { text, style } => scalar_text(text, *style),
    }
}

fn scalar_text(text: &str, style: Style) -> String {
    // Plain stays plain and quoted stays quoted, so a round trip keeps what the author wrote.
    if style == Style::Plain && !text.contains('\n') && plain_is_safe(text, true) {
        return text.to_owned();
    }
    if text.chars().any(|c| c.is_control()) {
        let mut quoted = String::from("\"");
        for c in text.chars() {
            match c {
                '"' => quoted.push_str("\\\""),
                '\\' => quoted.push_str("\\\\"),
                '\n' => quoted.push_str("\\n"),
                '\t' => quoted.push_str("\\t"),
                '\r' => quoted.push_str("\\r"),
                c if c.is_control() => quoted.push_str(&format!("\\u{:04x}", c as u32)),
                c => quoted.push(c),
            }
        }
        quoted.push('"');
        return quoted;
    }
    format!("'{}'", text.replace('\'', "''"))
}

/// Whether `text` written plain reads back as the same text. `typed_ok` allows text that YAML
/// types (numbers, booleans, null), for scalars that were plain to begin with.
pub(crate) fn plain_is_safe(text: &str, typed_ok: bool) -> bool {
    let Some(first) = text.chars().next() else {
        return typed_ok;
    };
    if text.trim() != text || text.contains(": ") || text.contains(" #") || text.ends_with(':') {
        return false;
    }
    // `-`, `?` and `:` may start a plain scalar when a non-space follows; the other
    // indicators never may.
    let second = text.chars().nth(1);
    let indicator_ok = "-?:".contains(first) && second.is_some_and(|c| !c.is_whitespace());
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) && !indicator_ok {
        return false;
    }
    if text.chars().any(|c| c.is_control()) {
        return false;
    }
    typed_ok || !looks_typed(text)
}

pub(crate) fn looks_typed(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "" | "~"
            | "null"
            | "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | ".inf"
            | "-.inf"
            | "+.inf"
            | ".nan"
    ) || text.parse::<f64>().is_ok()
        || lower.starts_with("0x")
        || lower.starts_with("0o")
}
