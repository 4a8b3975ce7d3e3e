//! Lua values → JSON text, walking tables with the C API (`lua_next`, `lua_rawgeti`) into a
//! per-thread byte buffer, so errors can name the path and nothing is copied twice.

use std::cell::Cell;
use std::ffi::c_void;
use std::os::raw::c_int;

use mlua::ffi::{self, lua_State};

use crate::{protect, JsonError, MAX_DEPTH};

/// LuaJIT's type tag for FFI values (cdata); `lua.h` has no name for it.
const LUA_TCDATA: c_int = 10;

/// Buffers above this size are not kept for the next call.
const KEEP_BYTES: usize = 32 << 20;

/// What an encoding owns, kept outside the protected call (protect.rs) and reused by the next.
#[derive(Default)]
struct Buffers {
    out: Vec<u8>,
    /// Tables being encoded, outermost first: a table met again is a cycle.
    open: Vec<*const c_void>,
    /// For each open table, the key of the item being written.
    path: Vec<Segment>,
    /// Key strings of the object being sorted (`sortKeys`).
    sort_scratch: Vec<(*const u8, usize)>,
}

impl protect::Scratch for Buffers {
    fn clear_for_reuse(&mut self) {
        if self.out.capacity() > KEEP_BYTES {
            self.out = Vec::new();
        }
        self.out.clear();
        self.open.clear();
        self.path.clear();
        self.sort_scratch.clear();
    }
}

thread_local! {
    /// The buffers of the previous call, cleared.
    static SPARE_BUFFERS: Cell<Buffers> = const {
        Cell::new(Buffers { out: Vec::new(), open: Vec::new(), path: Vec::new(), sort_scratch: Vec::new() })
    };
}

/// The key under which a value sits in its table, for error paths.
#[derive(Clone, Copy)]
enum Segment {
    /// Before the first item of a table.
    None,
    Index(usize),
    /// A key string, alive while its table is being encoded (nothing runs that could change it).
    Name(*const u8, usize),
}

/// The keys of one table, counted as the rules for arrays and objects need them.
#[derive(Default)]
struct Shape {
    /// Positive whole-number keys (array indexes) and the largest of them.
    indexes: usize,
    max_index: usize,
    names: usize,
    /// Numeric keys that cannot be array indexes.
    others: bool,
    /// The type of a key that is neither a string nor a number.
    odd_key: Option<&'static str>,
}

enum Layout {
    Array(usize),
    Object,
}

impl Shape {
    unsafe fn count(&mut self, state: *mut lua_State, key: c_int) {
        unsafe {
            match ffi::lua_type(state, key) {
                ffi::LUA_TSTRING => self.names += 1,
                ffi::LUA_TNUMBER => self.others |= !self.count_index(ffi::lua_tonumber(state, key)),
                kind => self.odd_key = Some(key_type_name(kind)),
            }
        }
    }

    /// Counts a numeric key as an array index when it is a positive integer; false otherwise.
    fn count_index(&mut self, key: f64) -> bool {
        // LuaJIT arrays stop far below 2^31; larger keys cannot be array items
        if key.fract() != 0.0 || !(1.0..=f64::from(i32::MAX)).contains(&key) {
            return false;
        }
        self.indexes += 1;
        self.max_index = self.max_index.max(key as usize); // integral and in range, so exact
        true
    }

    /// Array, object, or why the table is neither; `marked` says it carries `json.object()`'s mark.
    fn layout(&self, marked: bool) -> Result<Layout, String> {
        if let Some(kind) = self.odd_key {
            return Err(format!("cannot encode a table with a {kind} key"));
        }
        // distinct indexes that fill 1..max exactly: an array with no hole and nothing lost
        let is_array = self.names == 0 && !self.others && self.indexes == self.max_index && !(marked && self.indexes == 0);
        if is_array {
            Ok(Layout::Array(self.max_index))
        } else if self.indexes > 0 || self.others {
            Err("table mixes array items and keys, or has holes (use json.null for missing items)".into())
        } else {
            Ok(Layout::Object)
        }
    }
}

