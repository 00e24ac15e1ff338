//! `TCP_NODELAY` on the connections to the database server. sqlx 0.9.0
//! opens its TCP connections with Nagle's algorithm on, so a small message
//! sent right after a larger one (the end of a `COPY` after its rows, a
//! `Sync` after a query) waits for the server's delayed acknowledgement,
//! up to 40 ms on Linux: an import's batches and a request's statements
//! stall for nothing. Until the driver sets it again, each new connection
//! of the pool sets it here, on every socket of this process whose peer is
//! the server.
//!
//! The sockets are found in `/proc/self/fd` and reached by a duplicate of
//! their descriptor (`pidfd_getfd` on this process), never by borrowing a
//! descriptor another thread may close meanwhile: an option set on the
//! duplicate is the socket's own. Where any of it is missing (not Linux,
//! an older kernel), connections keep the driver's behaviour.

use std::net::{SocketAddr, ToSocketAddrs};

use rustix::net::{getpeername, sockopt};
use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};

/// The addresses the server's host name resolves to, for a TCP host; none
/// for a Unix socket (no Nagle there).
pub(crate) fn server_addresses(host: &str, port: u16) -> Vec<SocketAddr> {
    if host.starts_with('/') {
        return Vec::new();
    }
    (host, port)
        .to_socket_addrs()
        .map(Iterator::collect)
        .unwrap_or_default()
}

/// Sets `TCP_NODELAY` on every socket of this process connected to one of
/// `peers`; returns how many it found.
pub(crate) fn set_on_sockets_to(peers: &[SocketAddr]) -> usize {
    if peers.is_empty() {
        return 0;
    }
    let Ok(this) = pidfd_open(getpid(), PidfdFlags::empty()) else {
        return 0;
    };
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return 0;
    };
    let mut found = 0;
    for entry in entries.flatten() {
        let is_socket = std::fs::read_link(entry.path())
            .is_ok_and(|l| l.to_string_lossy().starts_with("socket:"));
        let Some(fd) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        if !is_socket {
            continue;
        }
        let Ok(dup) = pidfd_getfd(&this, fd, PidfdGetfdFlags::empty()) else {
            continue;
        };
        let peer = getpeername(&dup)
            .ok()
            .flatten()
            .and_then(|a| SocketAddr::try_from(a).ok());
        if peer.is_some_and(|p| peers.contains(&p)) && sockopt::set_tcp_nodelay(&dup, true).is_ok()
        {
            found += 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connected socket gets the option, read back from the socket
    /// itself; a socket to another peer is left alone.
    #[test]
    fn sets_the_option_on_sockets_to_the_peer_only() {
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let to_server = std::net::TcpStream::connect(server.local_addr().unwrap()).unwrap();
        let to_other = std::net::TcpStream::connect(other.local_addr().unwrap()).unwrap();
        assert!(!to_server.nodelay().unwrap());
        let found = set_on_sockets_to(&[server.local_addr().unwrap()]);
        assert_eq!(found, 1);
        assert!(to_server.nodelay().unwrap());
        assert!(!to_other.nodelay().unwrap());
    }

    #[test]
    fn a_unix_socket_host_has_no_addresses() {
        assert!(server_addresses("/var/run/postgresql", 5432).is_empty());
        assert!(!server_addresses("127.0.0.1", 5432).is_empty());
    }
}
