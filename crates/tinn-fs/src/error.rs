//! Errors of `tinn.fs` and `tinn.log`, worded as operation + quoted path + OS cause:
//! `open 'missing.txt': No such file or directory (os error 2)`.

use std::io;

/// A failed file-system operation. Scripts see its Display text as the second value of
/// `nil, err`; `Closed` prints exactly `closed`, which scripts compare.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FsError {
    /// The OS refused or failed `op` (`open`, `read`, `writeFile`, `stat`, ...) on `path`.
    #[error("{op} '{path}': {source}")]
    Io {
        /// What the script called: the function or method name.
        op: &'static str,
        /// The path as the script wrote it.
        path: String,
        /// The OS error, printed as `No such file or directory (os error 2)`.
        source: io::Error,
    },
    /// `rename` failed; both paths are named.
    #[error("rename '{from}' -> '{to}': {source}")]
    Rename {
        /// The old path.
        from: String,
        /// The new path.
        to: String,
        /// The OS error.
        source: io::Error,
    },
    /// An operation the handle cannot do (reading a file opened for writing only, ...).
    #[error("{op} '{path}': {reason}")]
    Refused {
        /// The method called.
        op: &'static str,
        /// The file's path.
        path: String,
        /// Why, as a phrase.
        reason: &'static str,
    },
    /// The file or log was closed before the operation started.
    #[error("closed")]
    Closed,
}

impl FsError {
    pub(crate) fn io(op: &'static str, path: &str, source: io::Error) -> FsError {
        FsError::Io { op, path: path.to_string(), source }
    }

    /// Wraps a failed blocking job (it panicked or the runtime is shutting down); not reachable
    /// from script input, but reported as a value rather than a crash.
    pub(crate) fn job(op: &'static str, path: &str, err: tokio::task::JoinError) -> FsError {
        FsError::io(op, path, io::Error::other(format!("background job failed: {err}")))
    }
}

tinn_reactor::script_error!(FsError);
