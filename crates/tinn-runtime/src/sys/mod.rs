//! Platform code behind one boundary: the rest of the crate sees [`OsSignals`] only. tinn builds
//! on Linux only (see `lib.rs`); a port adds its module here (docs/platforms.md).

mod timer;
mod unix;

pub(crate) use timer::Timer;
pub(crate) use unix::{ExitOnInterrupt, OsSignals};

/// An OS signal the scheduler delivers as a named signal (DESIGN.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OsSignal {
    Interrupt,
    Terminate,
    Hangup,
}

impl OsSignal {
    /// The name scripts wait on: `onSignal(fn, "SIGINT")`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            OsSignal::Interrupt => "SIGINT",
            OsSignal::Terminate => "SIGTERM",
            OsSignal::Hangup => "SIGHUP",
        }
    }

    /// The exit status when no task handles it: 128 + the signal number, as shells report.
    pub(crate) fn exit_status(self) -> i32 {
        match self {
            OsSignal::Interrupt => 130,
            OsSignal::Terminate => 143,
            OsSignal::Hangup => 129,
        }
    }
}
