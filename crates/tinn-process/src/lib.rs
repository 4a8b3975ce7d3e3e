//! Child processes for scripts; backs the Lua module `tinn.process` (DESIGN.md §4).
//!
//! Main types: [`ProcessHandle`] (a running child: pid, wait, kill) and the pipe ends
//! [`PipeReader`] / [`PipeWriter`] (userdata the Lua wrapper `process.lua` turns into stream
//! objects with the read semantics of `tinn.net`). Waiting for the child and pipe IO park only
//! the calling task through `tinn-reactor`; the wrapper adds timeouts. Lua API:
//! `types/process.lua`, docs: `docs/process.md`.

mod error;
mod pipe;

use std::cell::Cell;
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::rc::Rc;

use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, Table, UserData, UserDataFields, UserDataMethods, Value};
use tokio::process::{Child, Command};
use tinn_reactor::ScriptError;
use tokio::sync::Mutex;

pub use error::ProcessError;
pub use pipe::{PipeReader, PipeWriter};

/// Builds `tinn.process`: the native functions, wrapped by `process.lua`.
pub fn module(lua: &Lua) -> LuaResult<Table> {
    let native = lua.create_table()?;
    native.set("spawn", lua.create_function(process_spawn)?)?;
    native.set("exec", lua.create_function(process_exec)?)?;
    tinn_reactor::wrap_module(lua, "=tinn/process", include_str!("process.lua"), native)
}

/// What `spawn` was asked for, read from the options table the wrapper checked.
struct Spec {
    cmd: String,
    cwd: Option<String>,
    command: Command,
    pipes: [bool; 3],
}

fn stdio(options: &Table, name: &str) -> LuaResult<(Stdio, bool)> {
    let value: Option<String> = options.get(name)?;
    match value.as_deref() {
        None | Some("inherit") => Ok((Stdio::inherit(), false)),
        Some("pipe") => Ok((Stdio::piped(), true)),
        Some("null") => Ok((Stdio::null(), false)),
        Some(other) => Err(mlua::Error::external(format!(
            "bad argument #1 to 'process.spawn' ({name} must be 'pipe', 'inherit' or 'null', got '{other}')"
        ))),
    }
}

fn spec(options: &Table) -> LuaResult<Spec> {
    let cmd: String = options.get("cmd")?;
    let mut command = Command::new(&cmd);
    let args: Option<Vec<String>> = options.get("args")?;
    command.args(args.unwrap_or_default());
    let cwd = options.get::<Option<String>>("cwd")?;
    if let Some(cwd) = &cwd {
        command.current_dir(cwd);
    }
    if options.get::<Option<bool>>("clearEnv")?.unwrap_or(false) {
        command.env_clear();
    }
    if let Some(env) = options.get::<Option<Table>>("env")? {
        for pair in env.pairs::<String, Value>() {
            let (key, value) = pair?;
            match value {
                Value::Boolean(false) => {
                    command.env_remove(key);
                }
                other => {
                    let text = other.to_string()?;
                    command.env(key, text);
                }
            }
        }
    }
    let (stdin, pin) = stdio(options, "stdin")?;
    let (stdout, pout) = stdio(options, "stdout")?;
    let (stderr, perr) = stdio(options, "stderr")?;
    command.stdin(stdin).stdout(stdout).stderr(stderr);
    // A child whose handle is collected keeps running, as with the shell's `&`; tokio reaps it.
    command.kill_on_drop(false);
    Ok(Spec { cmd, cwd, command, pipes: [pin, pout, perr] })
}

fn process_spawn(lua: &Lua, options: Table) -> LuaResult<MultiValue> {
    let Spec { cmd, cwd, mut command, pipes } = spec(&options)?;
    let mut child = match command.spawn() {
        Ok(child) => child,
        // a missing working directory fails the same way as a missing command: say which
        Err(source) => {
            let err = match cwd {
                Some(cwd) if !std::path::Path::new(&cwd).is_dir() => ProcessError::SpawnIn { cmd, cwd, source },
                _ => ProcessError::Spawn { cmd, source },
            };
            return err.into_failure(lua);
        }
    };
    let pid = child.id().unwrap_or(0);
    let result = lua.create_table()?;
    if pipes[0] {
        if let Some(stdin) = child.stdin.take() {
            result.set("stdin", PipeWriter::new(format!("stdin of '{cmd}'"), Box::new(stdin)))?;
        }
    }
    if pipes[1] {
        if let Some(stdout) = child.stdout.take() {
            result.set("stdout", PipeReader::new(format!("stdout of '{cmd}'"), Box::new(stdout)))?;
        }
    }
    if pipes[2] {
        if let Some(stderr) = child.stderr.take() {
            result.set("stderr", PipeReader::new(format!("stderr of '{cmd}'"), Box::new(stderr)))?;
        }
    }
    let process = Rc::new(Process { cmd, pid, child: Mutex::new(child), status: Cell::new(None) });
    result.set("handle", ProcessHandle(process))?;
    result.into_lua_multi(lua)
}

