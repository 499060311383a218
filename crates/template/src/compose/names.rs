//! Compose accepts service names Kubernetes refuses (`ac_nginx`, `object_storage`,
//! `Web.Server`): a Release service is a Kubernetes Service, whose name is an RFC 1035 label
//! (lowercase letters, digits and `-`, a letter first, a letter or digit last, at most 63).
//! An import renames such services, says so, and follows the rename wherever the old name was
//! used as a host (`depends_on`, and values like `http://object_storage:9000`).

use std::collections::HashSet;

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
/// takes one already used (a `-2`, `-3`, ... is added).
pub(super) fn renames<'a>(
    names: impl IntoIterator<Item = &'a str> + Clone,
) -> Vec<(String, String)> {
    let mut taken: HashSet<String> = names
        .clone()
        .into_iter()
        .filter(|n| is_label(n))
        .map(str::to_owned)
        .collect();
    let mut out = Vec::new();
    for name in names {
        if is_label(name) {
            continue;
        }
        let base = label(name);
        let mut candidate = base.clone();
        let mut n = 2;
        while taken.contains(&candidate) {
            let suffix = format!("-{n}");
            let mut stem = base.clone();
            stem.truncate(MAX_LABEL - suffix.len());
            candidate = format!("{}{suffix}", stem.trim_end_matches('-'));
            n += 1;
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

/// `text` with every occurrence of `old` that stands as a whole host name replaced by `new`,
/// or `None` when there is none.
pub(super) fn replace_host(text: &str, old: &str, new: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    let mut changed = false;
    let mut before: Option<char> = None;
    while let Some(at) = rest.find(old) {
        let preceding = rest[..at].chars().next_back().or(before);
        let following = rest[at + old.len()..].chars().next();
        out.push_str(&rest[..at]);
        if preceding.is_some_and(continues) || following.is_some_and(continues) {
            out.push_str(old);
        } else {
            out.push_str(new);
            changed = true;
        }
        before = old.chars().next_back();
        rest = &rest[at + old.len()..];
    }
    out.push_str(rest);
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
        assert_eq!(
            replace_host(
                "http://object_storage:9000/x",
                "object_storage",
                "object-storage"
            )
            .as_deref(),
            Some("http://object-storage:9000/x")
        );
        assert_eq!(
            replace_host("ac_nginx", "ac_nginx", "ac-nginx").as_deref(),
            Some("ac-nginx")
        );
        assert_eq!(replace_host("my_ac_nginx_2", "ac_nginx", "ac-nginx"), None);
        assert_eq!(
            replace_host("ac_nginx.example.com", "ac_nginx", "ac-nginx"),
            None
        );
    }
}
