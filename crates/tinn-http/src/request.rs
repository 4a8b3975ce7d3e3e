//! `Request`: one HTTP request as a handler sees it, and the way its response goes back. The
//! request line comes over with the request (`nextRequests`); the peer, version, headers and
//! body only when the handler asks.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Either, Full};
use hyper::body::{Body, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{HeaderMap, Response, StatusCode};
use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, Table, UserData, UserDataMethods, Value};
use tokio::sync::mpsc;

use tinn_reactor::ScriptError;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::WebSocketStream;

use crate::body::{ChannelBody, ResponseBody};
use crate::compress;
use crate::error::HttpError;
use crate::websocket::{Io, WebSocketHandle};
use crate::server::{Arrived, Responder};

struct RequestState {
    head: hyper::http::request::Parts,
    peer: SocketAddr,
    /// Taken out while a read is in flight, put back when it ends however it ends.
    body: RefCell<Option<Incoming>>,
    /// Body bytes received by a read that was cancelled (timed out) before it could return
    /// them: the next read starts with them.
    unread: RefCell<BytesMut>,
    /// The longest a read waits for the client's next bytes (`bodyTimeoutMs`).
    body_timeout: Duration,
    /// hyper's handle for taking over the connection after a `101 Switching Protocols`.
    upgrade: RefCell<Option<hyper::upgrade::OnUpgrade>>,
    respond: RefCell<Option<Responder>>,
    stream: RefCell<Option<mpsc::Sender<Bytes>>>,
}

/// The userdata behind a handler's `req`/`res` pair.
pub struct RequestHandle(Rc<RequestState>);

impl RequestHandle {
    pub(crate) fn new(arrived: Arrived) -> RequestHandle {
        let (mut head, body) = arrived.request.into_parts();
        let upgrade = head.extensions.remove::<hyper::upgrade::OnUpgrade>();
        RequestHandle(Rc::new(RequestState {
            head,
            peer: arrived.peer,
            body: RefCell::new(Some(body)),
            unread: RefCell::default(),
            body_timeout: arrived.body_timeout,
            upgrade: RefCell::new(upgrade),
            respond: RefCell::new(Some(arrived.respond)),
            stream: RefCell::new(None),
        }))
    }

    pub(crate) fn head(&self) -> &hyper::http::request::Parts {
        &self.0.head
    }

    /// Whether the request holds something of its connection (a body not known to be empty,
    /// an upgrade) that `release` must let go of when the handler ends.
    pub(crate) fn holds_connection(&self) -> bool {
        self.0.upgrade.borrow().is_some() || self.0.body.borrow().as_ref().is_some_and(|body| !body.is_end_stream())
    }
}

/// Lua's `{name = value}` headers as a HeaderMap; the error names the offending header.
pub(crate) fn header_map(headers: Option<Table>) -> Result<HeaderMap, HttpError> {
    let mut map = HeaderMap::new();
    let Some(headers) = headers else { return Ok(map) };
    for pair in headers.pairs::<mlua::LuaString, mlua::LuaString>() {
        let Ok((name, value)) = pair else { return Err(HttpError::HeadersNotStrings(not_a_string(&headers))) };
        let name_bytes = name.as_bytes();
        let header = HeaderName::from_bytes(&name_bytes)
            .map_err(|_| HttpError::InvalidHeaderName(String::from_utf8_lossy(&name_bytes).into_owned()))?;
        let value = HeaderValue::from_bytes(&value.as_bytes())
            .map_err(|_| HttpError::InvalidHeaderValue(header.to_string()))?;
        map.append(header, value);
    }
    Ok(map)
}

/// Which entry of a headers table is not a string pair, for the error (`header 'x' is a table`).
fn not_a_string(headers: &Table) -> String {
    let stringish = |value: &Value| matches!(value, Value::String(_) | Value::Integer(_) | Value::Number(_));
    for (key, value) in headers.pairs::<Value, Value>().flatten() {
        if !stringish(&key) {
            return format!("a {} key", key.type_name());
        }
        if !stringish(&value) {
            return format!("header '{}' is a {}", key.to_string().unwrap_or_default(), value.type_name());
        }
    }
    "a key or value is not a string".to_string()
}

