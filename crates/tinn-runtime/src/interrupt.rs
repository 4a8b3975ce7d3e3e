//! Reaching a task that does not yield (DESIGN.md §2): an OS signal that must stop it, and the
//! watchdog that reports it.
//!
//! The scheduler publishes, at every task switch, which task runs (0 between tasks) in a small
//! struct it writes through the ffi (so the switch stays in the JIT and never calls into Rust).
//! The signal and watchdog threads read it to tell a stuck task from a busy program: the event
//! loop gets a turn at least every few milliseconds while tasks switch, so if neither the
//! running task nor the event loop's turn count changed, the same task has been running all
//! along.
//!
//! To act on the running task, those threads set a LuaJIT count hook (`lua_sethook` may be called
//! from outside the running code; LuaJIT's own `luajit` does it from its SIGINT handler). The
//! hook runs on the Lua thread at the next interpreted instruction and calls the scheduler's
//! `onHook`, which raises `interrupted` in the task or prints the watchdog's traceback. LuaJIT
//! runs no hooks inside a compiled trace, so a JIT-compiled loop never sees it: for that case
//! [`Monitor::stuck_since`] lets the signal thread end the process itself (logs flushed, the
//! task named) once the task has gone on for [`INTERRUPT_GRACE`].

use std::cell::UnsafeCell;
use std::ffi::{c_char, c_int, CStr};
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use mlua::{ffi, Lua};

/// How long a task may go on without yielding after a signal before it is interrupted: one that
/// yields by then lets the event loop take the signal the usual way (handlers registered in
/// the same round included), without an `interrupted` error.
pub(crate) const INTERRUPT_DELAY: Duration = Duration::from_millis(50);

/// How long a task may go on without yielding after a signal that must end the program before
/// tinn ends the process without it (the task is in compiled code the hook cannot reach).
pub(crate) const INTERRUPT_GRACE: Duration = Duration::from_millis(250);

/// Registry keys: the monitor (light userdata) and the scheduler's hook entry point.
const MONITOR_KEY: &CStr = c"tinn.monitor";
const ON_HOOK_KEY: &CStr = c"tinn.onHook";

/// Hook requests, as bits of [`Monitor::requests`].
const REQUEST_INTERRUPT: u32 = 1;
const REQUEST_WATCHDOG: u32 = 2;

/// What the scheduler writes at every task switch; the layout is declared again in
/// `lua/tinn/scheduler.lua` (`tinn_published`).
#[repr(C)]
struct Published {
    /// The running task's id; 0 between tasks (and once shutdown begins).
    task: f64,
    /// The running task's name, if it has one yet (computing names for every task would cost
    /// every spawn a `debug.getinfo`; with the watchdog on, every task gets one): a Lua string
    /// the task keeps alive while it runs.
    name: *const c_char,
}

/// Which task was running, as read from another thread.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Running {
    /// The event loop's turn count when it was read.
    turns: u64,
    /// The task's id; 0 when no task was running (a predicate, an exit hook, the loop itself).
    pub(crate) task: u64,
}

/// Shared by a Lua state's thread, its signal thread and its watchdog.
pub(crate) struct Monitor {
    published: UnsafeCell<Published>,
    /// Bumped by the event loop at every turn.
    turns: AtomicU64,
    /// The Lua state, for `lua_sethook` (hooks are global to a LuaJIT state).
    state: AtomicPtr<ffi::lua_State>,
    requests: AtomicU32,
    /// The task the requests were made for: the hook acts only on that task.
    armed_task: AtomicU64,
    /// The signal an interrupt request is for (its name's index in [`SIGNAL_NAMES`]) and the
    /// exit status it ends the program with.
    signal: AtomicU32,
    /// The script's own hook (`debug.sethook`), put back once ours has run.
    script_hook: std::sync::Mutex<Option<ScriptHook>>,
}

/// A hook LuaJIT had before ours: function, mask and count.
#[derive(Clone, Copy)]
struct ScriptHook(ffi::lua_Hook, c_int, c_int);

// SAFETY: `published` is written only by the Lua thread and read by others with volatile reads
// of word-sized fields (a torn read is impossible on the platforms tinn runs on, and a stale
// one is checked for); every other field is atomic.
unsafe impl Sync for Monitor {}
// SAFETY: as above; the raw pointers are only dereferenced as described there.
unsafe impl Send for Monitor {}

