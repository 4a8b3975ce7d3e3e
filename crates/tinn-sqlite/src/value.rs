//! Values crossing between Lua and SQLite. Parameters arrive as tinn.sql.common encodes them
//! (see the contract at the top of `crates/tinn-sql/src/common.lua`); results go back as Lua
//! numbers, strings and, beyond ±2^53, int64_t cdata.

use std::ffi::{c_int, CStr};
use std::ops::RangeInclusive;

use mlua::ffi::{self, lua_State};
use mlua::{Function, LightUserData, Lua, LuaString, Result as LuaResult, Table, Value};
use rusqlite::types::ValueRef;

use crate::error::SqliteError;

/// Integers whose magnitude is at most this are exact as Lua numbers (doubles).
const MAX_EXACT: i64 = 1 << 53;

/// The registry key of `common.int64`, which builds int64_t cdata from two halves.
pub(crate) const INT64_MAKER: &CStr = c"tinn.sqlite.int64";

/// One bound parameter, laid out as `rows.lua` writes it through the FFI (`tinn_sqlite_cell`):
/// a kind, a length and 8 bytes holding a number, an integer or where its text starts in its
/// [`Params`]' byte buffer.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct Cell {
    kind: u32,
    len: u32,
    bits: u64,
}

/// Cell kinds; `rows.lua` names the same numbers.
const NULL: u32 = 0;
const INTEGER: u32 = 1;
/// A Lua number: an INTEGER if integral within ±2^63, else a REAL (see [`number`]).
const NUMBER: u32 = 2;
const TEXT: u32 = 3;
const BLOB: u32 = 4;

impl Cell {
    const NULL: Cell = Cell { kind: NULL, len: 0, bits: 0 };

    fn integer(i: i64) -> Cell {
        Cell { kind: INTEGER, len: 0, bits: i.cast_unsigned() }
    }

    fn number(f: f64) -> Cell {
        Cell { kind: NUMBER, len: 0, bits: f.to_bits() }
    }
}

/// The parameters of one or more rows: values flat and all text in one buffer, so a row costs
/// no allocation (and no Lua reference) of its own. runMany's rows of plain values are written
/// by `rows.lua` from inside the JIT; the rest are read through the Lua C API.
#[derive(Default)]
pub(crate) struct Params {
    cells: Vec<Cell>,
    bytes: Vec<u8>,
    /// Where each row's values end in `cells`.
    row_ends: Vec<u32>,
}

/// What `rows.lua` writes into (`tinn_sqlite_buffer`): the spare room of a [`Params`]' vectors.
#[repr(C)]
struct Buffer {
    cells: *mut Cell,
    bytes: *mut u8,
    row_ends: *mut u32,
    cell_len: u32,
    cell_cap: u32,
    byte_len: u32,
    byte_cap: u32,
    row_len: u32,
    row_cap: u32,
}

/// The registry key of the function `rows.lua` returns.
pub(crate) const ROW_WRITER: &str = "tinn.sqlite.writeRows";

/// Rows a runMany chunk makes room for before `rows.lua` writes: 4 values and 16 bytes each.
const CELLS_PER_ROW: usize = 4;
const BYTES_PER_ROW: usize = 16;
/// rows.lua counts bytes in 32 bits: from a chunk this large on, rows are read through the C API.
const LUA_WRITES_BYTES: usize = 1 << 31;

impl Params {
    /// Reads one `{ n = count, ... }` parameter array; `Err` holds the message for the script.
    /// `n_key` is the Lua string "n".
    pub(crate) fn one(lua: &Lua, op: &'static str, table: &Table, n_key: &LuaString) -> Result<Params, SqliteError> {
        let mut params = Params::default();
        // SAFETY: see `read_plain`.
        if let Some(read) = unsafe { read_plain(lua, op, table, n_key, &mut params) } {
            return read.map(|()| params);
        }
        let mut params = Params::default();
        // SAFETY: `read_row` keeps to the stack slots `read_with` checked.
        unsafe { read_with(lua, table, |state| read_row(state, 1, Reading { op, n_key: N_KEY, tags: true }, &mut params).map(drop))? }?;
        Ok(params)
    }

