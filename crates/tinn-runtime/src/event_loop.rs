//! The outer loop: one call into the Lua scheduler per turn, then wait for IO, a timer or an
//! OS signal (DESIGN.md §5). Task switches happen inside `tick`, never here.

use std::time::Duration;

use mlua::{Function, Lua, Result as LuaResult, Table, Value};
use tinn_reactor::{Completion, Completions, OpId, Reactor};
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
    loop {
        // The signal thread watches this to tell a busy program from a stuck task.
        monitor.turn();
        let handed_back = completions_table(lua, &mut completed)?;
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

/// `{id1, result1, id2, result2, ...}` with each result packed `{n = k, ...}`, or nil.
fn completions_table(lua: &Lua, completed: &mut Vec<(OpId, Completion)>) -> LuaResult<Value> {
    if completed.is_empty() {
        return Ok(Value::Nil);
    }
    let table: Table = lua.create_table_with_capacity(completed.len() * 2, 0)?;
    for (id, done) in completed.drain(..) {
        let values = match done(lua) {
            Ok(values) => values,
            Err(err) => mlua::MultiValue::from_vec(vec![Value::Nil, Value::String(lua.create_string(err.to_string())?)]),
        };
        let count = values.len();
        let packed = lua.create_table_with_capacity(count, 1)?;
        for (index, value) in values.into_iter().enumerate() {
            packed.raw_set(index + 1, value)?;
        }
        packed.raw_set("n", count)?;
        table.raw_push(id)?;
        table.raw_push(packed)?;
    }
    Ok(Value::Table(table))
}
