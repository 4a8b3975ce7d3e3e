//! `WebSocket`: a message channel upgraded from an HTTP request (server side) or opened with
//! `http.websocket(url)` (client side). Sends and receives each take turns in call order, so
//! one task can receive while others send; pings are answered by tungstenite.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, UserData, UserDataMethods, Value};
use tinn_reactor::{Closing, Raced, ScriptError};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use crate::error::HttpError;

/// Any byte stream a WebSocket can run over (an upgraded HTTP connection, a TCP socket).
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin {}
impl<T: AsyncRead + AsyncWrite + Unpin> Io for T {}

type Stream = WebSocketStream<Box<dyn Io>>;

/// How long closing waits to hand the peer a close frame before it drops the connection anyway
/// (a peer that does not read must not keep the socket open).
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// RFC 6455's code for a connection that ended without a close frame (never sent on the wire).
const ABNORMAL_CLOSURE: u16 = 1006;

/// A close frame's reason is at most 123 bytes (a control frame carries 125, 2 are the code).
const MAX_CLOSE_REASON: usize = 123;

/// The two halves of the connection; both become None when it is shut, which drops the socket.
struct Socket {
    sink: Mutex<Option<SplitSink<Stream, Message>>>,
    stream: Mutex<Option<SplitStream<Stream>>>,
    closing: Closing,
}

/// The userdata behind a script's WebSocket object; empty once closed.
pub struct WebSocketHandle(RefCell<Option<Rc<Socket>>>);

impl WebSocketHandle {
    pub(crate) fn new(stream: Stream) -> WebSocketHandle {
        let (sink, stream) = stream.split();
        WebSocketHandle(RefCell::new(Some(Rc::new(Socket {
            sink: Mutex::new(Some(sink)),
            stream: Mutex::new(Some(stream)),
            closing: Closing::default(),
        }))))
    }

    fn socket(&self) -> Option<Rc<Socket>> {
        self.0.borrow().clone()
    }
}

impl Socket {
    /// Ends the connection: wakes every task waiting on it, sends `frame` (if any) and flushes
    /// a close reply tungstenite may owe the peer, then drops the socket. `stream` is the
    /// receiving half, already locked by the caller.
    async fn shut(&self, stream: &mut Option<SplitStream<Stream>>, frame: Option<CloseFrame>) {
        self.closing.close();
        let flush = async {
            let mut sink = self.sink.lock().await;
            if let Some(sink) = sink.as_mut() {
                // the peer may be gone already; closing is best effort
                if let Some(frame) = frame {
                    let _ = sink.send(Message::Close(Some(frame))).await;
                }
                let _ = sink.close().await;
            }
            *sink = None;
        };
        if tokio::time::timeout(CLOSE_GRACE, flush).await.is_err() {
            if let Ok(mut sink) = self.sink.try_lock() {
                *sink = None;
            }
        }
        *stream = None;
    }
}

fn closed(lua: &Lua) -> LuaResult<MultiValue> {
    HttpError::Closed.into_failure(lua)
}

/// Errors that mean the connection is gone (the peer vanished or it was closed).
fn connection_lost(e: &WsError) -> bool {
    matches!(
        e,
        WsError::ConnectionClosed
            | WsError::AlreadyClosed
            | WsError::Io(_)
            | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake | ProtocolError::SendAfterClosing)
    )
}

/// The close code RFC 6455 asks for when the peer breaks the protocol, or None when the
/// connection is simply gone.
fn violation_code(e: &WsError) -> Option<CloseCode> {
    match e {
        _ if connection_lost(e) => None,
        WsError::Utf8(_) => Some(CloseCode::Invalid),
        WsError::Capacity(_) => Some(CloseCode::Size),
        _ => Some(CloseCode::Protocol),
    }
}

