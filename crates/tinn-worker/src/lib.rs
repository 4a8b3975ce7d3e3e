//! Workers ("computicles", DESIGN.md §4-§5) for scripts; backs the Lua module `tinn.worker`.
//!
//! A worker is an OS thread with its own Lua state and scheduler; it shares nothing with its
//! parent but two bounded message channels (one each way) and a channel of named signals
//! (`handle:quit()` sends `QUIT`). Main types: [`Message`] (what crosses), [`Launcher`] (how a
//! thread is started: `tinn-runtime` installs one in every Lua state, since this crate cannot
//! depend on the runtime), [`WorkerStart`] (everything a new worker needs) and the userdata
//! handle scripts get from `worker.spawn`. Waiting (`post` on a full queue, `receive`, `join`)
//! parks only the calling task through `tinn-reactor`; a running worker keeps its parent alive
//! through an operation that completes when the thread ends. Lua API: `types/worker.lua`,
//! docs: `docs/worker.md`.

mod message;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use mlua::{
    IntoLuaMulti, Lua, MultiValue, LuaString, Result as LuaResult, Table, UserData, UserDataFields,
    UserDataMethods, Value,
};
use tokio::sync::mpsc::error::{TryRecvError, TrySendError};
use tokio::sync::mpsc::{channel, unbounded_channel, Receiver, Sender, UnboundedReceiver, UnboundedSender};
use tokio::sync::{oneshot, Mutex, Notify};

pub use message::{Message, MAX_DEPTH};

/// Messages each queue holds before `post` suspends the posting task (back-pressure).
pub const QUEUE_CAPACITY: usize = 256;

/// The named signal `handle:quit()` delivers in the worker.
pub const QUIT_SIGNAL: &str = "QUIT";

/// What a worker hands back to `join`: its main chunk's return values, or its error text with
/// a traceback.
pub type Outcome = Result<Vec<Message>, String>;

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

/// The worker's ends of its channels; installed in the worker's Lua state with [`install_endpoint`].
pub struct Endpoint {
    id: u64,
    name: String,
    args: Message,
    to_parent: Sender<Message>,
    from_parent: Receiver<Message>,
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
    /// The worker's channel ends and `worker.args`.
    pub endpoint: Endpoint,
    /// Named signals for the worker's event loop (`QUIT`).
    pub signals: UnboundedReceiver<String>,
    /// Where the outcome goes.
    pub reply: Reply,
}

impl WorkerStart {
    /// `worker.args`, also passed to the main chunk as `...`.
    pub fn args(&self) -> &Message {
        &self.endpoint.args
    }
}

/// Starts a worker thread; stored in a Lua state's app data by `tinn-runtime`.
#[derive(Clone)]
pub struct Launcher(pub Arc<dyn Fn(WorkerStart) -> std::io::Result<()> + Send + Sync>);

/// Makes `lua` a worker's state: `tinn.worker` then offers `receive`, `post`, `args`, `id`.
pub fn install_endpoint(lua: &Lua, endpoint: Endpoint) {
    let Endpoint { id, name, args, to_parent, from_parent } = endpoint;
    lua.set_app_data(WorkerSide { id, name, args, to_parent, inbox: Inbox::new(from_parent) });
}

/// Builds `tinn.worker`: the native functions, wrapped by `worker.lua`.
pub fn module(lua: &Lua) -> LuaResult<Table> {
    let native = lua.create_table()?;
    native.set("spawn", lua.create_function(worker_spawn)?)?;
    native.set("cpus", lua.create_function(worker_cpus)?)?;
    native.set("post", lua.create_function(worker_post)?)?;
    native.set("receive", lua.create_function(worker_receive)?)?;
    if let Some(side) = lua.app_data_ref::<WorkerSide>() {
        native.set("isWorker", true)?;
        native.set("id", side.id)?;
        native.set("name", side.name.as_str())?;
        native.set("args", side.args.to_lua(lua)?)?;
    } else {
        native.set("isWorker", false)?;
    }
    tinn_reactor::wrap_module(lua, "=tinn/worker", include_str!("worker.lua"), native)
}

/// The worker's side, in its Lua state's app data.
struct WorkerSide {
    id: u64,
    name: String,
    args: Message,
    to_parent: Sender<Message>,
    inbox: Inbox,
}

/// The receiving end of a queue, shared by every task that receives from it.
#[derive(Clone)]
struct Inbox {
    // A tokio mutex, so tasks parked on receive queue up instead of stealing the one waker.
    rx: Rc<Mutex<Receiver<Message>>>,
    // Messages taken off the queue whose receive was cancelled before the task got them
    // (a timeout racing the arrival); the next receive returns them first.
    stash: Rc<RefCell<VecDeque<Message>>>,
}