/// A HeaderMap as a Lua table with lowercase names; repeated headers are joined with ", ".
pub(crate) fn header_table(lua: &Lua, headers: &HeaderMap) -> LuaResult<Table> {
    let table = lua.create_table_with_capacity(0, headers.keys_len())?;
    for name in headers.keys() {
        let mut joined = Vec::new();
        for (index, value) in headers.get_all(name).iter().enumerate() {
            if index > 0 {
                joined.extend_from_slice(b", ");
            }
            joined.extend_from_slice(value.as_bytes());
        }
        table.raw_set(name.as_str(), lua.create_string(&joined)?)?;
    }
    Ok(table)
}

fn status_code(status: u16) -> Result<StatusCode, HttpError> {
    StatusCode::from_u16(status).map_err(|_| HttpError::InvalidStatus(status))
}

impl RequestState {
    fn send(&self, response: Response<ResponseBody>) -> Result<(), HttpError> {
        let respond = self.respond.borrow_mut().take().ok_or(HttpError::AlreadySent)?;
        // The connection may be gone already (client hung up); that is not the handler's error.
        respond.send(response);
        Ok(())
    }

    fn response(status: u16, headers: Option<Table>, body: ResponseBody) -> Result<Response<ResponseBody>, HttpError> {
        let mut response = Response::new(body);
        *response.status_mut() = status_code(status)?;
        *response.headers_mut() = header_map(headers)?;
        Ok(response)
    }
}


/// The request body while one read has it. However the read ends (done, failed, cancelled by
/// a timeout), the body and every byte received and not returned go back to the request.
struct BodyRead {
    state: Rc<RequestState>,
    body: Option<Incoming>,
    received: BytesMut,
}

impl BodyRead {
    /// The next data frame: Ok(None) at the end of the body; Err when the client fails or sends
    /// nothing for `bodyTimeoutMs`.
    async fn next(&mut self) -> Result<Option<Bytes>, HttpError> {
        let Some(body) = self.body.as_mut() else { return Ok(None) };
        loop {
            match tokio::time::timeout(self.state.body_timeout, body.frame()).await {
                Err(_) => return Err(HttpError::BodyTimeout),
                Ok(None) => return Ok(None),
                Ok(Some(Err(e))) => return Err(HttpError::ReadBody(e)),
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        return Ok(Some(data));
                    } // trailers are not body bytes
                }
            }
        }
    }
}

impl Drop for BodyRead {
    fn drop(&mut self) {
        *self.state.body.borrow_mut() = self.body.take();
        let received = std::mem::take(&mut self.received);
        if !received.is_empty() {
            *self.state.unread.borrow_mut() = received;
        }
    }
}

/// Reads the body: all of it up to `max` bytes (`whole`), or the next chunk. nil at the end.
fn http_request_read(lua: &Lua, this: &RequestHandle, (whole, max): (bool, usize)) -> LuaResult<MultiValue> {
    let state = Rc::clone(&this.0);
    if !whole && !state.unread.borrow().is_empty() {
        let chunk = state.unread.take();
        return lua.create_string(&chunk)?.into_lua_multi(lua);
    }
    let Some(body) = state.body.borrow_mut().take() else {
        return HttpError::BodyBusy.into_failure(lua);
    };
    let received = state.unread.take();
    let mut read = BodyRead { state, body: Some(body), received };
    tinn_reactor::start(lua, async move {
        let outcome: Result<Option<Bytes>, HttpError> = loop {
            match read.next().await {
                Err(err) => break Err(err),
                Ok(None) if whole => break Ok(Some(std::mem::take(&mut read.received).freeze())),
                Ok(None) => break Ok(None),
                Ok(Some(data)) if !whole => break Ok(Some(data)),
                Ok(Some(data)) => {
                    read.received.extend_from_slice(&data);
                    if read.received.len() > max {
                        break Err(HttpError::BodyTooLarge(max));
                    }
                }
            }
        };
        drop(read);
        tinn_reactor::completion(move |lua| match outcome {
            Ok(Some(bytes)) => lua.create_string(&bytes)?.into_lua_multi(lua),
            Ok(None) => Value::Nil.into_lua_multi(lua),
            Err(err) => err.into_failure(lua),
        })
    })
}

