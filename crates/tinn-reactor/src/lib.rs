//! The seam between tinn's Lua scheduler and IO done in Rust (DESIGN.md §5).
//!
//! A native function that may have to wait does not block and does not use mlua's async
//! functions. It either finishes at once and returns its results (the fast path), or it calls
//! [`start`] with a future and returns what `start` returns: the [`pending`] marker and an
//! operation id. The Lua wrapper parks the calling task on that id
//! (`require("tinn.reactor").awaitOp(id, timeoutMs)`); parked tasks live in a Lua table, so
//! Rust holds ids, never one Lua handle per task. That Lua half is `lua/tinn/reactor.lua`.
//!
//! Each future runs on the thread's tokio `LocalSet`. When it finishes, its [`Completion`]
//! (a closure that turns the Rust result into Lua values on the Lua thread) is queued; the
//! event loop in `tinn-runtime` owns the queue ([`Completions`]), drains it and hands every
//! completion back to Lua in one call. Cancelling an operation (timeout, task cancelled,
//! socket closed) drops its future at once, with whatever it held, before the cancelling task
//! goes on. A future that panics (a bug in tinn) does not take its task down with it silently:
//! the panic is caught and the task gets `nil, "internal error in <operation>: <panic>"`.
//! An owner that serves many operations from one task of its own (a TCP stream's parked reads)
//! registers each with [`Reactor::start_driven`] instead: no task, future or box per operation.
//!
//! ```ignore
//! fn net_read(lua: &Lua, stream: &Stream) -> LuaResult<LuaMultiValue> {
//!     if let Some(bytes) = stream.try_read_now()? { return bytes.into_lua_multi(lua); }
//!     let stream = stream.clone();
//!     tinn_reactor::start(lua, async move {
//!         let result = stream.read().await;
//!         tinn_reactor::completion(move |lua| result.into_lua_multi(lua))
//!     })
//! }
//! ```

pub mod read_buffer;
mod script_error;

pub use script_error::ScriptError;
#[doc(hidden)]
pub use mlua as __mlua;

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::panic::AssertUnwindSafe;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::Poll;

use rustc_hash::FxHashMap;
use mlua::{IntoLuaMulti, LightUserData, Lua, MultiValue, Result as LuaResult, Value};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::Notify;
use tokio::task::AbortHandle;

/// Identifies one pending operation; unique for the life of a Lua state.
pub type OpId = u64;

/// Makes the Lua values of a [`Completion::Values`].
pub type MakeValues = Box<dyn FnOnce(&Lua) -> LuaResult<MultiValue>>;

/// Hands the bytes of a [`Completion::Bytes`] to the function it is given (or does not call
/// it, for nil), which puts them on the Lua stack itself.
pub type PushBytes = Box<dyn FnOnce(&mut dyn FnMut(&[u8]))>;

/// Turns an operation's Rust result into the Lua values its waiting task receives.
pub enum Completion {
    /// Values made through mlua ([`completion`]).
    Values(MakeValues),
    /// One string, or nil ([`bytes_completion`]).
    Bytes(PushBytes),
}

/// Wraps a closure as a [`Completion`].
pub fn completion(f: impl FnOnce(&Lua) -> LuaResult<MultiValue> + 'static) -> Completion {
    Completion::Values(Box::new(f))
}

/// The completion of an operation whose result is one string or nil (a read), made without
/// an mlua value: `f` hands the bytes, if any, to the function it is given.
pub fn bytes_completion(f: impl FnOnce(&mut dyn FnMut(&[u8])) + 'static) -> Completion {
    Completion::Bytes(Box::new(f))
}

/// A completion that hands the task `nil, message`, the IO failure convention of DESIGN.md §3;
/// `message` is text or a crate's [`ScriptError`].
pub fn failure(message: impl std::fmt::Display) -> Completion {
    let message = message.to_string();
    completion(move |lua| (Value::Nil, message).into_lua_multi(lua))
}

/// The marker a native function returns (before the op id) when the caller must park.
static PENDING_MARKER: u8 = 0;

/// The Lua value of the pending marker (a light userdata unique to tinn).
pub fn pending() -> Value {
    Value::LightUserData(LightUserData(std::ptr::addr_of!(PENDING_MARKER) as *mut _))
}