/// A received message on its way to a parked task; put back in the stash if never delivered.
struct InFlight {
    message: Option<Message>,
    stash: Rc<RefCell<VecDeque<Message>>>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(message) = self.message.take() {
            self.stash.borrow_mut().push_front(message);
        }
    }
}

impl Inbox {
    fn new(rx: Receiver<Message>) -> Inbox {
        Inbox { rx: Rc::new(Mutex::new(rx)), stash: Rc::new(RefCell::new(VecDeque::new())) }
    }

    /// The next message (fast path), `nil, "closed"`, or `PENDING, id` for the wrapper to park on.
    fn receive(&self, lua: &Lua) -> LuaResult<MultiValue> {
        if let Some(message) = self.stash.borrow_mut().pop_front() {
            return message.to_lua(lua)?.into_lua_multi(lua);
        }
        if let Ok(mut rx) = self.rx.try_lock() {
            match rx.try_recv() {
                Ok(message) => return message.to_lua(lua)?.into_lua_multi(lua),
                Err(TryRecvError::Disconnected) => return (Value::Nil, "closed").into_lua_multi(lua),
                Err(TryRecvError::Empty) => {}
            }
        }
        let inbox = self.clone();
        tinn_reactor::start(lua, async move {
            let stashed = inbox.stash.borrow_mut().pop_front();
            let received = match stashed {
                Some(message) => Some(message),
                None => inbox.rx.lock().await.recv().await,
            };
            match received {
                None => tinn_reactor::failure("closed"),
                Some(message) => {
                    let mut held = InFlight { message: Some(message), stash: Rc::clone(&inbox.stash) };
                    tinn_reactor::completion(move |lua| match held.message.take() {
                        Some(message) => message.to_lua(lua)?.into_lua_multi(lua),
                        None => Ok(MultiValue::new()),
                    })
                }
            }
        })
    }
}

/// `true` (queued), `nil, "closed"`, `PENDING, id` when the queue is full, or `false, message`
/// for a value that cannot be sent (the wrapper raises it).
fn post(lua: &Lua, tx: &Sender<Message>, value: &Value, op: &str) -> LuaResult<MultiValue> {
    let message = match value {
        // The fast path for strings: no walk, one copy.
        Value::String(s) => Message::String(s.as_bytes().to_vec()),
        other => match Message::from_lua(other, op, "msg") {
            Ok(message) => message,
            Err(text) => return (false, text).into_lua_multi(lua),
        },
    };
    match tx.try_send(message) {
        Ok(()) => true.into_lua_multi(lua),
        Err(TrySendError::Closed(_)) => (Value::Nil, "closed").into_lua_multi(lua),
        Err(TrySendError::Full(message)) => {
            let tx = tx.clone();
            tinn_reactor::start(lua, async move {
                match tx.send(message).await {
                    Ok(()) => tinn_reactor::completion(|lua| true.into_lua_multi(lua)),
                    Err(_) => tinn_reactor::failure("closed"),
                }
            })
        }
    }
}

fn not_a_worker(lua: &Lua, word: &str) -> LuaResult<MultiValue> {
    let text = format!("worker.{word}: not inside a worker (this is the main program; use the handle worker.spawn returned)");
    (false, text).into_lua_multi(lua)
}

fn worker_post(lua: &Lua, value: Value) -> LuaResult<MultiValue> {
    let tx = match lua.app_data_ref::<WorkerSide>() {
        Some(side) => side.to_parent.clone(),
        None => return not_a_worker(lua, "post"),
    };
    post(lua, &tx, &value, "worker.post")
}

fn worker_receive(lua: &Lua, _: ()) -> LuaResult<MultiValue> {
    let inbox = match lua.app_data_ref::<WorkerSide>() {
        Some(side) => side.inbox.clone(),
        None => return not_a_worker(lua, "receive"),
    };
    inbox.receive(lua)
}