/// Signal names as scripts see them, indexed by [`Monitor::signal`].
const SIGNAL_NAMES: [&str; 3] = ["SIGINT", "SIGTERM", "SIGHUP"];

impl Monitor {
    pub(crate) fn new() -> Arc<Monitor> {
        Arc::new(Monitor {
            published: UnsafeCell::new(Published { task: 0.0, name: std::ptr::null() }),
            turns: AtomicU64::new(0),
            state: AtomicPtr::new(std::ptr::null_mut()),
            requests: AtomicU32::new(0),
            armed_task: AtomicU64::new(0),
            signal: AtomicU32::new(0),
            script_hook: std::sync::Mutex::new(None),
        })
    }

    /// The struct the scheduler writes, as a light userdata for `ffi.cast`.
    pub(crate) fn published_pointer(&self) -> mlua::LightUserData {
        mlua::LightUserData(self.published.get().cast())
    }

    /// Lets hooks reach this monitor and `on_hook` (the scheduler's `onHook`) from `lua`.
    /// The monitor must outlive the Lua state (the runtime keeps it in the state's app data).
    pub(crate) fn attach(self: &Arc<Monitor>, lua: &Lua, on_hook: mlua::Function) -> mlua::Result<()> {
        lua.set_named_registry_value(ON_HOOK_KEY.to_str().unwrap_or_default(), on_hook)?;
        let pointer = Arc::as_ptr(self).cast_mut().cast::<std::ffi::c_void>();
        lua.set_named_registry_value(MONITOR_KEY.to_str().unwrap_or_default(), mlua::LightUserData(pointer))?;
        let mut main: *mut ffi::lua_State = std::ptr::null_mut();
        // SAFETY: the closure only records the state pointer; the state lives as long as `lua`.
        unsafe { lua.exec_raw::<()>((), |state| main = state)? };
        self.state.store(main, Ordering::SeqCst);
        lua.set_app_data(Arc::clone(self));
        Ok(())
    }

    /// Called by the event loop at every turn.
    pub(crate) fn turn(&self) {
        self.turns.fetch_add(1, Ordering::Relaxed);
    }

    /// What runs now.
    pub(crate) fn running(&self) -> Running {
        let published = self.published.get();
        // SAFETY: see `unsafe impl Sync`: word-sized volatile reads of a live struct.
        let task = unsafe { std::ptr::read_volatile(&raw const (*published).task) };
        Running { turns: self.turns.load(Ordering::Relaxed), task: task as u64 }
    }

    /// The running task's name, if it has one and `running` is still what runs (so the name is
    /// still alive).
    pub(crate) fn task_name(&self, running: &Running) -> String {
        let published = self.published.get();
        // SAFETY: the name points into a Lua string the running task keeps alive; it is read only
        // while the same resume is still running (checked before and after the copy).
        let name = unsafe {
            let pointer = std::ptr::read_volatile(&raw const (*published).name);
            if pointer.is_null() || self.running() != *running {
                return "unnamed".to_string();
            }
            CStr::from_ptr(pointer).to_string_lossy().into_owned()
        };
        if self.running() != *running {
            return "unnamed".to_string();
        }
        name
    }

    /// `true` if what was `before` is still running: the same task, no event-loop turn.
    pub(crate) fn still(&self, before: &Running) -> bool {
        self.running() == *before
    }

    /// Asks the running task to stop: `interrupted` is raised in it at its next interpreted
    /// instruction (unless a script handler waits for `signal`). `status` is the exit status.
    pub(crate) fn request_interrupt(&self, signal: crate::sys::OsSignal, running: &Running) {
        let index = SIGNAL_NAMES.iter().position(|name| *name == signal.name()).unwrap_or(0);
        self.signal.store(index as u32, Ordering::SeqCst);
        self.request(REQUEST_INTERRUPT, running);
    }

    /// Asks the running task to print the watchdog's traceback.
    pub(crate) fn request_traceback(&self, running: &Running) {
        self.request(REQUEST_WATCHDOG, running);
    }

