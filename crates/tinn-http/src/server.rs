//! The HTTP server: hyper serves each connection on the event loop and queues requests; the Lua
//! side takes them in batches (`nextRequests`) and runs a handler task per request.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, UserData, UserDataMethods, Value};
use socket2::{Domain, Socket, Type};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Notify};
use tinn_reactor::{Closing, Raced};

use crate::body::ResponseBody;
use crate::request::RequestHandle;

/// hyper refuses read buffers below 8 KiB, so smaller header limits are raised to this.
pub(crate) const MIN_HEADER_BYTES: usize = 8192;

/// Limits a server applies to every connection.
pub(crate) struct ServerOptions {
    pub(crate) max_header_bytes: usize,
    pub(crate) header_timeout: Duration,
    pub(crate) backlog: i32,
    pub(crate) reuse_port: bool,
}

/// A request hyper has parsed, waiting for the Lua side to pick it up.
pub(crate) struct Arrived {
    pub(crate) request: Request<Incoming>,
    pub(crate) peer: SocketAddr,
    pub(crate) respond: oneshot::Sender<Response<ResponseBody>>,
}

pub(crate) struct Server {
    local: SocketAddr,
    queue: RefCell<VecDeque<Arrived>>,
    arrived: Notify,
    closing: Closing,
}

/// The userdata behind a script's server object; empty once closed.
pub struct ServerHandle(RefCell<Option<Rc<Server>>>);

/// A plain-text response for requests no handler answers.
pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response<ResponseBody> {
    let mut response = Response::new(Either::Left(Full::new(Bytes::from_static(text.as_bytes()))));
    *response.status_mut() = status;
    response
}

fn bind(addr: SocketAddr, options: &ServerOptions) -> std::io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    #[cfg(unix)]
    if options.reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(options.backlog)?;
    socket.set_nonblocking(true)?;
    TcpListener::from_std(socket.into())
}

/// Binds `addr` and starts accepting; requests queue until Lua asks for them.
pub(crate) fn serve(addr: SocketAddr, options: ServerOptions) -> Result<ServerHandle, String> {
    let listener = bind(addr, &options).map_err(|e| format!("listen '{addr}': {e}"))?;
    let local = listener.local_addr().map_err(|e| format!("listen '{addr}': {e}"))?;
    let server = Rc::new(Server { local, queue: RefCell::default(), arrived: Notify::new(), closing: Closing::default() });
    let options = Rc::new(options);
    let accepting = Rc::clone(&server);
    tokio::task::spawn_local(async move {
        loop {
            let accepted = match accepting.closing.race(listener.accept()).await {
                Raced::Done(accepted) => accepted,
                Raced::Closed => return,
            };
            // Transient accept failures (out of descriptors, aborted handshakes) skip one connection.
            if let Ok((stream, peer)) = accepted {
                tokio::task::spawn_local(serve_connection(Rc::clone(&accepting), Rc::clone(&options), stream, peer));
            }
        }
    });
    Ok(ServerHandle(RefCell::new(Some(server))))
}

/// hyper closes a connection whose headers are too slow without answering; this copy of the
/// socket lets the server say `408 Request Timeout` first, as clients and proxies expect.
fn timeout_reply_socket(stream: TcpStream) -> std::io::Result<(TcpStream, std::net::TcpStream)> {
    let stream = stream.into_std()?;
    let copy = stream.try_clone()?;
    Ok((TcpStream::from_std(stream)?, copy))
}

const REQUEST_TIMEOUT_REPLY: &[u8] = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";

async fn serve_connection(server: Rc<Server>, options: Rc<ServerOptions>, stream: TcpStream, peer: SocketAddr) {
    // A failure here only loses latency; the connection still works.
    let _ = stream.set_nodelay(true);
    let Ok((stream, reply_socket)) = timeout_reply_socket(stream) else { return };
    let queueing = Rc::clone(&server);
    let service = service_fn(move |request: Request<Incoming>| {
        let server = Rc::clone(&queueing);
        async move {
            let (respond, response) = oneshot::channel();
            server.queue.borrow_mut().push_back(Arrived { request, peer, respond });
            server.arrived.notify_one();
            // A dropped sender means no handler will answer (server closed): say so.
            Ok::<_, Infallible>(
                response.await.unwrap_or_else(|_| plain(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")),
            )
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        .max_buf_size(options.max_header_bytes.max(MIN_HEADER_BYTES));
    let connection = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
    if let Raced::Done(Err(e)) = server.closing.race(connection).await {
        if e.is_timeout() {
            use std::io::Write;
            // best effort on a socket that is about to close; a full send buffer just drops it
            let _ = (&reply_socket).write(REQUEST_TIMEOUT_REPLY);
        }
        // other errors are the client's (reset, malformed request hyper already answered)
    }
}

impl Server {
    fn take_all(&self, lua: &Lua) -> LuaResult<MultiValue> {
        let arrived: Vec<Arrived> = self.queue.borrow_mut().drain(..).collect();
        let batch = lua.create_table_with_capacity(arrived.len(), 0)?;
        for request in arrived {
            batch.raw_push(lua.create_userdata(RequestHandle::new(request))?)?;
        }
        batch.into_lua_multi(lua)
    }
}

fn http_server_next_requests(lua: &Lua, handle: &ServerHandle, (): ()) -> LuaResult<MultiValue> {
    let Some(server) = handle.0.borrow().clone() else { return (Value::Nil, "closed").into_lua_multi(lua) };
    if !server.queue.borrow().is_empty() {
        return server.take_all(lua);
    }
    tinn_reactor::start(lua, async move {
        let outcome = server.closing.race(server.arrived.notified()).await;
        tinn_reactor::completion(move |lua| match outcome {
            Raced::Done(()) => server.take_all(lua),
            Raced::Closed => (Value::Nil, "closed").into_lua_multi(lua),
        })
    })
}

impl UserData for ServerHandle {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("nextRequests", http_server_next_requests);
        methods.add_method("close", |_, this, ()| {
            if let Some(server) = this.0.borrow_mut().take() {
                server.closing.close();
                server.queue.borrow_mut().clear();
            }
            Ok(())
        });
        methods.add_method("isClosed", |_, this, ()| Ok(this.0.borrow().is_none()));
        methods.add_method("address", |lua, this, ()| match this.0.borrow().as_ref() {
            Some(server) => (server.local.ip().to_string(), server.local.port()).into_lua_multi(lua),
            None => Ok(MultiValue::new()),
        });
    }
}
