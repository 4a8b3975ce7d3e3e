//! HTTP/1.1, HTTP/2 and HTTPS for scripts; backs the Lua module `tinn.http` (DESIGN.md §4).
//!
//! The server ([`server`]) runs hyper on the event loop: each connection is a local task, each
//! request is queued until the Lua side takes it and runs the handler in a task of its own
//! (handler tasks are reused); the response (whole, or streamed through a bounded channel) goes
//! back through a slot the connection waits on. The client ([`client`]) is hyper-util's pooled
//! client, one per Lua state (HTTP/2 when a server offers it by ALPN). The Lua wrapper
//! `http.lua` builds `req`/`res` objects and adds timeouts, the access log, the drain on
//! Ctrl-C and `http.static`. Beside them: [`http2`] (HTTP/2 connections, into the same queue),
//! [`tls`] (the server's certificates, chosen by SNI and reloadable), [`compress`] (brotli and
//! gzip both ways), [`static_files`] (resolving a request path under a served folder). Lua
//! API: `types/http.lua`.

mod body;
mod client;
mod compress;
mod error;
mod http2;
mod request;
mod server;
mod static_files;
mod tls;
mod websocket;

use std::time::Duration;

use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, Table, Value};
use tinn_reactor::ScriptError;

pub use error::HttpError;
pub use server::ServerHandle;
pub use websocket::WebSocketHandle;

/// Builds `tinn.http`: the native functions, wrapped by `http.lua`.
pub fn module(lua: &Lua) -> LuaResult<Table> {
    let native = lua.create_table()?;
    let requests = std::rc::Rc::new(request::Requests::default());
    request::add_functions(lua, &native, &requests)?;
    // for the FFI, as request.rs's: the server's serverLoop takes its requests through it
    native.set("pullRequest", mlua::LightUserData(server::pull_request_address().cast_mut()))?;
    native.set("serve", lua.create_function(http_serve)?)?;
    native.set("request", lua.create_function(client::http_client_request)?)?;
    native.set("websocket", lua.create_function(client::http_websocket_connect)?)?;
    native.set("staticRoot", lua.create_function(static_files::http_static_root)?)?;
    native.set("staticLookup", lua.create_function(static_files::http_static_lookup)?)?;
    tinn_reactor::wrap_module(lua, "=tinn/http", include_str!("http.lua"), native)
}

/// `native.serve(host, port, maxHeaderBytes, headerTimeoutMs, backlog, reusePort, maxHeaders,
/// idleTimeoutMs, bodyTimeoutMs, tls, http2)` → server or nil, message. The wrapper has checked
/// the arguments; `tls` is nil or a list of `{cert, key, names}`.
#[allow(clippy::type_complexity)]
fn http_serve(
    lua: &Lua,
    (host, port, max_header_bytes, header_timeout_ms, backlog, reuse_port, max_headers, idle_timeout_ms, body_timeout_ms, tls, http2): (
        String,
        u16,
        usize,
        u64,
        i32,
        bool,
        usize,
        u64,
        u64,
        Option<Table>,
        bool,
    ),
) -> LuaResult<MultiValue> {
    let addr = match tinn_net::listen_address(&host, port) {
        Ok(addr) => addr,
        Err(err) => return err.into_failure(lua),
    };
    let tls = match tls.map(cert_sources).transpose()?.map(tls::Certificates::new).transpose() {
        Ok(certificates) => certificates.map(std::sync::Arc::new),
        Err(message) => return (Value::Nil, format!("http.serve: {message}")).into_lua_multi(lua),
    };
    let options = server::ServerOptions {
        max_header_bytes,
        max_headers,
        header_timeout: Duration::from_millis(header_timeout_ms),
        idle_timeout: Duration::from_millis(idle_timeout_ms),
        body_timeout: Duration::from_millis(body_timeout_ms),
        backlog,
        reuse_port,
        http2,
        tls,
    };
    match server::serve(addr, options) {
        Ok(server) => lua.create_userdata(server)?.into_lua_multi(lua),
        Err(err) => err.into_failure(lua),
    }
}

/// The `tls` entries the wrapper normalised: `{cert = string, key = string, names = {string}?}`.
fn cert_sources(entries: Table) -> LuaResult<Vec<tls::CertSource>> {
    entries
        .sequence_values::<Table>()
        .map(|entry| {
            let entry = entry?;
            let names: Option<Vec<String>> = entry.get("names")?;
            Ok(tls::CertSource { cert: entry.get("cert")?, key: entry.get("key")?, names: names.unwrap_or_default() })
        })
        .collect()
}
