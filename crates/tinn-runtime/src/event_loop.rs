//! The outer loop: one call into the Lua scheduler per turn, then wait for IO, a timer or an
//! OS signal (DESIGN.md §5). Task switches happen inside `tick`, never here.

use std::ffi::c_int;
use std::time::Duration;

use mlua::{Function, Lua, Result as LuaResult, Value};
use tinn_reactor::{Completion, Completions, OpId, PushBytes, Reactor};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::interrupt::Monitor;
use crate::sys::{OsSignal, OsSignals, Timer};

/// `tick` returns this instead of a wait hint when the program must end. The scheduler gets it
/// from here at load (`native.EXIT`), so the two sides cannot disagree.
pub(crate) const EXIT: f64 = -2.0;

/// How long blocking work still running at exit may take before the process leaves without it.
const BLOCKING_GRACE: Duration = Duration::from_secs(1);

/// The scheduler's entry points, as returned by `lua/tinn/scheduler.lua`.
pub(crate) struct Scheduler {
    pub(crate) tick: Function,
    pub(crate) shutdown: Function,
    pub(crate) deliver_signal: Function,
}

/// Runs the scheduler until the program ends; returns the exit status. Signals come from the OS,
/// or, when `named` is given (a worker's runtime), from that channel only: a thread that is not
/// the program must not take the process's signals.
pub(crate) fn run(
    lua: &Lua,
    scheduler: &Scheduler,
    completions: &mut Completions,
    named: Option<UnboundedReceiver<String>>,
    monitor: &std::sync::Arc<Monitor>,
) -> Result<i32, crate::RuntimeError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(crate::RuntimeError::EventLoop)?;
    let signals = match named {
        Some(_) => None,
        None => Some(OsSignals::listen(std::sync::Arc::clone(monitor)).map_err(crate::RuntimeError::EventLoop)?),
    };
    let local = tokio::task::LocalSet::new();
    let status = local.block_on(&runtime, async {
        // Made inside the runtime: the timer registers with its IO driver.
        let timer = Timer::new();
        drive(lua, scheduler, completions, signals, named, monitor, &timer).await
    })?;
    if let Some(reactor) = lua.app_data_ref::<Reactor>() {
        reactor.cancel_all();
    }
    // A blocking call a script stopped waiting for (a timed-out open of a FIFO, say) can run on
    // forever; dropping the runtime would wait for it. Give such calls a moment, then leave.
    drop(local);
    runtime.shutdown_timeout(BLOCKING_GRACE);
    Ok(status)
}

async fn drive(
    lua: &Lua,
    scheduler: &Scheduler,
    completions: &mut Completions,
    mut signals: Option<OsSignals>,
    mut named: Option<UnboundedReceiver<String>>,
    monitor: &Monitor,
    timer: &Timer,
) -> LuaResult<i32> {
    let mut completed: Vec<(OpId, Completion)> = Vec::new();
    let fill = completions_filler(lua)?;
    loop {
        // The signal thread watches this to tell a busy program from a stuck task.
        monitor.turn();
        let handed_back = completions_table(lua, &fill, &mut completed)?;
        let (hint, status): (f64, Option<i32>) = scheduler.tick.call(handed_back)?;
        if hint == EXIT {
            return Ok(status.unwrap_or(0));
        }
        let reactor = lua
            .app_data_ref::<Reactor>()
            .ok_or_else(|| mlua::Error::external("the reactor is missing from the Lua state"))?;
        if hint < 0.0 && reactor.in_flight() == 0 {
            // Nothing ready, sleeping, polling or doing IO: only signals are left, and a task
            // waiting on a signal nobody can send does not keep the program alive.
            return scheduler.shutdown.call(Value::Nil);
        }
        if hint == 0.0 {
            // Tasks are still ready: let IO futures run, then collect what finished.
            tokio::task::yield_now().await;
            completions.take(&reactor, &mut completed);
            continue;
        }
        if reactor.expects_soon() && spin_for_completions(completions, &reactor, &mut completed).await {
            continue;
        }
        let wait = (hint > 0.0).then(|| Duration::try_from_secs_f64(hint / 1000.0).unwrap_or(Duration::MAX));
        tokio::select! {
            _ = completions.wait(&reactor, &mut completed) => {}
            signal = next_os_signal(&mut signals) => {
                drop(reactor);
                if let Some(status) = deliver(scheduler, signals.as_ref(), signal)? {
                    return Ok(status);
                }
            }
            name = next_named_signal(&mut named) => {
                drop(reactor);
                // A named signal nobody waits for (a worker's QUIT) ends the program cleanly.
                let handled: bool = scheduler.deliver_signal.call(name)?;
                if !handled {
                    return scheduler.shutdown.call(0);
                }
            }
            _ = sleep_for(timer, wait), if wait.is_some() => {}
        }
    }
}

