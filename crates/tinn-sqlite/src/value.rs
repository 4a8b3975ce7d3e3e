//! Values crossing between Lua and SQLite. Parameters arrive as tinn.sql.common encodes them
//! (see the contract at the top of `crates/tinn-sql/src/common.lua`); results go back as Lua
//! numbers, strings and, beyond ±2^53, int64_t cdata.

use std::ffi::{c_int, CStr};
use std::ops::{Range, RangeInclusive};

use mlua::ffi::{self, lua_State};
use mlua::{Function, Lua, LuaString, Result as LuaResult, Table, Value};
use rusqlite::types::ValueRef;

use crate::error::SqliteError;

/// Integers whose magnitude is at most this are exact as Lua numbers (doubles).
const MAX_EXACT: i64 = 1 << 53;

/// The registry key of `common.int64`, which builds int64_t cdata from two halves.
pub(crate) const INT64_MAKER: &CStr = c"tinn.sqlite.int64";

/// One bound parameter; text and blobs are ranges of their [`Params`]' byte buffer.
#[derive(Clone)]
enum Param {
    Null,
    Integer(i64),
    Real(f64),
    Text(Range<usize>),
    Blob(Range<usize>),
}

/// The parameters of one or more rows, read off their Lua tables in one pass through the C API:
/// values flat and all text in one buffer, so a row costs no allocation (and no Lua reference)
/// of its own.
#[derive(Default)]
pub(crate) struct Params {
    values: Vec<Param>,
    bytes: Vec<u8>,
    /// Where each row's values end in `values`.
    row_ends: Vec<usize>,
}

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

    /// Reads rows `rows` (from 1) of a runMany list, an array of parameter arrays.
    pub(crate) fn rows(lua: &Lua, op: &'static str, list: &Table, rows: RangeInclusive<usize>) -> Result<Params, SqliteError> {
        let mut params = Params::default();
        // SAFETY: as in `one`.
        unsafe { read_with(lua, list, |state| read_rows(state, op, rows, &mut params))? }?;
        Ok(params)
    }

    /// How many rows.
    pub(crate) fn len(&self) -> usize {
        self.row_ends.len()
    }

    /// Row `row` (from 0) as SQLite binds it.
    pub(crate) fn row(&self, row: usize) -> impl ExactSizeIterator<Item = ValueRef<'_>> {
        let start = if row == 0 { 0 } else { self.row_ends[row - 1] };
        self.values[start..self.row_ends[row]].iter().map(|param| match param {
            Param::Null => ValueRef::Null,
            Param::Integer(i) => ValueRef::Integer(*i),
            Param::Real(f) => ValueRef::Real(*f),
            Param::Text(range) => ValueRef::Text(&self.bytes[range.clone()]),
            Param::Blob(range) => ValueRef::Blob(&self.bytes[range.clone()]),
        })
    }

    fn push_bytes(&mut self, bytes: &[u8]) -> Range<usize> {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(bytes);
        start..self.bytes.len()
    }
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
        params.values.reserve(count);
        for index in 1..=count {
            ffi::lua_rawgeti(state, table, index as ffi::lua_Integer);
            let read = read_value(state, reading, index, params);
            ffi::lua_pop(state, 1);
            if !read? {
                return Ok(false);
            }
        }
    }
    params.row_ends.push(params.values.len());
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
            ffi::LUA_TNIL => Param::Null,
            ffi::LUA_TBOOLEAN => Param::Integer(i64::from(ffi::lua_toboolean(state, -1) != 0)),
            ffi::LUA_TNUMBER => number(ffi::lua_tonumber(state, -1)),
            ffi::LUA_TSTRING => {
                let text = bytes_at(state, -1).unwrap_or_default();
                Param::Text(params.push_bytes(text))
            }
            ffi::LUA_TTABLE if !reading.tags => return Ok(false),
            ffi::LUA_TTABLE => tagged(state, op, index, params)?,
            other => return Err(SqliteError::Unbindable { op, index, type_name: lua_type_name(other) }),
        }
    };
    params.values.push(param);
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
unsafe fn tagged(state: *mut lua_State, op: &'static str, index: usize, params: &mut Params) -> Result<Param, SqliteError> {
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
            b"blob" => Param::Blob(params.push_bytes(text)),
            b"json" => Param::Text(params.push_bytes(text)),
            b"int64" => {
                let digits = String::from_utf8_lossy(text);
                let parsed = digits
                    .parse::<i64>()
                    .map_err(|_| SqliteError::ParamRange { op, index, digits: digits.to_string() })?;
                Param::Integer(parsed)
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
fn number(f: f64) -> Param {
    // ±2^63 is the edge of i64; the cast is exact for integral values inside it.
    if f.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        #[allow(clippy::cast_possible_truncation)]
        Param::Integer(f as i64)
    } else {
        Param::Real(f)
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