/// How a script sees an exit status: the code, or nil and how the child died.
fn status_values(lua: &Lua, status: ExitStatus) -> LuaResult<MultiValue> {
    match (status.code(), status.signal()) {
        (Some(code), _) => code.into_lua_multi(lua),
        (None, Some(signal)) => (Value::Nil, format!("killed by signal {signal}")).into_lua_multi(lua),
        (None, None) => (Value::Nil, format!("ended with status {status}")).into_lua_multi(lua),
    }
}

fn process_exec(lua: &Lua, (cmd, args): (String, Vec<String>)) -> LuaResult<MultiValue> {
    let mut command = Command::new(&cmd);
    command.args(&args).stdin(Stdio::null()).kill_on_drop(true);
    tinn_reactor::start(lua, async move {
        let output = command.output().await;
        tinn_reactor::completion(move |lua| match output {
            Ok(output) => {
                // `code, stdout, stderr`, or `nil, "killed by signal N", stdout, stderr`
                let mut values = status_values(lua, output.status)?;
                values.push_back(Value::String(lua.create_string(&output.stdout)?));
                values.push_back(Value::String(lua.create_string(&output.stderr)?));
                Ok(values)
            }
            Err(source) => ProcessError::Spawn { cmd, source }.into_failure(lua),
        })
    })
}

struct Process {
    cmd: String,
    pid: u32,
    // Only `wait` locks it; waiting tasks take turns and all see the same status.
    child: Mutex<Child>,
    status: Cell<Option<ExitStatus>>,
}

/// The userdata behind a script's process object.
pub struct ProcessHandle(Rc<Process>);

fn process_wait(lua: &Lua, handle: &ProcessHandle) -> LuaResult<MultiValue> {
    if let Some(status) = handle.0.status.get() {
        return status_values(lua, status);
    }
    let process = Rc::clone(&handle.0);
    tinn_reactor::start(lua, async move {
        let waited = match process.status.get() {
            Some(status) => Ok(status),
            None => process.child.lock().await.wait().await,
        };
        if let Ok(status) = waited {
            process.status.set(Some(status));
        }
        tinn_reactor::completion(move |lua| match waited {
            Ok(status) => status_values(lua, status),
            Err(source) => ProcessError::Wait { cmd: process.cmd.clone(), source }.into_failure(lua),
        })
    })
}

fn process_kill(lua: &Lua, handle: &ProcessHandle, signal: i32) -> LuaResult<MultiValue> {
    let process = &handle.0;
    let reaped = process.status.get().is_some()
        || process.child.try_lock().map(|mut child| matches!(child.try_wait(), Ok(Some(_)))).unwrap_or(false);
    if reaped || process.pid == 0 {
        return ProcessError::Exited { cmd: process.cmd.clone() }.into_failure(lua);
    }
    let Ok(pid) = libc::pid_t::try_from(process.pid) else {
        return ProcessError::PidRange { cmd: process.cmd.clone(), pid: process.pid }.into_failure(lua);
    };
    // SAFETY: kill(2) only sends a signal. The child is not reaped yet (checked above, and only
    // this thread reaps it), so its pid still names it.
    if unsafe { libc::kill(pid, signal) } == 0 {
        true.into_lua_multi(lua)
    } else {
        let source = std::io::Error::last_os_error();
        ProcessError::Kill { cmd: process.cmd.clone(), pid, signal, source }.into_failure(lua)
    }
}

impl UserData for ProcessHandle {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_field_method_get("pid", |_, this| Ok(this.0.pid));
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("wait", |lua, this, ()| process_wait(lua, this));
        methods.add_method("kill", |lua, this, signal: i32| process_kill(lua, this, signal));
    }
}
