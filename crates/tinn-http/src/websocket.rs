//! `WebSocket`: a message channel upgraded from an HTTP request (server side) or opened with
//! `http.websocket(url)` (client side). Sends and receives each take turns in call order, so
//! one task can receive while others send; pings are answered by tungstenite.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, UserData, UserDataMethods, Value};
use tinn_reactor::{Closing, Raced};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// Any byte stream a WebSocket can run over (an upgraded HTTP connection, a TCP socket).
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin {}
impl<T: AsyncRead + AsyncWrite + Unpin> Io for T {}

type Stream = WebSocketStream<Box<dyn Io>>;

struct Socket {
    sink: Arc<Mutex<SplitSink<Stream, Message>>>,
    stream: Arc<Mutex<SplitStream<Stream>>>,
    closing: Closing,
}

/// The userdata behind a script's WebSocket object; empty once closed.
pub struct WebSocketHandle(RefCell<Option<Rc<Socket>>>);

impl WebSocketHandle {
    pub(crate) fn new(stream: Stream) -> WebSocketHandle {
        let (sink, stream) = stream.split();
        WebSocketHandle(RefCell::new(Some(Rc::new(Socket {
            sink: Arc::new(Mutex::new(sink)),
            stream: Arc::new(Mutex::new(stream)),
            closing: Closing::default(),
        }))))
    }

    fn socket(&self) -> Option<Rc<Socket>> {
        self.0.borrow().clone()
    }
}

fn closed(lua: &Lua) -> LuaResult<MultiValue> {
    (Value::Nil, "closed").into_lua_multi(lua)
}

/// `ws:send(kind, data)`: kind "text" or "binary"; true, or nil and why.
fn ws_send(lua: &Lua, handle: &WebSocketHandle, (kind, data): (String, mlua::LuaString)) -> LuaResult<MultiValue> {
    let Some(socket) = handle.socket() else { return closed(lua) };
    let message = if kind == "binary" {
        Message::binary(data.as_bytes().to_vec())
    } else {
        match std::str::from_utf8(&data.as_bytes()) {
            Ok(text) => Message::text(text),
            Err(_) => return (Value::Nil, "websocket send: a text message must be valid UTF-8 (send {binary = ...} instead)").into_lua_multi(lua),
        }
    };
    tinn_reactor::start(lua, async move {
        let send = async {
            let mut sink = socket.sink.lock().await;
            sink.send(message).await
        };
        let outcome = socket.closing.race(send).await;
        tinn_reactor::completion(move |lua| match outcome {
            Raced::Done(Ok(())) => true.into_lua_multi(lua),
            Raced::Done(Err(e)) => (Value::Nil, format!("websocket send: {e}")).into_lua_multi(lua),
            Raced::Closed => closed(lua),
        })
    })
}

/// `ws:receive()` → data, "text" | "binary"; at the peer's close nil, "closed", code, reason.
fn ws_receive(lua: &Lua, handle: &WebSocketHandle, (): ()) -> LuaResult<MultiValue> {
    let Some(socket) = handle.socket() else { return closed(lua) };
    tinn_reactor::start(lua, async move {
        let receive = async {
            let mut stream = socket.stream.lock().await;
            loop {
                match stream.next().await {
                    // pings are answered by tungstenite; pongs and raw frames are not messages
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    other => return other,
                }
            }
        };
        let outcome = socket.closing.race(receive).await;
        tinn_reactor::completion(move |lua| match outcome {
            Raced::Done(Some(Ok(Message::Text(text)))) => (lua.create_string(text.as_bytes())?, "text").into_lua_multi(lua),
            Raced::Done(Some(Ok(Message::Binary(bytes)))) => (lua.create_string(&bytes)?, "binary").into_lua_multi(lua),
            Raced::Done(Some(Ok(Message::Close(frame)))) => {
                let (code, reason) = frame.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or((1005, String::new()));
                (Value::Nil, "closed", code, reason).into_lua_multi(lua)
            }
            Raced::Done(None) => closed(lua),
            Raced::Done(Some(Err(e))) => (Value::Nil, format!("websocket receive: {e}")).into_lua_multi(lua),
            Raced::Done(Some(Ok(_))) | Raced::Closed => closed(lua),
        })
    })
}

/// `ws:close([code [, reason]])`: sends a close frame, then releases the socket; tasks
/// waiting on it get nil, "closed".
fn ws_close(lua: &Lua, handle: &WebSocketHandle, (code, reason): (Option<u16>, Option<String>)) -> LuaResult<MultiValue> {
    let Some(socket) = handle.0.borrow_mut().take() else { return true.into_lua_multi(lua) };
    socket.closing.close();
    let frame = CloseFrame { code: CloseCode::from(code.unwrap_or(1000)), reason: reason.unwrap_or_default().into() };
    tinn_reactor::start(lua, async move {
        let mut sink = socket.sink.lock().await;
        // the peer may be gone already; closing is best effort
        let _ = sink.send(Message::Close(Some(frame))).await;
        let _ = sink.close().await;
        tinn_reactor::completion(|lua| true.into_lua_multi(lua))
    })
}

impl UserData for WebSocketHandle {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("send", ws_send);
        methods.add_method("receive", ws_receive);
        methods.add_method("close", ws_close);
        methods.add_method("isClosed", |_, this, ()| Ok(this.0.borrow().is_none()));
    }
}
