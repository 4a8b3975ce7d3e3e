//! OS signals on Unix, through signal-hook's self-pipe thread.
//!
//! A dedicated thread receives SIGINT, SIGTERM and SIGHUP and forwards them to the event loop.
//! If a second SIGINT arrives before the loop has taken the first (a task that never yields,
//! or a shutdown that hangs), the thread ends the process at once with status 130.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

use super::OsSignal;

/// The stream of OS signals for the event loop.
pub(crate) struct OsSignals {
    received: UnboundedReceiver<OsSignal>,
    interrupt_pending: Arc<AtomicBool>,
    /// Closing it ends the listener thread (a process may run many runtimes one after another).
    listener: Handle,
}

impl OsSignals {
    /// Starts listening; from now on these signals no longer kill the process by default.
    pub(crate) fn listen() -> std::io::Result<OsSignals> {
        let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])?;
        let listener = signals.handle();
        let (sender, received) = unbounded_channel();
        let interrupt_pending = Arc::new(AtomicBool::new(false));
        let pending = Arc::clone(&interrupt_pending);
        std::thread::Builder::new().name("tinn-signals".into()).spawn(move || {
            for number in signals.forever() {
                let signal = match number {
                    SIGINT => OsSignal::Interrupt,
                    SIGTERM => OsSignal::Terminate,
                    _ => OsSignal::Hangup,
                };
                if signal == OsSignal::Interrupt && pending.swap(true, Ordering::SeqCst) {
                    // SAFETY: _exit only ends the process; it touches no shared state.
                    unsafe { libc::_exit(signal.exit_status()) };
                }
                if sender.send(signal).is_err() {
                    break; // the event loop is gone
                }
            }
        })?;
        Ok(OsSignals { received, interrupt_pending, listener })
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
        self.listener.close();
    }
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
