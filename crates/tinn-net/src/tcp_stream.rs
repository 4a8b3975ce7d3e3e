//! `TcpStream`: a connected TCP socket. Reads go through a buffer so that lines and exact
//! counts can be served from bytes already received without parking the task (the fast path).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::ffi::{c_int, c_void};
use std::future::poll_fn;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use mlua::{IntoLuaMulti, LightUserData, Lua, MultiValue, Result as LuaResult, Table, UserData, UserDataMethods, Value};
use tokio::io::Interest;
use tokio::net::TcpStream;
use tokio::sync::{Mutex, OwnedMutexGuard};
use tokio::task::AbortHandle;

use tinn_reactor::read_buffer::{ReadBuffer, ReadMode};
use tinn_reactor::{Closing, Completion, DrivenOp, Finisher, OpId, Raced, Reactor, ScriptError};
use crate::error::NetError;

pub(crate) struct Stream {
    socket: TcpStream,
    local: SocketAddr,
    remote: SocketAddr,
    buffer: RefCell<ReadBuffer>,
    // Concurrent readers (writers) of one stream take turns in call order, so bytes are never
    // interleaved or handed out of order: reads queue in `parked_reads`, writes that must wait
    // take `write_lock` (FIFO), and a write goes out at once only while none waits.
    parked_reads: RefCell<ParkedReads>,
    write_lock: Arc<Mutex<()>>,
    parked_writes: Cell<usize>,
    closing: Closing,
    // A failure met by a call through the FFI (which cannot build the message), reported by the
    // mlua call the Lua wrapper then makes, so the error the socket gave once is not lost.
    read_error: Cell<Option<NetError>>,
    write_error: Cell<Option<NetError>>,
}

/// What a stream object's handle holds: the stream, none once closed. Shared (an `Rc`) so the
/// FFI functions can be given its address, which stays put while the handle or the Lua side's
/// copy of the address (its own reference, see `addresses`) lives.
type StreamSlot = RefCell<Option<Rc<Stream>>>;

/// The userdata behind a script's stream object; empty once closed.
pub struct TcpStreamHandle(Rc<StreamSlot>);

impl TcpStreamHandle {
    pub(crate) fn new(socket: TcpStream) -> std::io::Result<TcpStreamHandle> {
        // Scripts write whole messages; Nagle's delay only adds latency to request/response.
        socket.set_nodelay(true)?;
        let stream = Stream {
            local: socket.local_addr()?,
            remote: socket.peer_addr()?,
            socket,
            buffer: RefCell::new(ReadBuffer::default()),
            parked_reads: RefCell::new(ParkedReads::default()),
            write_lock: Arc::new(Mutex::new(())),
            parked_writes: Cell::new(0),
            closing: Closing::default(),
            read_error: Cell::new(None),
            write_error: Cell::new(None),
        };
        Ok(TcpStreamHandle(Rc::new(RefCell::new(Some(Rc::new(stream))))))
    }

    fn stream(&self) -> Option<Rc<Stream>> {
        self.0.borrow().clone()
    }
}

impl Stream {
    fn failure(&self, op: &'static str, e: std::io::Error) -> NetError {
        NetError::io(op, self.remote, e)
    }

    /// Pulls what the socket has now into the buffer until `mode` can finish; false means wait.
    fn fill_now(&self, mode: ReadMode) -> Result<bool, NetError> {
        if let Some(e) = self.read_error.take() {
            return Err(e);
        }
        let mut buffer = self.buffer.borrow_mut();
        while !buffer.ready(mode) {
            let mut got = 0;
            // A read that leaves room in the buffer has emptied the socket: the closure then
            // says WouldBlock (after keeping the bytes) so tokio forgets the socket's readiness,
            // as its own poll_read does, and the next read waits for epoll instead of making a
            // recv that can only fail.
            let read = self.socket.try_io(Interest::READABLE, || {
                let spare = buffer.spare();
                let room = spare.capacity() - spare.len();
                got = self.socket.try_read_buf(spare)?;
                if 0 < got && got < room { Err(ErrorKind::WouldBlock.into()) } else { Ok(()) }
            });
            match read {
                Ok(()) if got == 0 => buffer.eof = true,
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock && got > 0 => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(self.failure("read", e)),
            }
        }
        Ok(true)
    }