impl RequestState {
    /// The coding a response may be compressed with: asked for, one the client accepts, and
    /// not for HEAD (whose headers must match GET's uncompressed length).
    fn coding(&self, compress: Option<bool>) -> Option<compress::Encoding> {
        let wanted = compress.unwrap_or(false) && self.head.method != hyper::Method::HEAD;
        wanted.then(|| compress::preferred(&self.head.headers)).flatten()
    }
}

fn http_request_respond(
    lua: &Lua,
    this: &RequestHandle,
    (status, headers, body, compress): (u16, Option<Table>, Option<mlua::BString>, Option<bool>),
) -> LuaResult<MultiValue> {
    // BString is read straight off the Lua stack (a LuaString would take a reference slot) and
    // becomes the body without a second copy.
    let bytes = body.map(|b| Bytes::from(Vec::from(b))).unwrap_or_default();
    let mut response = match RequestState::response(status, headers, Either::Left(Full::new(Bytes::new()))) {
        Ok(response) => response,
        Err(err) => return err.into_failure(lua),
    };
    let coding = this.0.coding(compress).filter(|_| compress::should_compress(status, response.headers(), Some(bytes.len())));
    let bytes = match coding {
        Some(coding) => match compress::encode(&bytes, coding) {
            Ok(encoded) => {
                compress::mark_encoded(response.headers_mut(), coding);
                encoded
            }
            Err(_) => bytes, // compressing into memory does not fail; if it did, send the original
        },
        None => bytes,
    };
    *response.body_mut() = Either::Left(Full::new(bytes));
    match this.0.send(response) {
        Ok(()) => true.into_lua_multi(lua),
        Err(err) => err.into_failure(lua),
    }
}

fn http_request_start_stream(lua: &Lua, this: &RequestHandle, (status, headers, compress): (u16, Option<Table>, Option<bool>)) -> LuaResult<MultiValue> {
    let mut response = match RequestState::response(status, headers, Either::Left(Full::new(Bytes::new()))) {
        Ok(response) => response,
        Err(err) => return err.into_failure(lua),
    };
    let coding = this.0.coding(compress).filter(|_| compress::should_compress(status, response.headers(), None));
    if let Some(coding) = coding {
        compress::mark_encoded(response.headers_mut(), coding);
    }
    let (sender, body) = ChannelBody::new(coding);
    *response.body_mut() = Either::Right(body);
    match this.0.send(response) {
        Ok(()) => {
            *this.0.stream.borrow_mut() = Some(sender);
            true.into_lua_multi(lua)
        }
        Err(err) => err.into_failure(lua),
    }
}

/// Queues a chunk of a streamed response; waits (the task, not the loop) while the client is
/// slower than the handler.
fn http_request_write(lua: &Lua, this: &RequestHandle, chunk: mlua::LuaString) -> LuaResult<MultiValue> {
    let Some(sender) = this.0.stream.borrow().clone() else {
        return HttpError::NoStream.into_failure(lua);
    };
    let bytes = Bytes::copy_from_slice(&chunk.as_bytes());
    let bytes = match sender.try_send(bytes) {
        Ok(()) => return true.into_lua_multi(lua),
        Err(mpsc::error::TrySendError::Closed(_)) => return HttpError::Closed.into_failure(lua),
        Err(mpsc::error::TrySendError::Full(bytes)) => bytes,
    };
    tinn_reactor::start(lua, async move {
        let sent = sender.send(bytes).await.is_ok();
        tinn_reactor::completion(move |lua| if sent { true.into_lua_multi(lua) } else { HttpError::Closed.into_failure(lua) })
    })
}

