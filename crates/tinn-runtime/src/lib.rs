//! tinn's core: the Lua state, the module loader, the scheduler glue, the event loop and the
//! error policy. The CLI (`crates/tinn`) is a thin layer over [`Runtime`].
//!
//! Organization:
//! - `lua/tinn/scheduler.lua` is the scheduler itself (task switch, ready queue, timers,
//!   signals, predicates), JIT-compiled Lua; `event_loop` calls its `tick` once per turn.
//! - `tinn-reactor` is the seam through which Rust IO hands results back to parked tasks;
//!   `lua/tinn/reactor.lua` is its Lua half (tasks parked on operation ids), which the scheduler
//!   loads with the operations it needs and publishes as `tinn.reactor`.
//! - `loader` lists every built-in module (embedded Lua and native Rust).
//! - `interrupt` reaches a task that does not yield: signals that must stop it, the watchdog.
//! - `sys` holds the platform code (OS signals, the event loop's precise timer).
//!
//! Platforms: Linux only. Other systems fail at compile time here, with a pointer to
//! docs/platforms.md, instead of building a runtime whose untested branches half work.
//!
//! ```no_run
//! let runtime = tinn_runtime::Runtime::new().expect("a Lua state");
//! let status = runtime.run(tinn_runtime::Script::Source {
//!     code: "sleep(10) print('hi')".into(),
//!     name: "example".into(),
//! }, &[]);
//! ```

#[cfg(not(target_os = "linux"))]
compile_error!("tinn builds on Linux only (inotify, /proc, /sys, Unix signals); see docs/platforms.md");

mod allocator;
mod error;
mod event_loop;
mod interrupt;
mod loader;
mod sys;
mod worker;

use std::path::{Path, PathBuf};

use mlua::{Function, Lua, MultiValue, Table, Value};

pub use error::RuntimeError;
pub use loader::NativeModule;
pub use worker::{wait_for_workers, WORKER_GRACE};

use event_loop::Scheduler;

/// tinn's version, as `tinn --version` and `tinn.version` report it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What to run as task 1.
#[derive(Debug, Clone)]
pub enum Script {
    /// A file; its directory is searched first by `require`.
    File(PathBuf),
    /// Source text, e.g. from `tinn -e`; `name` appears in error messages.
    Source {
        /// The Lua source.
        code: String,
        /// The chunk's name in tracebacks.
        name: String,
    },
}

/// One Lua state with its scheduler; runs one script to completion.
pub struct Runtime {
    /// Declared before `lua`: mlua's allocator is back before the state can close.
    _mlua_allocator: Option<allocator::MluaAllocator>,
    lua: Lua,
    completions: std::cell::RefCell<tinn_reactor::Completions>,
    scheduler: Scheduler,
    spawn_main: Function,
    /// Named signals fed by the runtime's owner (a worker's parent); replaces OS signals.
    named_signals: std::cell::RefCell<Option<tokio::sync::mpsc::UnboundedReceiver<String>>>,
    exports: Table,
    monitor: std::sync::Arc<interrupt::Monitor>,
}