    /// Reads rows `rows` (from 1) of a runMany list, an array of parameter arrays: `write_rows`
    /// (`rows.lua`) writes the rows of plain values and stops at any other, which is read here.
    pub(crate) fn rows(lua: &Lua, op: &'static str, list: &Table, rows: RangeInclusive<usize>, write_rows: &Function) -> Result<Params, SqliteError> {
        let (mut next, last) = rows.into_inner();
        let count = (last + 1).saturating_sub(next);
        let mut params = Params {
            cells: Vec::with_capacity(count * CELLS_PER_ROW),
            bytes: Vec::with_capacity(count * BYTES_PER_ROW),
            row_ends: Vec::with_capacity(count),
        };
        while next <= last {
            if params.bytes.capacity() >= LUA_WRITES_BYTES {
                // SAFETY: as in `one`.
                unsafe { read_with(lua, list, |state| read_rows(state, op, next..=last, &mut params))? }?;
                break;
            }
            let mut buffer = params.spare_room();
            let stopped: i64 = write_rows
                .call((list, next, last, LightUserData((&raw mut buffer).cast())))
                .map_err(|e| SqliteError::Lua(e.to_string()))?;
            // SAFETY: rows.lua wrote only inside the room `spare_room` described.
            unsafe { params.take_written(&buffer) };
            next = usize::try_from(stopped.unsigned_abs()).unwrap_or(usize::MAX);
            if next > last {
                break;
            }
            if stopped < 0 {
                // Out of room at row `next`: twice as much, and write it again.
                double(&mut params.cells, CELLS_PER_ROW);
                double(&mut params.bytes, BYTES_PER_ROW);
                double(&mut params.row_ends, 1);
                continue;
            }
            // Row `next` holds more than plain values (or is no array at all).
            // SAFETY: as in `one`.
            unsafe { read_with(lua, list, |state| read_rows(state, op, next..=next, &mut params))? }?;
            next += 1;
        }
        Ok(params)
    }

    /// How many rows.
    pub(crate) fn len(&self) -> usize {
        self.row_ends.len()
    }

    /// Row `row` (from 0) as SQLite binds it.
    pub(crate) fn row(&self, row: usize) -> impl ExactSizeIterator<Item = ValueRef<'_>> {
        let start = if row == 0 { 0 } else { self.row_ends[row - 1] as usize };
        self.cells[start..self.row_ends[row] as usize].iter().map(|cell| {
            let bytes = || {
                let start = usize::try_from(cell.bits).unwrap_or(usize::MAX);
                self.bytes.get(start..start.saturating_add(cell.len as usize)).unwrap_or_default()
            };
            match cell.kind {
                INTEGER => ValueRef::Integer(cell.bits.cast_signed()),
                NUMBER => number(f64::from_bits(cell.bits)),
                TEXT => ValueRef::Text(bytes()),
                BLOB => ValueRef::Blob(bytes()),
                _ => ValueRef::Null,
            }
        })
    }

    /// A TEXT or BLOB cell holding a copy of `bytes`.
    fn push_bytes(&mut self, kind: u32, bytes: &[u8]) -> Cell {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(bytes);
        // LuaJIT strings are shorter than 2^31 bytes.
        Cell { kind, len: u32::try_from(bytes.len()).unwrap_or(u32::MAX), bits: start as u64 }
    }

    fn end_row(&mut self) {
        // Rows wider than u32 cannot come from Lua arrays.
        self.row_ends.push(u32::try_from(self.cells.len()).unwrap_or(u32::MAX));
    }

    /// The room left in each vector, for `rows.lua` to write into.
    fn spare_room(&mut self) -> Buffer {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Buffer {
            cells: self.cells.as_mut_ptr(),
            bytes: self.bytes.as_mut_ptr(),
            row_ends: self.row_ends.as_mut_ptr(),
            cell_len: clamp(self.cells.len()),
            cell_cap: clamp(self.cells.capacity()),
            byte_len: clamp(self.bytes.len()),
            byte_cap: clamp(self.bytes.capacity()),
            row_len: clamp(self.row_ends.len()),
            row_cap: clamp(self.row_ends.capacity()),
        }
    }

    /// Takes the rows `rows.lua` wrote into `buffer` (made by `spare_room`).
    ///
    /// # Safety
    /// Everything below the lengths in `buffer` must be written.
    unsafe fn take_written(&mut self, buffer: &Buffer) {
        let fits = |len: u32, cap: usize| Some(len as usize).filter(|&len| len <= cap);
        // A length beyond its room would be a bug in rows.lua: then keep what was there.
        unsafe {
            if let Some(len) = fits(buffer.cell_len, self.cells.capacity()) {
                self.cells.set_len(len);
            }
            if let Some(len) = fits(buffer.byte_len, self.bytes.capacity()) {
                self.bytes.set_len(len);
            }
            if let Some(len) = fits(buffer.row_len, self.row_ends.capacity()) {
                self.row_ends.set_len(len);
            }
        }
    }
}

