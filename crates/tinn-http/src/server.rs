//! The HTTP server: hyper serves each connection on the event loop and queues requests; the Lua
//! side takes them in batches (`nextRequests`) and runs a handler task per request.
//!
//! Each connection holds one socket and nothing else; a watchdog beside hyper closes it when the
//! client is idle between requests too long (`idleTimeoutMs`) or sends its headers too slowly
//! (`headerTimeoutMs`, answered with `408`). A slow request body is bounded where it is read
//! (`bodyTimeoutMs`, in `request.rs`).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, UserData, UserDataMethods, Value};
use socket2::{Domain, Socket, Type};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;
use tinn_reactor::{Closing, Raced};

use crate::body::ResponseBody;
use crate::request::RequestHandle;
use crate::tls::Certificates;

/// hyper refuses read buffers below 8 KiB, so smaller header limits are raised to this.
pub(crate) const MIN_HEADER_BYTES: usize = 8192;

/// hyper's own limit on the number of request headers; asking for another costs a heap
/// allocation per request, so the builder is told only when a script wants a different one.
const HYPER_MAX_HEADERS: usize = 100;

/// How long the accept loop rests when the process is out of descriptors: connections that
/// close meanwhile free some, and retrying at once would only spin a core.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Limits a server applies to every connection.
pub(crate) struct ServerOptions {
    pub(crate) max_header_bytes: usize,
    pub(crate) max_headers: usize,
    pub(crate) header_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) body_timeout: Duration,
    pub(crate) backlog: i32,
    pub(crate) reuse_port: bool,
    /// Serve HTTPS with these certificates.
    pub(crate) tls: Option<Arc<Certificates>>,
}

/// A request hyper has parsed, waiting for the Lua side to pick it up.
pub(crate) struct Arrived {
    pub(crate) request: Request<Incoming>,
    pub(crate) peer: SocketAddr,
    pub(crate) respond: oneshot::Sender<Response<ResponseBody>>,
    /// The longest a body read waits for the client's next bytes.
    pub(crate) body_timeout: Duration,
}

pub(crate) struct Server {
    local: SocketAddr,
    /// The certificates (reloadable) and the rustls config built on them, for HTTPS.
    tls: Option<(Arc<Certificates>, Arc<rustls::ServerConfig>)>,
    queue: RefCell<VecDeque<Arrived>>,
    arrived: Notify,
    /// Closed first when draining (and by `close`): the accept loop stops, the listening socket
    /// closes, so new connections are refused.
    accepting: Closing,
    /// Closed when draining: each connection finishes the requests it has begun, then closes.
    draining: Closing,
    /// Connections open (from accept to close, TLS handshake included).
    connections: Cell<usize>,
    /// Woken when the last connection closes.
    connections_gone: Notify,
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
    let tls = match &options.tls {
        Some(certificates) => Some((Arc::clone(certificates), certificates.server_config(vec![b"http/1.1".to_vec()])?)),
        None => None,
    };
    let server = Rc::new(Server {
        local,
        tls,
        queue: RefCell::default(),
        arrived: Notify::new(),
        accepting: Closing::default(),
        draining: Closing::default(),
        connections: Cell::new(0),
        connections_gone: Notify::new(),
        closing: Closing::default(),
    });
    let options = Rc::new(options);
    let accepting = Rc::clone(&server);
    tokio::task::spawn_local(async move {
        let mut warned = false;
        loop {
            let accepted = match accepting.accepting.race(listener.accept()).await {
                Raced::Done(accepted) => accepted,
                Raced::Closed => return,
            };
            match accepted {
                Ok((stream, peer)) => {
                    tokio::task::spawn_local(serve_connection(Rc::clone(&accepting), Rc::clone(&options), stream, peer));
                }
                Err(e) if out_of_descriptors(&e) => {
                    if !warned {
                        warned = true;
                        eprintln!(
                            "tinn: HTTP server on {local}: {e}: new connections wait until some close (said once)"
                        );
                    }
                    // The pending connection stays in the backlog; a retry now would fail again.
                    if let Raced::Closed = accepting.accepting.race(tokio::time::sleep(ACCEPT_BACKOFF)).await {
                        return;
                    }
                }
                // The client gave up before we accepted it: nothing to serve.
                Err(_) => {}
            }
        }
    });
    Ok(ServerHandle(RefCell::new(Some(server))))
}

/// EMFILE, ENFILE and the like: accepting fails until descriptors are freed.
fn out_of_descriptors(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM))
}

const REQUEST_TIMEOUT_REPLY: &[u8] = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";

/// Raised by the socket when bytes come in while the watchdog waits for a request to begin.
/// (Shared with hyper's IO, which must be `Send` for upgrades, hence atomic.)
#[derive(Default)]
struct BytesArrived {
    armed: AtomicBool,
    notify: Notify,
}