impl Runtime {
    /// Creates a Lua state with the scheduler's words as globals and the built-in modules.
    pub fn new() -> Result<Runtime, RuntimeError> {
        // SAFETY: this does weaken Rust's guarantees, on purpose. unsafe_new opens the `ffi` and
        // `debug` libraries and lets `require` load C modules: a script can then read and write
        // any memory, so the process is memory-safe only as far as its scripts and C modules
        // are. Scripts are trusted code, as in LuaJIT itself (DESIGN.md §5: the ffi and
        // Debian's Lua C modules are features); nothing here runs untrusted Lua.
        let lua = unsafe { Lua::unsafe_new() };
        let mlua_allocator = allocator::use_mimalloc(&lua)?;
        let completions = std::cell::RefCell::new(tinn_reactor::Reactor::install(&lua));
        lua.set_app_data(worker::launcher(None));
        loader::install(&lua)?;
        // stdout is line-buffered so output shows up in pipes and logs as it is printed.
        lua.load("io.stdout:setvbuf('line')").set_name("=tinn/init").exec()?;

        let native = lua.create_table()?;
        native.set("PENDING", tinn_reactor::pending())?;
        let monitor = interrupt::Monitor::new();
        native.set("published", monitor.published_pointer())?;
        native.set("EXIT", event_loop::EXIT)?;
        native.set("cancelOp", lua.create_function(|lua, id: u64| {
            tinn_reactor::cancel(lua, id);
            Ok(())
        })?)?;
        let reactor = lua.load(loader::REACTOR_SOURCE).set_name(loader::chunk_name("tinn.reactor"));
        native.set("reactor", reactor.into_function()?)?;
        let exports: Table = lua
            .load(loader::SCHEDULER_SOURCE)
            .set_name(loader::chunk_name("tinn.scheduler"))
            .call(native)?;
        let scheduler = Scheduler {
            tick: exports.get("tick")?,
            shutdown: exports.get("shutdown")?,
            deliver_signal: exports.get("deliverSignal")?,
        };
        install_tinn_table(&lua, &exports)?;
        monitor.attach(&lua, exports.get("onHook")?)?;
        install_test_hooks(&lua)?;
        Ok(Runtime {
            _mlua_allocator: mlua_allocator,
            monitor,
            spawn_main: exports.get("spawnMain")?,
            lua,
            completions,
            scheduler,
            named_signals: std::cell::RefCell::new(None),
            exports,
        })
    }

    /// The Lua state, for embedders that add their own globals before [`Runtime::run`].
    pub fn lua(&self) -> &Lua {
        &self.lua
    }

    /// Runs `script` as task 1 with `args` as `arg[1..]` and `...`; returns the exit status.
    /// Errors inside the script are reported by the scheduler (DESIGN.md §3) and give status 1;
    /// an `Err` means the script could not start (unreadable, syntax error).
    pub fn run(&self, script: Script, args: &[String]) -> Result<i32, RuntimeError> {
        let main = self.load_main(&script)?;
        self.set_arg(&script, args)?;
        let mut call_args = MultiValue::new();
        call_args.push_back(Value::Function(main));
        for arg in args {
            call_args.push_back(Value::String(self.lua.create_string(arg)?));
        }
        let _: Value = self.spawn_main.call(call_args)?;
        self.run_loop()
    }

    /// Signals for this runtime come from `signals` (e.g. `QUIT` from a worker's parent) instead
    /// of the OS; a name no task waits for ends the program with status 0.
    pub fn set_signal_source(&self, signals: tokio::sync::mpsc::UnboundedReceiver<String>) {
        *self.named_signals.borrow_mut() = Some(signals);
    }

    /// Warns on stderr whenever a task runs `limit` without yielding (`tinn --watchdog MS`):
    /// the task's id and name, and its traceback when it runs interpreted code.
    pub fn set_watchdog(&self, limit: std::time::Duration) -> Result<(), RuntimeError> {
        let publish_names: Function = self.exports.get("publishNames")?;
        publish_names.call::<()>(())?;
        interrupt::start_watchdog(&self.monitor, limit).map_err(RuntimeError::EventLoop)
    }

    /// Runs the event loop until the program ends (after task 1 was spawned).
    fn run_loop(&self) -> Result<i32, RuntimeError> {
        let named = self.named_signals.borrow_mut().take();
        event_loop::run(&self.lua, &self.scheduler, &mut self.completions.borrow_mut(), named, &self.monitor)
    }

    fn load_main(&self, script: &Script) -> Result<Function, RuntimeError> {
        let (code, name) = match script {
            Script::File(path) => {
                let code = std::fs::read(path).map_err(|source| RuntimeError::Open { path: path.clone(), source })?;
                self.prepend_script_dir(path)?;
                (code, format!("@{}", path.display()))
            }
            Script::Source { code, name } => (code.clone().into_bytes(), format!("={name}")),
        };
        self.lua.load(&code[..]).set_name(&name).into_function().map_err(|err| match err {
            mlua::Error::SyntaxError { message, .. } => {
                let excerpt = source_excerpt(&code, &message);
                RuntimeError::Syntax { message, excerpt }
            }
            other => RuntimeError::Internal(other),
        })
    }