    /// Reads now when no read waits ahead (`Ok(None)`: the bytes are buffered, for `take`), or
    /// parks the read behind them: `Ok(Some(id))`, the operation to wait on.
    fn read_or_park(self: &Rc<Self>, mode: ReadMode, reactor: &Reactor) -> Result<Option<OpId>, NetError> {
        if self.parked_reads.borrow().waiting.is_empty() && self.fill_now(mode)? {
            return Ok(None);
        }
        let id = reactor.start_driven(Rc::clone(self) as Rc<dyn DrivenOp>);
        let mut reads = self.parked_reads.borrow_mut();
        reads.waiting.push_back((id, mode));
        let wake = match &reads.server {
            None => {
                // the first read that waits starts the stream's server; its first poll serves it
                let server = tokio::task::spawn_local(serve_reads(Rc::downgrade(self), reactor.finisher()));
                reads.server = Some(server.abort_handle());
                None
            }
            // the socket's readiness wakes an armed server anyway; reads behind others wait their turn
            Some(_) if reads.waiting.len() == 1 && !reads.armed => reads.waker.take(),
            Some(_) => None,
        };
        drop(reads);
        if let Some(waker) = wake {
            waker.wake();
        }
        Ok(Some(id))
    }

    /// One turn of the stream's read server: serves parked reads in order while the buffer or
    /// the socket can, then waits for readiness (or, with nothing to serve, a read to park).
    fn serve_reads(self: &Rc<Self>, cx: &mut Context<'_>, finisher: &Finisher) {
        loop {
            let first = {
                let reads = self.parked_reads.borrow();
                if reads.handing_over { None } else { reads.waiting.front().copied() }
            };
            let Some((id, mode)) = first else {
                // Idle: stay registered for the socket's readiness (unless it has some now), so
                // the next read to park needs no wake-up.
                let armed = self.socket.poll_read_ready(cx).is_pending();
                self.rest(cx, armed);
                return;
            };
            if self.closing.is_closed() {
                self.pop_read();
                finisher.finish(id, tinn_reactor::failure(NetError::Closed));
                continue;
            }
            match self.fill_now(mode) {
                Ok(true) => {
                    self.parked_reads.borrow_mut().handing_over = true;
                    finisher.finish(id, hand_over(Rc::clone(self), mode));
                }
                Ok(false) => match self.socket.poll_read_ready(cx) {
                    Poll::Pending => {
                        self.rest(cx, true);
                        return;
                    }
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(e)) => {
                        self.pop_read();
                        finisher.finish(id, tinn_reactor::failure(self.failure("read", e)));
                    }
                },
                Err(e) => {
                    self.pop_read();
                    finisher.finish(id, tinn_reactor::failure(e));
                }
            }
        }
    }

    /// The server waits: `armed` when the socket's readiness will wake it.
    fn rest(&self, cx: &Context<'_>, armed: bool) {
        let mut reads = self.parked_reads.borrow_mut();
        reads.armed = armed;
        if !reads.waker.as_ref().is_some_and(|waker| waker.will_wake(cx.waker())) {
            reads.waker = Some(cx.waker().clone());
        }
    }

    /// The first parked read is done: the next one's turn.
    fn pop_read(&self) {
        let mut reads = self.parked_reads.borrow_mut();
        reads.waiting.pop_front();
        reads.handing_over = false;
    }

    /// Wakes the read server to look again (a read cancelled or handed over, the stream closed).
    fn wake_server(&self) {
        let waker = self.parked_reads.borrow_mut().waker.take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn close(&self) {
        self.closing.close();
        self.wake_server();
    }

    /// The Lua result of a read whose bytes are buffered: a string straight from the buffer,
    /// or nil at end of stream.
    fn take(&self, lua: &Lua, mode: ReadMode) -> LuaResult<MultiValue> {
        match self.buffer.borrow_mut().take(mode, |bytes| lua.create_string(bytes)) {
            Some(Some(string)) => string?.into_lua_multi(lua),
            _ => Value::Nil.into_lua_multi(lua),
        }
    }

    /// Writes what the socket takes now; returns how many bytes went out.
    fn write_now(&self, data: &[u8]) -> Result<usize, NetError> {
        if let Some(e) = self.write_error.take() {
            return Err(e);
        }
        let mut written = 0;
        while written < data.len() {
            match self.socket.try_write(&data[written..]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(self.failure("write", e)),
            }
        }
        Ok(written)
    }

    /// Writes all of `data`, adding to `sent` as bytes go out, so a caller that stops waiting
    /// knows how far it got.
    async fn write_all(&self, data: &[u8], sent: &Cell<usize>) -> Result<(), NetError> {
        let mut written = 0;
        while written < data.len() {
            self.socket.writable().await.map_err(|e| self.failure("write", e))?;
            let n = self.write_now(&data[written..])?;
            written += n;
            sent.set(sent.get() + n);
        }
        Ok(())
    }
}



