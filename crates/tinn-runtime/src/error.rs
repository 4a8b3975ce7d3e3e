//! Errors that stop a script before or outside the scheduler (inside it, errors are Lua's).

use std::path::PathBuf;

/// Why the runtime could not run a script. Displayed after a `tinn: ` prefix by the CLI.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The script file could not be read.
    #[error("cannot open '{}': {source}", path.display())]
    Open {
        /// The path as given on the command line.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The script does not compile; `message` is LuaJIT's `file:line: reason`.
    #[error("syntax error: {message}{}", excerpt.as_deref().map(|e| format!("\n{e}")).unwrap_or_default())]
    Syntax {
        /// LuaJIT's message.
        message: String,
        /// The offending source line, numbered, when it could be found.
        excerpt: Option<String>,
    },
    /// The event loop could not be created (the OS refused a thread, a timer or a signal handler).
    #[error("cannot start the event loop: {0}")]
    EventLoop(#[source] std::io::Error),
    /// The command line or environment asked for something impossible; the text says what.
    #[error("{0}")]
    Usage(String),
    /// A failure inside the runtime itself, not caused by the script.
    #[error("internal error: {0}")]
    Internal(#[from] mlua::Error),
}
