//! `depends_on` walked depth first without recursion: a chain of 100,000 services is a long
//! walk, not a stack overflow (the app validates on threads with small stacks).

/// How many circles a walk spells out; a file with more gets these first ones named.
const MAX_CYCLES: usize = 10;

/// What a walk found: every node after the nodes it depends on, and each circle once (the
/// first ten), starting at its node written first.
pub(crate) struct Walk {
    pub order: Vec<usize>,
    pub cycles: Vec<Vec<usize>>,
}

/// The `depends_on` edges of services given as `(name, names it depends on)`, in the order
/// written, by index (a name that is no service is left out), and the walk over them.
pub(crate) fn depends_on<'a>(services: &[(&'a str, Vec<&'a str>)]) -> (Vec<Vec<usize>>, Walk) {
    let position: std::collections::HashMap<&str, usize> = services
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (*name, i))
        .collect();
    let edges: Vec<Vec<usize>> = services
        .iter()
        .map(|(_, deps)| {
            deps.iter()
                .filter_map(|d| position.get(d).copied())
                .collect()
        })
        .collect();
    let found = walk(&edges);
    (edges, found)
}

/// What is said of a circle of services (`cycle` indexes `names`), at its first.
pub(crate) fn circle_message(names: &[&str], cycle: &[usize]) -> String {
    let spelled: Vec<&str> = cycle
        .iter()
        .chain(cycle.first())
        .map(|i| names[*i])
        .collect();
    format!(
        "services depend on each other in a circle: {}; remove one of these `depends_on` entries",
        spelled.join(" → ")
    )
}

/// Walks nodes `0..edges.len()` in order, each one's edges in order.
pub(crate) fn walk(edges: &[Vec<usize>]) -> Walk {
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; edges.len()];
    let mut order = Vec::with_capacity(edges.len());
    let mut cycles: Vec<Vec<usize>> = Vec::new();
    let mut spelled: std::collections::HashSet<Vec<usize>> = std::collections::HashSet::new();
    // Where each node on the path is in it.
    let mut at = vec![0usize; edges.len()];
    // Each circle met is copied out to be compared: bounded, as a node may meet the same one
    // again through every repeat of an edge.
    let mut attempts = 0usize;
    // The path being walked: each node with the index of its next edge.
    let mut path: Vec<(usize, usize)> = Vec::new();
    for start in 0..edges.len() {
        if state[start] != NEW {
            continue;
        }
        state[start] = OPEN;
        at[start] = 0;
        path.push((start, 0));
        while let Some((node, next)) = path.last_mut() {
            let node = *node;
            let Some(&to) = edges[node].get(*next) else {
                state[node] = DONE;
                order.push(node);
                path.pop();
                continue;
            };
            *next += 1;
            match state.get(to).copied() {
                Some(NEW) => {
                    state[to] = OPEN;
                    at[to] = path.len();
                    path.push((to, 0));
                }
                Some(OPEN) if cycles.len() < MAX_CYCLES && attempts < 10 * MAX_CYCLES => {
                    attempts += 1;
                    let mut cycle: Vec<usize> = path[at[to]..].iter().map(|(n, _)| *n).collect();
                    let first = (0..cycle.len()).min_by_key(|i| cycle[*i]).unwrap_or(0);
                    cycle.rotate_left(first);
                    let mut members = cycle.clone();
                    members.sort_unstable();
                    if spelled.insert(members) {
                        cycles.push(cycle);
                    }
                }
                _ => {}
            }
        }
    }
    Walk { order, cycles }
}

#[cfg(test)]
mod tests {
    use super::walk;

    #[test]
    fn dependencies_come_first_and_a_circle_starts_where_it_was_written_first() {
        // 0 → 1 → 2, 3 → 4 → 5 → 3
        let edges = vec![vec![1], vec![2], vec![], vec![4], vec![5], vec![3]];
        let found = walk(&edges);
        assert_eq!(&found.order[..3], &[2, 1, 0]);
        assert_eq!(found.cycles, vec![vec![3, 4, 5]]);
        // Started elsewhere, the same circle is spelled from the same node.
        let edges = vec![vec![3], vec![], vec![], vec![4], vec![5], vec![3]];
        assert_eq!(walk(&edges).cycles, vec![vec![3, 4, 5]]);
    }

    #[test]
    fn a_long_chain_needs_no_deep_stack() {
        let edges: Vec<Vec<usize>> = (0..200_000)
            .map(|i| if i == 0 { vec![] } else { vec![i - 1] })
            .collect();
        let found = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || walk(&edges).order.len())
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(found, 200_000);
    }
}
