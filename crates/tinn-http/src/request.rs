//! `Requests`: the HTTP requests handed to Lua, and the way their responses go back. Lua holds
//! a request as an integer id (no userdata per request); the request line comes over with it
//! (`nextRequests`), the peer, version, headers and body only when the handler asks, through
//! the `request*` functions of the native module, which take the id first.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Either, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{HeaderMap, StatusCode};
use std::ffi::{c_int, c_void, CStr};

use mlua::ffi;
use mlua::{FromLuaMulti, IntoLuaMulti, Lua, MultiValue, Result as LuaResult, Table, Value};
use tokio::sync::mpsc;

use tinn_reactor::ScriptError;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::WebSocketStream;

use crate::body::ChannelBody;
use crate::compress;
use crate::error::HttpError;
use crate::websocket::{Io, WebSocketHandle};
use crate::server::Reply;

/// One request, from the moment hyper has parsed it until its handler ends and the connection
/// has taken the response: one allocation, shared by the connection (waiting on `reply`), the
/// server's queue and then the [`Requests`] slab (through a [`Handled`]).
pub(crate) struct RequestState {
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
    reply: Reply,
    stream: RefCell<Option<mpsc::Sender<Bytes>>>,
    /// The headers `res:header` has set, as given (checked when the response is sent): the
    /// copy `respondPlain` sends without reading the Lua table.
    headers_set: RefCell<Vec<(Vec<u8>, Vec<u8>)>>,
}

/// The handler's side of a request (in the server's queue, then in the slab). Dropped before a
/// response was sent, it tells the connection that none comes.
pub(crate) struct Handled(Rc<RequestState>);

impl Handled {
    pub(crate) fn new(request: Rc<RequestState>) -> Handled {
        Handled(request)
    }
}

impl Drop for Handled {
    fn drop(&mut self) {
        self.0.reply.abandon();
    }
}

/// A request's id as Lua holds it: the slot's generation above [`SLOT_BITS`] bits of slot
/// index. Generations wrap below 2^20, so ids stay exact as Lua numbers (doubles).
pub(crate) type RequestId = u64;
const SLOT_BITS: u32 = 32;
const GENERATIONS: u32 = 1 << 20;

#[derive(Default)]
struct Slot {
    generation: u32,
    request: Option<Handled>,
}

/// The requests handed to Lua whose handlers have not ended, by id; one per Lua state. An id
/// kept past its handler's end finds nothing (its slot's generation moved on), never a newer
/// request in the same slot.
#[derive(Default)]
pub(crate) struct Requests {
    slots: RefCell<Vec<Slot>>,
    free: RefCell<Vec<u32>>,
}

impl Requests {
    /// Takes in a request the server has queued; Lua holds it by the id returned.
    pub(crate) fn insert(&self, request: Handled) -> (RequestId, Rc<RequestState>) {
        let state = Rc::clone(&request.0);
        let mut slots = self.slots.borrow_mut();
        let index = match self.free.borrow_mut().pop() {
            Some(index) => index as usize,
            None => {
                slots.push(Slot::default());
                slots.len() - 1
            }
        };
        let slot = &mut slots[index];
        slot.request = Some(request);
        (RequestId::from(slot.generation) << SLOT_BITS | index as RequestId, state)
    }

    fn get(&self, id: RequestId) -> Option<Rc<RequestState>> {
        let (index, generation) = Self::split(id);
        let slots = self.slots.borrow();
        let slot = slots.get(index)?;
        (slot.generation == generation).then(|| slot.request.as_ref().map(|request| Rc::clone(&request.0))).flatten()
    }

    /// Ends a request: its slot is free for the next one, and this id finds nothing from now on.
    fn remove(&self, id: RequestId) -> Option<Handled> {
        let (index, generation) = Self::split(id);
        let mut slots = self.slots.borrow_mut();
        let slot = slots.get_mut(index).filter(|slot| slot.generation == generation)?;
        let request = slot.request.take()?;
        slot.generation = (slot.generation + 1) % GENERATIONS;
        self.free.borrow_mut().push(index as u32);
        Some(request)
    }

    fn split(id: RequestId) -> (usize, u32) {
        let index = usize::try_from(id & ((1 << SLOT_BITS) - 1)).unwrap_or(usize::MAX);
        (index, u32::try_from(id >> SLOT_BITS).unwrap_or(u32::MAX))
    }
}

