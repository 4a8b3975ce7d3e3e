//! The one way a crate's error reaches a script (DESIGN.md §3).
//!
//! Each crate whose failures a script can see has a thiserror enum whose Display is the whole
//! message: operation, quoted subject, cause (`request 'http://x/': connection refused`).
//! [`script_error!`](crate::script_error) makes such an enum usable both ways a script meets a
//! failure:
//! - returned, `nil, message` (IO failures, DESIGN.md §3): [`ScriptError::into_failure`], or
//!   [`failure`](crate::failure) for an operation's completion;
//! - raised (what the Lua wrapper could not check first): [`ScriptError::into_refusal`] returns
//!   `false, message` and the wrapper raises it with `error(message, 2)`, so the script sees the
//!   message at its own line, as LuaJIT's own functions word it. An error raised inside Rust
//!   would reach the script as mlua's error object, the message followed by a second traceback.
//! - an invariant that no script input reaches: `?` turns it into `mlua::Error::external`,
//!   which at least keeps the message as written (never mlua's `runtime error:` prefix).
//!
//! ```ignore
//! #[derive(Debug, thiserror::Error)]
//! pub enum ProcessError {
//!     #[error("spawn '{cmd}': {source}")]
//!     Spawn { cmd: String, source: std::io::Error },
//! }
//! tinn_reactor::script_error!(ProcessError);
//! ```

use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, Value};

/// An error a script sees by its message; implemented by [`script_error!`](crate::script_error).
pub trait ScriptError: std::fmt::Display {
    /// `nil, message`: the failure as a native function returns it.
    fn into_failure(self, lua: &Lua) -> LuaResult<MultiValue>
    where
        Self: Sized,
    {
        (Value::Nil, self.to_string()).into_lua_multi(lua)
    }

    /// `false, message`: a refusal the Lua wrapper raises at its caller's line.
    fn into_refusal(self, lua: &Lua) -> LuaResult<MultiValue>
    where
        Self: Sized,
    {
        (false, self.to_string()).into_lua_multi(lua)
    }
}

/// A failure kept for several readers (a journal's last write error) fails each the same way.
impl<E: ScriptError> ScriptError for std::rc::Rc<E> {}

/// Makes a crate's error enum a [`ScriptError`] and raisable with `?` (as
/// `mlua::Error::external`, so a script reads its message verbatim).
#[macro_export]
macro_rules! script_error {
    ($error:ty) => {
        impl $crate::ScriptError for $error {}

        impl ::std::convert::From<$error> for $crate::__mlua::Error {
            fn from(err: $error) -> $crate::__mlua::Error {
                $crate::__mlua::Error::external(err)
            }
        }
    };
}
