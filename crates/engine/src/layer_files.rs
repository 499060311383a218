//! The files inside an image's layers, and what changed between two layers made by the same
//! instruction: files added, removed, changed (same path, other content) and renamed (same
//! content, other path). Sizes alone miss a one-byte edit and a rename; contents do not.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// One regular file a layer adds or replaces, or a path it deletes (a whiteout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerFile {
    /// Relative to the image's root: `www/index.html`.
    pub path: String,
    pub size_bytes: u64,
    /// A digest of the contents (hex); empty for a deletion.
    pub digest: String,
    /// The layer deletes `path` from the layers under it.
    pub deleted: bool,
}

/// The files of one layer, with the instruction that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerFiles {
    pub instruction: String,
    pub files: Vec<LayerFile>,
}

/// A file whose contents differ between two layers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileChange {
    pub path: String,
    pub before_size: u64,
    pub after_size: u64,
}

/// A file whose contents moved to another path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileRename {
    pub from: String,
    pub to: String,
}

/// What changed between two layers made by the same instruction; each list sorted by path
/// and cut at [`FileChanges::SHOWN`] (the rest counted in `more`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<FileChange>,
    pub renamed: Vec<FileRename>,
    /// Changes past the lists' cut.
    pub more: usize,
}

impl FileChanges {
    /// The most entries each list keeps.
    pub const SHOWN: usize = 50;

    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.renamed.is_empty()
            && self.more == 0
    }

    /// Compares the files of two layers: `before`'s and `after`'s.
    pub fn between(before: &[LayerFile], after: &[LayerFile]) -> Self {
        let index = |files: &[LayerFile]| -> BTreeMap<String, LayerFile> {
            files.iter().map(|f| (f.path.clone(), f.clone())).collect()
        };
        let (old, new) = (index(before), index(after));
        let mut added: Vec<&LayerFile> = new
            .values()
            .filter(|f| !old.contains_key(&f.path))
            .collect();
        let mut removed: Vec<&LayerFile> = old
            .values()
            .filter(|f| !new.contains_key(&f.path))
            .collect();
        let changed: Vec<FileChange> = new
            .values()
            .filter_map(|f| {
                let o = old.get(&f.path)?;
                (o.digest != f.digest || o.deleted != f.deleted).then(|| FileChange {
                    path: f.path.clone(),
                    before_size: o.size_bytes,
                    after_size: f.size_bytes,
                })
            })
            .collect();
        // A removed file whose contents reappear under a new path was renamed.
        let mut renamed = Vec::new();
        let mut gone_by_digest: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, f) in removed.iter().enumerate() {
            if !f.deleted && !f.digest.is_empty() {
                gone_by_digest.entry(f.digest.as_str()).or_default().push(i);
            }
        }
        let mut renamed_from = vec![false; removed.len()];
        added.retain(|f| {
            if f.deleted || f.digest.is_empty() {
                return true;
            }
            let Some(candidates) = gone_by_digest.get_mut(f.digest.as_str()) else {
                return true;
            };
            let Some(i) = candidates.pop() else {
                return true;
            };
            renamed_from[i] = true;
            renamed.push(FileRename {
                from: removed[i].path.clone(),
                to: f.path.clone(),
            });
            false
        });
        let mut i = 0;
        removed.retain(|_| {
            i += 1;
            !renamed_from[i - 1]
        });
        renamed.sort_by(|a, b| a.to.cmp(&b.to));
        let mut more = 0;
        let mut cut = |list: Vec<String>| {
            more += list.len().saturating_sub(Self::SHOWN);
            list.into_iter().take(Self::SHOWN).collect::<Vec<_>>()
        };
        let added = cut(added.iter().map(|f| f.path.clone()).collect());
        let removed = cut(removed.iter().map(|f| f.path.clone()).collect());
        more +=
            changed.len().saturating_sub(Self::SHOWN) + renamed.len().saturating_sub(Self::SHOWN);
        Self {
            added,
            removed,
            changed: changed.into_iter().take(Self::SHOWN).collect(),
            renamed: renamed.into_iter().take(Self::SHOWN).collect(),
            more,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, digest: &str, size: u64) -> LayerFile {
        LayerFile {
            path: path.into(),
            size_bytes: size,
            digest: digest.into(),
            deleted: false,
        }
    }

    #[test]
    fn a_same_size_edit_and_a_rename_are_told_apart_from_additions_and_removals() {
        let before = [
            file("www/index.html", "aa", 9),
            file("www/old-name.css", "cc", 40),
            file("www/gone.txt", "dd", 3),
        ];
        let after = [
            file("www/index.html", "bb", 9),
            file("www/new-name.css", "cc", 40),
            file("www/new.txt", "ee", 5),
        ];
        let changes = FileChanges::between(&before, &after);
        assert_eq!(
            changes.changed,
            [FileChange {
                path: "www/index.html".into(),
                before_size: 9,
                after_size: 9
            }]
        );
        assert_eq!(
            changes.renamed,
            [FileRename {
                from: "www/old-name.css".into(),
                to: "www/new-name.css".into()
            }]
        );
        assert_eq!(changes.added, ["www/new.txt"]);
        assert_eq!(changes.removed, ["www/gone.txt"]);
        assert!(FileChanges::between(&before, &before).is_empty());
    }

    #[test]
    fn long_lists_are_cut_and_the_rest_counted() {
        let after: Vec<LayerFile> = (0..FileChanges::SHOWN + 7)
            .map(|i| file(&format!("f{i:03}"), &format!("d{i}"), 1))
            .collect();
        let changes = FileChanges::between(&[], &after);
        assert_eq!(changes.added.len(), FileChanges::SHOWN);
        assert_eq!(changes.more, 7);
    }
}
