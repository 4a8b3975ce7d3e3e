//! Buffers (`worker.buffer`): bytes owned by tinn that scripts fill and read through an ffi
//! pointer and that a message moves to another thread without copying: the allocation changes
//! hands and the sender's handle is left empty ("moved").

use std::cell::RefCell;

use mlua::{AnyUserData, IntoLuaMulti, LightUserData, Lua, MultiValue, Result as LuaResult, UserData, UserDataFields,
    UserDataMethods, Value};

use crate::error::Unsendable;

/// The Lua handle of a buffer.
pub(crate) struct Buffer {
    bytes: RefCell<Option<Box<[u8]>>>,
}

const MOVED: &str = "this buffer was moved to another thread by post (only the receiver can use it)";

impl Buffer {
    pub(crate) fn create(lua: &Lua, bytes: Box<[u8]>) -> LuaResult<AnyUserData> {
        lua.create_userdata(Buffer { bytes: RefCell::new(Some(bytes)) })
    }

    pub(crate) fn check_movable(&self) -> Result<(), Unsendable> {
        match &*self.bytes.borrow() {
            Some(_) => Ok(()),
            None => Err(Unsendable::BufferMoved),
        }
    }

    /// Detaches the bytes for a message (after `check_movable`).
    pub(crate) fn take(&self) -> Result<Box<[u8]>, Unsendable> {
        self.bytes.borrow_mut().take().ok_or(Unsendable::Gone)
    }

    /// Gives back bytes whose message was not delivered.
    pub(crate) fn put_back(&self, bytes: Box<[u8]>) {
        *self.bytes.borrow_mut() = Some(bytes);
    }

    /// `f(bytes)`, or `false, why` for the wrapper to raise once the buffer has moved.
    fn with_bytes(&self, lua: &Lua, word: &str, f: impl FnOnce(&[u8]) -> LuaResult<MultiValue>) -> LuaResult<MultiValue> {
        match &*self.bytes.borrow() {
            Some(bytes) => f(bytes),
            None => (false, format!("buffer{word}: {MOVED}")).into_lua_multi(lua),
        }
    }
}

impl UserData for Buffer {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        // Fields and methods live in worker.lua (`ptr` is made with ffi.cast there).
        fields.add_meta_field_with("__index", |lua| crate::lua_class(lua, "Buffer"));
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_method("__len", |_, this, ()| Ok(this.bytes.borrow().as_ref().map_or(0, |b| b.len())));
        methods.add_meta_method("__tostring", |_, this, ()| {
            Ok(match &*this.bytes.borrow() {
                Some(bytes) => format!("Buffer({} bytes)", bytes.len()),
                None => "Buffer(moved)".to_string(),
            })
        });
    }
}

/// `worker.buffer(size | string)`: zeroed bytes or a copy of the string; `false, why` when the
/// size is not a whole number or cannot be allocated.
pub(crate) fn buffer_new(lua: &Lua, init: Value) -> LuaResult<MultiValue> {
    let size = match &init {
        Value::String(s) => return Buffer::create(lua, s.as_bytes().to_vec().into_boxed_slice())?.into_lua_multi(lua),
        Value::Integer(n) if *n >= 0 => *n as u64,
        Value::Number(n) if *n >= 0.0 && n.fract() == 0.0 && *n < 2f64.powi(53) => *n as u64,
        other => {
            let got = match other {
                Value::Integer(_) | Value::Number(_) => other.to_string()?,
                _ => other.type_name().to_string(),
            };
            return (false, format!("bad argument #1 to 'worker.buffer' (size (a whole number >= 0) or string expected, got {got})"))
                .into_lua_multi(lua);
        }
    };
    match zeroed(size) {
        Some(bytes) => Buffer::create(lua, bytes)?.into_lua_multi(lua),
        None => (false, format!("worker.buffer: cannot allocate {size} bytes")).into_lua_multi(lua),
    }
}

/// `size` zero bytes, or `None` when the allocator refuses (instead of aborting the process).
fn zeroed(size: u64) -> Option<Box<[u8]>> {
    let size = usize::try_from(size).ok()?;
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(size).ok()?;
    bytes.resize(size, 0);
    Some(bytes.into_boxed_slice())
}

/// The buffer's size, `false, why` once moved.
pub(crate) fn buffer_size(lua: &Lua, buffer: &Buffer) -> LuaResult<MultiValue> {
    buffer.with_bytes(lua, ".size", |bytes| bytes.len().into_lua_multi(lua))
}

/// The address of the first byte (a light userdata worker.lua casts to `uint8_t *`).
pub(crate) fn buffer_pointer(lua: &Lua, buffer: &Buffer) -> LuaResult<MultiValue> {
    // Scripts write through this pointer, so it comes from a mutable borrow.
    let address = buffer.bytes.borrow_mut().as_mut().map(|bytes| bytes.as_mut_ptr());
    match address {
        Some(address) => LightUserData(address.cast()).into_lua_multi(lua),
        None => (false, format!("buffer.ptr: {MOVED}")).into_lua_multi(lua),
    }
}

/// `true` once the buffer has been moved away.
pub(crate) fn buffer_moved(_: &Lua, buffer: &Buffer) -> LuaResult<bool> {
    Ok(buffer.bytes.borrow().is_none())
}

/// `buf:tostring([offset [, length]])`: a copy of the bytes as a Lua string.
pub(crate) fn buffer_string(lua: &Lua, buffer: &Buffer, offset: Option<i64>, length: Option<i64>) -> LuaResult<MultiValue> {
    buffer.with_bytes(lua, ":tostring", |bytes| {
        let size = bytes.len() as i64;
        let start = offset.unwrap_or(0);
        let count = length.unwrap_or(size - start.min(size));
        if start < 0 || count < 0 || start > size || count > size - start {
            let text = format!("buffer:tostring: range {start}..{} is outside the buffer's {size} bytes", start + count);
            return (false, text).into_lua_multi(lua);
        }
        lua.create_string(&bytes[start as usize..(start + count) as usize])?.into_lua_multi(lua)
    })
}
