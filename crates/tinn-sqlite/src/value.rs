//! Values crossing between Lua and SQLite. Parameters arrive as tinn.sql.common encodes them
//! (see the contract at the top of `crates/tinn-sql/src/common.lua`); results go back as Lua
//! numbers, strings and, beyond ±2^53, int64_t cdata.

use mlua::{Function, Lua, Result as LuaResult, Table, Value};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::ToSql;

use crate::error::SqliteError;

/// Integers whose magnitude is at most this are exact as Lua numbers (doubles).
const MAX_EXACT: i64 = 1 << 53;

/// The registry key of `common.int64`, which builds int64_t cdata from two halves.
pub(crate) const INT64_MAKER: &str = "tinn.sqlite.int64";

/// One bound parameter.
pub(crate) enum Param {
    Null,
    Integer(i64),
    Real(f64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
}

impl ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Param::Null => ValueRef::Null,
            Param::Integer(i) => ValueRef::Integer(*i),
            Param::Real(f) => ValueRef::Real(*f),
            Param::Text(bytes) => ValueRef::Text(bytes),
            Param::Blob(bytes) => ValueRef::Blob(bytes),
        }))
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

/// Reads the `{ n = count, ... }` parameter array; `Err` holds the message for the script.
pub(crate) fn params(op: &'static str, table: &Table) -> Result<Vec<Param>, SqliteError> {
    // Without `n` (a runMany row of plain values) the array's length is its width.
    let count: Option<usize> = table.raw_get("n").map_err(|_| SqliteError::ParamCount { op })?;
    let count = count.unwrap_or_else(|| table.raw_len());
    let mut params = Vec::with_capacity(count);
    for index in 1..=count {
        let value: Value = table.raw_get(index)?;
        params.push(param(op, index, value)?);
    }
    Ok(params)
}

fn param(op: &'static str, index: usize, value: Value) -> Result<Param, SqliteError> {
    Ok(match value {
        Value::Nil => Param::Null,
        Value::Boolean(b) => Param::Integer(i64::from(b)),
        Value::Integer(i) => Param::Integer(i),
        Value::Number(f) => number(f),
        Value::String(s) => Param::Text(s.as_bytes().to_vec()),
        Value::Table(tagged) => {
            let kind: String = tagged.raw_get("type")?;
            let text: mlua::LuaString = tagged.raw_get("value")?;
            match kind.as_str() {
                "blob" => Param::Blob(text.as_bytes().to_vec()),
                "json" => Param::Text(text.as_bytes().to_vec()),
                "int64" => {
                    let digits = text.to_str()?;
                    let parsed = digits
                        .parse::<i64>()
                        .map_err(|_| SqliteError::ParamRange { op, index, digits: digits.to_string() })?;
                    Param::Integer(parsed)
                }
                other => return Err(SqliteError::ParamTag { op, index, kind: other.to_owned() }),
            }
        }
        other => return Err(SqliteError::Unbindable { op, index, type_name: other.type_name() }),
    })
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

/// An int64_t cdata, built by `common.int64(hi, lo)`: Rust cannot make cdata itself.
pub(crate) fn int64(lua: &Lua, i: i64) -> LuaResult<Value> {
    let maker: Function = lua.named_registry_value(INT64_MAKER)?;
    let hi = i >> 32;
    let lo = i & 0xffff_ffff;
    maker.call((hi as f64, lo as f64))
}
