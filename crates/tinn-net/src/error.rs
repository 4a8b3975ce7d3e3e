//! Errors of `tinn.net`, worded as operation + quoted subject + OS cause.

use std::fmt;

/// A failed network operation. Scripts see its Display text as the second value of `nil, err`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// An OS-level failure while doing `op` on `subject` (an address or `host:port`).
    #[error("{op} '{subject}': {source}")]
    Io {
        /// The operation: `connect`, `listen`, `read`, `write`, `accept`, `resolve`, ...
        op: &'static str,
        /// What it was done to.
        subject: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A host name that resolved to no address.
    #[error("resolve '{0}': no addresses found")]
    NoAddress(String),
    /// A host name tinn.dns could not resolve (`NXDOMAIN`, `timeout`, ...).
    #[error("resolve '{host}': {reason}")]
    Resolve {
        /// The name as given.
        host: String,
        /// tinn.dns's answer.
        reason: String,
    },
    /// The socket was closed (by this side) before or while the operation ran.
    #[error("closed")]
    Closed,
}

tinn_reactor::script_error!(NetError);

impl NetError {
    pub(crate) fn io(op: &'static str, subject: impl fmt::Display, source: std::io::Error) -> NetError {
        NetError::Io { op, subject: subject.to_string(), source }
    }
}