/// Lua's `{name = value}` headers as a HeaderMap; the error names the offending header.
pub(crate) fn header_map(headers: Option<Table>) -> Result<HeaderMap, HttpError> {
    let mut map = HeaderMap::new();
    let Some(headers) = headers else { return Ok(map) };
    for pair in headers.pairs::<mlua::LuaString, mlua::LuaString>() {
        let Ok((name, value)) = pair else { return Err(HttpError::HeadersNotStrings(not_a_string(&headers))) };
        append_header(&mut map, &name.as_bytes(), &value.as_bytes())?;
    }
    Ok(map)
}

fn append_header(map: &mut HeaderMap, name: &[u8], value: &[u8]) -> Result<(), HttpError> {
    let header = HeaderName::from_bytes(name).map_err(|_| HttpError::InvalidHeaderName(String::from_utf8_lossy(name).into_owned()))?;
    let value = HeaderValue::from_bytes(value).map_err(|_| HttpError::InvalidHeaderValue(header.to_string()))?;
    map.append(header, value);
    Ok(())
}

/// The string at stack `index`, a number converted in place (as mlua's path accepts), or None.
///
/// # Safety
/// `index` is a valid index of `state`'s stack, not a key lua_next still needs when it holds a
/// number; the bytes live as long as the value stays there.
unsafe fn string_at<'a>(state: *mut ffi::lua_State, index: c_int) -> Option<&'a [u8]> {
    unsafe {
        let kind = ffi::lua_type(state, index);
        if kind != ffi::LUA_TSTRING && kind != ffi::LUA_TNUMBER {
            return None;
        }
        let mut len = 0;
        let ptr = ffi::lua_tolstring(state, index, &mut len);
        Some(std::slice::from_raw_parts(ptr.cast::<u8>(), len))
    }
}

/// Appends the `{name = value}` headers table at stack `index` to `map`, read through the C API.
///
/// # Safety
/// `index` is a table on `state`'s stack, an absolute index, with two free slots above the top.
unsafe fn append_headers_at(state: *mut ffi::lua_State, index: c_int, map: &mut HeaderMap) -> Result<(), HttpError> {
    unsafe {
        ffi::lua_pushnil(state);
        while ffi::lua_next(state, index) != 0 {
            let name = if ffi::lua_type(state, -2) == ffi::LUA_TSTRING { string_at(state, -2) } else { None };
            let (Some(name), Some(value)) = (name, string_at(state, -1)) else {
                let kind = |at| CStr::from_ptr(ffi::lua_typename(state, ffi::lua_type(state, at))).to_string_lossy().into_owned();
                return Err(HttpError::HeadersNotStrings(match name {
                    Some(name) => format!("header '{}' is a {}", String::from_utf8_lossy(name), kind(-1)),
                    None => format!("a {} key", kind(-2)),
                }));
            };
            append_header(map, name, value)?;
            ffi::lua_settop(state, -2); // the value; the key stays for lua_next
        }
    }
    Ok(())
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
    StatusCode::from_u16(status).map_err(|_| HttpError::InvalidStatus(status.into()))
}

/// The status a script gave `respond`, as a number and as a code.
fn checked_status(status: i64) -> Result<(u16, StatusCode), HttpError> {
    let number = u16::try_from(status).map_err(|_| HttpError::InvalidStatus(status))?;
    Ok((number, status_code(number)?))
}

impl RequestState {
    pub(crate) fn head(&self) -> &hyper::http::request::Parts {
        &self.head
    }

    /// A request hyper has parsed, as the connection and the handler share it.
    pub(crate) fn arrive(request: hyper::Request<Incoming>, peer: SocketAddr, body_timeout: Duration) -> Rc<RequestState> {
        let (mut head, body) = request.into_parts();
        let upgrade = head.extensions.remove::<hyper::upgrade::OnUpgrade>();
        Rc::new(RequestState {
            head,
            peer,
            body: RefCell::new(Some(body)),
            unread: RefCell::default(),
            body_timeout,
            upgrade: RefCell::new(upgrade),
            reply: Reply::new(),
            stream: RefCell::new(None),
            headers_set: RefCell::default(),
        })
    }

