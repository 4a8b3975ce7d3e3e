//! Turning `host, port` into socket addresses without blocking the scheduler.

use std::net::{IpAddr, SocketAddr};

use crate::error::NetError;

/// Checks a Lua port number: an integer 0-65535.
pub(crate) fn port(fname: &str, position: usize, value: f64) -> mlua::Result<u16> {
    if value.fract() == 0.0 && (0.0..=65535.0).contains(&value) {
        // in range and integral, so the conversion is exact
        return Ok(value as u16);
    }
    Err(mlua::Error::external(format!(
        "bad argument #{position} to '{fname}' (port must be an integer 0-65535, got {value})"
    )))
}

/// The address when `host` is an IP literal (IPv6 with or without brackets) or `*`.
pub(crate) fn literal(host: &str, port: u16) -> Option<SocketAddr> {
    if host == "*" {
        return Some(SocketAddr::from(([0, 0, 0, 0], port)));
    }
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    bare.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, port))
}

/// Resolves `host` through tinn.dns (/etc/hosts, then the nameservers of /etc/resolv.conf) on
/// the event loop; a literal needs no lookup. IPv4 addresses come first.
pub(crate) async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, NetError> {
    if let Some(addr) = literal(host, port) {
        return Ok(vec![addr]);
    }
    let ips = tinn_dns::lookup_ip(host, None)
        .await
        .map_err(|e| NetError::Resolve { host: host.to_string(), reason: e.to_string() })?;
    if ips.is_empty() {
        return Err(NetError::NoAddress(host.to_string()));
    }
    Ok(ips.into_iter().map(|ip| SocketAddr::new(ip, port)).collect())
}

/// `host:port` as people write it (`[::1]:80` for IPv6).
pub(crate) fn display(addr: &SocketAddr) -> String {
    addr.to_string()
}
