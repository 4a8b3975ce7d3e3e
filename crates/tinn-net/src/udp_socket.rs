//! `UdpSocket`: datagrams to and from any address. Sends to IP literals and receives that find
//! a datagram already queued finish at once; the rest park the task.

use std::cell::RefCell;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::rc::Rc;

use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, UserData, UserDataMethods, Value};
use tokio::net::UdpSocket;

use crate::addr;
use tinn_reactor::{Closing, Raced, ScriptError};
use crate::error::NetError;

/// The largest datagram `receivefrom` returns unless asked for less.
const MAX_DATAGRAM: usize = 65536;

pub(crate) struct Udp {
    socket: UdpSocket,
    local: SocketAddr,
    closing: Closing,
}

/// The userdata behind a script's UDP socket; empty once closed.
pub struct UdpSocketHandle(RefCell<Option<Rc<Udp>>>);

/// Binds a UDP socket on `addr`.
pub(crate) fn bind(addr: SocketAddr) -> Result<UdpSocketHandle, NetError> {
    let fail = |e| NetError::io("bind", addr, e);
    let socket = std::net::UdpSocket::bind(addr).map_err(fail)?;
    socket.set_nonblocking(true).map_err(fail)?;
    let socket = UdpSocket::from_std(socket).map_err(fail)?;
    let local = socket.local_addr().map_err(fail)?;
    Ok(UdpSocketHandle(RefCell::new(Some(Rc::new(Udp { socket, local, closing: Closing::default() })))))
}


fn received(lua: &Lua, udp: &Udp, result: std::io::Result<(Vec<u8>, SocketAddr)>) -> LuaResult<MultiValue> {
    match result {
        Ok((data, from)) => (lua.create_string(data)?, from.ip().to_string(), from.port()).into_lua_multi(lua),
        Err(e) => (Value::Nil, NetError::io("receive", udp.local, e).to_string()).into_lua_multi(lua),
    }
}

fn try_receive(udp: &Udp, max: usize) -> Option<std::io::Result<(Vec<u8>, SocketAddr)>> {
    let mut data = vec![0u8; max];
    match udp.socket.try_recv_from(&mut data) {
        Ok((n, from)) => {
            data.truncate(n);
            Some(Ok((data, from)))
        }
        Err(e) if e.kind() == ErrorKind::WouldBlock => None,
        Err(e) => Some(Err(e)),
    }
}

fn net_udp_receivefrom(lua: &Lua, handle: &UdpSocketHandle, max: Option<usize>) -> LuaResult<MultiValue> {
    let Some(udp) = handle.0.borrow().clone() else { return NetError::Closed.into_failure(lua) };
    let max = max.unwrap_or(MAX_DATAGRAM).clamp(1, MAX_DATAGRAM);
    if let Some(result) = try_receive(&udp, max) {
        return received(lua, &udp, result);
    }
    tinn_reactor::start(lua, async move {
        let receive = async {
            loop {
                udp.socket.readable().await?;
                if let Some(result) = try_receive(&udp, max) {
                    return result;
                }
            }
        };
        let outcome = udp.closing.race(receive).await;
        tinn_reactor::completion(move |lua| match outcome {
            Raced::Done(result) => received(lua, &udp, result),
            Raced::Closed => NetError::Closed.into_failure(lua),
        })
    })
}

fn sent(lua: &Lua, result: Result<usize, NetError>) -> LuaResult<MultiValue> {
    match result {
        Ok(n) => n.into_lua_multi(lua),
        Err(e) => (Value::Nil, e.to_string()).into_lua_multi(lua),
    }
}

fn net_udp_sendto(lua: &Lua, handle: &UdpSocketHandle, (data, host, port): (mlua::LuaString, String, f64)) -> LuaResult<MultiValue> {
    let port = addr::port("udp:sendto", 3, port)?;
    let Some(udp) = handle.0.borrow().clone() else { return NetError::Closed.into_failure(lua) };
    let data = data.as_bytes().to_vec();
    if let Some(target) = addr::literal(&host, port) {
        match udp.socket.try_send_to(&data, target) {
            Ok(n) => return n.into_lua_multi(lua),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => return sent(lua, Err(NetError::io("send", target, e))),
        }
    }
    tinn_reactor::start(lua, async move {
        let send = async {
            let targets = addr::resolve(&host, port).await?;
            let target = targets[0];
            udp.socket.send_to(&data, target).await.map_err(|e| NetError::io("send", target, e))
        };
        let outcome = udp.closing.race(send).await;
        tinn_reactor::completion(move |lua| match outcome {
            Raced::Done(result) => sent(lua, result),
            Raced::Closed => NetError::Closed.into_failure(lua),
        })
    })
}

impl UserData for UdpSocketHandle {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("receivefrom", net_udp_receivefrom);
        methods.add_method("sendto", net_udp_sendto);
        methods.add_method("close", |_, this, ()| {
            if let Some(udp) = this.0.borrow_mut().take() {
                udp.closing.close();
            }
            Ok(())
        });
        methods.add_method("isClosed", |_, this, ()| Ok(this.0.borrow().is_none()));
        methods.add_method("address", |lua, this, ()| match this.0.borrow().as_ref() {
            Some(udp) => (udp.local.ip().to_string(), udp.local.port()).into_lua_multi(lua),
            None => Ok(MultiValue::new()),
        });
    }
}