fn worker_cpus(_: &Lua, _: ()) -> LuaResult<usize> {
    Ok(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

/// What the parent knows of a worker's end.
struct State {
    outcome: RefCell<Option<Outcome>>,
    finished: Notify,
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

/// `true` for text that names an existing file; code never does (it has spaces or newlines,
/// and a short one-liner that happens to be a file name is a file).
fn names_file(text: &str) -> bool {
    !text.contains('\n') && text.len() < 4096 && Path::new(text).is_file()
}

fn worker_spawn(lua: &Lua, (source, args, name): (LuaString, Value, Option<String>)) -> LuaResult<MultiValue> {
    let text = source.to_string_lossy();
    let script = if names_file(&text) { WorkerScript::File(PathBuf::from(text)) } else { WorkerScript::Code(text) };
    let args = match Message::from_lua(&args, "worker.spawn", "args") {
        Ok(args) => args,
        Err(text) => return (false, text).into_lua_multi(lua),
    };
    let Some(launcher) = lua.app_data_ref::<Launcher>().map(|l| l.clone()) else {
        return (false, "worker.spawn: this Lua state cannot start workers (no launcher; not made by tinn-runtime)")
            .into_lua_multi(lua);
    };
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed) + 1;
    let name = name.unwrap_or_else(|| format!("worker {id}"));
    let (to_worker, from_parent) = channel(QUEUE_CAPACITY);
    let (to_parent, from_worker) = channel(QUEUE_CAPACITY);
    let (quit, signals) = unbounded_channel();
    let (reply, done) = oneshot::channel();
    let endpoint = Endpoint { id, name: name.clone(), args, to_parent, from_parent };
    let start = WorkerStart { id, name: name.clone(), script, endpoint, signals, reply: Reply(reply) };
    if let Err(err) = (launcher.0)(start) {
        return (false, format!("worker.spawn: cannot start a thread: {err}")).into_lua_multi(lua);
    }
    let state = Rc::new(State { outcome: RefCell::new(None), finished: Notify::new() });
    // Keeps the parent's event loop alive until the worker ends; no task parks on it.
    let watched = Rc::clone(&state);
    let guard = QuitOnDrop(Some(quit.clone()));
    tinn_reactor::start(lua, async move {
        let mut guard = guard;
        let outcome = done.await.unwrap_or_else(|_| Err("worker ended without an outcome".to_string()));
        guard.0 = None;
        *watched.outcome.borrow_mut() = Some(outcome);
        watched.finished.notify_waiters();
        tinn_reactor::completion(|_| Ok(MultiValue::new()))
    })?;
    let handle = WorkerHandle { id, name, to_worker, inbox: Inbox::new(from_worker), quit, state };
    lua.create_userdata(handle)?.into_lua_multi(lua)
}

/// The parent's handle on a worker (`worker.spawn`'s result, wrapped by `worker.lua`).
struct WorkerHandle {
    id: u64,
    name: String,
    to_worker: Sender<Message>,
    inbox: Inbox,
    quit: UnboundedSender<String>,
    state: Rc<State>,
}

impl WorkerHandle {
    fn status(&self) -> &'static str {
        match &*self.state.outcome.borrow() {
            None => "running",
            Some(Ok(_)) => "done",
            Some(Err(_)) => "failed",
        }
    }

    fn join(&self, lua: &Lua) -> LuaResult<MultiValue> {
        if self.state.outcome.borrow().is_some() {
            return outcome_values(lua, &self.state);
        }
        let state = Rc::clone(&self.state);
        tinn_reactor::start(lua, async move {
            loop {
                let finished = state.finished.notified();
                if state.outcome.borrow().is_some() {
                    break;
                }
                finished.await;
            }
            tinn_reactor::completion(move |lua| outcome_values(lua, &state))
        })
    }
}

fn outcome_values(lua: &Lua, state: &State) -> LuaResult<MultiValue> {
    match &*state.outcome.borrow() {
        Some(Ok(values)) => {
            let mut out = MultiValue::new();
            for value in values {
                out.push_back(value.to_lua(lua)?);
            }
            Ok(out)
        }
        Some(Err(text)) => (Value::Nil, text.as_str()).into_lua_multi(lua),
        None => (Value::Nil, "running").into_lua_multi(lua),
    }
}

impl UserData for WorkerHandle {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_field_method_get("id", |_, this| Ok(this.id));
        fields.add_field_method_get("name", |_, this| Ok(this.name.clone()));
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("post", |lua, this, value: Value| post(lua, &this.to_worker, &value, "worker:post"));
        methods.add_method("receive", |lua, this, ()| this.inbox.receive(lua));
        methods.add_method("join", |lua, this, ()| this.join(lua));
        methods.add_method("quit", |_, this, ()| Ok(this.quit.send(QUIT_SIGNAL.to_string()).is_ok()));
        methods.add_method("status", |_, this, ()| Ok(this.status()));
        methods.add_meta_method("__tostring", |_, this, ()| {
            Ok(format!("Worker({}, {}, {})", this.id, this.name, this.status()))
        });
    }
}