    fn request(&self, bits: u32, running: &Running) {
        if running.task == 0 {
            return; // between tasks: the event loop handles signals itself
        }
        self.armed_task.store(running.task, Ordering::SeqCst);
        self.requests.fetch_or(bits, Ordering::SeqCst);
        let state = self.state.load(Ordering::SeqCst);
        if !state.is_null() {
            let mut saved = self.script_hook.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            // SAFETY: the state is alive while its monitor is attached; lua_gethook* only read,
            // lua_sethook only stores the hook and switches LuaJIT's dispatch table, as luajit's
            // own SIGINT handler does.
            unsafe {
                match ffi::lua_gethook(state) {
                    Some(current) if std::ptr::fn_addr_eq(current, hook as ffi::lua_Hook) => {} // ours, already set
                    Some(current) => {
                        *saved = Some(ScriptHook(current, ffi::lua_gethookmask(state), ffi::lua_gethookcount(state)));
                    }
                    None => *saved = None,
                }
                ffi::lua_sethook(state, Some(hook), ffi::LUA_MASKCOUNT, 1);
            }
        }
    }
}

/// Runs on the Lua thread at the first interpreted instruction after a request.
unsafe extern "C-unwind" fn hook(state: *mut ffi::lua_State, _debug: *mut ffi::lua_Debug) {
    // SAFETY: called by LuaJIT on its own thread with a valid state; the stack work below is
    // balanced, and the error `onHook` may raise unwinds to the task's pcall like any error.
    unsafe {
        if ffi::lua_checkstack(state, 4) == 0 {
            ffi::lua_sethook(state, None, 0, 0);
            return;
        }
        ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, MONITOR_KEY.as_ptr());
        let monitor = ffi::lua_touserdata(state, -1).cast::<Monitor>().cast_const();
        ffi::lua_settop(state, -2);
        let Some(monitor) = monitor.as_ref() else {
            ffi::lua_sethook(state, None, 0, 0);
            return;
        };
        // the script's own hook (debug.sethook) takes over again
        let saved = monitor.script_hook.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        match saved {
            Some(ScriptHook(function, mask, count)) => ffi::lua_sethook(state, Some(function), mask, count),
            None => ffi::lua_sethook(state, None, 0, 0),
        };
        let requests = monitor.requests.swap(0, Ordering::SeqCst);
        let now = monitor.running();
        if requests == 0 || now.task == 0 || now.task != monitor.armed_task.load(Ordering::SeqCst) {
            return; // the task yielded meanwhile: nothing to stop
        }
        let signal = SIGNAL_NAMES[monitor.signal.load(Ordering::SeqCst) as usize % SIGNAL_NAMES.len()];
        let status: c_int = match signal {
            "SIGTERM" => 143,
            "SIGHUP" => 129,
            _ => 130,
        };
        // The traceback first: the interrupt raises and does not return.
        for (bit, kind) in [(REQUEST_WATCHDOG, c"watchdog"), (REQUEST_INTERRUPT, c"interrupt")] {
            if requests & bit == 0 {
                continue;
            }
            ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, ON_HOOK_KEY.as_ptr());
            if ffi::lua_type(state, -1) != ffi::LUA_TFUNCTION {
                ffi::lua_settop(state, -2);
                return;
            }
            ffi::lua_pushstring(state, kind.as_ptr());
            ffi::lua_pushlstring(state, signal.as_ptr().cast(), signal.len());
            ffi::lua_pushinteger(state, ffi::lua_Integer::from(status));
            ffi::lua_call(state, 3, 0);
        }
    }
}

/// Starts the watchdog: a thread that warns on stderr, with the task's name and (when the task
/// runs interpreted code) its traceback, whenever a task runs `limit` without yielding. It ends
/// with the monitor.
pub(crate) fn start_watchdog(monitor: &Arc<Monitor>, limit: Duration) -> std::io::Result<()> {
    let monitor: Weak<Monitor> = Arc::downgrade(monitor);
    let period = (limit / 4).clamp(Duration::from_millis(1), Duration::from_millis(100));
    std::thread::Builder::new().name("tinn-watchdog".into()).spawn(move || {
        let mut seen: Option<(Running, Instant)> = None;
        let mut warned: Option<Running> = None;
        loop {
            std::thread::sleep(period);
            let Some(monitor) = monitor.upgrade() else { return };
            let now = monitor.running();
            let since = match &seen {
                Some((before, since)) if *before == now => *since,
                _ => {
                    seen = Some((now.clone(), Instant::now()));
                    continue;
                }
            };
            if now.task == 0 || warned.as_ref() == Some(&now) || since.elapsed() < limit {
                continue;
            }
            let name = monitor.task_name(&now);
            eprintln!(
                "tinn: watchdog: task {} ({name}) has run for {} ms without yielding",
                now.task,
                since.elapsed().as_millis()
            );
            monitor.request_traceback(&now);
            warned = Some(now);
        }
    })?;
    Ok(())
}
