//! Compose accepts service names Kubernetes refuses (`ac_nginx`, `object_storage`,
//! `Web.Server`): a Release service is a Kubernetes Service, whose name is an RFC 1035 label
//! (lowercase letters, digits and `-`, a letter first, a letter or digit last, at most 63).
//! An import renames such services, says so, and follows the rename wherever the old name was
//! used as a host (`depends_on`, and values like `http://object_storage:9000`).

use std::collections::{HashMap, HashSet};

const MAX_LABEL: usize = 63;

/// Whether `name` may name a Kubernetes Service as it is.
pub(super) fn is_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_LABEL
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `name` made a label: lowercased, every other character a `-` (runs of them one), a letter
/// put first when it starts otherwise, cut to 63.
fn label(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out = out.trim_matches('-').to_owned();
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert_str(0, "s-");
    }
    out.truncate(MAX_LABEL);
    out.trim_end_matches('-').to_owned()
}

/// `(old, new)` for each name that is not a label, in the order given; a new name never
/// takes one already used (a `-2`, `-3`, ... is added, counted per name so many alike stay
/// cheap).
pub(super) fn renames<'a>(
    names: impl IntoIterator<Item = &'a str> + Clone,
) -> Vec<(String, String)> {
    let mut taken: HashSet<String> = names
        .clone()
        .into_iter()
        .filter(|n| is_label(n))
        .map(str::to_owned)
        .collect();
    let mut next: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for name in names {
        if is_label(name) {
            continue;
        }
        let base = label(name);
        let mut candidate = base.clone();
        while taken.contains(&candidate) {
            let n = next.entry(base.clone()).or_insert(2);
            let suffix = format!("-{n}");
            *n += 1;
            let mut stem = base.clone();
            stem.truncate(MAX_LABEL - suffix.len());
            candidate = format!("{}{suffix}", stem.trim_end_matches('-'));
        }
        taken.insert(candidate.clone());
        out.push((name.to_owned(), candidate));
    }
    out
}

/// A character that continues a host name, so a match next to it is part of another word.
fn continues(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// `text` with every word that stands as a whole host name (a run of letters, digits, `_`,
/// `-` and `.`) and is a key of `renames` replaced by its new name, or `None` when there is
/// none; each name replaced is added to `found`. One pass, whatever the number of renames.
pub(super) fn replace_hosts(
    text: &str,
    renames: &HashMap<&str, &str>,
    found: &mut Vec<String>,
) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut rest = text;
    while !rest.is_empty() {
        let word = rest.find(|c: char| !continues(c)).unwrap_or(rest.len());
        let (token, after) = rest.split_at(word);
        match renames.get(token) {
            Some(new) if !token.is_empty() => {
                out.push_str(new);
                found.push(token.to_owned());
                changed = true;
            }
            _ => out.push_str(token),
        }
        let gap = after.find(continues).unwrap_or(after.len());
        out.push_str(&after[..gap]);
        rest = &after[gap..];
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_kubernetes_refuses_are_made_labels_once_each() {
        let names = [
            "ac_nginx",
            "object_storage",
            "Web.Server",
            "9lives",
            "ac-nginx",
            "web",
        ];
        assert_eq!(
            renames(names.iter().copied()),
            [
                ("ac_nginx".to_owned(), "ac-nginx-2".to_owned()),
                ("object_storage".to_owned(), "object-storage".to_owned()),
                ("Web.Server".to_owned(), "web-server".to_owned()),
                ("9lives".to_owned(), "s-9lives".to_owned()),
            ]
        );
        assert!(renames(["a".repeat(80).as_str()])[0].1.len() <= MAX_LABEL);
        assert_eq!(renames(["___"])[0].1, "s");
    }

    #[test]
    fn a_host_is_replaced_where_it_stands_alone() {
        let renames: HashMap<&str, &str> = [
            ("object_storage", "object-storage"),
            ("ac_nginx", "ac-nginx"),
        ]
        .into();
        let replace = |text: &str| replace_hosts(text, &renames, &mut Vec::new());
        assert_eq!(
            replace("http://object_storage:9000/x").as_deref(),
            Some("http://object-storage:9000/x")
        );
        assert_eq!(replace("ac_nginx").as_deref(), Some("ac-nginx"));
        assert_eq!(
            replace("ac_nginx,object_storage").as_deref(),
            Some("ac-nginx,object-storage")
        );
        assert_eq!(replace("my_ac_nginx_2"), None);
        assert_eq!(replace("ac_nginx.example.com"), None);
        assert_eq!(replace(""), None);
        assert_eq!(replace("::"), None);
    }

    #[test]
    fn many_names_alike_are_numbered_without_starting_over() {
        let names: Vec<String> = (0..2000)
            .map(|i| format!("a{}", "_".repeat(i % 3 + 1)))
            .collect();
        let renamed = renames(names.iter().map(String::as_str));
        let unique: HashSet<&String> = renamed.iter().map(|(_, new)| new).collect();
        assert_eq!(unique.len(), renamed.len());
    }
}
