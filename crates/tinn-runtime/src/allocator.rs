//! LuaJIT allocates straight from mimalloc.
//!
//! mlua's allocator sends every allocation through Rust's global allocator with a 16-byte
//! alignment (mimalloc's slower aligned paths) and counts the bytes for `Lua::used_memory` and
//! `Lua::set_memory_limit`, which tinn does not use: scripts see `collectgarbage("count")`,
//! LuaJIT's own count. Calling mi_malloc, mi_realloc and mi_free directly skips all of that.

use std::ffi::c_void;

use mlua::{Lua, ffi};

/// The allocator mlua gave the state, put back when the runtime ends so that mlua's own
/// clean-up (which frees its bookkeeping only if it finds its allocator) runs as it expects.
pub(crate) struct MluaAllocator {
    lua: Lua,
    allocate: ffi::lua_Alloc,
    data: *mut c_void,
}

/// Switches `lua` to mimalloc if the blocks it holds are mimalloc's; `None` leaves mlua's.
pub(crate) fn use_mimalloc(lua: &Lua) -> mlua::Result<Option<MluaAllocator>> {
    let mut previous = None;
    // SAFETY: the closure only reads and sets the state's allocator. mlua's allocator took every
    // block the state holds from Rust's global allocator; when that is mimalloc (the state's own
    // block lies in mimalloc's heap, so it is), mi_free and mi_realloc may take them over.
    unsafe {
        lua.exec_raw::<()>((), |state| {
            if !libmimalloc_sys::mi_is_in_heap_region(state.cast()) {
                return;
            }
            let mut data = std::ptr::null_mut();
            let allocate = ffi::lua_getallocf(state, &mut data);
            ffi::lua_setallocf(state, allocate_with_mimalloc, std::ptr::null_mut());
            previous = Some(MluaAllocator { lua: lua.clone(), allocate, data });
        })?
    };
    Ok(previous)
}

impl Drop for MluaAllocator {
    fn drop(&mut self) {
        let (allocate, data) = (self.allocate, self.data);
        // SAFETY: mlua's allocator frees mimalloc blocks through Rust's global allocator, which
        // is mimalloc (see use_mimalloc); `self.lua` keeps the state open until then.
        let restored = unsafe { self.lua.exec_raw::<()>((), |state| ffi::lua_setallocf(state, allocate, data)) };
        debug_assert!(restored.is_ok(), "exec_raw with no arguments or results does not fail");
    }
}

/// Lua's allocation function (lua_Alloc): a new size of 0 frees, a null block allocates.
unsafe extern "C" fn allocate_with_mimalloc(
    _data: *mut c_void,
    block: *mut c_void,
    _old_size: usize,
    new_size: usize,
) -> *mut c_void {
    // SAFETY: LuaJIT passes blocks this function or mlua's (also mimalloc's) allocated.
    unsafe {
        if new_size == 0 {
            libmimalloc_sys::mi_free(block);
            std::ptr::null_mut()
        } else if block.is_null() {
            libmimalloc_sys::mi_malloc(new_size)
        } else {
            libmimalloc_sys::mi_realloc(block, new_size)
        }
    }
}