/// What one connection's watchdog watches: hyper's reads (through [`Watched`]), the requests it
/// hands to Lua and the responses it finishes.
struct Activity {
    bytes: Arc<BytesArrived>,
    /// Requests passed to a handler whose response hyper has not finished sending.
    in_flight: Cell<usize>,
    /// Requests parsed so far: bytes noticed before the latest were part of it.
    parsed: Cell<u64>,
    /// When the connection last had nothing to do (accepted, or its last response sent).
    idle_since: Cell<Instant>,
    /// When the first byte of a request that is not yet complete arrived.
    request_began: Cell<Option<Instant>>,
    changed: Notify,
}

/// Why a connection's watchdog closed it.
enum Expired {
    /// Nothing arrived for `idleTimeoutMs` between requests: closed without a word.
    Idle,
    /// A request began but its headers did not complete in `headerTimeoutMs`: answered 408.
    Headers,
}

impl Activity {
    fn new() -> Rc<Activity> {
        Rc::new(Activity {
            bytes: Arc::default(),
            in_flight: Cell::new(0),
            parsed: Cell::new(0),
            idle_since: Cell::new(Instant::now()),
            request_began: Cell::new(None),
            changed: Notify::new(),
        })
    }

    fn request_parsed(self: &Rc<Self>) -> InFlight {
        self.request_began.set(None);
        self.parsed.set(self.parsed.get() + 1);
        self.in_flight.set(self.in_flight.get() + 1);
        self.changed.notify_waiters();
        InFlight(Rc::clone(self))
    }

    /// Waits until the connection has been idle, or slow with its headers, for too long.
    async fn expired(&self, options: &ServerOptions) -> Expired {
        loop {
            // Made before the state is read, so a change in between still wakes them.
            let changed = self.changed.notified();
            let bytes = self.bytes.notify.notified();
            if self.in_flight.get() > 0 {
                changed.await;
            } else if let Some(began) = self.request_began.get() {
                tokio::select! {
                    () = changed => {}
                    () = tokio::time::sleep_until(began + options.header_timeout) => return Expired::Headers,
                }
            } else {
                let parsed = self.parsed.get();
                self.bytes.armed.store(true, Ordering::SeqCst);
                tokio::select! {
                    () = changed => {}
                    // hyper may have read and parsed a whole request before this runs
                    () = bytes => if self.parsed.get() == parsed {
                        self.request_began.set(Some(Instant::now()));
                    },
                    () = tokio::time::sleep_until(self.idle_since.get() + options.idle_timeout) => return Expired::Idle,
                }
            }
        }
    }
}

/// Counts a request as in flight until hyper drops its response body (sent, or the client left).
struct InFlight(Rc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        activity.in_flight.set(activity.in_flight.get().saturating_sub(1));
        if activity.in_flight.get() == 0 {
            activity.idle_since.set(Instant::now());
            activity.changed.notify_waiters();
        }
    }
}

/// A response body that keeps its request counted as in flight while hyper sends it.
pub(crate) struct Tracked {
    body: ResponseBody,
    _in_flight: InFlight,
}

impl Body for Tracked {
    type Data = Bytes;
    type Error = <ResponseBody as Body>::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A connection's byte stream: a TCP socket or TLS over one. One type for both, so hyper's
/// connection code is compiled once (a copy per stream type costs about a megabyte).
pub(crate) trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// The connection's socket as hyper sees it, telling the watchdog when a request's bytes begin.
struct Watched<S> {
    socket: S,
    bytes: Arc<BytesArrived>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.socket).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            let bytes = &self.bytes;
            if bytes.armed.load(Ordering::Relaxed) && bytes.armed.swap(false, Ordering::SeqCst) {
                bytes.notify.notify_waiters();
            }
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.socket).poll_write(cx, buf)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.socket).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.socket.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket).poll_shutdown(cx)
    }
}

/// Counts a connection as open while it lives, for draining.
struct Open(Rc<Server>);

impl Open {
    fn new(server: &Rc<Server>) -> Open {
        server.connections.set(server.connections.get() + 1);
        Open(Rc::clone(server))
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        let server = &self.0;
        server.connections.set(server.connections.get().saturating_sub(1));
        if server.connections.get() == 0 {
            server.connections_gone.notify_waiters();
        }
    }
}

async fn serve_connection(server: Rc<Server>, options: Rc<ServerOptions>, stream: TcpStream, peer: SocketAddr) {
    use std::os::fd::AsRawFd;
    let _open = Open::new(&server);
    // A failure here only loses latency; the connection still works.
    let _ = stream.set_nodelay(true);
    let Some((_, config)) = &server.tls else {
        let fd = stream.as_raw_fd();
        return serve_http(server, options, Box::new(stream), peer, Some(fd)).await;
    };
    // A client that stalls mid-handshake is dropped after `headerTimeoutMs`; it holds up only
    // its own task.
    let handshake = tokio::time::timeout(options.header_timeout, tokio_rustls::TlsAcceptor::from(Arc::clone(config)).accept(stream));
    // a failed or abandoned handshake is the client's problem: nothing to serve
    if let Raced::Done(Ok(Ok(tls_stream))) = server.closing.race(handshake).await {
        serve_http(server, options, Box::new(tls_stream), peer, None).await;
    }
}

