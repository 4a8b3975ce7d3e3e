//! JSON text → Lua values in two steps: serde_json parses into a flat tape (pure Rust, so its
//! errors and their positions are serde_json's), then the tape becomes Lua tables, each created
//! with its exact size, through the C API inside a protected call.

use std::cell::Cell;
use std::fmt;
use std::os::raw::c_int;

use mlua::ffi::{self, lua_State};
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::{protect, JsonError, MAX_DEPTH};

/// One JSON value; arrays and objects are followed by their items (an object's as key, value).
#[derive(Clone, Copy)]
enum Item {
    Null,
    Bool(bool),
    Number(f64),
    /// A string without escapes: bytes `start..start + len` of the input text.
    Verbatim { start: usize, len: usize },
    /// A string with escapes, unescaped into `Tape::unescaped` at `start..start + len`.
    Unescaped { start: usize, len: usize },
    Array(usize),
    Object(usize),
}

#[derive(Default)]
struct Tape {
    items: Vec<Item>,
    unescaped: Vec<u8>,
}

/// Tapes above this size are not kept for the next call.
const KEEP_BYTES: usize = 32 << 20;

thread_local! {
    /// The tape of the previous call, cleared, so that decoding reuses its allocation.
    static SPARE_TAPE: Cell<Tape> = const { Cell::new(Tape { items: Vec::new(), unescaped: Vec::new() }) };
}

impl protect::Scratch for Tape {
    fn clear_for_reuse(&mut self) {
        if self.items.capacity() * size_of::<Item>() + self.unescaped.capacity() > KEEP_BYTES {
            *self = Tape::default();
        }
        self.items.clear();
        self.unescaped.clear();
    }
}

/// Appends one value to the tape.
struct TapeSeed<'t> {
    tape: &'t mut Tape,
    /// The input text, to locate strings serde_json hands over without copying.
    text: &'t [u8],
    /// Arrays and objects around the value being read.
    depth: usize,
}

impl<'t> TapeSeed<'t> {
    /// The seed for the items of an array or object this seed is reading.
    fn nested<E: serde::de::Error>(&mut self) -> Result<TapeSeed<'_>, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(format!("nesting deeper than {MAX_DEPTH}")));
        }
        Ok(TapeSeed { tape: self.tape, text: self.text, depth: self.depth + 1 })
    }

    fn push(self, item: Item) {
        self.tape.items.push(item);
    }
}

