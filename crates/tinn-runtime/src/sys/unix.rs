//! OS signals on Unix, through signal-hook's self-pipe thread.
//!
//! A dedicated thread receives SIGINT, SIGTERM and SIGHUP and forwards them to the event loop.
//! A task that does not yield would keep the loop from ever taking them, so if nothing moved
//! [`INTERRUPT_DELAY`] later the running task is asked to stop (see `crate::interrupt`), and if
//! nothing moved [`INTERRUPT_GRACE`] after the signal (a JIT-compiled loop, which no hook
//! reaches) the thread writes the logs and ends the process itself, naming the task. If a second
//! SIGINT arrives before the loop has taken the first (or while a shutdown hangs, or after the
//! loop ended because of the first), the process ends at once with status 130.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::interrupt::{Monitor, Running, INTERRUPT_DELAY, INTERRUPT_GRACE};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

use super::OsSignal;

/// The stream of OS signals for the event loop.
pub(crate) struct OsSignals {
    received: UnboundedReceiver<OsSignal>,
    interrupt_pending: Arc<AtomicBool>,
    /// Cleared when the event loop stops listening, so a late fallback does not end a process
    /// that has moved on.
    listening: Arc<AtomicBool>,
    /// Closing it ends the listener thread (a process may run many runtimes one after another).
    listener: Handle,
}

impl OsSignals {
    /// Starts listening; from now on these signals no longer kill the process by default.
    pub(crate) fn listen(monitor: Arc<Monitor>) -> std::io::Result<OsSignals> {
        let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])?;
        let listener = signals.handle();
        let (sender, received) = unbounded_channel();
        let interrupt_pending = Arc::new(AtomicBool::new(false));
        let pending = Arc::clone(&interrupt_pending);
        let listening = Arc::new(AtomicBool::new(true));
        let still_listening = Arc::clone(&listening);
        std::thread::Builder::new().name("tinn-signals".into()).spawn(move || {
            for number in signals.forever() {
                let signal = match number {
                    SIGINT => OsSignal::Interrupt,
                    SIGTERM => OsSignal::Terminate,
                    _ => OsSignal::Hangup,
                };
                if signal == OsSignal::Interrupt && pending.swap(true, Ordering::SeqCst) {
                    exit_now(signal.exit_status());
                }
                let running = monitor.running();
                if sender.send(signal).is_err() {
                    break; // the event loop is gone
                }
                let monitor = Arc::clone(&monitor);
                let listening = Arc::clone(&still_listening);
                // A thread per signal: signals are rare, and this one only sleeps and looks.
                let _ = std::thread::Builder::new()
                    .name("tinn-interrupt".into())
                    .spawn(move || end_if_stuck(&monitor, &listening, signal, &running));
            }
            // Closed: a second Ctrl-C that came while the listener closed is recorded but was
            // not handed out; it still ends the process (later ones reach the exit action
            // installed at drop).
            if pending.load(Ordering::SeqCst) && signals.pending().any(|number| number == SIGINT) {
                exit_now(OsSignal::Interrupt.exit_status());
            }
        })?;
        Ok(OsSignals { received, interrupt_pending, listening, listener })
    }

    /// The next signal; pending forever once the listener thread has stopped.
    pub(crate) async fn next(&mut self) -> OsSignal {
        match self.received.recv().await {
            Some(signal) => signal,
            None => std::future::pending().await,
        }
    }

    /// A script handled the interrupt: the next Ctrl-C goes to the script again.
    pub(crate) fn interrupt_handled(&self) {
        self.interrupt_pending.store(false, Ordering::SeqCst);
    }
}

impl Drop for OsSignals {
    fn drop(&mut self) {
        // After a Ctrl-C nobody handled, the next one ends the process at once for as long as
        // it lives: also between this listener's end and the wait for workers, which a second
        // Ctrl-C would otherwise reach only once the wait had installed its own action.
        if self.interrupt_pending.load(Ordering::SeqCst) {
            static INSTALLED: std::sync::Once = std::sync::Once::new();
            INSTALLED.call_once(|| std::mem::forget(ExitOnInterrupt::install()));
        }
        self.listening.store(false, Ordering::SeqCst);
        self.listener.close();
    }
}

/// Writes every log's buffer and ends the process with `status`, skipping exit hooks: for when
/// the scheduler thread cannot run them (stuck) or the user asked twice.
fn exit_now(status: i32) -> ! {
    tinn_fs::flush_all_logs_now();
    // SAFETY: _exit only ends the process; it touches no shared state.
    unsafe { libc::_exit(status) }
}

/// For a task that does not yield: if nothing moved for [`INTERRUPT_DELAY`] after `signal`,
/// interrupt it (when it runs interpreted code); if still nothing moved [`INTERRUPT_GRACE`]
/// after the signal (a JIT-compiled loop), say which task was running and end the process.
fn end_if_stuck(monitor: &Monitor, listening: &AtomicBool, signal: OsSignal, running: &Running) {
    let moved_on = || !listening.load(Ordering::SeqCst) || !monitor.still(running);
    std::thread::sleep(INTERRUPT_DELAY);
    if moved_on() {
        return;
    }
    monitor.request_interrupt(signal, running);
    std::thread::sleep(INTERRUPT_GRACE.saturating_sub(INTERRUPT_DELAY));
    if moved_on() {
        return;
    }
    let how = match signal {
        OsSignal::Interrupt => "interrupted".to_string(),
        other => format!("interrupted by {}", other.name()),
    };
    if running.task == 0 {
        eprintln!(
            "tinn: {how} while the scheduler was busy outside any task (a predicate, error handler or exit hook that does not return)"
        );
    } else {
        let name = monitor.task_name(running);
        eprintln!("tinn: {how} while task {} ({name}) was running without yielding", running.task);
    }
    exit_now(signal.exit_status());
}

/// While installed, SIGINT ends the process at once with status 130: once the event loop has
/// ended nobody takes signals, and a Ctrl-C while the process waits for its workers must not be
/// swallowed.
pub(crate) struct ExitOnInterrupt(Option<signal_hook::SigId>);

impl ExitOnInterrupt {
    /// Installs the action; without it (the OS refused) Ctrl-C is ignored until the wait ends.
    pub(crate) fn install() -> ExitOnInterrupt {
        // SAFETY: the action only calls _exit, which is async-signal-safe.
        let id = unsafe { signal_hook::low_level::register(SIGINT, || signal_hook::low_level::exit(130)) };
        ExitOnInterrupt(id.ok())
    }
}

impl Drop for ExitOnInterrupt {
    fn drop(&mut self) {
        if let Some(id) = self.0.take() {
            signal_hook::low_level::unregister(id);
        }
    }
}