/// The name `type()` gives a key's type, except cdata: mlua's "other", as before.
fn key_type_name(kind: c_int) -> &'static str {
    match kind {
        ffi::LUA_TNIL => "nil",
        ffi::LUA_TBOOLEAN => "boolean",
        ffi::LUA_TLIGHTUSERDATA => "lightuserdata",
        ffi::LUA_TTABLE => "table",
        ffi::LUA_TFUNCTION => "function",
        ffi::LUA_TUSERDATA => "userdata",
        ffi::LUA_TTHREAD => "thread",
        _ => "other",
    }
}

struct Encoder<'a> {
    state: *mut lua_State,
    buffers: &'a mut Buffers,
    pretty: bool,
    sort_keys: bool,
}

/// How a first pass that writes as it classifies ended.
enum Pass {
    Done,
    /// The keys were not what the pass assumed: start again with the two-pass walk.
    Retry,
}

impl Encoder<'_> {
    /// An error about the value at the current path, or about the table at `depth` levels.
    fn fail_at(&self, depth: usize, what: impl Into<String>) -> JsonError {
        let mut path = String::from("$");
        for segment in &self.buffers.path[..depth.min(self.buffers.path.len())] {
            match *segment {
                Segment::None => {}
                Segment::Index(index) => {
                    path.push('[');
                    path.push_str(itoa::Buffer::new().format(index));
                    path.push(']');
                }
                Segment::Name(ptr, len) => {
                    path.push('.');
                    // SAFETY: a key of a table still being encoded, checked to be UTF-8
                    path.push_str(&String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(ptr, len) }));
                }
            }
        }
        JsonError::Encode { what: what.into(), path }
    }

    fn fail(&self, what: impl Into<String>) -> JsonError {
        self.fail_at(self.buffers.path.len(), what)
    }

    fn newline(&mut self) {
        if self.pretty {
            self.buffers.out.push(b'\n');
            for _ in 0..self.buffers.open.len() {
                self.buffers.out.extend_from_slice(b"  ");
            }
        }
    }

    fn close_bracket(&mut self, items: usize, bracket: u8) {
        if items > 0 && self.pretty {
            self.buffers.out.push(b'\n');
            for _ in 1..self.buffers.open.len() {
                self.buffers.out.extend_from_slice(b"  ");
            }
        }
        self.buffers.out.push(bracket);
    }

    /// Writes the value at stack index `index` (absolute).
    unsafe fn value(&mut self, index: c_int) -> Result<(), JsonError> {
        let state = self.state;
        unsafe {
            match ffi::lua_type(state, index) {
                ffi::LUA_TNIL => self.buffers.out.extend_from_slice(b"null"),
                ffi::LUA_TBOOLEAN => self.buffers.out.extend_from_slice(if ffi::lua_toboolean(state, index) != 0 { b"true" } else { b"false" }),
                ffi::LUA_TNUMBER => self.number(ffi::lua_tonumber(state, index))?,
                ffi::LUA_TSTRING => {
                    if !write_string(&mut self.buffers.out, string_at(state, index)) {
                        return Err(self.fail("string is not valid UTF-8"));
                    }
                }
                ffi::LUA_TTABLE => self.table(index)?,
                ffi::LUA_TLIGHTUSERDATA if ffi::lua_touserdata(state, index).is_null() => self.buffers.out.extend_from_slice(b"null"),
                LUA_TCDATA => {
                    let kind = cdata_kind(state, index);
                    return Err(self.fail(format!("cannot encode {kind} (convert FFI values first: tonumber, ffi.string)")));
                }
                kind => return Err(self.fail(format!("cannot encode a {}", key_type_name(kind)))),
            }
        }
        Ok(())
    }

    /// Whole numbers of magnitude below 2^63 (but -0) are written digit for digit; the rest in
    /// the shortest text that reads back as the same double (1e+300).
    fn number(&mut self, n: f64) -> Result<(), JsonError> {
        const TWO_63: f64 = 9_223_372_036_854_775_808.0;
        if (-TWO_63..TWO_63).contains(&n) && n.fract() == 0.0 && !(n == 0.0 && n.is_sign_negative()) {
            self.buffers.out.extend_from_slice(itoa::Buffer::new().format(n as i64).as_bytes());
        } else if !n.is_finite() {
            return Err(self.fail(format!("cannot encode {n} (JSON has no NaN or infinity)")));
        } else if n == 0.0 {
            // -0.0: the sign survives a round trip only with a fraction
            self.buffers.out.extend_from_slice(b"-0.0");
        } else {
            self.buffers.out.extend_from_slice(zmij::Buffer::new().format_finite(n).as_bytes());
        }
        Ok(())
    }

    unsafe fn table(&mut self, index: c_int) -> Result<(), JsonError> {
        let state = self.state;
        let id = unsafe { ffi::lua_topointer(state, index) };
        if self.buffers.open.contains(&id) {
            return Err(self.fail("table contains itself (a cycle)"));
        }
        if self.buffers.open.len() >= MAX_DEPTH {
            return Err(self.fail(format!("nesting deeper than {MAX_DEPTH}")));
        }
        // room for the key and value of `lua_next`, a metatable, and `tostring` of a cdata item
        if unsafe { ffi::lua_checkstack(state, 6) } == 0 {
            return Err(self.fail("nesting too deep for the Lua stack"));
        }
        self.buffers.open.push(id);
        self.buffers.path.push(Segment::None);
        let start = self.buffers.out.len();
        let mut result = if self.sort_keys { Ok(Pass::Retry) } else { unsafe { self.one_pass(index) } };
        if let Ok(Pass::Retry) = result {
            self.buffers.out.truncate(start);
            result = unsafe { self.two_passes(index) }.map(|()| Pass::Done);
        }
        self.buffers.open.pop();
        self.buffers.path.pop();
        result.map(|_| ())
    }

    /// The common case in one walk: keys 1, 2, 3... in order (an array) or only strings (an
    /// object), written while they come. Any other key means [`Pass::Retry`]. If an item fails,
    /// the rest of the keys are still counted, so a table that is no array or object reports
    /// that first, as the two-pass walk would.
    unsafe fn one_pass(&mut self, table: c_int) -> Result<Pass, JsonError> {
        let state = self.state;
        let depth = self.buffers.open.len();
        unsafe {
            ffi::lua_pushnil(state);
            if ffi::lua_next(state, table) == 0 {
                let marked = self.is_marked(table);
                self.buffers.out.extend_from_slice(if marked { b"{}" } else { b"[]" });
                return Ok(Pass::Done);
            }
            let value = ffi::lua_gettop(state);
            let mut shape = Shape::default();
            let as_array = match ffi::lua_type(state, -2) {
                ffi::LUA_TSTRING => false,
                ffi::LUA_TNUMBER if ffi::lua_tonumber(state, -2) == 1.0 => true,
                _ => {
                    ffi::lua_settop(state, value - 2);
                    return Ok(Pass::Retry);
                }
            };
            self.buffers.out.push(if as_array { b'[' } else { b'{' });
            let mut count = 0;
            loop {
                let fits = if as_array {
                    ffi::lua_type(state, -2) == ffi::LUA_TNUMBER && ffi::lua_tonumber(state, -2) == (count + 1) as f64
                } else {
                    ffi::lua_type(state, -2) == ffi::LUA_TSTRING
                };
                if !fits {
                    ffi::lua_settop(state, value - 2);
                    return Ok(Pass::Retry);
                }
                shape.count(state, value - 1);
                let written = if as_array { self.item(count, value) } else { self.field(count, value - 1, value) };
                if let Err(error) = written {
                    return Err(self.finish_count(table, value - 1, shape, depth, error));
                }
                count += 1;
                ffi::lua_settop(state, value - 1);
                if ffi::lua_next(state, table) == 0 {
                    break;
                }
            }
            self.close_bracket(count, if as_array { b']' } else { b'}' });
        }
        Ok(Pass::Done)
    }

    /// After an item failed in [`Self::one_pass`] (its key at stack index `key`): counts
    /// the remaining keys; the table's own error, if it has one, comes first.
    unsafe fn finish_count(&mut self, table: c_int, key: c_int, mut shape: Shape, depth: usize, error: JsonError) -> JsonError {
        let state = self.state;
        unsafe {
            ffi::lua_settop(state, key);
            while ffi::lua_next(state, table) != 0 {
                shape.count(state, key);
                ffi::lua_settop(state, key);
            }
        }
        // a table with items is never the empty marked object
        match shape.layout(false) {
            Err(what) => self.fail_at(depth - 1, what),
            Ok(_) => error,
        }
    }

    /// Classifies all keys first, then writes: arrays by index, objects in `next` order or sorted.
    unsafe fn two_passes(&mut self, table: c_int) -> Result<(), JsonError> {
        let state = self.state;
        let depth = self.buffers.open.len();
        let mut shape = Shape::default();
        unsafe {
            let key = ffi::lua_gettop(state) + 1;
            ffi::lua_pushnil(state);
            while ffi::lua_next(state, table) != 0 {
                shape.count(state, key);
                ffi::lua_settop(state, key);
            }
            let marked = shape.indexes == 0 && shape.names == 0 && self.is_marked(table);
            match shape.layout(marked).map_err(|what| self.fail_at(depth - 1, what))? {
                Layout::Array(length) => {
                    self.buffers.out.push(b'[');
                    for index in 0..length {
                        ffi::lua_rawgeti_(state, table, c_int::try_from(index + 1).unwrap_or(c_int::MAX));
                        self.item(index, key)?;
                        ffi::lua_settop(state, key - 1);
                    }
                    self.close_bracket(length, b']');
                }
                Layout::Object if self.sort_keys => self.sorted_object(table, key)?,
                Layout::Object => {
                    self.buffers.out.push(b'{');
                    let mut count = 0;
                    ffi::lua_pushnil(state);
                    while ffi::lua_next(state, table) != 0 {
                        self.field(count, key, key + 1)?;
                        count += 1;
                        ffi::lua_settop(state, key);
                    }
                    self.close_bracket(count, b'}');
                }
            }
        }
        Ok(())
    }

    /// An object with only string keys, in byte order of the keys; `top` is the first free slot.
    unsafe fn sorted_object(&mut self, table: c_int, top: c_int) -> Result<(), JsonError> {
        let state = self.state;
        let mut names = std::mem::take(&mut self.buffers.sort_scratch);
        names.clear();
        let result = unsafe {
            ffi::lua_pushnil(state);
            let mut valid = true;
            while ffi::lua_next(state, table) != 0 {
                let name = string_at(state, top);
                valid &= std::str::from_utf8(name).is_ok();
                names.push((name.as_ptr(), name.len()));
                ffi::lua_settop(state, top);
            }
            if valid {
                names.sort_unstable_by(|a, b| std::slice::from_raw_parts(a.0, a.1).cmp(std::slice::from_raw_parts(b.0, b.1)));
                self.buffers.out.push(b'{');
                let mut written = Ok(());
                for (count, &(ptr, len)) in names.iter().enumerate() {
                    ffi::lua_pushlstring_(state, ptr.cast(), len);
                    ffi::lua_pushvalue(state, top);
                    ffi::lua_rawget_(state, table);
                    written = self.field(count, top, top + 1);
                    ffi::lua_settop(state, top - 1);
                    if written.is_err() {
                        break;
                    }
                }
                self.close_bracket(names.len(), b'}');
                written
            } else {
                Err(self.fail("key is not valid UTF-8"))
            }
        };
        self.buffers.sort_scratch = names;
        result
    }

    /// Writes array item `position` (from 0), at stack index `value`.
    unsafe fn item(&mut self, position: usize, value: c_int) -> Result<(), JsonError> {
        if position > 0 {
            self.buffers.out.push(b',');
        }
        self.newline();
        if let Some(segment) = self.buffers.path.last_mut() {
            *segment = Segment::Index(position + 1);
        }
        unsafe { self.value(value) }
    }

    /// Writes `"key":value` for the string key and value at these stack indexes.
    unsafe fn field(&mut self, position: usize, key: c_int, value: c_int) -> Result<(), JsonError> {
        let name = unsafe { string_at(self.state, key) };
        if position > 0 {
            self.buffers.out.push(b',');
        }
        self.newline();
        // on failure the text written so far is dropped with the error
        if !write_string(&mut self.buffers.out, name) {
            if let Some(segment) = self.buffers.path.last_mut() {
                *segment = Segment::None;
            }
            return Err(self.fail("key is not valid UTF-8"));
        }
        self.buffers.out.extend_from_slice(if self.pretty { b": " } else { b":" });
        if let Some(segment) = self.buffers.path.last_mut() {
            *segment = Segment::Name(name.as_ptr(), name.len());
        }
        unsafe { self.value(value) }
    }

    /// Whether the table carries `json.object()`'s mark (the marker is at stack index 1).
    unsafe fn is_marked(&self, table: c_int) -> bool {
        let state = self.state;
        unsafe {
            if ffi::lua_getmetatable(state, table) == 0 {
                return false;
            }
            let marked = ffi::lua_rawequal(state, -1, 1) != 0;
            ffi::lua_settop(state, -2);
            marked
        }
    }
}