/// An operation's future, shared by its tokio task (which polls it) and the reactor (which
/// drops it when the operation is cancelled).
type OpSlot = Rc<RefCell<Option<Pin<Box<dyn Future<Output = Completion>>>>>>;

/// How soon an operation's result is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Whenever: sockets, files, timers, other processes.
    Whenever,
    /// Within microseconds, from another thread (a worker's reply, room in a worker's queue).
    /// While such an operation is pending the event loop spins briefly before it sleeps: waking
    /// a sleeping thread costs tens of microseconds, more than the reply takes.
    Soon,
}

/// The owner of an operation it drives itself, without a future of its own (a stream serving
/// its parked reads from one task): it hands the result to [`Finisher::finish`].
pub trait DrivenOp {
    /// The task waiting on `id` stopped waiting: forget the operation now, as dropping a
    /// future would, and never finish it.
    fn cancel(&self, id: OpId);
}

/// What runs a started operation.
enum Work {
    /// A spawned future, shared with its tokio task.
    Future { task: AbortHandle, future: OpSlot },
    /// An owner that drives it ([`Reactor::start_driven`]).
    Driven(Rc<dyn DrivenOp>),
}

/// What the reactor holds of a started operation.
struct PendingOp {
    work: Work,
    expect: Expect,
}

impl PendingOp {
    /// Stops the operation and drops its future now, not at the executor's next turn, so what
    /// it held (a message taken off a queue, bytes waiting to be sent) is back in place before
    /// the cancelling task goes on.
    fn cancel(self, id: OpId) {
        match self.work {
            Work::Future { task, future } => {
                task.abort();
                let future = future.try_borrow_mut().ok().and_then(|mut slot| slot.take());
                drop(future);
            }
            Work::Driven(owner) => owner.cancel(id),
        }
    }
}

/// Hands the results of driven operations to the event loop; see [`Reactor::finisher`].
#[derive(Clone)]
pub struct Finisher(UnboundedSender<(OpId, Completion)>);

impl Finisher {
    /// Queues `done` as the result of operation `id`; dropped unread if `id` was cancelled.
    pub fn finish(&self, id: OpId, done: Completion) {
        // The receiver lives as long as the Lua state; a send error means it is shutting down.
        let _ = self.0.send((id, done));
    }
}

/// Per-Lua-state registry of pending operations; lives in the Lua state's app data.
pub struct Reactor {
    next_id: Cell<OpId>,
    pending: RefCell<FxHashMap<OpId, PendingOp>>,
    /// How many pending operations expect their result soon.
    soon: Cell<usize>,
    completed_tx: UnboundedSender<(OpId, Completion)>,
}

/// The queue of finished operations, owned by the event loop.
pub struct Completions {
    completed_rx: UnboundedReceiver<(OpId, Completion)>,
}

impl Reactor {
    /// Installs a fresh reactor in `lua`'s app data; the event loop keeps the returned queue.
    pub fn install(lua: &Lua) -> Completions {
        let (completed_tx, completed_rx) = unbounded_channel();
        lua.set_app_data(Reactor {
            next_id: Cell::new(0),
            pending: RefCell::new(FxHashMap::default()),
            soon: Cell::new(0),
            completed_tx,
        });
        Completions { completed_rx }
    }

    /// Number of operations started and not yet handed back or cancelled. While it is non-zero
    /// the program has IO in flight and must not exit.
    pub fn in_flight(&self) -> usize {
        self.pending.borrow().len()
    }

    /// `true` while some pending operation expects its result within microseconds
    /// ([`Expect::Soon`]): the event loop then spins a little before it sleeps.
    pub fn expects_soon(&self) -> bool {
        self.soon.get() > 0
    }

    /// Takes operation `id` out of the pending set.
    fn remove(&self, id: OpId) -> Option<PendingOp> {
        let op = self.pending.borrow_mut().remove(&id)?;
        if op.expect == Expect::Soon {
            self.soon.set(self.soon.get() - 1);
        }
        Some(op)
    }

