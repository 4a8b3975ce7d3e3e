//! Workers ("computicles", DESIGN.md §4-§5) for scripts; backs the Lua module `tinn.worker`.
//!
//! A worker is an OS thread with its own Lua state and scheduler; it shares nothing with its
//! parent but a channel (a bounded queue each way, see `port.rs`) and a channel of named signals
//! (`handle:quit()` sends `QUIT`). Main types: [`Parcel`] (what crosses: copied values and moved
//! buffers and channel ends), [`Launcher`] (how a thread is started: `tinn-runtime` installs one
//! in every Lua state, since this crate cannot depend on the runtime), [`WorkerStart`]
//! (everything a new worker needs) and the userdata handle scripts get from `worker.spawn`. Waiting (`post` on a full queue, `receive`, `join`)
//! parks only the calling task through `tinn-reactor`; a running worker keeps its parent alive
//! through an operation that completes when the thread ends. Lua API: `types/worker.lua`,
//! docs: `docs/worker.md`.

mod buffer;
mod error;
mod message;
mod port;

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use mlua::{
    Function, IntoLuaMulti, LightUserData, Lua, LuaString, MultiValue, RegistryKey, Result as LuaResult, Table,
    UserData, UserDataFields, UserDataMethods, UserDataRef, Value,
};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::{oneshot, Notify};

use buffer::Buffer;
use tinn_reactor::ScriptError;
use port::{LivePort, Port};

pub use error::{Unsendable, WorkerError};
pub use message::{Detached, Message, Moved, Parcel, MAX_DEPTH};
pub use port::PortEnds;

/// Messages each queue holds before `post` suspends the posting task (back-pressure), unless
/// `worker.channel(capacity)` says otherwise.
pub const QUEUE_CAPACITY: usize = 256;

/// The largest capacity `worker.channel` accepts.
pub const MAX_CAPACITY: usize = 1 << 20;

/// The named signal `handle:quit()` delivers in the worker.
pub const QUIT_SIGNAL: &str = "QUIT";

/// What a worker hands back to `join`: its main chunk's return values, or its error text with
/// a traceback.
pub type Outcome = Result<Parcel, String>;

/// Worker ids are unique in the process, across nested workers.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// What a worker runs.
#[derive(Debug, Clone)]
pub enum WorkerScript {
    /// A script file.
    File(PathBuf),
    /// Source text.
    Code(String),
}

/// The worker's end of its channel and its arguments; installed in the worker's Lua state
/// with [`install_endpoint`].
pub struct Endpoint {
    id: u64,
    name: String,
    /// Sent once the thread has started, so a failed start can give moved values back.
    args: std::sync::mpsc::Receiver<Parcel>,
    ends: PortEnds,
}

/// Sends the worker's [`Outcome`] to the parent; dropping it unsent tells the parent the
/// worker ended without one.
pub struct Reply(oneshot::Sender<Outcome>);

impl Reply {
    /// Hands the outcome to the parent (ignored if the parent is gone).
    pub fn send(self, outcome: Outcome) {
        let _ = self.0.send(outcome);
    }
}

/// Everything a launcher needs to start one worker.
pub struct WorkerStart {
    /// The worker's id (`worker.id`, `handle.id`), unique in the process.
    pub id: u64,
    /// Its name: `opts.name` or `worker <id>`; the chunk name of code workers.
    pub name: String,
    /// What to run as task 1.
    pub script: WorkerScript,
    /// The worker's channel end and `worker.args`.
    pub endpoint: Endpoint,
    /// Named signals for the worker's event loop (`QUIT`).
    pub signals: UnboundedReceiver<String>,
    /// Where the outcome goes.
    pub reply: Reply,
}

/// Starts a worker thread; stored in a Lua state's app data by `tinn-runtime`.
#[derive(Clone)]
pub struct Launcher(pub Arc<dyn Fn(WorkerStart) -> std::io::Result<()> + Send + Sync>);

const ARGS_KEY: &str = "tinn.worker.args";

/// Makes `lua` a worker's state: `tinn.worker` then offers `receive`, `post`, `args`, `id`.
/// Returns `worker.args` (also the main chunk's `...`).
pub fn install_endpoint(lua: &Lua, endpoint: Endpoint) -> LuaResult<Value> {
    let Endpoint { id, name, args, ends } = endpoint;
    lua.set_app_data(WorkerSide { id, name, port: LivePort::new(ends) });
    let args = match args.recv() {
        Ok(parcel) => parcel.unpack(lua)?.pop_front().unwrap_or(Value::Nil),
        Err(_) => Value::Nil,
    };
    lua.set_named_registry_value(ARGS_KEY, &args)?;
    Ok(args)
}

