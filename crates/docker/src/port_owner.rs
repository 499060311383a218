//! Who holds a TCP port on 127.0.0.1, so a service whose `node_port` is taken says which
//! program to stop instead of Docker's bare "address already in use".
//!
//! On Linux the kernel says: the socket listening on the port (`/proc/net/tcp`, `tcp6`) and the
//! process holding that socket (`/proc/<pid>/fd`). Another user's processes may be out of
//! sight, and other systems give no such listing: then the port alone is named. Reading is
//! bounded: the listing files are small, and each process's descriptors are only listed.

/// Whether nothing listens on 127.0.0.1:`port` now (a bind there succeeds).
pub(crate) fn is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// The program listening on `port`, as `pid 1234 (python3)`, when the system says.
#[cfg(target_os = "linux")]
pub(crate) fn who_listens(port: u16) -> Option<String> {
    let inode = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .find_map(|table| listening_inode(&table, port))?;
    let socket = format!("socket:[{inode}]");
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let holds = fds
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy() == socket));
        if holds {
            let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
            return Some(format!("pid {pid} ({})", comm.trim()));
        }
    }
    None
}

/// See the Linux twin above: elsewhere nothing says.
#[cfg(not(target_os = "linux"))]
pub(crate) fn who_listens(_port: u16) -> Option<String> {
    None
}

/// The inode of the socket listening (state 0A) on `port` in a `/proc/net/tcp` table.
#[cfg(target_os = "linux")]
fn listening_inode(table: &str, port: u16) -> Option<String> {
    let wanted = format!("{port:04X}");
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let local = fields.get(1)?;
        let (_, local_port) = local.rsplit_once(':')?;
        (local_port == wanted && fields.get(3) == Some(&"0A"))
            .then(|| fields.get(9).map(|s| (*s).to_owned()))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_this_test_listens_on_is_taken_and_names_this_process() {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(!is_free(port));
        if cfg!(target_os = "linux") {
            let who = who_listens(port).expect("the kernel names the listener");
            assert!(
                who.starts_with(&format!("pid {} (", std::process::id())),
                "{who}"
            );
        }
        drop(listener);
        assert!(is_free(port));
    }
}
