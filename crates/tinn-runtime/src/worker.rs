//! The worker launcher (`tinn.worker`, DESIGN.md §5): `tinn-worker` cannot depend on this crate
//! (this crate lists it as a native module), so every Lua state gets a [`Launcher`] in its app
//! data that starts a thread with a fresh [`Runtime`] running the worker's script as task 1.
//!
//! Every thread it starts is listed in a process-wide registry until it ends, so the process
//! can wait for its workers' exit hooks (tinn.log's flush among them) before it exits: see
//! [`wait_for_workers`].

use std::fmt::Display;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use mlua::{Function, Table, Value};
use tinn_worker::{Launcher, Outcome, Parcel, WorkerScript, WorkerStart};

use crate::{Runtime, Script};

/// The worker thread's stack, as large as a main thread's: deep Lua-to-C recursion (pcall,
/// string.gsub callbacks, message conversion) uses it.
const WORKER_STACK: usize = 8 * 1024 * 1024;

/// How long workers sent `QUIT` (their starter's runtime was dropped) get to end: the process
/// waits this long for them before it exits, and a worker for those it started before it
/// reports its own outcome.
pub const WORKER_GRACE: Duration = Duration::from_secs(2);

/// One worker thread that has not ended yet.
struct LiveWorker {
    id: u64,
    /// The worker that started it; `None` for the program's own workers.
    parent: Option<u64>,
    name: String,
    /// [`wait_for_workers`] gave up on it (it never yields); later waits do not wait again.
    abandoned: bool,
}

/// Every worker thread of the process that has not ended, and a wake-up for whoever waits.
struct Registry {
    live: Mutex<Vec<LiveWorker>>,
    changed: Condvar,
}

static REGISTRY: Registry = Registry { live: Mutex::new(Vec::new()), changed: Condvar::new() };

impl Registry {
    /// A poisoned lock only means a panic elsewhere; the list itself is still sound.
    fn lock(&self) -> MutexGuard<'_, Vec<LiveWorker>> {
        self.live.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits until no live worker matches `waited_for`, or until `grace` has passed; returns
    /// the names of those still running then, and marks them `abandoned` if `abandon` is set.
    fn wait(&self, grace: Duration, abandon: bool, waited_for: impl Fn(&LiveWorker) -> bool) -> Vec<String> {
        // A grace too long to add to the clock is as good as forever.
        let deadline = Instant::now().checked_add(grace);
        let mut live = self.lock();
        loop {
            if !live.iter().any(&waited_for) {
                return Vec::new();
            }
            let left = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => Duration::from_secs(3600),
            };
            if left.is_zero() {
                break;
            }
            live = match self.changed.wait_timeout(live, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        let mut names = Vec::new();
        for worker in live.iter_mut().filter(|worker| waited_for(worker)) {
            worker.abandoned |= abandon;
            names.push(worker.name.clone());
        }
        names
    }
}

/// A worker's entry in the registry, removed when this is dropped: when the thread ends, a
/// panic included, or at once if the thread could not be started.
struct Registered(u64);

impl Registered {
    fn new(id: u64, parent: Option<u64>, name: &str) -> Registered {
        REGISTRY.lock().push(LiveWorker { id, parent, name: name.to_string(), abandoned: false });
        Registered(id)
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        REGISTRY.lock().retain(|worker| worker.id != self.0);
        REGISTRY.changed.notify_all();
    }
}

/// Waits up to `grace` for every worker thread of the process to end; returns the names of
/// those still running then (a worker that never yields cannot be interrupted), which later
/// calls no longer wait for.
///
/// Call it once the runtimes that started workers have been dropped: dropping a runtime sends
/// `QUIT` to its workers, which then cancel their tasks and run their exit hooks. While it
/// waits, Ctrl-C ends the process at once with status 130.
pub fn wait_for_workers(grace: Duration) -> Vec<String> {
    if !REGISTRY.lock().iter().any(|worker| !worker.abandoned) {
        return Vec::new();
    }
    let _interrupt = crate::sys::ExitOnInterrupt::install();
    REGISTRY.wait(grace, true, |worker| !worker.abandoned)
}

/// The launcher installed in every Lua state the runtime creates; `parent` is the id of the
/// worker that state belongs to (`None` for the program's own state).
pub(crate) fn launcher(parent: Option<u64>) -> Launcher {
    Launcher(Arc::new(move |start: WorkerStart| {
        // Listed before the thread exists, so a wait that starts right after `spawn` sees it.
        let registered = Registered::new(start.id, parent, &start.name);
        std::thread::Builder::new()
            .name(format!("tinn-worker-{}", start.id))
            .stack_size(WORKER_STACK)
            .spawn(move || {
                let _registered = registered;
                let id = start.id;
                let WorkerStart { name, script, endpoint, signals, reply, .. } = start;
                // The runtime is dropped inside `run`, which sent QUIT to the workers this one
                // started; `join` must mean they ended too (their logs flushed), so wait for them.
                let outcome = run(id, name, script, endpoint, signals);
                REGISTRY.wait(WORKER_GRACE, false, |worker| worker.parent == Some(id));
                reply.send(outcome);
            })
            .map(|_| ())
    }))
}

fn text(err: impl Display) -> String {
    err.to_string()
}

/// Runs one worker to its end on this thread; its main chunk's results or its error.
fn run(
    id: u64,
    name: String,
    script: WorkerScript,
    endpoint: tinn_worker::Endpoint,
    signals: tokio::sync::mpsc::UnboundedReceiver<String>,
) -> Outcome {
    let runtime = Runtime::new().map_err(|err| format!("cannot start the worker: {err}"))?;
    let lua = runtime.lua();
    // Workers this one starts are its children in the registry.
    lua.set_app_data(launcher(Some(id)));
    let args = tinn_worker::install_endpoint(lua, endpoint).map_err(text)?;
    runtime.set_signal_source(signals);
    runtime.exports.get::<Function>("keepErrors").and_then(|f| f.call::<()>(())).map_err(text)?;
    let script = match script {
        WorkerScript::File(path) => Script::File(path),
        WorkerScript::Code(code) => Script::Source { code, name },
    };
    let main = runtime.load_main(&script).map_err(text)?;
    runtime.set_arg(&script, &[]).map_err(text)?;
    let task: Table = runtime.spawn_main.call((main, args)).map_err(text)?;
    let status = runtime.run_loop().map_err(text)?;
    outcome(&runtime, &task, status).map_err(text)?
}

/// The main task's return values as messages, or the first uncaught error's text.
fn outcome(runtime: &Runtime, task: &Table, status: i32) -> mlua::Result<Outcome> {
    let kept: Option<String> = runtime.exports.get::<Function>("keptError")?.call(())?;
    if let Some(text) = kept {
        return Ok(Err(text));
    }
    if status != 0 {
        return Ok(Err(format!("worker exited with status {status}")));
    }
    let (state, results): (Option<String>, Option<Table>) =
        runtime.exports.get::<Function>("taskOutcome")?.call(task)?;
    let state = state.unwrap_or_default();
    Ok(match (state.as_str(), results) {
        ("done", Some(results)) => {
            let count: usize = results.get("n")?;
            let values = (1..=count).map(|index| results.raw_get::<Value>(index)).collect::<mlua::Result<Vec<_>>>()?;
            Parcel::pack(runtime.lua(), &values, "worker", |index| format!("return value #{index}"))
                .map(|(parcel, _)| parcel)
                .map_err(|err| err.to_string())
        }
        ("failed", Some(results)) => Err(results.raw_get::<Value>(2)?.to_string()?),
        _ => Ok(Parcel::empty()),
    })
}