/// The bytes of the string at a stack index; valid while it stays there (or in its table).
unsafe fn string_at<'s>(state: *mut lua_State, index: c_int) -> &'s [u8] {
    unsafe {
        let mut len = 0;
        let ptr = ffi::lua_tolstring(state, index, &mut len);
        if ptr.is_null() {
            return &[];
        }
        std::slice::from_raw_parts(ptr.cast::<u8>(), len)
    }
}

/// Writes `text` quoted, escaping what JSON requires as serde_json does; false if `text` is not
/// UTF-8 (what was written is then to be discarded).
fn write_string(out: &mut Vec<u8>, text: &[u8]) -> bool {
    out.push(b'"');
    let mut all_ascii = true;
    // in pieces, so that the room reserved for the worst case (all escapes) stays small
    for piece in text.chunks(4096) {
        all_ascii &= escape_into(out, piece);
    }
    out.push(b'"');
    // SIMD validation: with std's, checking took a seventh of the time for accented text (perf)
    all_ascii || simdutf8::basic::from_utf8(text).is_ok()
}

/// Appends `text` escaped; returns whether it is all ASCII.
fn escape_into(out: &mut Vec<u8>, text: &[u8]) -> bool {
    // each byte becomes at most 6 (\u001f); the last word's store may run 8 bytes past
    out.reserve(text.len() * 6 + 8);
    let mut seen = 0;
    let mut at = 0;
    // SAFETY: the room reserved above covers every store; `set_len` counts only bytes written
    unsafe {
        let start = out.as_mut_ptr().add(out.len());
        let mut dst = start;
        while at < text.len() {
            let word = load_word(text, at);
            seen |= word;
            // all eight bytes are stored; only those before the first to escape are kept
            dst.cast::<u64>().write_unaligned(word.to_le());
            let mask = escape_mask(word);
            if mask == 0 {
                dst = dst.add(8);
                at += 8;
                continue;
            }
            let plain = (mask.trailing_zeros() / 8) as usize;
            dst = dst.add(plain);
            at += plain;
            let (escape, len) = ESCAPES[usize::from(text[at])];
            dst.cast::<[u8; 6]>().write_unaligned(escape);
            dst = dst.add(len);
            at += 1;
        }
        // the last word may have been padding past the end
        let written = dst.offset_from(start) as usize - (at - text.len());
        out.set_len(out.len() + written);
    }
    seen & HIGHS == 0
}