    /// `require` looks beside the script first, as Node resolves relative to the file.
    fn prepend_script_dir(&self, path: &Path) -> mlua::Result<()> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.display().to_string(),
            _ => return Ok(()),
        };
        let package: Table = self.lua.globals().get("package")?;
        let current: String = package.get("path")?;
        package.set("path", format!("{dir}/?.lua;{dir}/?/init.lua;{current}"))
    }

    /// `arg` as the `lua` binary sets it: arg[0] the script, arg[-1] the interpreter.
    fn set_arg(&self, script: &Script, args: &[String]) -> mlua::Result<()> {
        let arg = self.lua.create_table()?;
        let interpreter = std::env::args().next().unwrap_or_else(|| "tinn".to_string());
        arg.raw_set(-1, interpreter)?;
        match script {
            Script::File(path) => arg.raw_set(0, path.display().to_string())?,
            Script::Source { .. } => arg.raw_set(0, "-e")?,
        }
        for (index, value) in args.iter().enumerate() {
            arg.raw_set(index + 1, value.as_str())?;
        }
        self.lua.globals().set("arg", arg)
    }
}

/// The global `tinn` (also `require("tinn")`): runtime facts plus lazy access to built-in
/// submodules, so `tinn.json.encode(x)` works without a `require`.
fn install_tinn_table(lua: &Lua, exports: &Table) -> mlua::Result<()> {
    let tinn = lua.create_table()?;
    tinn.set("version", VERSION)?;
    for name in ["tasks", "atExit", "currentTask", "now"] {
        tinn.set(name, exports.get::<Value>(name)?)?;
    }
    let lookup = lua.create_function(|lua, (tinn, key): (Table, Value)| {
        let Value::String(key) = key else { return Ok((Value::Nil, None)) };
        let module = format!("tinn.{}", key.to_str()?);
        if !loader::is_builtin(&module) {
            // a typo must not read as a missing feature (`tinn.jsno` → nil → a later, vaguer error)
            let hint = match loader::suggest(&module) {
                Some(meant) => format!("; did you mean {meant}?"),
                None => String::new(),
            };
            return Ok((Value::Nil, Some(format!("no module {module}{hint}"))));
        }
        let require: Function = lua.globals().get("require")?;
        let value: Value = require.call(module)?;
        tinn.raw_set(key, value.clone())?;
        Ok((value, None))
    })?;
    // raised from Lua at level 2, so the message points at the script's line
    let index: Function = lua
        .load("local lookup = ... return function(t, k) local v, err = lookup(t, k) if err then error(err, 2) end return v end")
        .set_name("=tinn/init")
        .call(lookup)?;
    let meta = lua.create_table()?;
    meta.set("__index", index)?;
    tinn.set_metatable(Some(meta))?;
    lua.globals().set("tinn", &tinn)?;
    let loaded: Table = lua.globals().get::<Table>("package")?.get("loaded")?;
    loaded.set("tinn", tinn)
}

/// With `TINN_TEST_HOOKS=1` in the environment, `require("tinn.testhooks")` offers faults no
/// script input can cause, so the tests can check tinn survives them: `panicOp()` starts a
/// reactor operation whose future panics.
fn install_test_hooks(lua: &Lua) -> mlua::Result<()> {
    if std::env::var_os("TINN_TEST_HOOKS").is_none_or(|value| value != "1") {
        return Ok(());
    }
    let hooks = lua.create_table()?;
    hooks.set("panicOp", lua.create_function(|lua, ()| {
        tinn_reactor::start(lua, async {
            tokio::task::yield_now().await;
            panic!("deliberate panic from tinn.testhooks.panicOp");
        })
    })?)?;
    let loaded: Table = lua.globals().get::<Table>("package")?.get("loaded")?;
    loaded.set("tinn.testhooks", hooks)
}

/// The source line a syntax error points at, as `   12 | text`.
fn source_excerpt(code: &[u8], message: &str) -> Option<String> {
    let line_number: usize = message.split(':').nth(1)?.trim().parse().ok()?;
    let text = String::from_utf8_lossy(code);
    let line = text.lines().nth(line_number.checked_sub(1)?)?;
    Some(format!("{line_number:>5} | {line}"))
}
