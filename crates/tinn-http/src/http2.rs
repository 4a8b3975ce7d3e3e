//! HTTP/2 connections: over TLS when the client picks `h2` by ALPN, and on a plain port with
//! prior knowledge (h2c: the connection opens with HTTP/2's preface). Requests go into the same
//! queue as HTTP/1.1's and reach the same handlers; each stream runs as its own task.
//!
//! Memory stays bounded per connection: at most [`MAX_CONCURRENT_STREAMS`] streams at once, and a
//! stream takes more of its response body only while the client's flow-control window and a
//! small send buffer have room, so a client that stops reading stalls the handler's writes
//! (`res:write` waits) instead of growing a queue.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::rc::Rc;
use std::time::Duration;

use hyper::server::conn::http2;
use hyper_util::rt::{TokioIo, TokioTimer};
use tinn_reactor::Raced;
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::server::{queueing_service, supervise, Activity, Expired, Server, ServerOptions, Stream};

/// The ALPN name of HTTP/2 over TLS.
pub(crate) const ALPN_H2: &[u8] = b"h2";

/// What an HTTP/2 client sends first (RFC 9113 §3.4).
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Streams one connection may have open at once; the client is told so in its SETTINGS.
const MAX_CONCURRENT_STREAMS: u32 = 128;

/// Response bytes one stream may have queued for a client that reads slowly.
const MAX_SEND_BUFFER: usize = 64 * 1024;

/// After an idle connection's GOAWAY, how long the client has to acknowledge before the
/// connection is dropped.
const GOAWAY_GRACE: Duration = Duration::from_secs(1);

/// How often a connection that has sent part of the preface so far is looked at again.
const PARTIAL_PREFACE_POLL: Duration = Duration::from_millis(5);

/// The protocols a TLS server offers by ALPN, best first.
pub(crate) fn alpn(http2: bool) -> Vec<Vec<u8>> {
    match http2 {
        true => vec![ALPN_H2.to_vec(), b"http/1.1".to_vec()],
        false => vec![b"http/1.1".to_vec()],
    }
}

/// Whether a plain connection opens with the HTTP/2 preface, looked at without taking its bytes
/// (HTTP/1.1 reads them next otherwise). None: the client sent nothing for `idle_timeout`, or left.
pub(crate) async fn opens_with_preface(stream: &TcpStream, idle_timeout: Duration) -> Option<bool> {
    let deadline = Instant::now() + idle_timeout;
    let mut first = [0u8; PREFACE.len()];
    loop {
        let peeked = match tokio::time::timeout_at(deadline, stream.peek(&mut first)).await {
            Ok(Ok(peeked)) if peeked > 0 => peeked,
            _ => return None,
        };
        if first[..peeked] != PREFACE[..peeked] {
            return Some(false);
        }
        if peeked == PREFACE.len() {
            return Some(true);
        }
        // part of the preface so far: peek returns those bytes at once until more arrive
        if tokio::time::timeout_at(deadline, tokio::time::sleep(PARTIAL_PREFACE_POLL)).await.is_err() {
            return None;
        }
    }
}

/// Runs hyper's per-stream tasks on the event loop's thread: responses hold state that is not
/// `Send` (the handler's side of a streamed body, the connection's counters).
#[derive(Clone, Copy)]
struct LocalExecutor;

impl<F: Future + 'static> hyper::rt::Executor<F> for LocalExecutor {
    fn execute(&self, future: F) {
        tokio::task::spawn_local(future);
    }
}

/// Serves HTTP/2 on an accepted connection (after the TLS handshake, or a plain one that began
/// with the preface). A connection without open streams for `idleTimeoutMs` is sent a GOAWAY
/// and closed; draining sends a GOAWAY too, and the streams begun finish.
pub(crate) async fn serve_http2(server: Rc<Server>, options: Rc<ServerOptions>, stream: Box<dyn Stream>, peer: SocketAddr) {
    let activity = Activity::new();
    let service = queueing_service(&server, &activity, peer, options.body_timeout);
    let mut builder = http2::Builder::new(LocalExecutor);
    builder
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .max_send_buf_size(MAX_SEND_BUFFER)
        .max_header_list_size(u32::try_from(options.max_header_bytes).unwrap_or(u32::MAX));
    let mut connection = pin!(builder.serve_connection(TokioIo::new(stream), service));
    let served = supervise(&server, &options, &activity, connection.as_mut(), |connection| connection.graceful_shutdown());
    if let Raced::Done(Some(Expired::Idle)) = server.closing.race(served).await {
        connection.as_mut().graceful_shutdown();
        let _ = server.closing.race(tokio::time::timeout(GOAWAY_GRACE, connection.as_mut())).await;
    }
}
