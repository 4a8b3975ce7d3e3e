//! Asynchronous DNS for scripts; backs the Lua modules `tinn.dns` and `DNSNameServer`
//! (DESIGN.md §4).
//!
//! Main types: [`NameServerHandle`] (a server to query directly: `ns:Query`, `ns:A`, ...) and
//! [`ResolverHandle`] (the stub resolver behind `dns.resolve`: `/etc/hosts`, then the
//! nameservers of `/etc/resolv.conf` with `search`, `ndots`, `timeout`, `attempts`). Messages
//! are built and parsed by hickory-proto; the IO is tokio's, one operation per query through
//! `tinn-reactor`, so a script can run a thousand queries at once, each in its own task.
//!
//! Every query goes out from a fresh UDP socket on a random port with a random transaction id;
//! answers from another address, with another id or about another question are dropped and
//! counted (`ns:stats()`), and the wait goes on; truncated answers are asked again over TCP;
//! lost ones are sent again with backoff until the deadline. EDNS0 advertises 1232 bytes.
//!
//! For Rust callers (`tcp.connect` resolving host names): [`lookup_ip`]. Lua API:
//! `types/dns.lua`, docs: `docs/dns.md`.

mod config;
mod error;
mod exchange;
mod name_server;
mod records;
mod resolver;
mod resolver_handle;
mod wire;

use std::net::IpAddr;
use std::time::Duration;

use hickory_proto::rr::RecordType;
use mlua::{Function, IntoLuaMulti, Lua, MultiValue, Result as LuaResult, Table, Value};
use tinn_reactor::ScriptError;

pub use error::DnsError;
pub use name_server::NameServerHandle;
pub use resolver::{lookup_ip, Resolver};
pub use resolver_handle::ResolverHandle;

use exchange::{Stats, MAX_WAIT};
/// Builds `tinn.dns`: the native functions, wrapped by `dns.lua`.
pub fn module(lua: &Lua) -> LuaResult<Table> {
    let native = lua.create_table()?;
    native.set("recordType", lua.create_function(dns_record_type)?)?;
    native.set("nameServer", lua.create_function(name_server::dns_name_server)?)?;
    native.set("systemNameServer", lua.create_function(name_server::dns_system_name_server)?)?;
    native.set("resolver", lua.create_function(resolver_handle::dns_resolver)?)?;
    native.set("systemResolver", lua.create_function(|_, ()| Ok(ResolverHandle(Resolver::system())))?)?;
    tinn_reactor::wrap_module(lua, "=tinn/dns", include_str!("dns.lua"), native)
}

/// Builds `DNSNameServer`: TINN's name for the name-server class of `tinn.dns` (callable:
/// `DNSNameServer("127.0.0.1")` makes one).
pub fn name_server_module(lua: &Lua) -> LuaResult<Table> {
    let require: Function = lua.globals().get("require")?;
    let dns: Table = require.call("tinn.dns")?;
    dns.get("DNSNameServer")
}

/// A timeout in milliseconds from Lua (already checked to be a non-negative number).
pub(crate) fn millis(ms: Option<f64>) -> Option<Duration> {
    ms.map(|ms| Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(MAX_WAIT))
}

/// `recordType(value)` → code, name | nil, message. Accepts a mnemonic or a number 0-65535.
fn dns_record_type(lua: &Lua, value: Value) -> LuaResult<MultiValue> {
    let rtype = match &value {
        Value::String(s) => wire::record_type_from_name(&s.to_string_lossy()),
        Value::Integer(n) => u16::try_from(*n).ok().map(RecordType::from),
        Value::Number(n) if n.fract() == 0.0 && (0.0..=65535.0).contains(n) => {
            // integral and in range, so the conversion is exact
            Some(RecordType::from(*n as u16))
        }
        _ => None,
    };
    match rtype {
        Some(rtype) => (u16::from(rtype), wire::record_type_name(rtype)).into_lua_multi(lua),
        None => DnsError::UnknownRecordType(describe(&value)).into_failure(lua),
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => format!("'{}'", s.to_string_lossy()),
        Value::Integer(n) => n.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.type_name().to_string(),
    }
}

/// An IP literal, with or without brackets.
pub(crate) fn ip_literal(host: &str) -> Option<IpAddr> {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let bare = bare.split('%').next().unwrap_or(bare);
    bare.parse().ok()
}

pub(crate) fn stats_table(lua: &Lua, stats: &Stats) -> LuaResult<Table> {
    let t = lua.create_table()?;
    for (name, value) in stats.entries() {
        t.set(name, value)?;
    }
    Ok(t)
}