/// A close frame with `reason` cut to what a frame can carry (at a character boundary).
fn close_frame(code: CloseCode, reason: &str) -> CloseFrame {
    let mut end = reason.len().min(MAX_CLOSE_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    CloseFrame { code, reason: reason[..end].to_owned().into() }
}

/// `ws:send(kind, data)`: kind "text" or "binary"; true, or nil and why ("closed" and the
/// detail once the connection is gone).
fn ws_send(lua: &Lua, handle: &WebSocketHandle, (kind, data): (String, mlua::LuaString)) -> LuaResult<MultiValue> {
    let Some(socket) = handle.socket() else { return closed(lua) };
    let message = if kind == "binary" {
        Message::binary(data.as_bytes().to_vec())
    } else {
        match std::str::from_utf8(&data.as_bytes()) {
            Ok(text) => Message::text(text),
            Err(_) => return HttpError::NotUtf8.into_failure(lua),
        }
    };
    tinn_reactor::start(lua, async move {
        let send = async {
            let mut sink = socket.sink.lock().await;
            match sink.as_mut() {
                Some(sink) => Some(sink.send(message).await),
                None => None,
            }
        };
        let outcome = socket.closing.race(send).await;
        tinn_reactor::completion(move |lua| match outcome {
            Raced::Done(Some(Ok(()))) => true.into_lua_multi(lua),
            Raced::Done(Some(Err(e))) if connection_lost(&e) => (Value::Nil, "closed", e.to_string()).into_lua_multi(lua),
            Raced::Done(Some(Err(e))) => HttpError::WebSocketSend(Box::new(e)).into_failure(lua),
            Raced::Done(None) | Raced::Closed => closed(lua),
        })
    })
}

/// What a receive ends with.
enum Received {
    Text(tokio_tungstenite::tungstenite::Utf8Bytes),
    Binary(bytes::Bytes),
    /// The connection ended (and is now shut): the peer's close code and reason, 1006 and what
    /// happened when it vanished, or the code tinn sent the peer for breaking the protocol.
    Ended(u16, String),
    /// Closed by this side meanwhile.
    Closed,
}

/// `ws:receive()` → data, "text" | "binary"; once the connection has ended nil, "closed", code,
/// reason, and its socket is released.
fn ws_receive(lua: &Lua, handle: &WebSocketHandle, (): ()) -> LuaResult<MultiValue> {
    let Some(socket) = handle.socket() else { return closed(lua) };
    tinn_reactor::start(lua, async move {
        let receive = async {
            let mut stream = socket.stream.lock().await;
            let message = loop {
                let Some(half) = stream.as_mut() else { break None };
                match half.next().await {
                    // pings are answered by tungstenite; pongs and raw frames are not messages
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    other => break other,
                }
            };
            (message, stream)
        };
        let received = match socket.closing.race(receive).await {
            Raced::Closed => Received::Closed,
            Raced::Done((message, mut stream)) => match message {
                Some(Ok(Message::Text(text))) => Received::Text(text),
                Some(Ok(Message::Binary(bytes))) => Received::Binary(bytes),
                Some(Ok(Message::Close(frame))) => {
                    // tungstenite has queued the close reply; shutting flushes it
                    socket.shut(&mut stream, None).await;
                    let (code, reason) = frame.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or((1005, String::new()));
                    Received::Ended(code, reason)
                }
                Some(Err(e)) => {
                    let detail = e.to_string();
                    let code = violation_code(&e);
                    socket.shut(&mut stream, code.map(|code| close_frame(code, &detail))).await;
                    Received::Ended(code.map_or(ABNORMAL_CLOSURE, u16::from), detail)
                }
                None if stream.is_none() => Received::Closed,
                Some(Ok(_)) | None => {
                    socket.shut(&mut stream, None).await;
                    Received::Ended(ABNORMAL_CLOSURE, "connection ended without a close frame".to_owned())
                }
            },
        };
        tinn_reactor::completion(move |lua| match received {
            Received::Text(text) => (lua.create_string(text.as_bytes())?, "text").into_lua_multi(lua),
            Received::Binary(bytes) => (lua.create_string(&bytes)?, "binary").into_lua_multi(lua),
            Received::Ended(code, reason) => (Value::Nil, "closed", code, reason).into_lua_multi(lua),
            Received::Closed => closed(lua),
        })
    })
}

/// `ws:close([code [, reason]])`: sends a close frame, then releases the socket; tasks
/// waiting on it get nil, "closed".
fn ws_close(lua: &Lua, handle: &WebSocketHandle, (code, reason): (Option<u16>, Option<String>)) -> LuaResult<MultiValue> {
    let Some(socket) = handle.0.borrow_mut().take() else { return true.into_lua_multi(lua) };
    // wake a task waiting in receive, so it lets go of the receiving half
    socket.closing.close();
    let frame = close_frame(CloseCode::from(code.unwrap_or(1000)), &reason.unwrap_or_default());
    tinn_reactor::start(lua, async move {
        let mut stream = socket.stream.lock().await;
        socket.shut(&mut stream, Some(frame)).await;
        tinn_reactor::completion(|lua| true.into_lua_multi(lua))
    })
}

impl UserData for WebSocketHandle {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("send", ws_send);
        methods.add_method("receive", ws_receive);
        methods.add_method("close", ws_close);
        methods.add_method("isClosed", |_, this, ()| {
            Ok(this.0.borrow().as_ref().is_none_or(|socket| socket.closing.is_closed()))
        });
    }
}
