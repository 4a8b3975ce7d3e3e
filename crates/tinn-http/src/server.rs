//! The HTTP server: hyper serves each connection on the event loop and queues requests; the Lua
//! side waits for some (`nextRequests`), takes each through the FFI (`pullRequest`) and hands
//! it to a handler task. A connection that speaks HTTP/2 (chosen by ALPN, or opening with its
//! preface) is served by `http2.rs` through the same queue.
//!
//! Each connection holds one socket and nothing else; a watchdog beside hyper closes it when the
//! client is idle between requests too long (`idleTimeoutMs`) or sends its headers too slowly
//! (`headerTimeoutMs`, answered with `408`). The watchdog reads deadlines the connection keeps
//! in plain counters and re-arms its one timer only when it fires, so a request costs it no
//! wakeup. A slow request body is bounded where it is read (`bodyTimeoutMs`, in `request.rs`).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::ffi::{c_int, c_void};
use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::{service_fn, Service};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, UserData, UserDataMethods, Value};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;
use tinn_reactor::{Closing, Raced, ScriptError};

use crate::body::ResponseBody;
use crate::error::HttpError;
use crate::request::{Handled, RequestState, Requests};
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
    /// Speak HTTP/2 too: offered by ALPN over TLS, taken with prior knowledge (h2c) when plain.
    pub(crate) http2: bool,
    /// Serve HTTPS with these certificates.
    pub(crate) tls: Option<Arc<Certificates>>,
}

/// Where a handler's response waits for the connection: part of the request's own allocation.
/// The handler builds the response right here (headers appended in place) and the connection
/// takes it out once, so no response is built elsewhere and moved in.
pub(crate) struct Reply {
    state: Cell<ReplyState>,
    /// The connection's task, waiting for the response.
    waker: Cell<Option<Waker>>,
    response: RefCell<Option<Response<ResponseBody>>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ReplyState {
    /// Not answered yet.
    Waiting,
    Sent,
    /// No handler will answer (the server closed, or the request was let go unanswered).
    Abandoned,
    /// The connection has taken the outcome.
    Taken,
}

impl Reply {
    pub(crate) fn new() -> Reply {
        Reply { state: Cell::new(ReplyState::Waiting), waker: Cell::new(None), response: RefCell::new(None) }
    }

    /// Whether the handler has answered (or can no longer).
    pub(crate) fn is_over(&self) -> bool {
        self.state.get() != ReplyState::Waiting
    }

    /// Sends the one response, which `fill` makes out of an empty `200` in place; if `fill`
    /// fails nothing is sent. The connection may be gone already (the client hung up): that
    /// is not the handler's error.
    pub(crate) fn send(&self, fill: impl FnOnce(&mut Response<ResponseBody>) -> Result<(), HttpError>) -> Result<(), HttpError> {
        if self.is_over() {
            return Err(HttpError::AlreadySent);
        }
        let mut slot = self.response.borrow_mut();
        if let Err(err) = fill(slot.insert(Response::new(Either::Left(Full::default())))) {
            *slot = None;
            return Err(err);
        }
        drop(slot);
        self.settle(ReplyState::Sent);
        Ok(())
    }

    /// Tells the connection that no response comes, unless one was sent.
    pub(crate) fn abandon(&self) {
        if !self.is_over() {
            self.settle(ReplyState::Abandoned);
        }
    }