/// How long the loop keeps polling before it sleeps while a worker's reply is expected: waking
/// a sleeping thread costs ~25 µs on a VM, and a reply from a busy worker usually comes sooner.
const SPIN_BEFORE_SLEEP: Duration = Duration::from_micros(50);

/// Polls IO (without sleeping) for up to [`SPIN_BEFORE_SLEEP`]; `true` once something completed.
async fn spin_for_completions(
    completions: &mut Completions,
    reactor: &Reactor,
    completed: &mut Vec<(OpId, Completion)>,
) -> bool {
    let deadline = std::time::Instant::now() + SPIN_BEFORE_SLEEP;
    while std::time::Instant::now() < deadline {
        tokio::task::yield_now().await;
        completions.take(reactor, completed);
        if !completed.is_empty() {
            return true;
        }
    }
    false
}

async fn sleep_for(timer: &Timer, wait: Option<Duration>) {
    if let Some(wait) = wait {
        timer.sleep(wait).await;
    }
}

async fn next_os_signal(signals: &mut Option<OsSignals>) -> OsSignal {
    match signals {
        Some(signals) => signals.next().await,
        None => std::future::pending().await,
    }
}

/// The next named signal; pending forever without a source or once every sender is gone.
async fn next_named_signal(named: &mut Option<UnboundedReceiver<String>>) -> String {
    if let Some(receiver) = named {
        if let Some(name) = receiver.recv().await {
            return name;
        }
    }
    std::future::pending().await
}

/// Hands an OS signal to the tasks waiting for it; with none, ends the program as a shell would.
fn deliver(scheduler: &Scheduler, signals: Option<&OsSignals>, signal: OsSignal) -> LuaResult<Option<i32>> {
    let handled: bool = scheduler.deliver_signal.call((signal.name(), signal.exit_status()))?;
    if handled {
        if let Some(signals) = signals {
            signals.interrupt_handled();
        }
        return Ok(None);
    }
    let status: i32 = scheduler.shutdown.call(signal.exit_status())?;
    Ok(Some(status))
}

/// How many values one call of `push_completions` takes at most: LuaJIT lets a C function
/// grow its stack to 8000 slots.
const VALUES_PER_CALL: usize = 4000;

/// A completion's result as `push_completions` adds it to the table.
enum Handed {
    /// This many values, among the call's arguments.
    Values(usize),
    /// Bytes it pushes itself, as one string (nil: none).
    Bytes(PushBytes),
}

/// `{id1, result1, id2, result2, ...}` with each result packed `{n = k, ...}`, or nil. A result
/// that is one string or number comes as itself, without a table (reads and writes).
///
/// The table is built by `fill` ([`push_completions`], made once by [`completions_filler`]) in
/// one plain call per 4,000 values: mlua's table creation, `raw_set` and `exec_raw` make a
/// protected call each, and `exec_raw` two new C closures every time, thousands of
/// instructions a turn. A bytes completion's string is pushed there from its bytes.
fn completions_table(lua: &Lua, fill: &Function, completed: &mut Vec<(OpId, Completion)>) -> LuaResult<Value> {
    if completed.is_empty() {
        return Ok(Value::Nil);
    }
    let mut handed: Vec<(OpId, Handed)> = Vec::with_capacity(completed.len().min(VALUES_PER_CALL));
    let mut values = Vec::with_capacity(VALUES_PER_CALL.min(completed.len() * 2));
    let mut table = Value::Nil;
    for (id, done) in completed.drain(..) {
        match done {
            Completion::Bytes(push) => handed.push((id, Handed::Bytes(push))),
            Completion::Values(make) => {
                let made = match make(lua) {
                    Ok(made) => made,
                    Err(err) => mlua::MultiValue::from_vec(vec![Value::Nil, Value::String(lua.create_string(err.to_string())?)]),
                };
                handed.push((id, Handed::Values(made.len())));
                values.extend(made);
            }
        }
        if values.len() >= VALUES_PER_CALL || handed.len() >= VALUES_PER_CALL {
            table = fill_table(fill, &mut handed, table, std::mem::take(&mut values))?;
        }
    }
    if !handed.is_empty() {
        table = fill_table(fill, &mut handed, table, values)?;
    }
    Ok(table)
}