/// Builds `tinn.worker`: the native functions, wrapped by `worker.lua`.
pub fn module(lua: &Lua) -> LuaResult<Table> {
    let native = lua.create_table()?;
    native.set("spawn", lua.create_function(worker_spawn)?)?;
    native.set("cpus", lua.create_function(worker_cpus)?)?;
    native.set("post", lua.create_function(worker_post)?)?;
    native.set("receive", lua.create_function(worker_receive)?)?;
    native.set("channel", lua.create_function(worker_channel)?)?;
    native.set("portPost", lua.create_function(port_post)?)?;
    native.set("portReceive", lua.create_function(port_receive)?)?;
    native.set(
        "portClose",
        lua.create_function(|_, port: UserDataRef<Port>| {
            port.close();
            Ok(())
        })?,
    )?;
    native.set("buffer", lua.create_function(buffer::buffer_new)?)?;
    native.set("bufferSize", lua.create_function(|lua, b: UserDataRef<Buffer>| buffer::buffer_size(lua, &b))?)?;
    native.set("bufferPointer", lua.create_function(|lua, b: UserDataRef<Buffer>| buffer::buffer_pointer(lua, &b))?)?;
    native.set("bufferMoved", lua.create_function(|lua, b: UserDataRef<Buffer>| buffer::buffer_moved(lua, &b))?)?;
    native.set(
        "bufferString",
        lua.create_function(|lua, (b, offset, length): (UserDataRef<Buffer>, Option<i64>, Option<i64>)| {
            buffer::buffer_string(lua, &b, offset, length)
        })?,
    )?;
    native.set("setClass", lua.create_function(|lua, (kind, class): (String, Value)| {
        lua.set_named_registry_value(&class_key(&kind), class)
    })?)?;
    native.set("MISUSE", misuse())?;
    native.set("args", lua.create_function(|lua, ()| lua.named_registry_value::<Value>(ARGS_KEY))?)?;
    if let Some(side) = lua.app_data_ref::<WorkerSide>() {
        native.set("isWorker", true)?;
        native.set("id", side.id)?;
        native.set("name", side.name.as_str())?;
    } else {
        native.set("isWorker", false)?;
    }
    tinn_reactor::wrap_module(lua, "=tinn/worker", include_str!("worker.lua"), native)
}

fn class_key(kind: &str) -> String {
    format!("tinn.worker.class.{kind}")
}

/// The `__index` that `worker.lua` registered for `kind` (Port, Buffer), loading `tinn.worker`
/// first when this state has not yet (a port can arrive in a worker's args before any require).
pub(crate) fn lua_class(lua: &Lua, kind: &str) -> LuaResult<Value> {
    let class: Value = lua.named_registry_value(&class_key(kind))?;
    if !class.is_nil() {
        return Ok(class);
    }
    lua.globals().get::<Function>("require")?.call::<()>("tinn.worker")?;
    lua.named_registry_value(&class_key(kind))
}

/// The marker before an error message a receive returns for misuse (a moved or closed end);
/// `false` would be ambiguous there, since `false` is a message.
static MISUSE_MARKER: u8 = 0;

fn misuse() -> LightUserData {
    LightUserData(std::ptr::addr_of!(MISUSE_MARKER) as *mut _)
}

/// The worker's side, in its Lua state's app data.
struct WorkerSide {
    id: u64,
    name: String,
    port: LivePort,
}

fn worker_post(lua: &Lua, value: Value) -> LuaResult<MultiValue> {
    match lua.app_data_ref::<WorkerSide>() {
        Some(side) => side.port.post(lua, &value, "worker.post"),
        None => WorkerError::NotAWorker("post").into_refusal(lua),
    }
}

fn worker_receive(lua: &Lua, _: ()) -> LuaResult<MultiValue> {
    match lua.app_data_ref::<WorkerSide>() {
        Some(side) => side.port.receive(lua),
        None => (misuse(), WorkerError::NotAWorker("receive").to_string()).into_lua_multi(lua),
    }
}