/// Makes `vec`'s capacity at least twice what it was, and at least `least`.
fn double<T>(vec: &mut Vec<T>, least: usize) {
    let wanted = vec.capacity().max(least) * 2;
    vec.reserve(wanted - vec.len());
}

/// Runs `read` on a stack holding `table` at 1 and the string "n" at 2.
unsafe fn read_with(
    lua: &Lua,
    table: &Table,
    read: impl FnOnce(*mut lua_State) -> Result<(), SqliteError>,
) -> LuaResult<Result<(), SqliteError>> {
    let mut result = Ok(());
    unsafe {
        lua.exec_raw::<()>(table, |state| {
            // The row table, a value and a tag's field on top of the list, the row and "n".
            if ffi::lua_checkstack(state, 6) == 0 {
                result = Err(SqliteError::Lua("stack overflow reading parameters".into()));
                return;
            }
            ffi::lua_pushlstring(state, c"n".as_ptr(), 1);
            result = read(state);
            ffi::lua_settop(state, 0);
        })?;
    }
    Ok(result)
}

/// The stack slot of the string "n" (see `read_with`).
const N_KEY: c_int = 2;

/// Reads a parameter array of plain values (nil, booleans, numbers, strings) without the
/// protected call `exec_raw` makes, which costs more than the reading: nothing below allocates
/// or raises. `None` when a value is tagged (reading it pushes new strings): the caller reads
/// the array again, protected.
unsafe fn read_plain(
    lua: &Lua,
    op: &'static str,
    table: &Table,
    n_key: &LuaString,
    params: &mut Params,
) -> Option<Result<(), SqliteError>> {
    lua.exec_raw_lua(|raw| unsafe {
        let state = raw.state();
        let top = ffi::lua_gettop(state);
        // The array, "n", and a value or `n` on top of them.
        if ffi::lua_checkstack(state, 3) == 0 || raw.push(table).is_err() || raw.push(n_key).is_err() {
            ffi::lua_settop(state, top);
            return None;
        }
        let read = read_row(state, top + 1, Reading { op, n_key: top + 2, tags: false }, params);
        ffi::lua_settop(state, top);
        match read {
            Ok(true) => Some(Ok(())),
            Ok(false) => None,
            Err(err) => Some(Err(err)),
        }
    })
}

/// Where `read_row` finds "n", and whether it may read tagged values.
#[derive(Clone, Copy)]
struct Reading {
    op: &'static str,
    n_key: c_int,
    tags: bool,
}

