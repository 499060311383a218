//! Compose's variable interpolation, applied where compose applies it: to every value of the
//! file (never to keys), before anything else reads it. `$VAR`, `${VAR}`, `${VAR:-default}`,
//! `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+replacement}`,
//! `${VAR+replacement}`, defaults that interpolate in turn, and `$$` for a `$`. A variable
//! nobody sets becomes empty text with a warning, as compose does. The values come from the
//! `.env` file beside the compose file, with the environment's over them (compose's order),
//! read by [`dotenv`].

use std::collections::HashMap;

use crate::read::{child, index};
use crate::yaml::{Loc, Node, Value};

/// How deep defaults may nest (`${A:-${B:-${C}}}`) before the text is refused.
const MAX_NESTING: usize = 16;

/// What one value needed that nothing gave.
#[derive(Debug, Default)]
pub(super) struct Outcome {
    /// Variables read without a value and without a default: left empty.
    pub unset: Vec<String>,
    /// A `${VAR:?message}` whose variable is unset (or empty): the value cannot be made.
    pub required: Option<String>,
    /// Variables whose values went into the text.
    pub read: Vec<String>,
}

/// `text` with every reference replaced, and what was missing on the way.
pub(super) fn interpolate(
    text: &str,
    vars: &HashMap<String, String>,
) -> Result<(String, Outcome), String> {
    let mut outcome = Outcome::default();
    let value = expand(text, vars, &mut outcome, 0)?;
    Ok((value, outcome))
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn expand(
    text: &str,
    vars: &HashMap<String, String>,
    outcome: &mut Outcome,
    depth: usize,
) -> Result<String, String> {
    if depth > MAX_NESTING {
        return Err(format!(
            "defaults nest deeper than {MAX_NESTING} levels: write the value out"
        ));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let close = closing_brace(body).ok_or_else(|| {
                let shown: String = rest[dollar..].chars().take(40).collect();
                format!("`{shown}` opens `${{` without closing it: add the `}}`, or write `$$` for a `$`")
            })?;
            out.push_str(&braced(&body[..close], vars, outcome, depth)?);
            rest = &body[close + 1..];
        } else if after.starts_with(is_name_start) {
            let length = after.find(|c| !is_name_char(c)).unwrap_or(after.len());
            let name = &after[..length];
            match vars.get(name) {
                Some(value) => {
                    out.push_str(value);
                    outcome.read.push(name.to_owned());
                }
                None => outcome.unset.push(name.to_owned()),
            }
            rest = &after[length..];
        } else {
            // A `$` before anything else stays, as compose leaves it.
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Where the `}` closing a `${` is, counting the braces of nested references.
fn closing_brace(body: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The inside of `${…}`: a name, then nothing or one of compose's operators.
fn braced(
    inner: &str,
    vars: &HashMap<String, String>,
    outcome: &mut Outcome,
    depth: usize,
) -> Result<String, String> {
    let length = inner.find(|c| !is_name_char(c)).unwrap_or(inner.len());
    let name = &inner[..length];
    if !name.starts_with(is_name_start) {
        return Err(format!(
            "`${{{inner}}}` does not name a variable: a name is letters, digits and `_`, not \
             starting with a digit"
        ));
    }
    let operator = &inner[length..];
    let value = vars.get(name);
    if value.is_some_and(|v| !v.is_empty()) {
        outcome.read.push(name.to_owned());
    }
    let set_and_not_empty = value.is_some_and(|v| !v.is_empty());
    let word =
        |skip: usize, outcome: &mut Outcome| expand(&operator[skip..], vars, outcome, depth + 1);
    let missing_value = |outcome: &mut Outcome| {
        outcome.unset.push(name.to_owned());
        Ok(String::new())
    };
    match operator.chars().next() {
        None => value.cloned().map_or_else(|| missing_value(outcome), Ok),
        Some(':') => match operator[1..].chars().next() {
            Some('-') if set_and_not_empty => Ok(value.cloned().unwrap_or_default()),
            Some('-') => word(2, outcome),
            Some('?') if set_and_not_empty => Ok(value.cloned().unwrap_or_default()),
            Some('?') => {
                let message = word(2, outcome)?;
                outcome.required.get_or_insert(required(name, &message));
                Ok(String::new())
            }
            Some('+') if set_and_not_empty => word(2, outcome),
            Some('+') => Ok(String::new()),
            _ => Err(unknown_operator(inner)),
        },
        Some('-') => match value {
            Some(value) => Ok(value.clone()),
            None => word(1, outcome),
        },
        Some('?') => match value {
            Some(value) => Ok(value.clone()),
            None => {
                let message = word(1, outcome)?;
                outcome.required.get_or_insert(required(name, &message));
                Ok(String::new())
            }
        },
        Some('+') => match value {
            Some(_) => word(1, outcome),
            None => Ok(String::new()),
        },
        Some(_) => Err(unknown_operator(inner)),
    }
}

fn required(name: &str, message: &str) -> String {
    if message.is_empty() {
        format!("`{name}` must be set: set it in `.env` or the environment")
    } else {
        format!("`{name}` must be set ({message}): set it in `.env` or the environment")
    }
}

fn unknown_operator(inner: &str) -> String {
    format!(
        "`${{{inner}}}` is not a form compose knows: use `${{NAME}}`, `${{NAME:-default}}`, \
         `${{NAME:?error}}` or `${{NAME:+other}}`, or `$$` for a `$`"
    )
}

/// A problem found while interpolating the file, where it was written.
pub(super) struct Finding {
    pub loc: Loc,
    pub path: String,
    pub message: String,
    pub error: bool,
}

/// Interpolates every value under `node` in place (keys stay as written). `read` gets the
/// path of each value a variable's value went into, with the variables.
pub(super) fn interpolate_tree(
    node: &mut Node,
    path: &str,
    vars: &HashMap<String, String>,
    findings: &mut Vec<Finding>,
    read: &mut Vec<(String, Vec<String>)>,
) {
    let loc = node.loc;
    match &mut node.value {
        Value::Scalar { text, .. } => {
            if !text.contains('$') {
                return;
            }
            match interpolate(text, vars) {
                Ok((value, outcome)) => {
                    *text = value;
                    if !outcome.read.is_empty() {
                        read.push((path.to_owned(), outcome.read));
                    }
                    let mut unset = outcome.unset;
                    unset.sort();
                    unset.dedup();
                    for name in unset {
                        findings.push(Finding {
                            loc,
                            path: path.to_owned(),
                            message: format!(
                                "`{name}` is not set, so it reads as empty text (as compose \
                                 does): set it in `.env` or the environment, or give a default: \
                                 `${{{name}:-value}}`"
                            ),
                            error: false,
                        });
                    }
                    if let Some(message) = outcome.required {
                        findings.push(Finding {
                            loc,
                            path: path.to_owned(),
                            message,
                            error: true,
                        });
                    }
                }
                Err(message) => findings.push(Finding {
                    loc,
                    path: path.to_owned(),
                    message,
                    error: true,
                }),
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate_tree(item, &index(path, i), vars, findings, read);
            }
        }
        Value::Map(entries) => {
            for entry in entries {
                let key_path = child(path, &entry.key);
                interpolate_tree(&mut entry.value, &key_path, vars, findings, read);
            }
        }
    }
}

/// The variables of a `.env` file as compose reads it: `KEY=VALUE` (or `KEY: VALUE`) lines,
/// an `export ` before the key allowed, `#` comments, single-quoted values kept as written,
/// double-quoted values with `\n`, `\t`, `\r`, `\"`, `\\` and `\$` escapes, quoted values
/// that go on over several lines (a PEM key), a `KEY` alone taking the environment's value, and
/// `${VAR}` in unquoted and double-quoted values read from the lines above (the latest value)
/// or else from `environment`. Returns the variables and, for each line that is not one, its
/// line number and why (never its text: it may hold a secret).
pub(super) fn dotenv(
    text: &str,
    environment: &HashMap<String, String>,
) -> (HashMap<String, String>, Vec<(usize, String)>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut vars: HashMap<String, String> = HashMap::new();
    let mut problems = Vec::new();
    let mut rest = text;
    let mut line = 1usize;
    while !rest.is_empty() {
        let start_line = line;
        // One entry: up to the end of its line, or of its quoted value.
        let (entry, after, lines) = entry_text(rest);
        line += lines;
        rest = after;
        let entry = entry.trim();
        if entry.is_empty() || entry.starts_with('#') {
            continue;
        }
        let entry = entry
            .strip_prefix("export")
            .filter(|r| r.starts_with([' ', '\t']))
            .map_or(entry, str::trim_start);
        let split = entry.find(['=', ':']);
        let key = split.map_or(entry, |at| &entry[..at]).trim();
        if !key.starts_with(is_name_start)
            || !key.chars().all(|c| is_name_char(c) || c == '.' || c == '-')
        {
            problems.push((start_line, "this is not `KEY=VALUE`".to_owned()));
            continue;
        }
        let Some(at) = split else {
            if let Some(value) = environment.get(key) {
                vars.insert(key.to_owned(), value.clone());
            }
            continue;
        };
        let raw = entry[at + 1..].trim_start();
        let lookup = |name: &str| vars.get(name).or_else(|| environment.get(name)).cloned();
        let value = if let Some(quoted) = raw.strip_prefix('\'') {
            quoted.split('\'').next().unwrap_or_default().to_owned()
        } else if let Some(quoted) = raw.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.chars();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('n') => value.push('\n'),
                        Some('t') => value.push('\t'),
                        Some('r') => value.push('\r'),
                        // Kept a `$` through the interpolation below.
                        Some('$') => value.push_str("$$"),
                        Some(other) => value.push(other),
                        None => break,
                    },
                    c => value.push(c),
                }
            }
            expand_with(&value, &lookup)
        } else {
            let value = match raw.find(" #") {
                Some(comment) => &raw[..comment],
                None => raw,
            };
            expand_with(value.trim_end(), &lookup)
        };
        vars.insert(key.to_owned(), value);
    }
    (vars, problems)
}

