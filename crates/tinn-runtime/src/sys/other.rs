//! Platforms without Unix signals: no OS signal is delivered to scripts yet.

use super::OsSignal;

/// The stream of OS signals for the event loop (empty here).
pub(crate) struct OsSignals;

impl OsSignals {
    pub(crate) fn listen(_monitor: std::sync::Arc<crate::interrupt::Monitor>) -> std::io::Result<OsSignals> {
        Ok(OsSignals)
    }

    pub(crate) async fn next(&mut self) -> OsSignal {
        std::future::pending().await
    }

    pub(crate) fn interrupt_handled(&self) {}
}

/// Ctrl-C while the process waits for its workers (nothing to install here).
pub(crate) struct ExitOnInterrupt;

impl ExitOnInterrupt {
    pub(crate) fn install() -> ExitOnInterrupt {
        ExitOnInterrupt
    }
}
