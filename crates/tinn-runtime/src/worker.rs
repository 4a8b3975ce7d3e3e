//! The worker launcher (`tinn.worker`, DESIGN.md §5): `tinn-worker` cannot depend on this crate
//! (this crate lists it as a native module), so every Lua state gets a [`Launcher`] in its app
//! data that starts a thread with a fresh [`Runtime`] running the worker's script as task 1.

use std::fmt::Display;
use std::sync::Arc;

use mlua::{Function, Table, Value};
use tinn_worker::{Launcher, Message, Outcome, WorkerScript, WorkerStart};

use crate::{Runtime, Script};

/// The worker thread's stack, as large as a main thread's: deep Lua-to-C recursion (pcall,
/// string.gsub callbacks, message conversion) uses it.
const WORKER_STACK: usize = 8 * 1024 * 1024;

/// The launcher installed in every Lua state the runtime creates (nested workers included).
pub(crate) fn launcher() -> Launcher {
    Launcher(Arc::new(|start: WorkerStart| {
        std::thread::Builder::new()
            .name(format!("tinn-worker-{}", start.id))
            .stack_size(WORKER_STACK)
            .spawn(move || {
                let args = start.args().clone();
                let WorkerStart { name, script, endpoint, signals, reply, .. } = start;
                // The runtime is dropped inside `run`, before the parent hears the outcome.
                reply.send(run(name, script, args, endpoint, signals));
            })
            .map(|_| ())
    }))
}

fn text(err: impl Display) -> String {
    err.to_string()
}

/// Runs one worker to its end on this thread; its main chunk's results or its error.
fn run(
    name: String,
    script: WorkerScript,
    args: Message,
    endpoint: tinn_worker::Endpoint,
    signals: tokio::sync::mpsc::UnboundedReceiver<String>,
) -> Outcome {
    let runtime = Runtime::new().map_err(|err| format!("cannot start the worker: {err}"))?;
    let lua = runtime.lua();
    tinn_worker::install_endpoint(lua, endpoint);
    runtime.set_signal_source(signals);
    runtime.exports.get::<Function>("keepErrors").and_then(|f| f.call::<()>(())).map_err(text)?;
    let script = match script {
        WorkerScript::File(path) => Script::File(path),
        WorkerScript::Code(code) => Script::Source { code, name },
    };
    let main = runtime.load_main(&script).map_err(text)?;
    runtime.set_arg(&script, &[]).map_err(text)?;
    let args = args.to_lua(lua).map_err(text)?;
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
    let state: String = task.get("state")?;
    let results: Option<Table> = task.get("outcome")?;
    Ok(match (state.as_str(), results) {
        ("done", Some(results)) => {
            let count: usize = results.get("n")?;
            let mut values = Vec::with_capacity(count);
            for index in 1..=count {
                let value: Value = results.raw_get(index)?;
                match Message::from_lua(&value, "worker", &format!("return value #{index}")) {
                    Ok(message) => values.push(message),
                    Err(text) => return Ok(Err(text)),
                }
            }
            Ok(values)
        }
        ("failed", Some(results)) => Err(results.raw_get::<Value>(2)?.to_string()?),
        _ => Ok(Vec::new()),
    })
}