    /// Aborts an operation: its future is dropped now. If it had already finished, its completion
    /// still waits in the channel; [`Completions::take`] drops it there (the op is no longer
    /// pending), so Lua never sees the result of a cancelled operation.
    pub fn cancel(&self, id: OpId) {
        // Out of the map before dropping: the future's drop may start or cancel other ops.
        if let Some(op) = self.remove(id) {
            op.cancel(id);
        }
    }

    /// Aborts every pending operation (used at exit).
    pub fn cancel_all(&self) {
        let ops: Vec<(OpId, PendingOp)> = self.pending.borrow_mut().drain().collect();
        self.soon.set(0);
        for (id, op) in ops {
            op.cancel(id);
        }
    }

    // An op cancelled after it finished has left `pending`; its result goes nowhere.
    fn accept(&self, (id, done): (OpId, Completion), into: &mut Vec<(OpId, Completion)>) {
        if self.remove(id).is_some() {
            into.push((id, done));
        }
    }

    /// Starts `op` as [`start`] does, for a caller that holds the reactor rather than the Lua
    /// state (a function called through LuaJIT's FFI); returns its id, for `awaitOp`.
    pub fn start_op<F>(&self, op: F) -> OpId
    where
        F: Future<Output = Completion> + 'static,
    {
        self.start(Expect::Whenever, op)
    }

    /// Registers an operation `owner` drives (no future, no task of its own): the owner hands
    /// its result to a [`Finisher`], and `owner.cancel(id)` runs if the waiting task stops
    /// waiting first. Returns its id, for `awaitOp`.
    pub fn start_driven(&self, owner: Rc<dyn DrivenOp>) -> OpId {
        let id = self.next_op_id();
        self.pending.borrow_mut().insert(id, PendingOp { work: Work::Driven(owner), expect: Expect::Whenever });
        id
    }

    /// What hands a driven operation's result back.
    pub fn finisher(&self) -> Finisher {
        Finisher(self.completed_tx.clone())
    }

    fn next_op_id(&self) -> OpId {
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        id
    }

    fn start<F>(&self, expect: Expect, op: F) -> OpId
    where
        F: Future<Output = Completion> + 'static,
    {
        let id = self.next_op_id();
        let finisher = self.finisher();
        let future: OpSlot = Rc::new(RefCell::new(Some(Box::pin(op))));
        let polled = Rc::clone(&future);
        let task = tokio::task::spawn_local(async move {
            let done = poll_fn(|cx| {
                let mut slot = polled.borrow_mut();
                let Some(op) = slot.as_mut() else { return Poll::Ready(None) };
                // The LocalSet would swallow a panic and leave the task parked forever.
                match std::panic::catch_unwind(AssertUnwindSafe(|| op.as_mut().poll(cx))) {
                    Ok(poll) => poll.map(Some),
                    Err(panic) => {
                        *slot = None;
                        Poll::Ready(Some(failure(panic_message(operation_name::<F>(), &*panic))))
                    }
                }
            })
            .await;
            if let Some(done) = done {
                finisher.finish(id, done);
            }
        });
        if expect == Expect::Soon {
            self.soon.set(self.soon.get() + 1);
        }
        self.pending.borrow_mut().insert(id, PendingOp { work: Work::Future { task: task.abort_handle(), future }, expect });
        id
    }
}

/// The operation a future type implements, from its Rust path: `tinn_net::tcp_stream::read`
/// for `tinn_net::tcp_stream::read::{{closure}}`.
fn operation_name<F>() -> &'static str {
    let mut name = std::any::type_name::<F>();
    while let Some(outer) = name.strip_suffix("::{{closure}}") {
        name = outer;
    }
    name
}

/// What a task receives when its operation's future panicked.
fn panic_message(operation: &str, panic: &(dyn std::any::Any + Send)) -> String {
    let reason = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    format!("internal error in {operation}: {reason} (a bug in tinn; please report it)")
}

impl Completions {
    /// Waits until at least one operation completes, then takes every completed one.
    pub async fn wait(&mut self, reactor: &Reactor, into: &mut Vec<(OpId, Completion)>) {
        if let Some(done) = self.completed_rx.recv().await {
            reactor.accept(done, into);
        }
        self.take(reactor, into);
    }