/// The text of one `.env` entry at the start of `text`: to the end of its line, or past the
/// closing quote of a value that goes on over lines. Returns it, what follows, and how many
/// line ends it took.
fn entry_text(text: &str) -> (&str, &str, usize) {
    let line_end = text.find('\n').unwrap_or(text.len());
    let line = &text[..line_end];
    let quote = line.find(['=', ':']).and_then(|at| {
        let value = line[at + 1..].trim_start();
        value
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\''))
            .map(|q| (q, line.len() - value.len() + 1))
    });
    let end = match quote {
        Some((q, open)) => {
            // The closing quote, skipping escaped ones inside double quotes.
            let mut escaped = false;
            let mut close = None;
            for (i, c) in text[open..].char_indices() {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    close = Some(open + i);
                    break;
                }
            }
            match close {
                Some(close) => text[close..].find('\n').map_or(text.len(), |n| close + n),
                None => line_end,
            }
        }
        None => line_end,
    };
    let entry = &text[..end];
    let after = text.get(end + 1..).unwrap_or("");
    let lines = entry.matches('\n').count() + usize::from(end < text.len());
    (entry, after, lines)
}

/// `text` interpolated with `lookup`; a mistake leaves it as written.
fn expand_with(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    if !text.contains('$') {
        return text.to_owned();
    }
    let names = referenced(text);
    let vars: HashMap<String, String> = names
        .into_iter()
        .filter_map(|name| lookup(&name).map(|value| (name, value)))
        .collect();
    interpolate(text, &vars).map_or_else(|_| text.to_owned(), |(value, _)| value)
}