unsafe fn read_rows(
    state: *mut lua_State,
    op: &'static str,
    rows: RangeInclusive<usize>,
    params: &mut Params,
) -> Result<(), SqliteError> {
    unsafe {
        params.row_ends.reserve(rows.clone().count());
        for index in rows {
            ffi::lua_rawgeti(state, 1, index as ffi::lua_Integer);
            if ffi::lua_type(state, -1) != ffi::LUA_TTABLE {
                return Err(SqliteError::RowNotTable(index));
            }
            read_row(state, ffi::lua_gettop(state), Reading { op, n_key: N_KEY, tags: true }, params)?;
            ffi::lua_pop(state, 1);
        }
    }
    Ok(())
}

/// Reads the parameter array at stack slot `table`: `n` values, or without `n` (a runMany row
/// of plain values) as many as its length. `Ok(false)`: a tagged value, not read (`tags` off).
unsafe fn read_row(state: *mut lua_State, table: c_int, reading: Reading, params: &mut Params) -> Result<bool, SqliteError> {
    let op = reading.op;
    unsafe {
        ffi::lua_pushvalue(state, reading.n_key);
        ffi::lua_rawget(state, table);
        let count = match ffi::lua_type(state, -1) {
            ffi::LUA_TNIL => ffi::lua_objlen(state, table),
            ffi::LUA_TNUMBER => match count_of(ffi::lua_tonumber(state, -1)) {
                Some(count) => count,
                None => return Err(SqliteError::ParamCount { op }),
            },
            _ => return Err(SqliteError::ParamCount { op }),
        };
        ffi::lua_pop(state, 1);
        params.cells.reserve(count);
        for index in 1..=count {
            ffi::lua_rawgeti(state, table, index as ffi::lua_Integer);
            let read = read_value(state, reading, index, params);
            ffi::lua_pop(state, 1);
            if !read? {
                return Ok(false);
            }
        }
    }
    params.end_row();
    Ok(true)
}

/// A parameter count `n` as a usize, if it is one.
fn count_of(n: f64) -> Option<usize> {
    // Counts beyond u32 cannot be arrays in LuaJIT anyway.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    ((0.0..=f64::from(u32::MAX)).contains(&n) && n.fract() == 0.0).then_some(n as usize)
}

/// The bytes of the string at stack slot `index` (numbers are converted, as Lua does).
unsafe fn bytes_at<'a>(state: *mut lua_State, index: c_int) -> Option<&'a [u8]> {
    let mut len = 0;
    // SAFETY: the string stays on the stack while the caller copies it.
    unsafe {
        let ptr = ffi::lua_tolstring(state, index, &mut len);
        (!ptr.is_null()).then(|| std::slice::from_raw_parts(ptr.cast::<u8>(), len))
    }
}

/// Reads the value on top of the stack, parameter `index` of its row; `Ok(false)` as `read_row`.
unsafe fn read_value(state: *mut lua_State, reading: Reading, index: usize, params: &mut Params) -> Result<bool, SqliteError> {
    let op = reading.op;
    let param = unsafe {
        match ffi::lua_type(state, -1) {
            ffi::LUA_TNIL => Cell::NULL,
            ffi::LUA_TBOOLEAN => Cell::integer(i64::from(ffi::lua_toboolean(state, -1) != 0)),
            ffi::LUA_TNUMBER => Cell::number(ffi::lua_tonumber(state, -1)),
            ffi::LUA_TSTRING => {
                let text = bytes_at(state, -1).unwrap_or_default();
                params.push_bytes(TEXT, text)
            }
            ffi::LUA_TTABLE if !reading.tags => return Ok(false),
            ffi::LUA_TTABLE => tagged(state, op, index, params)?,
            other => return Err(SqliteError::Unbindable { op, index, type_name: lua_type_name(other) }),
        }
    };
    params.cells.push(param);
    Ok(true)
}

/// The name of a Lua type no parameter can have.
fn lua_type_name(lua_type: c_int) -> &'static str {
    match lua_type {
        ffi::LUA_TFUNCTION => "function",
        ffi::LUA_TUSERDATA => "userdata",
        ffi::LUA_TLIGHTUSERDATA => "lightuserdata",
        ffi::LUA_TTHREAD => "thread",
        _ => "cdata",
    }
}