fn net_stream_read(lua: &Lua, handle: &TcpStreamHandle, (kind, count): (String, Option<usize>)) -> LuaResult<MultiValue> {
    let mode = ReadMode::parse(&kind, count).map_err(mlua::Error::external)?;
    let Some(stream) = handle.stream() else { return NetError::Closed.into_failure(lua) };
    let parked = stream.read_or_park(mode, &*tinn_reactor::reactor(lua)?);
    match parked {
        Ok(None) => stream.take(lua, mode),
        Ok(Some(id)) => (tinn_reactor::pending(), id).into_lua_multi(lua),
        Err(e) => e.into_failure(lua),
    }
}

/// A stream's parked reads, served in call order by one task per stream ([`serve_reads`])
/// rather than a task and a future per read.
#[derive(Default)]
struct ParkedReads {
    waiting: VecDeque<(OpId, ReadMode)>,
    /// The first read's bytes are buffered and its completion is on its way ([`hand_over`]):
    /// the reads behind it wait until that has taken them.
    handing_over: bool,
    /// The server task (none until a read first parks), stopped with the stream.
    server: Option<AbortHandle>,
    /// Wakes the server to look again.
    waker: Option<Waker>,
    /// Whether the socket's next readiness wakes the server anyway.
    armed: bool,
}

/// Serves `stream`'s parked reads while the stream lives (holding no reference to it between
/// turns, so dropping the stream ends it).
async fn serve_reads(stream: Weak<Stream>, finisher: Finisher) {
    poll_fn(|cx| match stream.upgrade() {
        Some(stream) => {
            stream.serve_reads(cx, &finisher);
            Poll::Pending
        }
        None => Poll::Ready(()),
    })
    .await;
}

/// The completion of a parked read whose bytes are buffered: takes them when it runs, straight
/// from the buffer onto the Lua stack. Run or dropped unrun (its read cancelled meanwhile), the
/// next parked read's turn comes then.
fn hand_over(stream: Rc<Stream>, mode: ReadMode) -> Completion {
    let turn = HandOver(stream);
    tinn_reactor::bytes_completion(move |push| {
        turn.0.buffer.borrow_mut().take(mode, push);
    })
}

struct HandOver(Rc<Stream>);

impl Drop for HandOver {
    fn drop(&mut self) {
        self.0.pop_read();
        if !self.0.parked_reads.borrow().waiting.is_empty() {
            self.0.wake_server();
        }
    }
}