    pub(crate) fn reply(&self) -> &Reply {
        &self.reply
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
fn http_request_read(lua: &Lua, this: &Rc<RequestState>, (whole, max): (bool, usize)) -> LuaResult<MultiValue> {
    let state = Rc::clone(this);
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

/// `requestRespond(id, status, headers, body, compress)` → true | nil, err: sends the whole
/// response. It runs for every request, so it is a raw C function (its upvalue: the
/// [`Requests`]): mlua's argument and result conversion cost ~700 instructions a call, more
/// than the work. It raises nothing while Rust values are alive but the failure's message.
///
/// # Safety
/// Called by Lua only, as a C closure made by [`raw_function`].
unsafe extern "C-unwind" fn request_respond(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let requests = &*ffi::lua_touserdata(state, ffi::lua_upvalueindex(1)).cast::<Requests>();
        ffi::lua_settop(state, 5);
        match respond_from_stack(state, requests) {
            Ok(()) => {
                ffi::lua_pushboolean(state, 1);
                1
            }
            Err(err) => push_failure(state, &err.to_string()),
        }
    }
}

/// Pushes `nil, message`; returns the number of values pushed.
///
/// # Safety
/// `state` is the stack of a running C function, with two free slots.
unsafe fn push_failure(state: *mut ffi::lua_State, message: &str) -> c_int {
    unsafe {
        ffi::lua_pushnil(state);
        ffi::lua_pushlstring(state, message.as_ptr().cast(), message.len());
    }
    2
}

/// # Safety
/// `state` holds `request_respond`'s five arguments at 1..=5 and has free slots above them.
unsafe fn respond_from_stack(state: *mut ffi::lua_State, requests: &Requests) -> Result<(), HttpError> {
    let headers = |map: &mut HeaderMap| match unsafe { ffi::lua_type(state, 3) } {
        ffi::LUA_TTABLE => unsafe { append_headers_at(state, 3, map) },
        _ => Ok(()),
    };
    unsafe {
        let body = string_at(state, 4).unwrap_or_default();
        respond(requests, ffi::lua_tonumber(state, 1), ffi::lua_tointeger(state, 2), headers, body, ffi::lua_toboolean(state, 5) != 0)
    }
}

/// `respondPlain(requests, id, status, body, length, compress, withHeadersSet)` → 1, or 0 when
/// it failed (`requestRespond` then says why): [`request_respond`] called through LuaJIT's FFI,
/// with no headers or those `res:header` set, so the trace that runs a handler goes on through
/// it (a call to a C function ends the trace, and the rest of the handler runs interpreted).
///
/// # Safety
/// `requests` is the module's [`Requests`]; `body` is null or points to `length` bytes.
unsafe extern "C" fn respond_plain(
    requests: *const Requests,
    id: f64,
    status: c_int,
    body: *const u8,
    length: usize,
    compress: c_int,
    with_headers_set: c_int,
) -> c_int {
    let body = if body.is_null() { &[][..] } else { unsafe { std::slice::from_raw_parts(body, length) } };
    let requests = unsafe { &*requests };
    let headers = |map: &mut HeaderMap| {
        if with_headers_set != 0 {
            let this = requests.get(id as RequestId).ok_or(HttpError::AlreadySent)?;
            for (name, value) in this.headers_set.borrow().iter() {
                append_header(map, name, value)?;
            }
        }
        Ok(())
    };
    c_int::from(respond(requests, id, i64::from(status), headers, body, compress != 0).is_ok())
}

/// `setHeader(requests, id, fresh, name, nameLength, value, valueLength)`: what `res:header`
/// sets, kept for [`respond_plain`]; a header of the same name is replaced, `fresh` forgets
/// those set before.
///
/// # Safety
/// `requests` is the module's [`Requests`]; `name` and `value` point to as many bytes as said.
unsafe extern "C" fn set_header(requests: *const Requests, id: f64, fresh: c_int, name: *const u8, name_length: usize, value: *const u8, value_length: usize) {
    let requests = unsafe { &*requests };
    let Some(this) = requests.get(id as RequestId) else { return };
    let (name, value) = unsafe { (std::slice::from_raw_parts(name, name_length), std::slice::from_raw_parts(value, value_length)) };
    let mut headers = this.headers_set.borrow_mut();
    if fresh != 0 {
        headers.clear();
    }
    match headers.iter_mut().find(|(set, _)| set.as_slice() == name) {
        Some((_, old)) => *old = value.to_vec(),
        None => headers.push((name.to_vec(), value.to_vec())),
    }
}

/// Sends request `id`'s whole response, built in place: `headers` appends the headers to it.
fn respond(
    requests: &Requests,
    id: f64,
    status: i64,
    headers: impl FnOnce(&mut HeaderMap) -> Result<(), HttpError>,
    body: &[u8],
    compress: bool,
) -> Result<(), HttpError> {
    // the wrapper passes the id it was given and a checked status; anything else finds nothing
    // or fails as an invalid status
    let this = requests.get(id as RequestId);
    let Some(this) = this.as_ref().filter(|this| !this.reply.is_over()) else {
        // Nothing can be sent: the failure is the first the checks meet (headers, then the
        // status of a request still held, then that it was answered or let go).
        headers(&mut HeaderMap::new())?;
        if this.is_some() {
            checked_status(status)?;
        }
        return Err(HttpError::AlreadySent);
    };
    this.reply.send(|response| {
        headers(response.headers_mut())?;
        let (status, code) = checked_status(status)?;
        *response.status_mut() = code;
        let coding = this.coding(Some(compress)).filter(|_| compress::should_compress(status, response.headers(), Some(body.len())));
        let bytes = match coding {
            Some(coding) => match compress::encode(body, coding) {
                Ok(encoded) => {
                    compress::mark_encoded(response.headers_mut(), coding);
                    encoded
                }
                // compressing into memory does not fail; if it did, send the original
                Err(_) => Bytes::copy_from_slice(body),
            },
            None => Bytes::copy_from_slice(body),
        };
        *response.body_mut() = Either::Left(Full::new(bytes));
        Ok(())
    })
}

/// `release(requests, id)`: the handler has ended. Its request is let go with everything that
/// can hold the connection (an unused upgrade would otherwise receive the socket when the
/// client hangs up, and keep it), so the socket closes now. Called through the FFI, as
/// [`respond_plain`].
///
/// # Safety
/// `requests` is the module's [`Requests`].
unsafe extern "C" fn release(requests: *const Requests, id: f64) {
    let requests = unsafe { &*requests };
    if let Some(Handled(this)) = requests.remove(id as RequestId).as_ref() {
        this.stream.borrow_mut().take();
        this.upgrade.borrow_mut().take();
        this.body.borrow_mut().take();
        this.unread.take();
    }
}

/// A C closure over `requests` (a light userdata: the module keeps the [`Requests`] alive in
/// the Lua state's app data for as long as the state lives).
fn raw_function(lua: &Lua, requests: &Rc<Requests>, function: ffi::lua_CFunction) -> LuaResult<mlua::Function> {
    let pointer = Rc::as_ptr(requests).cast_mut().cast::<c_void>();
    // SAFETY: pushes one value, the closure, which exec_raw returns
    unsafe {
        lua.exec_raw((), |state| {
            ffi::lua_pushlightuserdata(state, pointer);
            ffi::lua_pushcclosure(state, function, 1);
        })
    }
}

fn http_request_start_stream(lua: &Lua, this: &Rc<RequestState>, (status, headers, compress): (u16, Option<Table>, Option<bool>)) -> LuaResult<MultiValue> {
    let (code, mut headers) = match status_code(status).and_then(|code| Ok((code, header_map(headers)?))) {
        Ok(head) => head,
        Err(err) => return err.into_failure(lua),
    };
    let coding = this.coding(compress).filter(|_| compress::should_compress(status, &headers, None));
    if let Some(coding) = coding {
        compress::mark_encoded(&mut headers, coding);
    }
    let (sender, body) = ChannelBody::new(coding);
    let sent = this.reply.send(|response| {
        *response.status_mut() = code;
        *response.headers_mut() = headers;
        *response.body_mut() = Either::Right(body);
        Ok(())
    });
    match sent {
        Ok(()) => {
            *this.stream.borrow_mut() = Some(sender);
            true.into_lua_multi(lua)
        }
        Err(err) => err.into_failure(lua),
    }
}

/// Queues a chunk of a streamed response; waits (the task, not the loop) while the client is
/// slower than the handler.
fn http_request_write(lua: &Lua, this: &Rc<RequestState>, chunk: mlua::LuaString) -> LuaResult<MultiValue> {
    let Some(sender) = this.stream.borrow().clone() else {
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
fn http_request_upgrade(lua: &Lua, this: &Rc<RequestState>, (): ()) -> LuaResult<MultiValue> {
    if this.head.version == hyper::Version::HTTP_2 {
        return HttpError::NotUpgradable("WebSocket over HTTP/2 (RFC 8441) is not supported: the client must connect over HTTP/1.1").into_failure(lua);
    }
    let headers = &this.head.headers;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !header("upgrade").eq_ignore_ascii_case("websocket") || header("sec-websocket-version") != "13" {
        return HttpError::NotUpgradable("not a WebSocket handshake (needs upgrade: websocket and sec-websocket-version: 13)").into_failure(lua);
    }
    let key = header("sec-websocket-key");
    if key.is_empty() {
        return HttpError::NotUpgradable("not a WebSocket handshake (no sec-websocket-key)").into_failure(lua);
    }
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    let Some(on_upgrade) = this.upgrade.borrow_mut().take() else {
        return HttpError::NotUpgradable("the connection cannot be upgraded").into_failure(lua);
    };
    let mut response_headers = HeaderMap::new();
    response_headers.insert(hyper::header::UPGRADE, HeaderValue::from_static("websocket"));
    response_headers.insert(hyper::header::CONNECTION, HeaderValue::from_static("Upgrade"));
    match HeaderValue::from_str(&accept) {
        Ok(value) => response_headers.insert(hyper::header::SEC_WEBSOCKET_ACCEPT, value),
        Err(_) => return HttpError::NotUpgradable("websocket: bad accept key").into_failure(lua),
    };
    let sent = this.reply.send(|response| {
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        *response.headers_mut() = response_headers;
        Ok(())
    });
    if let Err(err) = sent {
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

/// Adds the `request*` functions to the native module. Each takes a request id first; on an
/// id whose handler has ended it does what `over` says.
pub(crate) fn add_functions(lua: &Lua, native: &Table, requests: &Rc<Requests>) -> LuaResult<()> {
    let sent = |lua: &Lua| HttpError::AlreadySent.into_failure(lua);
    let over = |lua: &Lua| HttpError::RequestOver.into_failure(lua);
    let nothing = |_: &Lua| Ok(MultiValue::new());
    add_function(lua, native, requests, "requestRemote", |lua, this, ()| (this.peer.ip().to_string(), this.peer.port()).into_lua_multi(lua), over)?;
    add_function(lua, native, requests, "requestVersion", |lua, this, ()| format!("{:?}", this.head.version).into_lua_multi(lua), over)?;
    add_function(lua, native, requests, "requestHeaders", |lua, this, ()| header_table(lua, &this.head.headers)?.into_lua_multi(lua), over)?;
    add_function(lua, native, requests, "requestRead", http_request_read, over)?;
    native.set("requestRespond", raw_function(lua, requests, request_respond)?)?;
    add_function(lua, native, requests, "requestStartStream", http_request_start_stream, sent)?;
    add_function(lua, native, requests, "requestWrite", http_request_write, over)?;
    add_function(lua, native, requests, "requestUpgrade", http_request_upgrade, sent)?;
    // Ends a streamed response (the client sees the last chunk).
    add_function(lua, native, requests, "requestFinish", |_, this, ()| {
        this.stream.borrow_mut().take();
        Ok(MultiValue::new())
    }, nothing)?;
    add_function(lua, native, requests, "requestResponded", |lua, this, ()| this.reply.is_over().into_lua_multi(lua), |lua| true.into_lua_multi(lua))?;
    // for the FFI: the Requests and the functions taking them, as addresses
    let pointer = |address: *const c_void| Value::LightUserData(mlua::LightUserData(address.cast_mut()));
    native.set("requests", pointer(Rc::as_ptr(requests).cast()))?;
    let respond_plain: unsafe extern "C" fn(*const Requests, f64, c_int, *const u8, usize, c_int, c_int) -> c_int = respond_plain;
    native.set("respondPlain", pointer(respond_plain as *const c_void))?;
    let set_header: unsafe extern "C" fn(*const Requests, f64, c_int, *const u8, usize, *const u8, usize) = set_header;
    native.set("setHeader", pointer(set_header as *const c_void))?;
    let release: unsafe extern "C" fn(*const Requests, f64) = release;
    native.set("release", pointer(release as *const c_void))?;
    // what the raw and FFI functions point to lives as long as the Lua state
    lua.set_app_data(Rc::clone(requests));
    Ok(())
}

type RequestFunction<A> = fn(&Lua, &Rc<RequestState>, A) -> LuaResult<MultiValue>;

fn add_function<A: FromLuaMulti + 'static>(
    lua: &Lua,
    native: &Table,
    requests: &Rc<Requests>,
    name: &str,
    function: RequestFunction<A>,
    over: fn(&Lua) -> LuaResult<MultiValue>,
) -> LuaResult<()> {
    let requests = Rc::clone(requests);
    native.set(name, lua.create_function(move |lua, (id, args): (RequestId, A)| match requests.get(id) {
        Some(this) => function(lua, &this, args),
        None => over(lua),
    })?)
}
