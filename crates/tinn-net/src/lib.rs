//! TCP and UDP for scripts; backs the Lua module `tinn.net` (DESIGN.md §4).
//!
//! Main types: [`TcpStreamHandle`], [`TcpListenerHandle`], [`UdpSocketHandle`] (userdata the
//! Lua wrapper `net.lua` turns into stream, server and socket objects). Every operation that can
//! wait finishes at once when it can (data already buffered, a connection already queued) and
//! otherwise parks only the calling task through `tinn-reactor`; the wrapper adds timeouts.
//! IPv4 and IPv6. Lua API: `types/net.lua`, docs: `docs/net.md`.

mod addr;
mod error;
mod tcp_listener;
mod tcp_stream;
mod udp_socket;

use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, Table, Value};

pub use error::NetError;
pub use tcp_listener::{bind_listener, TcpListenerHandle};
pub use tcp_stream::TcpStreamHandle;
pub use udp_socket::UdpSocketHandle;

/// Builds `tinn.net`: the native functions, wrapped by `net.lua`.
pub fn module(lua: &Lua) -> LuaResult<Table> {
    let native = lua.create_table()?;
    native.set("tcpConnect", lua.create_function(net_tcp_connect)?)?;
    native.set("tcpListen", lua.create_function(net_tcp_listen)?)?;
    native.set("udpBind", lua.create_function(net_udp_bind)?)?;
    tcp_stream::add_ffi_functions(lua, &native)?;
    tinn_reactor::wrap_module(lua, "=tinn/net", include_str!("net.lua"), native)
}

fn net_tcp_connect(lua: &Lua, (host, port): (String, f64)) -> LuaResult<MultiValue> {
    let port = addr::port("tcp.connect", 2, port)?;
    tinn_reactor::start(lua, async move {
        let mut last_error = None;
        let mut connected = None;
        match addr::resolve(&host, port).await {
            Ok(addrs) => {
                for target in addrs {
                    match tokio::net::TcpStream::connect(target).await {
                        Ok(stream) => {
                            connected = Some(stream);
                            break;
                        }
                        Err(e) => last_error = Some(NetError::io("connect", addr::display(&target), e)),
                    }
                }
            }
            Err(e) => last_error = Some(e),
        }
        tinn_reactor::completion(move |lua| match connected {
            Some(stream) => match TcpStreamHandle::new(stream) {
                Ok(handle) => lua.create_userdata(handle)?.into_lua_multi(lua),
                Err(e) => (Value::Nil, NetError::io("connect", format!("{host}:{port}"), e).to_string()).into_lua_multi(lua),
            },
            None => {
                let message = last_error.map(|e| e.to_string()).unwrap_or_else(|| format!("connect '{host}:{port}': failed"));
                (Value::Nil, message).into_lua_multi(lua)
            }
        })
    })
}

/// Listen addresses are literals, `*` or names the OS resolves at once (`localhost`). Shared
/// with every server that listens (`tinn.http`), so `host` means the same everywhere.
pub fn listen_address(host: &str, port: u16) -> Result<std::net::SocketAddr, NetError> {
    if let Some(addr) = addr::literal(host, port) {
        return Ok(addr);
    }
    use std::net::ToSocketAddrs;
    (host, port)
        .to_socket_addrs()
        .map_err(|e| NetError::io("resolve", host, e))?
        .next()
        .ok_or_else(|| NetError::NoAddress(host.to_string()))
}

fn net_tcp_listen(lua: &Lua, (host, port, backlog, reuse_port): (String, f64, i32, bool)) -> LuaResult<MultiValue> {
    let port = addr::port("tcp.listen", 2, port)?;
    match listen_address(&host, port).and_then(|addr| tcp_listener::listen(addr, backlog, reuse_port)) {
        Ok(listener) => lua.create_userdata(listener)?.into_lua_multi(lua),
        Err(e) => (Value::Nil, e.to_string()).into_lua_multi(lua),
    }
}

fn net_udp_bind(lua: &Lua, (host, port): (String, f64)) -> LuaResult<MultiValue> {
    let port = addr::port("udp.bind", 2, port)?;
    match listen_address(&host, port).and_then(udp_socket::bind) {
        Ok(socket) => lua.create_userdata(socket)?.into_lua_multi(lua),
        Err(e) => (Value::Nil, e.to_string()).into_lua_multi(lua),
    }
}