/// One call of `fill`: appends the completions in `handed` (their values in `values`) to
/// `table` (made when nil); returns it.
fn fill_table(fill: &Function, handed: &mut Vec<(OpId, Handed)>, table: Value, values: Vec<Value>) -> LuaResult<Value> {
    let mut args = mlua::MultiValue::from_vec(values);
    args.push_front(table);
    // `push_completions` finds the results `handed` describes through this address
    args.push_front(Value::LightUserData(mlua::LightUserData(std::ptr::from_mut(handed).cast())));
    fill.call(args)
}

/// The Lua function `completions_table` builds its table with.
fn completions_filler(lua: &Lua) -> LuaResult<Function> {
    // SAFETY: only `completions_table` calls it, with the arguments it documents.
    unsafe { lua.create_c_function(push_completions) }
}

/// `push_completions(entries, table | nil, values...)` → the table (made when nil), with the
/// completions `entries` lists (a `Vec<(OpId, Handed)>`, drained) appended, their values taken
/// from `values...` in order.
///
/// # Safety
/// Called only by `completions_table`, whose `handed` vector argument 1 points to.
unsafe extern "C-unwind" fn push_completions(state: *mut mlua::lua_State) -> c_int {
    use mlua::ffi;
    let handed = unsafe { &mut *ffi::lua_touserdata(state, 1).cast::<Vec<(OpId, Handed)>>() };
    unsafe {
        if ffi::lua_type(state, 2) != ffi::LUA_TTABLE {
            ffi::lua_createtable(state, c_int::try_from(handed.len() * 2).unwrap_or(c_int::MAX), 0);
            ffi::lua_replace(state, 2);
        }
        let mut entry = ffi::lua_objlen(state, 2) as ffi::lua_Integer;
        let mut at = 3;
        // the key "n", made once rather than looked up by lua_setfield for every result
        ffi::lua_pushlstring(state, c"n".as_ptr(), 1);
        let n = ffi::lua_gettop(state);
        // a result packed `{n = n_value, ...}` from the `count` values at `at` on
        let pack = |at: c_int, count: usize, n_value: usize| {
            ffi::lua_createtable(state, c_int::try_from(count).unwrap_or(c_int::MAX), 1);
            for j in 0..count {
                ffi::lua_pushvalue(state, at + j as c_int);
                ffi::lua_rawseti(state, -2, j as ffi::lua_Integer + 1);
            }
            ffi::lua_pushvalue(state, n);
            ffi::lua_pushinteger(state, n_value as ffi::lua_Integer);
            ffi::lua_rawset(state, -3);
        };
        for (id, result) in handed.drain(..) {
            ffi::lua_pushnumber(state, id as ffi::lua_Number);
            ffi::lua_rawseti(state, 2, entry + 1);
            entry += 2;
            match result {
                Handed::Bytes(push) => {
                    let mut pushed = false;
                    push(&mut |bytes: &[u8]| {
                        ffi::lua_pushlstring(state, bytes.as_ptr().cast(), bytes.len());
                        pushed = true;
                    });
                    if !pushed {
                        pack(at, 0, 1); // nil, as `{n = 1}`: a hole would end the table early
                    }
                }
                Handed::Values(1) if matches!(ffi::lua_type(state, at), ffi::LUA_TSTRING | ffi::LUA_TNUMBER) => {
                    ffi::lua_pushvalue(state, at);
                    at += 1;
                }
                Handed::Values(count) => {
                    pack(at, count, count);
                    at += count as c_int;
                }
            }
            ffi::lua_rawseti(state, 2, entry);
        }
        ffi::lua_pushvalue(state, 2);
    }
    1
}