/// How each byte that needs it is escaped (as serde_json does), and the escape's length.
static ESCAPES: [([u8; 6], usize); 256] = {
    let mut table = [([0; 6], 0); 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = ([b'\\', b'u', b'0', b'0', HEX[byte >> 4], HEX[byte & 0xf]], 6);
        byte += 1;
    }
    table[b'"' as usize] = ([b'\\', b'"', 0, 0, 0, 0], 2);
    table[b'\\' as usize] = ([b'\\', b'\\', 0, 0, 0, 0], 2);
    table[b'\n' as usize] = ([b'\\', b'n', 0, 0, 0, 0], 2);
    table[b'\r' as usize] = ([b'\\', b'r', 0, 0, 0, 0], 2);
    table[b'\t' as usize] = ([b'\\', b't', 0, 0, 0, 0], 2);
    table[0x08] = ([b'\\', b'b', 0, 0, 0, 0], 2);
    table[0x0c] = ([b'\\', b'f', 0, 0, 0, 0], 2);
    table
};

const HEX: &[u8; 16] = b"0123456789abcdef";
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Eight bytes of `text` from `at`, little-endian; past the end, padding that needs no escape.
fn load_word(text: &[u8], at: usize) -> u64 {
    if let Some(Ok(bytes)) = text.get(at..at + 8).map(<[u8; 8]>::try_from) {
        return u64::from_le_bytes(bytes);
    }
    // padding: needs no escape, is ASCII
    let mut bytes = [b'a'; 8];
    let available = text.len().saturating_sub(at).min(8);
    bytes[..available].copy_from_slice(&text[at..at + available]);
    u64::from_le_bytes(bytes)
}