impl DrivenOp for Stream {
    fn cancel(&self, id: OpId) {
        let mut reads = self.parked_reads.borrow_mut();
        let Some(at) = reads.waiting.iter().position(|&(waiting, _)| waiting == id) else { return };
        if at == 0 && reads.handing_over {
            return; // its completion is on its way; dropping it ends the turn (HandOver)
        }
        reads.waiting.remove(at);
        drop(reads);
        if at == 0 {
            // the server may have been waiting for more bytes than the next read needs
            self.wake_server();
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        if let Some(server) = self.parked_reads.get_mut().server.take() {
            server.abort();
        }
    }
}

/// `stream:write` → bytes written; nil, "timeout", bytes written when `timeout` expires first.
/// The timeout lives here rather than in the Lua wrapper so the count is known: the script can
/// send the rest (`data:sub(sent + 1)`) and lose nothing. `already_sent` bytes before `data`
/// went out through [`write_now_ffi`]; they count in what the script is told.
fn net_stream_write(lua: &Lua, handle: &TcpStreamHandle, data: &[u8], timeout: Option<Duration>, already_sent: usize) -> LuaResult<MultiValue> {
    let Some(stream) = handle.stream() else { return NetError::Closed.into_failure(lua) };
    let deadline = timeout.and_then(|timeout| tokio::time::Instant::now().checked_add(timeout));
    let total = already_sent + data.len();
    let (first, rest) = if stream.parked_writes.get() == 0 {
        match stream.write_now(data) {
            Ok(n) if already_sent + n == total => return total.into_lua_multi(lua),
            Ok(n) => (already_sent + n, &data[n..]),
            Err(e) => return e.into_failure(lua),
        }
    } else {
        (already_sent, data) // another task's write waits: queue behind it
    };
    // the rest is copied to be written later; a length no allocation can hold is an error, not
    // an abort of the process
    let mut copy = Vec::new();
    if copy.try_reserve_exact(rest.len()).is_err() {
        let error = std::io::Error::new(ErrorKind::OutOfMemory, format!("cannot buffer {} bytes", rest.len()));
        return stream.failure("write", error).into_failure(lua);
    }
    copy.extend_from_slice(rest);
    let rest = copy;
    // Counted from now, so later writes queue; parked writes take the lock in the order they
    // started (the event loop polls new futures in order).
    let parked = ParkedWrite::new(&stream);
    tinn_reactor::start(lua, async move {
        let sent = Cell::new(first);
        let write = async {
            let _parked = parked;
            let _turn: OwnedMutexGuard<()> = Arc::clone(&stream.write_lock).lock_owned().await;
            stream.write_all(&rest, &sent).await
        };
        let timed = async {
            match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, write).await.ok(),
                None => Some(write.await),
            }
        };
        let outcome = stream.closing.race(timed).await;
        let sent = sent.get();
        tinn_reactor::completion(move |lua| match outcome {
            Raced::Done(Some(Ok(()))) => total.into_lua_multi(lua),
            Raced::Done(Some(Err(e))) => e.into_failure(lua),
            Raced::Done(None) => (Value::Nil, "timeout", sent).into_lua_multi(lua),
            Raced::Closed => NetError::Closed.into_failure(lua),
        })
    })
}

/// A write waiting for its turn or for room in the socket, counted in `parked_writes` while it
/// lives.
struct ParkedWrite(Rc<Stream>);

impl ParkedWrite {
    fn new(stream: &Rc<Stream>) -> ParkedWrite {
        stream.parked_writes.set(stream.parked_writes.get() + 1);
        ParkedWrite(Rc::clone(stream))
    }
}

impl Drop for ParkedWrite {
    fn drop(&mut self) {
        self.0.parked_writes.set(self.0.parked_writes.get() - 1);
    }
}

/// A timeout in milliseconds from the Lua wrapper (checked there to be non-negative) as a
/// Duration; one too long for a Duration (or an Instant) never runs out.
fn timeout_arg(ms: Option<f64>) -> Option<Duration> {
    ms.map(|ms| Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX))
}