/// Serves HTTP on an accepted connection (plain or after the TLS handshake). `plain_fd` is the
/// socket of a plain connection, where a `408` can be written past hyper.
async fn serve_http(server: Rc<Server>, options: Rc<ServerOptions>, stream: Box<dyn Stream>, peer: SocketAddr, plain_fd: Option<std::os::fd::RawFd>) {
    use std::os::fd::BorrowedFd;
    let activity = Activity::new();
    let queueing = Rc::clone(&server);
    let counting = Rc::clone(&activity);
    let body_timeout = options.body_timeout;
    let service = service_fn(move |request: Request<Incoming>| {
        let server = Rc::clone(&queueing);
        let in_flight = counting.request_parsed();
        async move {
            let (respond, response) = oneshot::channel();
            server.queue.borrow_mut().push_back(Arrived { request, peer, respond, body_timeout });
            server.arrived.notify_one();
            // A dropped sender means no handler will answer (server closed): say so.
            let response = response.await.unwrap_or_else(|_| plain(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"));
            Ok::<_, Infallible>(response.map(|body| Tracked { body, _in_flight: in_flight }))
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        // The watchdog times headers from a request's first byte; hyper's timer would also
        // count the idle time before it.
        .header_read_timeout(None)
        .max_buf_size(options.max_header_bytes.max(MIN_HEADER_BYTES));
    if options.max_headers != HYPER_MAX_HEADERS {
        builder.max_headers(options.max_headers);
    }
    let io = TokioIo::new(Watched { socket: stream, bytes: Arc::clone(&activity.bytes) });
    let mut connection = pin!(builder.serve_connection(io, service).with_upgrades());
    let served = async {
        let watched = async {
            tokio::select! {
                // errors are the client's (reset, malformed request hyper already answered)
                _ = connection.as_mut() => None,
                why = activity.expired(&options) => Some(why),
            }
        };
        match server.draining.race(watched).await {
            Raced::Done(outcome) => outcome,
            Raced::Closed => {
                // Draining: the requests begun get their responses (on a connection that is not
                // kept alive), no new request is read; an idle connection closes at once.
                connection.as_mut().graceful_shutdown();
                let _ = connection.as_mut().await;
                None
            }
        }
    };
    if let (Raced::Done(Some(Expired::Headers)), Some(fd)) = (server.closing.race(served).await, plain_fd) {
        // SAFETY: `connection` owns the socket and is dropped only when this function returns,
        // so `fd` is still open here.
        let socket = unsafe { BorrowedFd::borrow_raw(fd) };
        // best effort on a socket that is about to close; a full send buffer just drops it
        let _ = socket2::SockRef::from(&socket).send(REQUEST_TIMEOUT_REPLY);
    }
}

impl Server {
    /// Closes the server now: open connections are dropped, queued requests answered by none.
    fn close(&self) {
        self.accepting.close();
        self.draining.close();
        self.closing.close();
        self.queue.borrow_mut().clear();
    }

    /// Stops accepting at once, lets the open connections finish what they have begun for up
    /// to `drain`, then closes.
    fn drain(self: &Rc<Self>, drain: Duration) {
        self.accepting.close();
        self.draining.close();
        let server = Rc::clone(self);
        tokio::task::spawn_local(async move {
            let all_closed = async {
                loop {
                    let gone = server.connections_gone.notified();
                    if server.connections.get() == 0 {
                        return;
                    }
                    gone.await;
                }
            };
            // past the deadline the rest are cut off
            let _ = tokio::time::timeout(drain, server.closing.race(all_closed)).await;
            server.close();
        });
    }

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
                server.close();
            }
            Ok(())
        });
        // Requests already taken or queued are still handled while the server drains.
        methods.add_method("drain", |_, this, drain_ms: u64| {
            if let Some(server) = this.0.borrow().as_ref() {
                if !server.accepting.is_closed() {
                    server.drain(Duration::from_millis(drain_ms));
                }
            }
            Ok(())
        });
        methods.add_method("reload", |lua, this, ()| {
            let Some(server) = this.0.borrow().clone() else { return (Value::Nil, "closed").into_lua_multi(lua) };
            let Some((certificates, _)) = &server.tls else {
                return Err(mlua::Error::runtime("server:reload: the server has no tls certificates to reload"));
            };
            match certificates.reload() {
                Ok(()) => true.into_lua_multi(lua),
                Err(message) => (Value::Nil, message).into_lua_multi(lua),
            }
        });
        methods.add_method("isClosed", |_, this, ()| {
            Ok(this.0.borrow().as_ref().is_none_or(|server| server.accepting.is_closed()))
        });
        methods.add_method("address", |lua, this, ()| match this.0.borrow().as_ref() {
            Some(server) => (server.local.ip().to_string(), server.local.port()).into_lua_multi(lua),
            None => Ok(MultiValue::new()),
        });
    }
}
