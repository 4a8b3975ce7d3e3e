//! What every socket handle shares: a closed flag that wakes its parked operations.

use std::cell::Cell;
use std::future::Future;

use tokio::sync::Notify;

/// Marks a socket closed and lets pending operations finish with `nil, "closed"`.
#[derive(Default)]
pub(crate) struct Closing {
    closed: Cell<bool>,
    notify: Notify,
}

/// The outcome of an operation raced against `close()`.
pub(crate) enum Raced<T> {
    Done(T),
    Closed,
}

impl Closing {
    pub(crate) fn close(&self) {
        self.closed.set(true);
        self.notify.notify_waiters();
    }

    /// Runs `op` until it finishes or the socket is closed, whichever comes first.
    pub(crate) async fn race<T>(&self, op: impl Future<Output = T>) -> Raced<T> {
        let closed = self.notify.notified();
        if self.closed.get() {
            return Raced::Closed;
        }
        tokio::select! {
            _ = closed => Raced::Closed,
            value = op => Raced::Done(value),
        }
    }
}