    fn settle(&self, state: ReplyState) {
        self.state.set(state);
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    /// The response, or None when no handler will answer.
    fn poll_response(&self, cx: &mut Context<'_>) -> Poll<Option<Response<ResponseBody>>> {
        match self.state.replace(ReplyState::Taken) {
            ReplyState::Sent => Poll::Ready(self.response.borrow_mut().take()),
            ReplyState::Abandoned | ReplyState::Taken => Poll::Ready(None),
            ReplyState::Waiting => {
                self.state.set(ReplyState::Waiting);
                let waker = match self.waker.take() {
                    Some(waker) if waker.will_wake(cx.waker()) => waker,
                    _ => cx.waker().clone(),
                };
                self.waker.set(Some(waker));
                Poll::Pending
            }
        }
    }
}

pub(crate) struct Server {
    local: SocketAddr,
    /// The certificates (reloadable) and the rustls config built on them, for HTTPS.
    tls: Option<(Arc<Certificates>, Arc<rustls::ServerConfig>)>,
    /// Requests parsed and not yet pulled by Lua (`pullRequest`); shared with the handle.
    queue: Rc<Queue>,
    /// The `nextRequests` operation waiting for the queue to fill.
    arrived: Cell<Option<Waker>>,
    /// Closed first when draining (and by `close`): the accept loop stops, the listening socket
    /// closes, so new connections are refused.
    accepting: Closing,
    /// Closed when draining: each connection finishes the requests it has begun, then closes.
    draining: Closing,
    /// Connections open (from accept to close, TLS handshake included).
    connections: Cell<usize>,
    /// Woken when the last connection closes.
    connections_gone: Notify,
    pub(crate) closing: Closing,
}

type Queue = RefCell<VecDeque<Handled>>;

/// The userdata behind a script's server object; empty once closed. It keeps the queue that
/// `pullRequest` reads (by its address) alive while Lua holds the handle.
pub struct ServerHandle(RefCell<Option<Rc<Server>>>, Rc<Queue>);

/// A plain-text response for requests no handler answers.
pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response<ResponseBody> {
    let mut response = Response::new(Either::Left(Full::new(Bytes::from_static(text.as_bytes()))));
    *response.status_mut() = status;
    response
}

/// Binds `addr` and starts accepting; requests queue until Lua asks for them.
pub(crate) fn serve(addr: SocketAddr, options: ServerOptions) -> Result<ServerHandle, HttpError> {
    let listener = tinn_net::bind_listener(addr, options.backlog, options.reuse_port)?;
    let local = listener.local_addr().map_err(|source| HttpError::ListenAddress { addr, source })?;
    let tls = match &options.tls {
        Some(certificates) => Some((Arc::clone(certificates), certificates.server_config(crate::http2::alpn(options.http2))?)),
        None => None,
    };
    let server = Rc::new(Server {
        local,
        tls,
        queue: Rc::default(),
        arrived: Cell::new(None),
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
    let queue = Rc::clone(&server.queue);
    Ok(ServerHandle(RefCell::new(Some(server)), queue))
}

/// EMFILE, ENFILE and the like: accepting fails until descriptors are freed.
fn out_of_descriptors(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM))
}

const REQUEST_TIMEOUT_REPLY: &[u8] = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";

/// What one connection's watchdog watches: hyper's reads (through [`Watched`]), the requests it
/// hands to Lua and the responses it finishes. Times are milliseconds since `start`. Shared
/// with hyper's IO, which must be `Send` for upgrades, hence atomics (all used on one thread).
pub(crate) struct Activity {
    /// For the watchdog's timer; `start_ms` is the same moment on [`monotonic_ms`]'s clock
    /// (read just before, so a timer due at `start` + n ms finds n ms elapsed).
    start: Instant,
    start_ms: u64,
    /// Requests passed to a handler whose response hyper has not finished sending.
    in_flight: AtomicUsize,
    /// When the connection last had nothing to do (accepted, or its last response sent).
    idle_since: AtomicU64,
    /// When the first byte of a request that is not yet complete arrived, or [`NOT_BEGUN`].
    request_began: AtomicU64,
}

const NOT_BEGUN: u64 = u64::MAX;

/// Milliseconds on the monotonic clock (the one `Instant` reads), without `Instant`'s Duration
/// arithmetic, which cost more than the clock read: a request reads it twice.
fn monotonic_ms() -> u64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime only writes the timespec it is given; CLOCK_MONOTONIC cannot fail
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    let (seconds, nanos) = (u64::try_from(now.tv_sec).unwrap_or(0), u64::try_from(now.tv_nsec).unwrap_or(0));
    seconds.saturating_mul(1000).saturating_add(nanos / 1_000_000)
}
const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

/// Why a connection's watchdog closed it.
pub(crate) enum Expired {
    /// Nothing arrived for `idleTimeoutMs` between requests: closed without a word.
    Idle,
    /// A request began but its headers did not complete in `headerTimeoutMs`: answered 408.
    Headers,
}

impl Activity {
    pub(crate) fn new() -> Arc<Activity> {
        let start_ms = monotonic_ms();
        Arc::new(Activity {
            start: Instant::now(),
            start_ms,
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            request_began: AtomicU64::new(NOT_BEGUN),
        })
    }

