//! `Diagnostic`, the crate's error type: one finding in one file, located (file, line, column
//! and key path), with what is wrong or odd and what to do; `Diagnostics` gathers a file's. The
//! crate's internal helpers still return a message (`Result<_, String>` in `plan.rs` and the
//! variables resolver): each becomes the text of a located `Diagnostic`.

use std::fmt;

use serde::Serialize;

use crate::yaml::Loc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding in one file: where it is (file, line, column and the path of keys, like
/// `services[2].ports[0].target_port`), and what is wrong or odd and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// Empty for the whole file.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {severity}: ",
            self.file, self.line, self.column
        )?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// Every finding of a read, errors and warnings together, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Warning)
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub(crate) fn push(
        &mut self,
        severity: Severity,
        file: &str,
        loc: Loc,
        path: &str,
        message: String,
    ) {
        self.0.push(Diagnostic {
            severity,
            file: file.to_owned(),
            line: loc.line,
            column: loc.column,
            path: path.to_owned(),
            message,
        });
    }

    pub(crate) fn sort(&mut self) {
        self.0.sort_by_key(|d| (d.file.clone(), d.line, d.column));
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.0 {
            writeln!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}
