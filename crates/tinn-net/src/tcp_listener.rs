//! `TcpListener`: a listening TCP socket. `accept` returns at once when a connection is
//! queued, else parks the task until one arrives.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, UserData, UserDataMethods, Value};
use socket2::{Domain, Socket, Type};
use tokio::net::{TcpListener, TcpStream};

use tinn_reactor::{Closing, Raced, ScriptError};
use crate::error::NetError;
use crate::tcp_stream::TcpStreamHandle;

pub(crate) struct Listener {
    socket: TcpListener,
    local: SocketAddr,
    closing: Closing,
}

/// The userdata behind a script's server object; empty once closed.
pub struct TcpListenerHandle(RefCell<Option<Rc<Listener>>>);

/// Binds and listens on `addr` with the socket options scripts can ask for: the one listening
/// socket of tinn's servers (`tcp.listen`, `http.serve`).
pub fn bind_listener(addr: SocketAddr, backlog: i32, reuse_port: bool) -> Result<TcpListener, NetError> {
    let fail = |e| NetError::io("listen", addr, e);
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None).map_err(fail)?;
    // Restarting a server must not fail for minutes on sockets left in TIME_WAIT.
    socket.set_reuse_address(true).map_err(fail)?;
    if reuse_port {
        socket.set_reuse_port(true).map_err(fail)?;
    }
    socket.bind(&addr.into()).map_err(fail)?;
    socket.listen(backlog).map_err(fail)?;
    socket.set_nonblocking(true).map_err(fail)?;
    TcpListener::from_std(socket.into()).map_err(fail)
}

/// A script's listener on `addr`.
pub(crate) fn listen(addr: SocketAddr, backlog: i32, reuse_port: bool) -> Result<TcpListenerHandle, NetError> {
    let socket = bind_listener(addr, backlog, reuse_port)?;
    let local = socket.local_addr().map_err(|e| NetError::io("listen", addr, e))?;
    Ok(TcpListenerHandle(RefCell::new(Some(Rc::new(Listener { socket, local, closing: Closing::default() })))))
}

fn accepted(lua: &Lua, listener: &Listener, result: std::io::Result<TcpStream>) -> LuaResult<MultiValue> {
    match result.and_then(TcpStreamHandle::new) {
        Ok(handle) => lua.create_userdata(handle)?.into_lua_multi(lua),
        Err(e) => (Value::Nil, NetError::io("accept", listener.local, e).to_string()).into_lua_multi(lua),
    }
}

fn net_listener_accept(lua: &Lua, handle: &TcpListenerHandle, (): ()) -> LuaResult<MultiValue> {
    let Some(listener) = handle.0.borrow().clone() else { return NetError::Closed.into_failure(lua) };
    // Fast path: a connection already in the backlog is taken without parking the task.
    let mut cx = Context::from_waker(Waker::noop());
    if let Poll::Ready(result) = listener.socket.poll_accept(&mut cx) {
        return accepted(lua, &listener, result.map(|(stream, _)| stream));
    }
    tinn_reactor::start(lua, async move {
        let outcome = listener.closing.race(listener.socket.accept()).await;
        tinn_reactor::completion(move |lua| match outcome {
            Raced::Done(result) => accepted(lua, &listener, result.map(|(stream, _)| stream)),
            Raced::Closed => NetError::Closed.into_failure(lua),
        })
    })
}

impl UserData for TcpListenerHandle {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("accept", net_listener_accept);
        methods.add_method("close", |_, this, ()| {
            if let Some(listener) = this.0.borrow_mut().take() {
                listener.closing.close();
            }
            Ok(())
        });
        methods.add_method("isClosed", |_, this, ()| Ok(this.0.borrow().is_none()));
        methods.add_method("address", |lua, this, ()| match this.0.borrow().as_ref() {
            Some(listener) => (listener.local.ip().to_string(), listener.local.port()).into_lua_multi(lua),
            None => Ok(MultiValue::new()),
        });
    }
}