fn worker_cpus(_: &Lua, _: ()) -> LuaResult<usize> {
    Ok(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

/// `worker.channel(capacity)`: two connected ends (the wrapper checks the capacity).
fn worker_channel(lua: &Lua, capacity: usize) -> LuaResult<(mlua::AnyUserData, mlua::AnyUserData)> {
    let (a, b) = port::pair(capacity.clamp(1, MAX_CAPACITY));
    Ok((Port::create(lua, a)?, Port::create(lua, b)?))
}

fn port_post(lua: &Lua, (port, value): (UserDataRef<Port>, Value)) -> LuaResult<MultiValue> {
    match port.with_live("port:post", |live| live.post(lua, &value, "port:post")) {
        Ok(result) => result,
        Err(err) => err.into_refusal(lua),
    }
}

fn port_receive(lua: &Lua, port: UserDataRef<Port>) -> LuaResult<MultiValue> {
    match port.with_live("port:receive", |live| live.receive(lua)) {
        Ok(result) => result,
        Err(err) => (misuse(), err.to_string()).into_lua_multi(lua),
    }
}

/// `true` for text that names an existing file; code never does (it has spaces or newlines,
/// and a short one-liner that happens to be a file name is a file).
fn names_file(text: &str) -> bool {
    !text.contains('\n') && text.len() < 4096 && Path::new(text).is_file()
}

/// What `worker.spawn(source)` runs: the file `source` names (from the working directory, or
/// else from `base`, the calling script's directory), or else `source` as code. A one-word
/// source ending in `.lua` is a path that was not found, not code.
fn script_of(source: String, base: Option<String>) -> Result<WorkerScript, WorkerError> {
    if names_file(&source) {
        return Ok(WorkerScript::File(PathBuf::from(source)));
    }
    let beside = base.filter(|_| Path::new(&source).is_relative()).map(|base| Path::new(&base).join(&source));
    if let Some(beside) = &beside {
        if names_file(&beside.to_string_lossy()) {
            return Ok(WorkerScript::File(beside.clone()));
        }
    }
    if source.ends_with(".lua") && !source.contains(char::is_whitespace) {
        return Err(WorkerError::NoFile { file: source, beside });
    }
    Ok(WorkerScript::Code(source))
}

/// What the parent knows of a worker's end.
struct State {
    status: Cell<&'static str>,
    outcome: RefCell<Option<Outcome>>,
    /// The return values once a `join` has turned them into Lua values, so every `join` gets
    /// the same values (moved buffers and ports can be handed over only once).
    joined: RefCell<Option<RegistryKey>>,
    finished: Notify,
    /// Joins waiting right now: a worker that fails while one waits has its error taken.
    joining: Cell<usize>,
}

/// Counts a waiting join for as long as its operation lives (done, timed out or cancelled).
struct Joining(Rc<State>);

impl Joining {
    fn new(state: Rc<State>) -> Joining {
        state.joining.set(state.joining.get() + 1);
        Joining(state)
    }
}

impl Drop for Joining {
    fn drop(&mut self) {
        self.0.joining.set(self.0.joining.get() - 1);
    }
}

/// A failed worker nobody was joining fails its parent fast, as an uncaught task error does
/// (DESIGN.md §3): the scheduler's `workerFailed` prints it (or hands it to `onError`).
fn report_unjoined_failure(lua: &Lua, label: &str, text: &str) -> LuaResult<()> {
    let loaded: Table = lua.globals().get::<Table>("package")?.get("loaded")?;
    let reactor: Table = loaded.get("tinn.reactor")?;
    let report: Function = reactor.get("workerFailed")?;
    report.call((label, text))
}

/// Sends `QUIT` to a worker still running when its parent stops waiting for it (the parent's
/// event loop ended and cancelled every operation).
struct QuitOnDrop(Option<UnboundedSender<String>>);

impl Drop for QuitOnDrop {
    fn drop(&mut self) {
        if let Some(quit) = self.0.take() {
            let _ = quit.send(QUIT_SIGNAL.to_string());
        }
    }
}

fn worker_spawn(
    lua: &Lua,
    (source, args, name, base): (LuaString, Value, Option<String>, Option<String>),
) -> LuaResult<MultiValue> {
    let Some(launcher) = lua.app_data_ref::<Launcher>().map(|l| l.clone()) else {
        return WorkerError::NoLauncher.into_refusal(lua);
    };
    let script = match script_of(source.to_string_lossy(), base) {
        Ok(script) => script,
        Err(err) => return err.into_refusal(lua),
    };
    let (args, detached) = match Parcel::pack_one(lua, &args, "worker.spawn", "args", None) {
        Ok(packed) => packed,
        Err(err) => return err.into_refusal(lua),
    };
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed) + 1;
    let name = name.unwrap_or_else(|| format!("worker {id}"));
    let (parent_end, worker_end) = port::pair(QUEUE_CAPACITY);
    let (quit, signals) = unbounded_channel();
    let (reply, done) = oneshot::channel();
    let (send_args, args_rx) = std::sync::mpsc::sync_channel(1);
    let endpoint = Endpoint { id, name: name.clone(), args: args_rx, ends: worker_end };
    let start = WorkerStart { id, name: name.clone(), script, endpoint, signals, reply: Reply(reply) };
    if let Err(err) = (launcher.0)(start) {
        args.restore(detached);
        return WorkerError::Thread(err).into_refusal(lua);
    }
    // The thread takes them before running the script (or has already failed to start).
    if let Err(unsent) = send_args.send(args) {
        unsent.0.restore(detached);
    }
    let state = Rc::new(State {
        status: Cell::new("running"),
        outcome: RefCell::new(None),
        joined: RefCell::new(None),
        finished: Notify::new(),
        joining: Cell::new(0),
    });
    // Keeps the parent's event loop alive until the worker ends; no task parks on it.
    let watched = Rc::clone(&state);
    let guard = QuitOnDrop(Some(quit.clone()));
    let label = if name == format!("worker {id}") { name.clone() } else { format!("worker {id} ({name})") };
    tinn_reactor::start(lua, async move {
        let mut guard = guard;
        let outcome = done.await.unwrap_or_else(|_| Err("worker ended without an outcome".to_string()));
        guard.0 = None;
        watched.status.set(if outcome.is_ok() { "done" } else { "failed" });
        // decided now, while a join that is waiting still counts (it completes after this)
        let unclaimed = match &outcome {
            Err(text) if watched.joining.get() == 0 => Some(text.clone()),
            _ => None,
        };
        *watched.outcome.borrow_mut() = Some(outcome);
        watched.finished.notify_waiters();
        tinn_reactor::completion(move |lua| {
            if let Some(text) = unclaimed {
                report_unjoined_failure(lua, &label, &text)?;
            }
            Ok(MultiValue::new())
        })
    })?;
    let handle = WorkerHandle { id, name, port: LivePort::new(parent_end), quit, state };
    lua.create_userdata(handle)?.into_lua_multi(lua)
}

/// The parent's handle on a worker (`worker.spawn`'s result, wrapped by `worker.lua`).
struct WorkerHandle {
    id: u64,
    name: String,
    port: LivePort,
    quit: UnboundedSender<String>,
    state: Rc<State>,
}

impl WorkerHandle {
    fn join(&self, lua: &Lua) -> LuaResult<MultiValue> {
        if self.state.status.get() != "running" {
            return outcome_values(lua, &self.state);
        }
        let state = Rc::clone(&self.state);
        let joining = Joining::new(Rc::clone(&self.state));
        tinn_reactor::start(lua, async move {
            let _joining = joining;
            loop {
                let finished = state.finished.notified();
                if state.status.get() != "running" {
                    break;
                }
                finished.await;
            }
            tinn_reactor::completion(move |lua| outcome_values(lua, &state))
        })
    }
}

fn outcome_values(lua: &Lua, state: &State) -> LuaResult<MultiValue> {
    if let Some(key) = &*state.joined.borrow() {
        let kept: Table = lua.registry_value(key)?;
        let count: usize = kept.raw_get("n")?;
        return (1..=count).map(|index| kept.raw_get::<Value>(index)).collect::<LuaResult<MultiValue>>();
    }
    let outcome = state.outcome.borrow_mut().take();
    match outcome {
        Some(Ok(parcel)) => {
            let values = parcel.unpack(lua)?;
            let kept = lua.create_table_with_capacity(values.len(), 1)?;
            for (index, value) in values.iter().enumerate() {
                kept.raw_set(index + 1, value)?;
            }
            kept.raw_set("n", values.len())?;
            *state.joined.borrow_mut() = Some(lua.create_registry_value(kept)?);
            Ok(values)
        }
        Some(Err(text)) => {
            let result = (Value::Nil, text.as_str()).into_lua_multi(lua);
            *state.outcome.borrow_mut() = Some(Err(text));
            result
        }
        None => (Value::Nil, "running").into_lua_multi(lua),
    }
}

impl UserData for WorkerHandle {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_field_method_get("id", |_, this| Ok(this.id));
        fields.add_field_method_get("name", |_, this| Ok(this.name.clone()));
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("post", |lua, this, value: Value| this.port.post(lua, &value, "worker:post"));
        methods.add_method("receive", |lua, this, ()| this.port.receive(lua));
        methods.add_method("join", |lua, this, ()| this.join(lua));
        methods.add_method("quit", |_, this, ()| Ok(this.quit.send(QUIT_SIGNAL.to_string()).is_ok()));
        methods.add_method("status", |_, this, ()| Ok(this.state.status.get()));
        methods.add_meta_method("__tostring", |_, this, ()| {
            Ok(format!("Worker({}, {}, {})", this.id, this.name, this.state.status.get()))
        });
    }
}