/// The names `$NAME` and `${NAME…}` in `text` (a superset is fine: only these are looked up).
fn referenced(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        let after = rest[dollar + 1..].trim_start_matches('{');
        let length = after.find(|c| !is_name_char(c)).unwrap_or(after.len());
        if length > 0 {
            names.push(after[..length].to_owned());
        }
        rest = &rest[dollar + 1..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn expanded(text: &str, pairs: &[(&str, &str)]) -> String {
        interpolate(text, &vars(pairs)).unwrap().0
    }

    #[test]
    fn every_form_compose_knows() {
        let set = [("PORT", "8080"), ("EMPTY", ""), ("HOST", "db")];
        assert_eq!(expanded("${PORT:-80}:80", &set), "8080:80");
        assert_eq!(expanded("${APP_PORT:-80}:80", &set), "80:80");
        assert_eq!(expanded("${EMPTY:-x}|${EMPTY-x}|${NONE-x}", &set), "x||x");
        assert_eq!(
            expanded("${HOST:+yes}|${EMPTY:+yes}|${EMPTY+yes}", &set),
            "yes||yes"
        );
        assert_eq!(expanded("$HOST:$PORT/x", &set), "db:8080/x");
        assert_eq!(
            expanded("$$HOME and $${HOME} cost $$5", &set),
            "$HOME and ${HOME} cost $5"
        );
        assert_eq!(expanded("${NONE:-${HOST:-z}-1}", &set), "db-1");
        assert_eq!(expanded("a $ b $1", &set), "a $ b $1");
    }

    #[test]
    fn what_is_missing_or_wrong_is_told() {
        let (value, outcome) = interpolate("x${NOPE}y$ALSO", &vars(&[])).unwrap();
        assert_eq!(value, "xy");
        assert_eq!(outcome.unset, ["NOPE", "ALSO"]);
        let (_, outcome) = interpolate("${DB_PASSWORD:?give the password}", &vars(&[])).unwrap();
        assert!(outcome.required.unwrap().contains("give the password"));
        assert!(
            interpolate("${OPEN", &vars(&[]))
                .unwrap_err()
                .contains("without closing it")
        );
        assert!(
            interpolate("${1X}", &vars(&[]))
                .unwrap_err()
                .contains("does not name")
        );
        assert!(
            interpolate("${A/b}", &vars(&[]))
                .unwrap_err()
                .contains("not a form")
        );
        let deep = format!("{}x{}", "${A:-".repeat(40), "}".repeat(40));
        assert!(
            interpolate(&deep, &vars(&[]))
                .unwrap_err()
                .contains("deeper than")
        );
    }

    #[test]
    fn a_dotenv_file_as_compose_reads_it() {
        let environment = vars(&[("FROM_SHELL", "shell"), ("ALONE", "from the shell")]);
        let (read, problems) = dotenv(
            "\u{feff}# a comment\n\nAPP_NAME=Laravel\nexport APP_PORT=8080\nNAME=\"${APP_NAME} mail\"\n\
             RAW='${APP_NAME}'\nTRAIL=value # comment\nESC=\"a\\nb \\$HOME\"\nSHELL_TOO=$FROM_SHELL\n\
             not a line\nPEM=\"-----BEGIN KEY-----\nabc\n-----END KEY-----\"\nAFTER_PEM: yes\nALONE\n\
             APP_NAME=Again\nLATEST=${APP_NAME}\n",
            &environment,
        );
        assert_eq!(read["APP_NAME"], "Again");
        assert_eq!(read["APP_PORT"], "8080");
        assert_eq!(read["NAME"], "Laravel mail");
        assert_eq!(read["RAW"], "${APP_NAME}");
        assert_eq!(read["TRAIL"], "value");
        assert_eq!(read["ESC"], "a\nb $HOME");
        assert_eq!(read["SHELL_TOO"], "shell");
        assert_eq!(read["PEM"], "-----BEGIN KEY-----\nabc\n-----END KEY-----");
        assert_eq!(read["AFTER_PEM"], "yes");
        assert_eq!(read["ALONE"], "from the shell");
        assert_eq!(read["LATEST"], "Again", "the latest value above");
        assert_eq!(problems, [(10, "this is not `KEY=VALUE`".to_owned())]);
    }
}