impl UserData for TcpStreamHandle {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("read", net_stream_read);
        methods.add_method("write", |lua, this, (data, timeout): (mlua::LuaString, Option<f64>)| {
            net_stream_write(lua, this, &data.as_bytes(), timeout_arg(timeout), 0)
        });
        // Writes `len` bytes at `address` (an ffi buffer or string the Lua wrapper passed as an
        // integer), after `alreadySent` bytes `writeNow` wrote.
        methods.add_method("writePointer", |lua, this, (address, len, timeout, already_sent): (usize, usize, Option<f64>, Option<usize>)| {
            if address == 0 && len > 0 {
                return Err(mlua::Error::external("bad argument #1 to 'stream:write' (NULL pointer)"));
            }
            if isize::try_from(len).is_err() {
                return Err(mlua::Error::external(format!("bad argument #2 to 'stream:write' (length {len} is larger than any buffer)")));
            }
            // SAFETY: the script promises `len` readable bytes at `address`, as with any ffi
            // call; the bytes are read (and, if the socket is full, copied) before returning.
            let data = unsafe { std::slice::from_raw_parts(address as *const u8, len) };
            net_stream_write(lua, this, data, timeout_arg(timeout), already_sent.unwrap_or(0))
        });
        methods.add_method("shutdown", |lua, this, ()| {
            let Some(stream) = this.stream() else { return NetError::Closed.into_failure(lua) };
            let socket = socket2::SockRef::from(&stream.socket);
            match socket.shutdown(std::net::Shutdown::Write) {
                Ok(()) => true.into_lua_multi(lua),
                Err(e) => (Value::Nil, stream.failure("shutdown", e).to_string()).into_lua_multi(lua),
            }
        });
        methods.add_method("close", |_, this, ()| {
            if let Some(stream) = this.0.borrow_mut().take() {
                stream.close();
            }
            Ok(())
        });
        methods.add_method("isClosed", |_, this, ()| Ok(this.0.borrow().is_none()));
        // the addresses, and the slot's address for `readNow` and `writeNow`: a strong reference
        // of its own, which the Lua side hands back to `releaseSlot` when it collects the address,
        // so the slot outlives the handle whatever a script does with its stream's fields
        methods.add_method("addresses", |lua, this, ()| match this.stream() {
            Some(s) => {
                let slot = Value::LightUserData(LightUserData(Rc::into_raw(Rc::clone(&this.0)).cast_mut().cast()));
                (s.local.ip().to_string(), s.local.port(), s.remote.ip().to_string(), s.remote.port(), slot).into_lua_multi(lua)
            }
            None => Ok(MultiValue::new()),
        });
    }
}

/// The read kinds `readNow` takes, by number (`ReadMode::parse` names).
const READ_KINDS: [&str; 5] = ["upto", "exactly", "line", "linekeep", "all"];

/// Where `readNow` puts the bytes it read (valid until the stream's buffer is next filled, so
/// the Lua wrapper copies them into a string at once), or the id of the operation it started.
#[repr(C)]
pub struct ReadNow {
    data: *const u8,
    len: usize,
    op: f64,
}

/// `readNow` and `writeNow` say so when the mlua call must do the work: the stream is closed or
/// failed (the mlua call reports it), or there is no reactor.
const NOT_NOW: c_int = -1;

/// `readNow` started an operation: the task parks on it (`awaitOp`).
const PARKED: c_int = 2;

