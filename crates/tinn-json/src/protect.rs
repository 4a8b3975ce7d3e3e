//! Runs raw Lua C API work inside `lua_pcall`, so that a Lua error raised by a `lua_*` call (out
//! of memory, an `__index` that fails) ends the protected call instead of unwinding over the
//! Rust frames that own buffers. Everything the work owns lives in the caller's frame; the
//! frames inside the protected call hold only references.

use std::cell::Cell;
use std::ffi::c_void;
use std::os::raw::c_int;
use std::thread::LocalKey;

use mlua::ffi::{self, lua_State};

use crate::JsonError;

/// Work for one protected call: reads its arguments from the stack and leaves its results there.
pub(crate) type Body<'a> = &'a mut dyn FnMut(*mut lua_State) -> Result<c_int, JsonError>;

struct Job<'a> {
    body: Body<'a>,
    /// The failure's text, kept here (not in the trampoline's frame) while it is pushed.
    message: String,
}

/// Buffers a call fills and the next call on the thread reuses (kept outside the protected call).
pub(crate) trait Scratch: Default {
    /// Empties them, dropping any grown too large to keep.
    fn clear_for_reuse(&mut self);
}

/// [`run`] with the thread's spare scratch buffers, returned to `spare` afterwards.
///
/// # Safety
/// As for [`run`].
pub(crate) unsafe fn run_with<T: Scratch>(
    state: *mut lua_State,
    spare: &'static LocalKey<Cell<T>>,
    body: unsafe fn(*mut lua_State, &mut T) -> Result<c_int, JsonError>,
) -> c_int {
    let mut scratch = spare.take();
    let results = unsafe { run(state, &mut |state| body(state, &mut scratch)) };
    scratch.clear_for_reuse();
    spare.set(scratch);
    results
}

/// Calls `body` in protected mode with the calling C function's arguments, after the object
/// marker table (stack index 1 inside `body`). Returns the number of results now on the stack:
/// what `body` returned, or `nil, message` when it failed or a Lua error ended it.
///
/// # Safety
/// `state` is the stack of a C closure created by [`crate::native_function`], whose upvalues
/// are the trampoline and the marker table, with at most 16 arguments (LUA_MINSTACK holds them
/// and the 3 slots added here without growing the stack, which could fail unprotected).
pub(crate) unsafe fn run(state: *mut lua_State, body: Body) -> c_int {
    let mut job = Job { body, message: String::new() };
    unsafe {
        let args = ffi::lua_gettop(state);
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_pushlightuserdata(state, (&raw mut job).cast::<c_void>());
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(2));
        // trampoline, job, marker, args...
        for _ in 0..3 {
            ffi::lua_insert(state, 1);
        }
        if ffi::lua_pcall(state, args + 2, ffi::LUA_MULTRET, 0) != 0 {
            // a Lua error: its message (LuaJIT's preallocated one when out of memory) is on top
            ffi::lua_pushnil(state);
            ffi::lua_insert(state, -2);
            return 2;
        }
        ffi::lua_gettop(state)
    }
}

/// The protected side of [`run`]: index 1 holds the job, then the marker and the arguments.
pub(crate) unsafe extern "C-unwind" fn trampoline(state: *mut lua_State) -> c_int {
    unsafe {
        let job = &mut *ffi::lua_touserdata(state, 1).cast::<Job>();
        ffi::lua_remove(state, 1);
        match (job.body)(state) {
            Ok(results) => results,
            // ScriptError::into_failure's `nil, message`, on the raw stack: no &Lua in here
            Err(error) => {
                job.message = error.to_string();
                ffi::lua_settop(state, 0);
                ffi::lua_pushnil(state);
                ffi::lua_pushlstring_(state, job.message.as_ptr().cast(), job.message.len());
                2
            }
        }
    }
}
