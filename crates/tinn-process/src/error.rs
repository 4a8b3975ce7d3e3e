//! Errors of `tinn.process`, worded as operation + quoted command + cause; scripts read their
//! Display text as the `err` of `nil, err` (see `tinn_reactor::ScriptError`).

/// A failed process operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// The command could not be started.
    #[error("spawn '{cmd}': {source}")]
    Spawn {
        /// The command as given.
        cmd: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The command could not be started because its working directory is missing.
    #[error("spawn '{cmd}' in '{cwd}': {source}")]
    SpawnIn {
        /// The command as given.
        cmd: String,
        /// The `cwd` option.
        cwd: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Waiting for the child failed.
    #[error("wait '{cmd}': {source}")]
    Wait {
        /// The command.
        cmd: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A signal for a child that has already exited.
    #[error("kill '{cmd}': the process has exited")]
    Exited {
        /// The command.
        cmd: String,
    },
    /// A pid the OS call cannot take.
    #[error("kill '{cmd}': pid {pid} out of range")]
    PidRange {
        /// The command.
        cmd: String,
        /// The child's pid.
        pid: u32,
    },
    /// kill(2) refused.
    #[error("kill '{cmd}' (pid {pid}) with signal {signal}: {source}")]
    Kill {
        /// The command.
        cmd: String,
        /// The child's pid.
        pid: i32,
        /// The signal number.
        signal: i32,
        /// The OS error.
        source: std::io::Error,
    },
    /// A read from or write to one of the child's pipes failed; `op` is `read` or `write`,
    /// `pipe` names it (`stdout of 'cat'`).
    #[error("{op} {pipe}: {source}")]
    Pipe {
        /// `read` or `write`.
        op: &'static str,
        /// Which pipe.
        pipe: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The pipe or process was closed before the operation finished.
    #[error("closed")]
    Closed,
}

tinn_reactor::script_error!(ProcessError);