/// High bit set in each byte that is a control character, `"` or `\\`. The subtractions
/// borrow upward only from a flagged byte, so bytes above the lowest flagged one may be flagged
/// wrongly but the lowest is always right.
fn escape_mask(word: u64) -> u64 {
    let zero_bytes = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    below_space | zero_bytes(word ^ (ONES * u64::from(b'"'))) | zero_bytes(word ^ (ONES * u64::from(b'\\')))
}

/// `json.encode(value [, {pretty, sortKeys}])` → text, or `nil, message` naming the path of a
/// value JSON cannot hold (function, NaN, cycle, mixed table, invalid UTF-8, nesting over 128)
/// for the Lua wrapper to raise.
pub(crate) unsafe extern "C-unwind" fn json_encode(state: *mut lua_State) -> c_int {
    // SAFETY: called by Lua as a closure from `native_function`, with up to two arguments
    unsafe { protect::run_with(state, &SPARE_BUFFERS, encode) }
}

/// Stack: the object marker, the value, the options. Leaves the text.
unsafe fn encode(state: *mut lua_State, buffers: &mut Buffers) -> Result<c_int, JsonError> {
    unsafe {
        ffi::lua_settop(state, 3);
        let option = |name: &std::ffi::CStr| {
            if ffi::lua_type(state, 3) != ffi::LUA_TTABLE {
                return false;
            }
            ffi::lua_getfield_(state, 3, name.as_ptr());
            let on = ffi::lua_toboolean(state, -1) != 0;
            ffi::lua_settop(state, 3);
            on
        };
        let (pretty, sort_keys) = (option(c"pretty"), option(c"sortKeys"));
        let mut encoder = Encoder { state, buffers, pretty, sort_keys };
        encoder.value(2)?;
        ffi::lua_pushlstring_(state, encoder.buffers.out.as_ptr().cast(), encoder.buffers.out.len());
    }
    Ok(1)
}

/// What a cdata value is, named by its C type as `tostring` shows it (`cdata<int [2]>`), with the
/// value for a boxed 64-bit integer (`cdata<int64_t> 1LL`).
unsafe fn cdata_kind(state: *mut lua_State, index: c_int) -> String {
    let text = unsafe {
        ffi::luaL_tolstring(state, index, std::ptr::null_mut());
        let text = String::from_utf8_lossy(string_at(state, -1)).into_owned();
        ffi::lua_settop(state, -2);
        text
    };
    match text.split_once(": 0x") {
        Some((kind, _)) => kind.to_string(),
        // a boxed 64-bit integer prints as its value: 1LL, 1ULL
        None if text.ends_with("ULL") => format!("cdata<uint64_t> {text}"),
        None => format!("cdata<int64_t> {text}"),
    }
}