impl<'de> DeserializeSeed<'de> for TapeSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TapeSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<(), E> {
        self.push(Item::Bool(v));
        Ok(())
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<(), E> {
        // LuaJIT numbers are doubles; integers up to 2^53 stay exact
        self.push(Item::Number(v as f64));
        Ok(())
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<(), E> {
        self.push(Item::Number(v as f64));
        Ok(())
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<(), E> {
        self.push(Item::Number(v));
        Ok(())
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<(), E> {
        // serde_json lends a slice of the input text (both readers in `parse`)
        let start = (v.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        if start <= self.text.len() && v.len() <= self.text.len() - start {
            self.push(Item::Verbatim { start, len: v.len() });
            Ok(())
        } else {
            self.visit_str(v)
        }
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        let start = self.tape.unescaped.len();
        self.tape.unescaped.extend_from_slice(v.as_bytes());
        self.push(Item::Unescaped { start, len: v.len() });
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.push(Item::Null);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let at = self.tape.items.len();
        self.nested::<A::Error>()?.push(Item::Array(0));
        let mut count = 0;
        while seq.next_element_seed(self.nested()?)?.is_some() {
            count += 1;
        }
        self.tape.items[at] = Item::Array(count);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let at = self.tape.items.len();
        self.nested::<A::Error>()?.push(Item::Object(0));
        let mut count = 0;
        while map.next_key_seed(self.nested()?)?.is_some() {
            map.next_value_seed(self.nested()?)?;
            count += 1;
        }
        self.tape.items[at] = Item::Object(count);
        Ok(())
    }
}

/// `json.decode(text)` → the value, or `nil, "json.decode: <reason> at line L column C"` for the
/// Lua wrapper to raise.
pub(crate) unsafe extern "C-unwind" fn json_decode(state: *mut lua_State) -> c_int {
    // SAFETY: called by Lua as a closure from `native_function`, with one argument
    unsafe { protect::run_with(state, &SPARE_TAPE, decode) }
}

/// Stack: the object marker, the text. Leaves the decoded value.
unsafe fn decode(state: *mut lua_State, tape: &mut Tape) -> Result<c_int, JsonError> {
    let text = unsafe {
        let mut len = 0;
        let ptr = ffi::lua_tolstring(state, 2, &mut len);
        if ptr.is_null() {
            return Err(JsonError::Decode("text is not a string".into()));
        }
        // the string stays on the stack, so alive, for the whole call
        std::slice::from_raw_parts(ptr.cast::<u8>(), len)
    };
    parse(text, tape)?;
    let mut builder = Builder { state, tape, text, next: 0, key_cache: [(std::ptr::null(), 0); KEY_CACHE_SLOTS], key_cache_base: 0 };
    unsafe {
        // for a few objects, filling the cache would cost more than it saves
        if tape.items.len() >= KEY_CACHE_MIN_ITEMS {
            builder.reserve_key_cache()?;
        }
        builder.value()?;
    }
    Ok(1)
}

/// Fills the tape; the parser and its scratch space are gone before any Lua call.
fn parse(text: &[u8], tape: &mut Tape) -> Result<(), JsonError> {
    // one SIMD check of the whole text spares serde_json checking each string; invalid text
    // goes through the byte reader, whose error names the position
    match simdutf8::basic::from_utf8(text) {
        Ok(valid) => parse_with(serde_json::Deserializer::from_str(valid), text, tape),
        Err(_) => parse_with(serde_json::Deserializer::from_slice(text), text, tape),
    }
}

fn parse_with<'de, R: serde_json::de::Read<'de>>(
    mut deserializer: serde_json::Deserializer<R>,
    text: &[u8],
    tape: &mut Tape,
) -> Result<(), JsonError> {
    // the seed counts depth itself (MAX_DEPTH, as encode), instead of serde_json's 127 levels
    deserializer.disable_recursion_limit();
    TapeSeed { tape, text, depth: 0 }
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end())
        .map_err(|e| JsonError::Decode(e.to_string()))
}

/// Turns the tape into Lua values, pushing each onto the stack.
struct Builder<'a> {
    state: *mut lua_State,
    tape: &'a Tape,
    text: &'a [u8],
    /// Index of the next item to read.
    next: usize,
    /// Object keys made recently, by a hash of their bytes: (bytes of the Lua string, length).
    /// The strings themselves sit on the stack from `key_cache_base`, which keeps them alive.
    key_cache: [(*const u8, usize); KEY_CACHE_SLOTS],
    /// 0 when the cache is not used.
    key_cache_base: c_int,
}

/// Slots of the key cache: objects in one document mostly repeat a few dozen keys.
const KEY_CACHE_SLOTS: usize = 64;
/// Documents with fewer items decode without the key cache.
const KEY_CACHE_MIN_ITEMS: usize = 1000;
/// Longer keys are made without the cache (they are rare and hashing them costs more).
const KEY_CACHE_MAX_LEN: usize = 32;

impl Builder<'_> {
    fn take(&mut self) -> Result<Item, JsonError> {
        let item = self.tape.items.get(self.next).copied();
        self.next += 1;
        // the tape holds exactly the items its arrays and objects count
        item.ok_or_else(|| JsonError::Decode("internal error: tape ended early".into()))
    }

    unsafe fn value(&mut self) -> Result<(), JsonError> {
        let state = self.state;
        unsafe {
            match self.take()? {
                Item::Null => ffi::lua_pushlightuserdata(state, std::ptr::null_mut()),
                Item::Bool(b) => ffi::lua_pushboolean(state, c_int::from(b)),
                Item::Number(n) => ffi::lua_pushnumber(state, n),
                Item::Verbatim { start, len } => self.push_bytes(&self.text[start..start + len]),
                Item::Unescaped { start, len } => self.push_bytes(&self.tape.unescaped[start..start + len]),
                Item::Array(count) => {
                    self.reserve_stack()?;
                    ffi::lua_createtable(state, table_size(count), 0);
                    for index in 1..=count {
                        self.value()?;
                        ffi::lua_rawseti_(state, -2, table_size(index));
                    }
                }
                Item::Object(0) => {
                    ffi::lua_createtable(state, 0, 0);
                    // marked, so it encodes back as `{}`
                    ffi::lua_pushvalue(state, 1);
                    ffi::lua_setmetatable(state, -2);
                }
                Item::Object(count) => {
                    self.reserve_stack()?;
                    ffi::lua_createtable(state, 0, table_size(count));
                    for _ in 0..count {
                        self.key()?;
                        self.value()?;
                        ffi::lua_rawset(state, -3);
                    }
                }
            }
        }
        Ok(())
    }

    /// Pushes an object key, from the key cache when the same key was made recently: cheaper
    /// than `lua_pushlstring`, which hashes the bytes and looks them up in the string table.
    unsafe fn key(&mut self) -> Result<(), JsonError> {
        let bytes = match self.take()? {
            Item::Verbatim { start, len } => &self.text[start..start + len],
            Item::Unescaped { start, len } => &self.tape.unescaped[start..start + len],
            _ => return Err(JsonError::Decode("internal error: an object key is not a string".into())),
        };
        let state = self.state;
        unsafe {
            if bytes.len() > KEY_CACHE_MAX_LEN || self.key_cache_base == 0 {
                self.push_bytes(bytes);
                return Ok(());
            }
            let slot = key_cache_slot(bytes);
            let (cached, cached_len) = self.key_cache[slot];
            let stack_slot = self.key_cache_base + slot as c_int;
            if cached_len == bytes.len() && !cached.is_null() && std::slice::from_raw_parts(cached, cached_len) == bytes {
                ffi::lua_pushvalue(state, stack_slot);
            } else {
                self.push_bytes(bytes);
                ffi::lua_pushvalue(state, -1);
                ffi::lua_replace(state, stack_slot);
                // a Lua string's bytes do not move while it is alive (LuaJIT's GC does not move)
                self.key_cache[slot] = (ffi::lua_tolstring(state, stack_slot, std::ptr::null_mut()).cast(), bytes.len());
            }
        }
        Ok(())
    }

    /// Stack slots (nil at first) that hold the key cache's strings.
    unsafe fn reserve_key_cache(&mut self) -> Result<(), JsonError> {
        unsafe {
            if ffi::lua_checkstack(self.state, KEY_CACHE_SLOTS as c_int + 3) == 0 {
                return Err(JsonError::Decode("no room on the Lua stack".into()));
            }
            self.key_cache_base = ffi::lua_gettop(self.state) + 1;
            for _ in 0..KEY_CACHE_SLOTS {
                ffi::lua_pushnil(self.state);
            }
        }
        Ok(())
    }

    unsafe fn push_bytes(&self, bytes: &[u8]) {
        unsafe { ffi::lua_pushlstring_(self.state, bytes.as_ptr().cast(), bytes.len()) }
    }

    /// Room for a table, a key and a value at each of up to MAX_DEPTH levels.
    unsafe fn reserve_stack(&self) -> Result<(), JsonError> {
        if unsafe { ffi::lua_checkstack(self.state, 3) } == 0 {
            return Err(JsonError::Decode("nesting too deep for the Lua stack".into()));
        }
        Ok(())
    }
}

/// The key cache slot for a key of at most KEY_CACHE_MAX_LEN bytes.
fn key_cache_slot(bytes: &[u8]) -> usize {
    let first = bytes.first().copied().unwrap_or(0) as usize;
    let last = bytes.last().copied().unwrap_or(0) as usize;
    let middle = bytes.get(bytes.len() / 2).copied().unwrap_or(0) as usize;
    (bytes.len().wrapping_mul(31) ^ first ^ (last << 2) ^ (middle << 4)) % KEY_CACHE_SLOTS
}

/// A count as `lua_createtable` takes it; texts cannot hold 2^31 items, a Lua string being shorter.
fn table_size(count: usize) -> c_int {
    c_int::try_from(count).unwrap_or(c_int::MAX)
}

#[cfg(test)]
mod tests {
    #[test]
    fn invalid_documents_are_errors_not_panics() {
        let lua = mlua::Lua::new();
        let json = crate::module(&lua).expect("module builds");
        let decode: mlua::Function = json.get("decode").expect("decode");
        for bad in ["", "{", "[1,", "\"\\x\"", "{\"a\" 1}", "01", "[1] 2", &"[".repeat(200)] {
            let err = decode.call::<mlua::Value>(bad).expect_err(bad);
            assert!(err.to_string().contains("json.decode: "), "{bad}: {err}");
        }
        assert!(decode.call::<mlua::Value>("[".repeat(200)).expect_err("deep").to_string().contains("nesting deeper than 128"));
    }
}