/// `readNow(slot, kind, count, out, reactor)`: `stream:read` through LuaJIT's FFI (no mlua call,
/// no argument conversion): 1 with the bytes in `out` when the buffer or a non-blocking read
/// answers at once, 0 at end of stream, [`PARKED`] with the id of the read it started in `out`,
/// or [`NOT_NOW`].
///
/// # Safety
/// `slot` is null or an address `addresses` gave that `releaseSlot` has not taken back; `out`
/// is writable; `reactor` is null or the Lua state's reactor.
unsafe extern "C" fn read_now(slot: *const StreamSlot, kind: c_int, count: f64, out: *mut ReadNow, reactor: *const Reactor) -> c_int {
    let Some(slot) = (unsafe { slot.as_ref() }) else { return NOT_NOW };
    let Ok(stream) = slot.try_borrow() else { return NOT_NOW };
    let (Some(stream), Some(reactor)) = (stream.as_ref(), unsafe { reactor.as_ref() }) else { return NOT_NOW };
    let kind = usize::try_from(kind).ok().and_then(|kind| READ_KINDS.get(kind));
    // counts no usize holds go the mlua way, which says so
    let count = (0.0..=(1u64 << 53) as f64).contains(&count).then_some(count as usize);
    let Some(Ok(mode)) = kind.map(|kind| ReadMode::parse(kind, count)) else { return NOT_NOW };
    match stream.read_or_park(mode, reactor) {
        Ok(None) => {
            let Ok(mut buffer) = stream.buffer.try_borrow_mut() else { return NOT_NOW };
            // Consuming leaves the bytes where they are (the buffer only moves or reuses them
            // when it is next filled), so the pointer outlives `take`.
            match buffer.take(mode, |bytes| ReadNow { data: bytes.as_ptr(), len: bytes.len(), op: 0.0 }) {
                Some(Some(bytes)) => {
                    unsafe { out.write(bytes) };
                    1
                }
                _ => 0,
            }
        }
        Ok(Some(id)) => {
            unsafe { out.write(ReadNow { data: std::ptr::null(), len: 0, op: id as f64 }) };
            PARKED
        }
        Err(e) => {
            stream.read_error.set(Some(e));
            NOT_NOW
        }
    }
}

/// `writeNow(slot, data, len)`: writes what the socket takes now, through LuaJIT's FFI; returns
/// how many bytes went out (the Lua wrapper hands the rest to `writePointer`), or [`NOT_NOW`]
/// with nothing written.
///
/// # Safety
/// `slot` is null or an address `addresses` gave that `releaseSlot` has not taken back; `data`
/// points to `len` readable bytes.
unsafe extern "C" fn write_now_ffi(slot: *const StreamSlot, data: *const u8, len: usize) -> f64 {
    let not_now = f64::from(NOT_NOW);
    let Some(slot) = (unsafe { slot.as_ref() }) else { return not_now };
    let Ok(stream) = slot.try_borrow() else { return not_now };
    let Some(stream) = stream.as_ref() else { return not_now };
    if data.is_null() || isize::try_from(len).is_err() {
        return not_now;
    }
    if stream.parked_writes.get() > 0 {
        return not_now;
    }
    let data = unsafe { std::slice::from_raw_parts(data, len) };
    match stream.write_now(data) {
        Ok(n) => n as f64,
        Err(e) => {
            stream.write_error.set(Some(e));
            not_now
        }
    }
}

/// Adds `readNow` and `writeNow` (addresses for LuaJIT's FFI) and `reactor` (the address of
/// the state's reactor, which lives as long as the state) to the module's native table.
pub(crate) fn add_ffi_functions(lua: &Lua, native: &Table) -> LuaResult<()> {
    let pointer = |address: *const c_void| Value::LightUserData(LightUserData(address.cast_mut()));
    let reactor = lua.app_data_ref::<Reactor>().map_or(std::ptr::null(), |reactor| std::ptr::from_ref::<Reactor>(&reactor));
    native.set("reactor", pointer(reactor.cast()))?;
    let read: unsafe extern "C" fn(*const StreamSlot, c_int, f64, *mut ReadNow, *const Reactor) -> c_int = read_now;
    native.set("readNow", pointer(read as *const c_void))?;
    let write: unsafe extern "C" fn(*const StreamSlot, *const u8, usize) -> f64 = write_now_ffi;
    native.set("writeNow", pointer(write as *const c_void))?;
    let release: unsafe extern "C" fn(*const StreamSlot) = release_slot;
    native.set("releaseSlot", pointer(release as *const c_void))
}

/// `releaseSlot(slot)`: drops the reference `addresses` gave with `slot` (the finalizer of the
/// Lua side's copy of the address).
///
/// # Safety
/// `slot` is null or an address `addresses` gave, released once.
unsafe extern "C" fn release_slot(slot: *const StreamSlot) {
    if !slot.is_null() {
        drop(unsafe { Rc::from_raw(slot) });
    }
}
