//! Errors of `tinn.worker`; scripts read their Display text, raised by `worker.lua` for a
//! message that cannot be sent or a misuse (see `tinn_reactor::ScriptError::into_refusal`).

use std::path::PathBuf;

use crate::message::MAX_DEPTH;

/// A refused worker operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerError {
    /// A value of a message that cannot cross to another thread; `path` names it
    /// (`msg.handlers[2]`).
    #[error("{op}: {why} at {path}")]
    Unsendable {
        /// `worker.post`, `port:post`, `worker.spawn`, ...
        op: String,
        /// What is wrong with it.
        why: Unsendable,
        /// Where in the message.
        path: String,
    },
    /// A buffer or channel end that could not be detached after all (not expected after the
    /// checks, but reported rather than lost).
    #[error("{op}: {why}")]
    Detach {
        /// The operation.
        op: String,
        /// Why.
        why: Unsendable,
    },
    /// `worker.post` / `worker.receive` called in the main program.
    #[error("worker.{0}: not inside a worker (this is the main program; use the handle worker.spawn returned)")]
    NotAWorker(&'static str),
    /// A channel end used after it was moved or closed.
    #[error("{op}: this channel end was {how}")]
    PortEnded {
        /// `port:post` or `port:receive`.
        op: &'static str,
        /// `moved` or `closed`.
        how: &'static str,
    },
    /// `worker.spawn("x.lua")` naming a file that is not there (nor beside the calling script).
    #[error("worker.spawn: no file '{file}'{}", beside.as_ref().map(|p| format!(" nor '{}'", p.display())).unwrap_or_default())]
    NoFile {
        /// The path as given.
        file: String,
        /// The same path beside the calling script, when it was looked for there too.
        beside: Option<PathBuf>,
    },
    /// A Lua state that tinn-runtime did not make cannot start workers.
    #[error("worker.spawn: this Lua state cannot start workers (no launcher; not made by tinn-runtime)")]
    NoLauncher,
    /// The OS refused a thread.
    #[error("worker.spawn: cannot start a thread: {0}")]
    Thread(std::io::Error),
}

/// Why a value cannot be sent to another thread.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Unsendable {
    /// A function, thread, light userdata, ... (by its Lua type name).
    #[error("cannot send a {0}")]
    Type(&'static str),
    /// A key of that type.
    #[error("cannot send a {0} as a key")]
    Key(&'static str),
    /// A userdata that is neither a buffer nor a channel end.
    #[error("cannot send a userdata")]
    Userdata,
    /// The same buffer or channel end twice in one message.
    #[error("cannot move the same buffer or port twice in one message")]
    MovedTwice,
    /// A table that contains itself.
    #[error("cannot send a table that contains itself")]
    Cycle,
    /// Tables nested deeper than [`MAX_DEPTH`].
    #[error("cannot send tables nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A table whose iteration failed (a `__pairs` or `__index` that raises...).
    #[error("cannot read the table: {0}")]
    Unreadable(mlua::Error),
    /// A buffer already moved away.
    #[error("cannot send a buffer that was already moved")]
    BufferMoved,
    /// A channel end through its own channel (it would end up in its own queue).
    #[error("cannot send a channel end through its own channel")]
    OwnChannel,
    /// A channel end some task is receiving on.
    #[error("cannot send a channel end while a task is receiving on it")]
    Receiving,
    /// A channel end already moved or closed.
    #[error("cannot send a channel end that was {0}")]
    PortEnded(&'static str),
    /// Detaching found the value already gone.
    #[error("a buffer or channel end moved twice")]
    Gone,
    /// Detaching found a userdata that cannot move.
    #[error("cannot move this userdata")]
    NotMovable,
}

tinn_reactor::script_error!(WorkerError);