    fn now(&self) -> u64 {
        monotonic_ms().saturating_sub(self.start_ms).min(u64::MAX - 1)
    }

    /// Bytes came in: with nothing in flight they begin a request (timed until it is parsed).
    fn bytes_arrived(&self) {
        if self.in_flight.load(Ordering::Relaxed) == 0 && self.request_began.load(Ordering::Relaxed) == NOT_BEGUN {
            self.request_began.store(self.now(), Ordering::Relaxed);
        }
    }

    pub(crate) fn request_parsed(self: &Arc<Self>) -> InFlight {
        self.request_began.store(NOT_BEGUN, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(Arc::clone(self))
    }

    /// Waits until the connection has been idle, or slow with its headers, for too long.
    ///
    /// Requests come and go without waking it: it wakes at the earliest deadline it knows, but
    /// no later than the shorter timeout from now, so a request beginning meanwhile (whose
    /// deadline is at least that far off) is never timed late. So nothing can be due before its
    /// timer fires, and the connection's other wakeups skip it at the cost of one load (the
    /// timer keeps the first poll's waker, which stays valid: a connection runs in one task).
    async fn expired(&self, options: &ServerOptions) -> Expired {
        let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX / 4);
        let (header_ms, idle_ms) = (millis(options.header_timeout), millis(options.idle_timeout));
        // at least a millisecond between checks, so zero timeouts do not spin
        let recheck_ms = header_ms.min(idle_ms).max(1);
        let mut timer = pin!(tokio::time::sleep(Duration::ZERO));
        let mut armed = false;
        poll_fn(|cx| {
            if armed && !timer.is_elapsed() {
                return Poll::Pending;
            }
            loop {
                let now = self.now();
                let deadline = if self.in_flight.load(Ordering::Relaxed) > 0 {
                    None
                } else {
                    match self.request_began.load(Ordering::Relaxed) {
                        NOT_BEGUN => Some((self.idle_since.load(Ordering::Relaxed).saturating_add(idle_ms), Expired::Idle)),
                        began => Some((began.saturating_add(header_ms), Expired::Headers)),
                    }
                };
                let mut wake = now.saturating_add(recheck_ms);
                if let Some((at, why)) = deadline {
                    if at <= now {
                        return Poll::Ready(why);
                    }
                    wake = wake.min(at);
                }
                // timeouts are capped (2^31 ms), so the sum fits; a year out stands in if it did not
                let at = self.start.checked_add(Duration::from_millis(wake)).unwrap_or_else(|| Instant::now() + YEAR);
                timer.as_mut().reset(at);
                if timer.as_mut().poll(cx).is_pending() {
                    armed = true;
                    return Poll::Pending;
                }
            }
        })
        .await
    }
}

/// Counts a request as in flight until hyper drops its response body (sent, or the client left).
pub(crate) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        if activity.in_flight.fetch_sub(1, Ordering::Relaxed) == 1 {
            activity.idle_since.store(activity.now(), Ordering::Relaxed);
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
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.socket).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_arrived();
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
        if options.http2 {
            match server.draining.race(crate::http2::opens_with_preface(&stream, options.idle_timeout)).await {
                Raced::Done(Some(true)) => return crate::http2::serve_http2(server, options, Box::new(stream), peer).await,
                Raced::Done(Some(false)) => {}
                Raced::Done(None) | Raced::Closed => return,
            }
        }
        let fd = stream.as_raw_fd();
        return serve_http(server, options, Box::new(stream), peer, Some(fd)).await;
    };
    // A client that stalls mid-handshake is dropped after `headerTimeoutMs`; it holds up only
    // its own task.
    let handshake = tokio::time::timeout(options.header_timeout, tokio_rustls::TlsAcceptor::from(Arc::clone(config)).accept(stream));
    // a failed or abandoned handshake is the client's problem: nothing to serve
    if let Raced::Done(Ok(Ok(tls_stream))) = server.closing.race(handshake).await {
        if tls_stream.get_ref().1.alpn_protocol() == Some(crate::http2::ALPN_H2) {
            return crate::http2::serve_http2(server, options, Box::new(tls_stream), peer).await;
        }
        serve_http(server, options, Box::new(tls_stream), peer, None).await;
    }
}