    /// Takes every operation that has completed, without waiting.
    pub fn take(&mut self, reactor: &Reactor, into: &mut Vec<(OpId, Completion)>) {
        while let Ok(done) = self.completed_rx.try_recv() {
            reactor.accept(done, into);
        }
    }
}

/// A closed flag for a handle (socket, server) that wakes every operation pending on it, so they
/// can finish with `nil, "closed"` at once.
#[derive(Default)]
pub struct Closing {
    closed: Cell<bool>,
    notify: Notify,
}

/// The outcome of an operation raced against `close()`.
pub enum Raced<T> {
    /// The operation finished first.
    Done(T),
    /// The handle was closed first; the operation was dropped.
    Closed,
}

impl Closing {
    /// Marks the handle closed and wakes everything racing against it.
    pub fn close(&self) {
        self.closed.set(true);
        self.notify.notify_waiters();
    }

    /// Whether `close` has been called.
    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Runs `op` until it finishes or the handle is closed, whichever comes first.
    ///
    /// The close notification is registered on the first poll only (with that poll's waker, which
    /// stays valid: a race runs inside one task); later polls read the flag. Polling the
    /// `Notified` each time would lock its waiter list on every wakeup of a busy connection.
    pub async fn race<T>(&self, op: impl Future<Output = T>) -> Raced<T> {
        let mut closed = pin!(self.notify.notified());
        if self.closed.get() {
            return Raced::Closed;
        }
        let mut op = pin!(op);
        let mut registered = false;
        poll_fn(|cx| {
            if registered {
                if self.closed.get() {
                    return Poll::Ready(Raced::Closed);
                }
            } else {
                if closed.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Raced::Closed);
                }
                registered = true;
            }
            op.as_mut().poll(cx).map(Raced::Done)
        })
        .await
    }
}

/// Starts `op` on the event loop and returns `PENDING, id` for the Lua wrapper to park on.
///
/// Errors: raises if the Lua state has no reactor (a state not made by `tinn-runtime`).
pub fn start<F>(lua: &Lua, op: F) -> LuaResult<MultiValue>
where
    F: Future<Output = Completion> + 'static,
{
    start_with(lua, Expect::Whenever, op).map(|(_, parked)| parked)
}

/// Like [`start`], saying how soon the result is expected, and also returning the operation's
/// id (for a caller that later asks [`is_pending`] whether some task still waits on it).
pub fn start_with<F>(lua: &Lua, expect: Expect, op: F) -> LuaResult<(OpId, MultiValue)>
where
    F: Future<Output = Completion> + 'static,
{
    let id = reactor(lua)?.start(expect, op);
    Ok((id, (pending(), id).into_lua_multi(lua)?))
}

/// `lua`'s reactor.
///
/// Errors: raises if the Lua state has none (a state not made by `tinn-runtime`).
pub fn reactor(lua: &Lua) -> LuaResult<mlua::AppDataRef<'_, Reactor>> {
    lua.app_data_ref::<Reactor>()
        .ok_or_else(|| mlua::Error::external("tinn: IO needs the tinn event loop (no reactor in this Lua state)"))
}

/// `true` while operation `id` has neither been handed back nor cancelled (some task still
/// waits for it).
pub fn is_pending(lua: &Lua, id: OpId) -> bool {
    lua.app_data_ref::<Reactor>().is_some_and(|reactor| reactor.pending.borrow().contains_key(&id))
}

/// Cancels operation `id` of `lua`'s reactor; a no-op for ids already finished.
pub fn cancel(lua: &Lua, id: OpId) {
    if let Some(reactor) = lua.app_data_ref::<Reactor>() {
        reactor.cancel(id);
    }
}

/// Runs a crate's Lua wrapper (`source`, named `chunk_name` in tracebacks, e.g. `=tinn/net`)
/// with the crate's native table as its argument; the wrapper returns the module scripts see.
/// Wrappers finish native calls with `require("tinn.reactor").await(timeoutMs, native.op(...))`.
pub fn wrap_module(lua: &Lua, chunk_name: &str, source: &str, native: mlua::Table) -> LuaResult<mlua::Table> {
    lua.load(source).set_name(chunk_name).call(native)
}