/// A tagged value `{ type = "blob" | "json" | "int64", value = text }` on top of the stack.
unsafe fn tagged(state: *mut lua_State, op: &'static str, index: usize, params: &mut Params) -> Result<Cell, SqliteError> {
    unsafe {
        let field = |name: &CStr| {
            ffi::lua_pushstring(state, name.as_ptr());
            ffi::lua_rawget(state, -2);
            let text = bytes_at(state, -1);
            ffi::lua_pop(state, 1);
            // The table still holds the string: it outlives this read.
            text.ok_or_else(|| SqliteError::Lua(format!("{op}: parameter {index}: tagged value without its '{}' text", name.to_string_lossy())))
        };
        let kind = field(c"type")?;
        let text = field(c"value")?;
        Ok(match kind {
            b"blob" => params.push_bytes(BLOB, text),
            b"json" => params.push_bytes(TEXT, text),
            b"int64" => {
                let digits = String::from_utf8_lossy(text);
                let parsed = digits
                    .parse::<i64>()
                    .map_err(|_| SqliteError::ParamRange { op, index, digits: digits.to_string() })?;
                Cell::integer(parsed)
            }
            other => return Err(SqliteError::ParamTag { op, index, kind: String::from_utf8_lossy(other).into_owned() }),
        })
    }
}

/// One column value read from SQLite.
pub(crate) enum SqlValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
}

/// Integral numbers bind as INTEGER (`1` stays `1`, not `1.0`); the rest as REAL.
fn number(f: f64) -> ValueRef<'static> {
    // ±2^63 is the edge of i64; the cast is exact for integral values inside it.
    if f.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        #[allow(clippy::cast_possible_truncation)]
        ValueRef::Integer(f as i64)
    } else {
        ValueRef::Real(f)
    }
}

/// A column value as Lua sees it.
pub(crate) fn to_lua(lua: &Lua, value: &SqlValue) -> LuaResult<Value> {
    Ok(match value {
        SqlValue::Null => Value::Nil,
        SqlValue::Integer(i) if (-MAX_EXACT..=MAX_EXACT).contains(i) => Value::Number(*i as f64),
        SqlValue::Integer(i) => int64(lua, *i)?,
        SqlValue::Real(f) => Value::Number(*f),
        SqlValue::Text(bytes) | SqlValue::Blob(bytes) => Value::String(lua.create_string(bytes)?),
    })
}

/// Pushes a column value as Lua sees it (see [`to_lua`]); runs inside `exec_raw`, protected.
pub(crate) unsafe fn push(state: *mut lua_State, value: &SqlValue) {
    unsafe {
        match value {
            SqlValue::Null => ffi::lua_pushnil(state),
            SqlValue::Integer(i) if (-MAX_EXACT..=MAX_EXACT).contains(i) => ffi::lua_pushnumber(state, *i as f64),
            SqlValue::Integer(i) => {
                ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, INT64_MAKER.as_ptr());
                let (hi, lo) = halves(*i);
                ffi::lua_pushnumber(state, hi);
                ffi::lua_pushnumber(state, lo);
                ffi::lua_call(state, 2, 1);
            }
            SqlValue::Real(f) => ffi::lua_pushnumber(state, *f),
            SqlValue::Text(bytes) | SqlValue::Blob(bytes) => {
                ffi::lua_pushlstring(state, bytes.as_ptr().cast(), bytes.len());
            }
        }
    }
}

/// `i` as the two halves `common.int64(hi, lo)` takes.
fn halves(i: i64) -> (f64, f64) {
    ((i >> 32) as f64, (i & 0xffff_ffff) as f64)
}

/// An int64_t cdata, built by `common.int64(hi, lo)`: Rust cannot make cdata itself.
pub(crate) fn int64(lua: &Lua, i: i64) -> LuaResult<Value> {
    let maker: Function = lua.named_registry_value(&INT64_MAKER.to_string_lossy())?;
    let (hi, lo) = halves(i);
    maker.call((hi, lo))
}