/// Serves HTTP on an accepted connection (plain or after the TLS handshake). `plain_fd` is the
/// socket of a plain connection, where a `408` can be written past hyper.
async fn serve_http(server: Rc<Server>, options: Rc<ServerOptions>, stream: Box<dyn Stream>, peer: SocketAddr, plain_fd: Option<std::os::fd::RawFd>) {
    use std::os::fd::BorrowedFd;
    let activity = Activity::new();
    let service = queueing_service(&server, &activity, peer, options.body_timeout);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        // The watchdog times headers from a request's first byte; hyper's timer would also
        // count the idle time before it.
        .header_read_timeout(None)
        .max_buf_size(options.max_header_bytes.max(MIN_HEADER_BYTES))
        // No read while a handler runs: hyper's look for an end of stream there reserved a fresh
        // read buffer (the request still held the old one) and cost a syscall per request, and
        // took a client that only closed its sending side for gone. A client gone is seen when
        // its response is written.
        .half_close(true);
    if options.max_headers != HYPER_MAX_HEADERS {
        builder.max_headers(options.max_headers);
    }
    let io = TokioIo::new(Watched { socket: stream, activity: Arc::clone(&activity) });
    let mut connection = pin!(builder.serve_connection(io, service).with_upgrades());
    let served = supervise(&server, &options, &activity, connection.as_mut(), |connection| connection.graceful_shutdown());
    if let (Raced::Done(Some(Expired::Headers)), Some(fd)) = (server.closing.race(served).await, plain_fd) {
        // SAFETY: `connection` owns the socket and is dropped only when this function returns,
        // so `fd` is still open here.
        let socket = unsafe { BorrowedFd::borrow_raw(fd) };
        // best effort on a socket that is about to close; a full send buffer just drops it
        let _ = socket2::SockRef::from(&socket).send(REQUEST_TIMEOUT_REPLY);
    }
}