/// Answers a WebSocket handshake with `101 Switching Protocols` and, once hyper hands over the
/// connection, returns the WebSocket.
fn http_request_upgrade(lua: &Lua, this: &RequestHandle, (): ()) -> LuaResult<MultiValue> {
    if this.0.head.version == hyper::Version::HTTP_2 {
        return HttpError::NotUpgradable("WebSocket over HTTP/2 (RFC 8441) is not supported: the client must connect over HTTP/1.1").into_failure(lua);
    }
    let headers = &this.0.head.headers;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !header("upgrade").eq_ignore_ascii_case("websocket") || header("sec-websocket-version") != "13" {
        return HttpError::NotUpgradable("not a WebSocket handshake (needs upgrade: websocket and sec-websocket-version: 13)").into_failure(lua);
    }
    let key = header("sec-websocket-key");
    if key.is_empty() {
        return HttpError::NotUpgradable("not a WebSocket handshake (no sec-websocket-key)").into_failure(lua);
    }
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    let Some(on_upgrade) = this.0.upgrade.borrow_mut().take() else {
        return HttpError::NotUpgradable("the connection cannot be upgraded").into_failure(lua);
    };
    let mut response = Response::new(Either::Left(Full::new(Bytes::new())));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let response_headers = response.headers_mut();
    response_headers.insert(hyper::header::UPGRADE, HeaderValue::from_static("websocket"));
    response_headers.insert(hyper::header::CONNECTION, HeaderValue::from_static("Upgrade"));
    match HeaderValue::from_str(&accept) {
        Ok(value) => response_headers.insert(hyper::header::SEC_WEBSOCKET_ACCEPT, value),
        Err(_) => return HttpError::NotUpgradable("websocket: bad accept key").into_failure(lua),
    };
    if let Err(err) = this.0.send(response) {
        return err.into_failure(lua);
    }
    tinn_reactor::start(lua, async move {
        let upgraded = on_upgrade.await;
        let outcome = match upgraded {
            Ok(upgraded) => {
                let io: Box<dyn Io> = Box::new(hyper_util::rt::TokioIo::new(upgraded));
                Ok(WebSocketStream::from_raw_socket(io, Role::Server, None).await)
            }
            Err(e) => Err(HttpError::Upgrade(e)),
        };
        tinn_reactor::completion(move |lua| match outcome {
            Ok(stream) => lua.create_userdata(WebSocketHandle::new(stream))?.into_lua_multi(lua),
            Err(err) => err.into_failure(lua),
        })
    })
}

impl UserData for RequestHandle {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("remote", |lua, this, ()| (this.0.peer.ip().to_string(), this.0.peer.port()).into_lua_multi(lua));
        methods.add_method("version", |_, this, ()| Ok(format!("{:?}", this.0.head.version)));
        methods.add_method("headers", |lua, this, ()| header_table(lua, &this.0.head.headers));
        methods.add_method("read", http_request_read);
        methods.add_method("respond", http_request_respond);
        methods.add_method("startStream", http_request_start_stream);
        methods.add_method("write", http_request_write);
        methods.add_method("upgrade", http_request_upgrade);
        // Ends a streamed response (the client sees the last chunk).
        methods.add_method("finish", |_, this, ()| {
            this.0.stream.borrow_mut().take();
            Ok(())
        });
        // The handler has ended: let go of everything that can hold the connection, so its
        // socket closes now rather than when Lua collects this object (an unused upgrade
        // would otherwise receive the socket when the client hangs up, and keep it).
        methods.add_method("release", |_, this, ()| {
            this.0.stream.borrow_mut().take();
            this.0.upgrade.borrow_mut().take();
            this.0.body.borrow_mut().take();
            this.0.unread.take();
            Ok(())
        });
        methods.add_method("responded", |_, this, ()| Ok(this.0.respond.borrow().is_none()));
    }
}
