//! `--output`: tables for people, JSON and YAML for scripts.

use std::io::Write as _;

use crate::Output;

/// Prints `value` as JSON or YAML; tables are each command's own.
pub(crate) fn structured(value: &impl serde::Serialize, output: Output) {
    let text = match output {
        Output::Yaml => serde_saphyr::to_string(value).ok(),
        _ => serde_json::to_string_pretty(value).ok().map(|t| t + "\n"),
    };
    // Serialising plain data cannot fail; a closed stdout is not worth a panic.
    if let Some(text) = text {
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    }
}

/// Prints rows under a header, each column as wide as its widest cell.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(i) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<width$}", width = widths.get(i).copied().unwrap_or(0)))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{}",
        line(header.iter().map(|h| (*h).to_owned()).collect())
    );
    for row in rows {
        let _ = writeln!(out, "{}", line(row.clone()));
    }
}

/// Prints text as it is.
pub(crate) fn raw(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