/// The service a connection runs (HTTP/1.1 and HTTP/2 alike): each request is counted on
/// `activity` and queued for the Lua side; its future waits for the handler's response, which
/// keeps the request counted as in flight while hyper sends it.
pub(crate) fn queueing_service(
    server: &Rc<Server>,
    activity: &Arc<Activity>,
    peer: SocketAddr,
    body_timeout: Duration,
) -> impl Service<Request<Incoming>, Response = Response<Tracked>, Error = Infallible> {
    let queueing = Rc::clone(server);
    let counting = Arc::clone(activity);
    service_fn(move |request: Request<Incoming>| {
        let in_flight = counting.request_parsed();
        let request = RequestState::arrive(request, peer, body_timeout);
        queueing.queue.borrow_mut().push_back(Handled::new(Rc::clone(&request)));
        if let Some(waiting) = queueing.arrived.take() {
            waiting.wake();
        }
        async move {
            // No handler will answer (the server closed): say so.
            let response = poll_fn(|cx| request.reply().poll_response(cx))
                .await
                .unwrap_or_else(|| plain(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"));
            Ok::<_, Infallible>(response.map(|body| Tracked { body, _in_flight: in_flight }))
        }
    })
}

/// Runs a connection until it ends, or its watchdog expires it (returning why), or the server
/// drains: then `graceful_shutdown` lets the requests begun get their responses (HTTP/1.1 on a
/// connection not kept alive, HTTP/2 after a GOAWAY), no new request is read, and an idle
/// connection closes at once.
pub(crate) async fn supervise<C: Future>(
    server: &Server,
    options: &ServerOptions,
    activity: &Activity,
    mut connection: Pin<&mut C>,
    graceful_shutdown: impl FnOnce(Pin<&mut C>),
) -> Option<Expired> {
    let watched = async {
        tokio::select! {
            // in this order: no random number to pick one per wakeup (the watchdog's poll is one load)
            biased;
            // errors are the client's (reset, malformed request hyper already answered)
            _ = connection.as_mut() => None,
            why = activity.expired(options) => Some(why),
        }
    };
    match server.draining.race(watched).await {
        Raced::Done(outcome) => outcome,
        Raced::Closed => {
            graceful_shutdown(connection.as_mut());
            let _ = connection.as_mut().await;
            None
        }
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

    /// Ready when requests are queued or the server closed.
    fn poll_arrived(&self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.queue.borrow().is_empty() {
            return Poll::Ready(());
        }
        self.arrived.set(Some(cx.waker().clone()));
        Poll::Pending
    }
}

/// `nextRequests()` → true once requests are queued (Lua takes them with `pullRequest`), or
/// nil, "closed".
fn http_server_next_requests(lua: &Lua, handle: &ServerHandle, (): ()) -> LuaResult<MultiValue> {
    let Some(server) = handle.0.borrow().clone() else { return (Value::Nil, "closed").into_lua_multi(lua) };
    if !server.queue.borrow().is_empty() {
        return true.into_lua_multi(lua);
    }
    tinn_reactor::start(lua, async move {
        let outcome = server.closing.race(poll_fn(|cx| server.poll_arrived(cx))).await;
        tinn_reactor::completion(move |lua| match outcome {
            Raced::Done(()) => true.into_lua_multi(lua),
            Raced::Closed => (Value::Nil, "closed").into_lua_multi(lua),
        })
    })
}

/// A request `pullRequest` hands to Lua: its id, and its method, path and raw query (null when
/// none) as bytes that last until the request is released.
#[repr(C)]
pub(crate) struct PulledRequest {
    id: f64,
    method: *const u8,
    method_length: usize,
    path: *const u8,
    path_length: usize,
    query: *const u8,
    query_length: usize,
}

/// `pullRequest(requests, queue, out)` → 1 with the next queued request taken into `requests`
/// and described in `out`, or 0 when none is queued. Called through LuaJIT's FFI: a Lua table
/// of the batch, built through the C API, cost more per request than the call.
///
/// # Safety
/// `requests` is the module's [`Requests`], `queue` a live server handle's queue (`queue()`).
unsafe extern "C" fn pull_request(requests: *const Requests, queue: *const Queue, out: *mut PulledRequest) -> c_int {
    let (requests, queue) = unsafe { (&*requests, &*queue) };
    let Some(request) = queue.borrow_mut().pop_front() else { return 0 };
    let (id, request) = requests.insert(request);
    let head = request.head();
    let (method, path) = (head.method.as_str(), head.uri.path());
    let query = head.uri.query();
    // SAFETY: the caller passes a writable PulledRequest. The strings live in the request's
    // head, which `requests` holds until Lua releases the id.
    unsafe {
        *out = PulledRequest {
            // ids stay below 2^52: exact as a Lua number
            id: id as f64,
            method: method.as_ptr(),
            method_length: method.len(),
            path: path.as_ptr(),
            path_length: path.len(),
            query: query.map_or(std::ptr::null(), str::as_ptr),
            query_length: query.map_or(0, str::len),
        };
    }
    1
}

/// The address of [`pull_request`], for the native module.
pub(crate) fn pull_request_address() -> *const c_void {
    let pull: unsafe extern "C" fn(*const Requests, *const Queue, *mut PulledRequest) -> c_int = pull_request;
    pull as *const c_void
}

impl UserData for ServerHandle {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("nextRequests", http_server_next_requests);
        // the address `pullRequest` takes
        methods.add_method("queue", |_, this, ()| Ok(mlua::LightUserData(Rc::as_ptr(&this.1).cast_mut().cast())));
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
            let Some(server) = this.0.borrow().clone() else { return HttpError::Closed.into_failure(lua) };
            let Some((certificates, _)) = &server.tls else {
                // http.lua checks first: a backstop
                return Err(mlua::Error::external("server:reload: the server has no tls certificates to reload"));
            };
            match certificates.reload() {
                Ok(()) => true.into_lua_multi(lua),
                Err(err) => err.into_failure(lua),
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
