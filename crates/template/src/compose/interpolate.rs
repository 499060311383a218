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
                format!("`${{` is not closed in `{text}`: add the `}}`, or write `$$` for a `$`")
            })?;
            out.push_str(&braced(&body[..close], vars, outcome, depth)?);
            rest = &body[close + 1..];
        } else if after.starts_with(is_name_start) {
            let length = after.find(|c| !is_name_char(c)).unwrap_or(after.len());
            let name = &after[..length];
            match vars.get(name) {
                Some(value) => out.push_str(value),
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

/// Interpolates every value under `node` in place (keys stay as written).
pub(super) fn interpolate_tree(
    node: &mut Node,
    path: &str,
    vars: &HashMap<String, String>,
    findings: &mut Vec<Finding>,
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
                interpolate_tree(item, &index(path, i), vars, findings);
            }
        }
        Value::Map(entries) => {
            for entry in entries {
                let key_path = child(path, &entry.key);
                interpolate_tree(&mut entry.value, &key_path, vars, findings);
            }
        }
    }
}

/// The variables of a `.env` file as compose reads it: `KEY=VALUE` lines (an `export ` before
/// the key is allowed), `#` comments, single-quoted values kept as written, double-quoted
/// values with `\n`, `\t`, `\"` and `\\` escapes, and `${VAR}` in unquoted and double-quoted
/// values read from the lines above and from `environment`. Returns the variables and, for
/// each line that is not a variable, its line number and why.
pub(super) fn dotenv(
    text: &str,
    environment: &HashMap<String, String>,
) -> (HashMap<String, String>, Vec<(usize, String)>) {
    let mut vars: HashMap<String, String> = HashMap::new();
    // What a value may read: the environment, then the lines above (the environment wins).
    let mut seen = environment.clone();
    let mut problems = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((key, raw)) = line.split_once('=') else {
            problems.push((number + 1, format!("`{line}` is not `KEY=VALUE`")));
            continue;
        };
        let key = key.trim();
        if !key.starts_with(is_name_start) || !key.chars().all(is_name_char) {
            problems.push((number + 1, format!("`{key}` is not a variable name")));
            continue;
        }
        let raw = raw.trim();
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
                        Some(other) => value.push(other),
                        None => break,
                    },
                    c => value.push(c),
                }
            }
            interpolate(&value, &seen).map_or(value, |(v, _)| v)
        } else {
            let value = raw.split(" #").next().unwrap_or_default().trim_end();
            interpolate(value, &seen).map_or_else(|_| value.to_owned(), |(v, _)| v)
        };
        seen.entry(key.to_owned()).or_insert_with(|| value.clone());
        vars.insert(key.to_owned(), value);
    }
    (vars, problems)
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
                .contains("not closed")
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
        let environment = vars(&[("FROM_SHELL", "shell")]);
        let (read, problems) = dotenv(
            "# a comment\n\nAPP_NAME=Laravel\nexport APP_PORT=8080\nNAME=\"${APP_NAME} mail\"\n\
             RAW='${APP_NAME}'\nTRAIL=value # comment\nESC=\"a\\nb\"\nSHELL_TOO=$FROM_SHELL\nnot a line\n",
            &environment,
        );
        assert_eq!(read["APP_NAME"], "Laravel");
        assert_eq!(read["APP_PORT"], "8080");
        assert_eq!(read["NAME"], "Laravel mail");
        assert_eq!(read["RAW"], "${APP_NAME}");
        assert_eq!(read["TRAIL"], "value");
        assert_eq!(read["ESC"], "a\nb");
        assert_eq!(read["SHELL_TOO"], "shell");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, 10);
    }
}
