//! Values between Lua and PostgreSQL (docs/pg.md, "Values").
//!
//! Parameters are taken from Lua at the call, before the query future starts ([`Param`]), and
//! encoded for the type the server inferred for each `$n` when the statement is bound. Results
//! arrive in PostgreSQL's binary format and are turned into Lua values on the Lua thread
//! ([`to_cell`]). Integers beyond ±2^53 cross as LuaJIT `int64_t` cdata in both directions, so
//! none is rounded; json/jsonb go through tinn.json; timestamps, numeric and uuid become text.

use std::error::Error as StdError;
use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};
use fallible_iterator::FallibleIterator;
use mlua::{Lua, LuaString, Result as LuaResult, Table, Value};
use postgres_protocol::types as wire;
use tokio_postgres::types::{to_sql_checked, Format, IsNull, Kind, ToSql, Type};

use crate::error::PgError;

type BoxError = Box<dyn StdError + Sync + Send>;

/// Registry keys of the Lua helpers `pg.lua` installs: tinn.sql.common's `int64(hi, lo)` and
/// tinn.json's `decode`.
pub(crate) const INT64: &str = "tinn.pg.int64";
pub(crate) const JSON_DECODE: &str = "tinn.pg.jsonDecode";

/// The largest integer a Lua number holds exactly (2^53).
const EXACT_INTEGER: i64 = 1 << 53;

/// A parameter as taken from Lua.
#[derive(Debug)]
pub(crate) enum Param {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A Lua string: text, or bytes for bytea, or what the server parses for other types.
    Text(Vec<u8>),
    /// `sql.blob(s)`: binds to bytea only.
    Blob(Vec<u8>),
    /// A table: its JSON text (for json/jsonb) and, when it is an array of plain values, its
    /// elements (for PostgreSQL arrays).
    Table { json: Result<String, String>, elements: Option<Vec<Param>> },
}

/// Why a parameter could not be encoded; the message is the script's.
#[derive(Debug)]
pub(crate) struct ParamError(pub(crate) String);

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for ParamError {}

fn param_error(message: impl Into<String>) -> BoxError {
    Box::new(ParamError(message.into()))
}

/// Converts the parameters of one call: `{ n = count, ... }` as tinn.sql.common encodes them
/// (blobs, int64 and tables arrive as `{ type = ..., value = ... }`).
pub(crate) fn params_from_lua(params: Option<Table>) -> Result<Vec<Param>, String> {
    let Some(params) = params else { return Ok(Vec::new()) };
    let count: Option<usize> = params.raw_get("n").map_err(|e| e.to_string())?;
    let count = count.unwrap_or_else(|| params.raw_len());
    let mut out = Vec::with_capacity(count);
    for index in 1..=count {
        let value: Value = params.raw_get(index).map_err(|e| e.to_string())?;
        out.push(param_from_lua(value).map_err(|e| format!("parameter ${index}: {e}"))?);
    }
    Ok(out)
}

/// One value, plain or encoded by tinn.sql.common.
pub(crate) fn param_from_lua(value: Value) -> Result<Param, String> {
    Ok(match value {
        Value::Nil => Param::Null,
        Value::LightUserData(ud) if ud.0.is_null() => Param::Null, // json.null
        Value::Boolean(b) => Param::Bool(b),
        Value::Integer(i) => Param::Int(i),
        Value::Number(n) => number_param(n),
        Value::String(s) => Param::Text(s.as_bytes().to_vec()),
        Value::Table(table) => encoded_param(&table)?,
        other @ Value::Other(_) => int64_param(&other)?,
        other => return Err(format!("cannot bind a {}", other.type_name())),
    })
}

/// `{ type = "blob" | "int64" | "json", value = ..., table = t }` from tinn.sql.common.
fn encoded_param(table: &Table) -> Result<Param, String> {
    let kind: Option<LuaString> = table.raw_get("type").map_err(|e| e.to_string())?;
    let value: Option<LuaString> = table.raw_get("value").map_err(|e| e.to_string())?;
    let (Some(kind), Some(value)) = (kind, value) else {
        return Err("cannot bind a table not encoded by tinn.sql".to_string());
    };
    match &*kind.as_bytes() {
        b"blob" => Ok(Param::Blob(value.as_bytes().to_vec())),
        b"int64" => {
            let text = value.to_str().map_err(|e| e.to_string())?;
            text.parse().map(Param::Int).map_err(|_| format!("{text} is beyond the range of bigint"))
        }
        b"json" => {
            let json = value.to_str().map(|s| s.to_string()).map_err(|e| e.to_string());
            let original: Option<Table> = table.raw_get("table").map_err(|e| e.to_string())?;
            Ok(Param::Table { json, elements: original.and_then(|t| array_elements(&t)) })
        }
        other => Err(format!("unknown parameter type '{}'", String::from_utf8_lossy(other))),
    }
}

/// Lua numbers are doubles; integral ones within ±2^63 bind as integers (`$1::int` takes 42).
fn number_param(n: f64) -> Param {
    if n.fract() == 0.0 && n >= -(2f64.powi(63)) && n < 2f64.powi(63) {
        Param::Int(n as i64)
    } else {
        Param::Float(n)
    }
}

/// An `int64_t` / `uint64_t` cdata inside an array, read from LuaJIT's own text of it (`-5LL`).
fn int64_param(value: &Value) -> Result<Param, String> {
    let text = value.to_string().map_err(|e| e.to_string())?;
    if let Some(digits) = text.strip_suffix("ULL") {
        let n: u64 = digits.parse().map_err(|_| format!("cannot bind {text}"))?;
        return i64::try_from(n).map(Param::Int).map_err(|_| format!("{text} is beyond the range of bigint"));
    }
    if let Some(digits) = text.strip_suffix("LL") {
        return digits.parse().map(Param::Int).map_err(|_| format!("cannot bind {text}"));
    }
    Err(format!("cannot bind {text} (only int64_t and uint64_t cdata bind, as bigint)"))
}

/// The elements of a table whose keys are exactly 1..n and whose values are not tables.
fn array_elements(table: &Table) -> Option<Vec<Param>> {
    let length = table.raw_len();
    let mut keys = 0usize;
    for pair in table.pairs::<Value, Value>() {
        let (_, value) = pair.ok()?;
        keys += 1;
        if matches!(value, Value::Table(_)) {
            return None;
        }
    }
    if keys != length {
        return None;
    }
    (1..=length).map(|index| param_from_lua(table.raw_get(index).ok()?).ok()).collect()
}

/// A parameter with its position, so that a failure names `$n`.
#[derive(Debug)]
pub(crate) struct Bound<'a> {
    pub(crate) index: usize,
    pub(crate) param: &'a Param,
}

impl ToSql for Bound<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        self.param.to_sql(ty, out).map_err(|e| param_error(format!("parameter ${} ({}): {e}", self.index, type_name(ty))))
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    fn encode_format(&self, ty: &Type) -> Format {
        self.param.encode_format(ty)
    }

    to_sql_checked!();
}

/// A type as people write it: `int4[]`, not PostgreSQL's internal `_int4`.
pub(crate) fn type_name(ty: &Type) -> String {
    match ty.kind() {
        Kind::Array(member) => format!("{}[]", member.name()),
        _ => ty.name().to_string(),
    }
}

/// The type a domain stands for, else the type itself.
fn base_type(ty: &Type) -> &Type {
    match ty.kind() {
        Kind::Domain(inner) => base_type(inner),
        _ => ty,
    }
}

fn is_textual(ty: &Type) -> bool {
    matches!(*ty, Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN)
        || matches!(ty.kind(), Kind::Enum(_))
        || ty.name() == "citext"
}

fn is_json(ty: &Type) -> bool {
    matches!(*ty, Type::JSON | Type::JSONB)
}

/// Shortest text that reads back as the same double; PostgreSQL spells the specials its way.
pub(crate) fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        format!("{f}")
    }
}

fn put_json(ty: &Type, text: &[u8], out: &mut BytesMut) {
    if *ty == Type::JSONB {
        out.put_u8(1); // jsonb's binary format: a version byte, then the text
    }
    out.put_slice(text);
}

impl Param {
    /// Text format for the pairs the server should parse itself: a string for numeric, dates,
    /// uuid, inet...; a number for numeric.
    fn encode_format(&self, ty: &Type) -> Format {
        let ty = base_type(ty);
        match self {
            Param::Text(_) if !is_textual(ty) && !is_json(ty) && *ty != Type::BYTEA => Format::Text,
            Param::Int(_) | Param::Float(_) if *ty == Type::NUMERIC => Format::Text,
            _ => Format::Binary,
        }
    }

    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        let ty = base_type(ty);
        match self {
            Param::Null => return Ok(IsNull::Yes),
            Param::Bool(b) => match *ty {
                Type::BOOL => wire::bool_to_sql(*b, out),
                _ if is_json(ty) => put_json(ty, if *b { b"true" } else { b"false" }, out),
                _ => return Err(param_error("a boolean binds to boolean or json only")),
            },
            Param::Int(i) => int_to_sql(*i, ty, out)?,
            Param::Float(f) => match *ty {
                Type::FLOAT8 => wire::float8_to_sql(*f, out),
                Type::FLOAT4 => wire::float4_to_sql(*f as f32, out),
                Type::NUMERIC => out.put_slice(float_text(*f).as_bytes()),
                Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => {
                    return Err(param_error(format!("{} is not an integer", float_text(*f))))
                }
                _ if is_textual(ty) => out.put_slice(float_text(*f).as_bytes()),
                _ if is_json(ty) && f.is_finite() => put_json(ty, float_text(*f).as_bytes(), out),
                _ => return Err(param_error(format!("cannot bind the number {}", float_text(*f)))),
            },
            Param::Text(bytes) => {
                if is_textual(ty) && std::str::from_utf8(bytes).is_err() {
                    return Err(param_error("text must be valid UTF-8 (bind binary data with sql.blob(s))"));
                }
                if is_json(ty) {
                    put_json(ty, bytes, out);
                } else {
                    out.put_slice(bytes);
                }
            }
            Param::Blob(bytes) => match *ty {
                Type::BYTEA => out.put_slice(bytes),
                _ => return Err(param_error("a blob binds to bytea only")),
            },
            Param::Table { json, elements } => match ty.kind() {
                _ if is_json(ty) => match json {
                    Ok(text) => put_json(ty, text.as_bytes(), out),
                    Err(e) => return Err(param_error(e.clone())),
                },
                Kind::Array(member) => match elements {
                    Some(elements) => array_to_sql(member, elements, out)?,
                    None => return Err(param_error("an array parameter takes a Lua array of plain values")),
                },
                _ => return Err(param_error("a table binds to json, jsonb or an array type")),
            },
        }
        Ok(IsNull::No)
    }
}

fn int_to_sql(i: i64, ty: &Type, out: &mut BytesMut) -> Result<(), BoxError> {
    let out_of_range = || param_error(format!("{i} is out of range for {}", ty.name()));
    match *ty {
        Type::INT8 => wire::int8_to_sql(i, out),
        Type::INT4 => wire::int4_to_sql(i32::try_from(i).map_err(|_| out_of_range())?, out),
        Type::INT2 => wire::int2_to_sql(i16::try_from(i).map_err(|_| out_of_range())?, out),
        Type::OID => wire::oid_to_sql(u32::try_from(i).map_err(|_| out_of_range())?, out),
        Type::FLOAT8 => wire::float8_to_sql(i as f64, out),
        Type::FLOAT4 => wire::float4_to_sql(i as f32, out),
        Type::NUMERIC => out.put_slice(i.to_string().as_bytes()),
        _ if is_textual(ty) => out.put_slice(i.to_string().as_bytes()),
        _ if is_json(ty) => put_json(ty, i.to_string().as_bytes(), out),
        _ => return Err(param_error(format!("cannot bind the number {i}"))),
    }
    Ok(())
}

fn array_to_sql(member: &Type, elements: &[Param], out: &mut BytesMut) -> Result<(), BoxError> {
    if elements.iter().any(|e| matches!(e.encode_format(member), Format::Text)) {
        return Err(param_error(format!(
            "elements of a {}[] cannot be bound one by one; pass the array as text ('{{...}}')",
            member.name()
        )));
    }
    let len = i32::try_from(elements.len()).map_err(|_| param_error("array too long"))?;
    let dimension = wire::ArrayDimension { len, lower_bound: 1 };
    wire::array_to_sql(Some(dimension), member.oid(), elements.iter(), |element, buf| {
        Ok(match element.to_sql(member, buf)? {
            IsNull::Yes => postgres_protocol::IsNull::Yes,
            IsNull::No => postgres_protocol::IsNull::No,
        })
    }, out)
}

/// A column's raw bytes (`None` for NULL), taken from a row without conversion.
pub(crate) struct Raw<'a>(pub(crate) Option<&'a [u8]>);

impl<'a> tokio_postgres::types::FromSql<'a> for Raw<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Raw<'a>, BoxError> {
        Ok(Raw(Some(raw)))
    }

    fn from_sql_null(_: &Type) -> Result<Raw<'a>, BoxError> {
        Ok(Raw(None))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A column value on its way to Lua. Scalars and text are pushed straight onto the Lua stack
/// when the result's tables are built ([`crate::db::rows_to_lua`]), without an mlua handle each;
/// only what Lua itself makes (big integers, json, arrays) is a [`Value`] already.
pub(crate) enum Cell<'a> {
    Nil,
    Boolean(bool),
    Number(f64),
    /// The column's own bytes (text, bytea).
    Bytes(&'a [u8]),
    /// Text tinn.pg formatted (numeric, timestamps, uuid...).
    Text(String),
    Lua(Value),
}

impl Cell<'_> {
    fn into_lua(self, lua: &Lua) -> LuaResult<Value> {
        Ok(match self {
            Cell::Nil => Value::Nil,
            Cell::Boolean(b) => Value::Boolean(b),
            Cell::Number(n) => Value::Number(n),
            Cell::Bytes(bytes) => Value::String(lua.create_string(bytes)?),
            Cell::Text(text) => Value::String(lua.create_string(text)?),
            Cell::Lua(value) => value,
        })
    }
}

/// A Lua integer: a number up to ±2^53, an `int64_t` cdata beyond, so nothing is rounded.
fn integer_cell<'a>(lua: &Lua, i: i64) -> LuaResult<Cell<'a>> {
    if (-EXACT_INTEGER..=EXACT_INTEGER).contains(&i) {
        return Ok(Cell::Number(i as f64));
    }
    let make: mlua::Function = lua.named_registry_value(INT64)?;
    // hi * 2^32 + lo, hi signed and lo unsigned, as tinn.sql.common's int64 takes them
    Ok(Cell::Lua(make.call(((i >> 32) as i32, (i & 0xffff_ffff) as u32))?))
}

/// One column value for Lua; errors name the type when it is one tinn.pg does not convert.
pub(crate) fn to_cell<'a>(lua: &Lua, ty: &Type, raw: Option<&'a [u8]>) -> LuaResult<Cell<'a>> {
    let Some(raw) = raw else { return Ok(Cell::Nil) };
    let ty = base_type(ty);
    let bad = PgError::bad_value(ty.name());
    Ok(match *ty {
        Type::BOOL => Cell::Boolean(wire::bool_from_sql(raw).map_err(bad)?),
        Type::INT2 => Cell::Number(f64::from(wire::int2_from_sql(raw).map_err(bad)?)),
        Type::INT4 => Cell::Number(f64::from(wire::int4_from_sql(raw).map_err(bad)?)),
        Type::INT8 => integer_cell(lua, wire::int8_from_sql(raw).map_err(bad)?)?,
        Type::OID => Cell::Number(f64::from(wire::oid_from_sql(raw).map_err(bad)?)),
        Type::FLOAT4 => Cell::Number(f64::from(wire::float4_from_sql(raw).map_err(bad)?)),
        Type::FLOAT8 => Cell::Number(wire::float8_from_sql(raw).map_err(bad)?),
        Type::BYTEA | Type::CHAR => Cell::Bytes(raw),
        Type::JSON | Type::JSONB => {
            let text = if *ty == Type::JSONB { raw.get(1..).unwrap_or_default() } else { raw };
            let decode: mlua::Function = lua.named_registry_value(JSON_DECODE)?;
            Cell::Lua(decode.call(lua.create_string(text)?)?)
        }
        Type::NUMERIC => Cell::Text(numeric_text(raw).map_err(bad)?),
        Type::TIMESTAMP => Cell::Text(timestamp_text(wire::timestamp_from_sql(raw).map_err(bad)?, "")),
        Type::TIMESTAMPTZ => Cell::Text(timestamp_text(wire::timestamp_from_sql(raw).map_err(bad)?, "Z")),
        Type::DATE => Cell::Text(date_text(wire::date_from_sql(raw).map_err(bad)?)),
        Type::TIME => Cell::Text(time_text(wire::time_from_sql(raw).map_err(bad)?)),
        Type::UUID => Cell::Text(uuid_text(wire::uuid_from_sql(raw).map_err(bad)?)),
        Type::VOID => Cell::Nil,
        _ if is_textual(ty) => Cell::Bytes(raw),
        _ => match ty.kind() {
            Kind::Array(member) => Cell::Lua(array_to_lua(lua, member, raw)?),
            _ => {
                return Err(mlua::Error::external(PgError::Unconvertible(type_name(ty))))
            }
        },
    })
}

/// A PostgreSQL array as nested Lua arrays (one level per dimension); NULL elements are nil.
fn array_to_lua(lua: &Lua, member: &Type, raw: &[u8]) -> LuaResult<Value> {
    let bad = PgError::bad_value("array");
    let array = wire::array_from_sql(raw).map_err(bad)?;
    let lengths: Vec<usize> = array
        .dimensions()
        .map(|d| Ok(usize::try_from(d.len).unwrap_or(0)))
        .collect()
        .map_err(bad)?;
    let values: Vec<Option<&[u8]>> = array.values().collect().map_err(bad)?;
    let mut values = values.into_iter();
    build_dimension(lua, member, &lengths, &mut values)
}

fn build_dimension<'a>(
    lua: &Lua,
    member: &Type,
    lengths: &[usize],
    values: &mut impl Iterator<Item = Option<&'a [u8]>>,
) -> LuaResult<Value> {
    let Some((&length, inner)) = lengths.split_first() else { return Ok(Value::Table(lua.create_table()?)) };
    let table = lua.create_table_with_capacity(length, 0)?;
    for index in 1..=length {
        let value = if inner.is_empty() {
            to_cell(lua, member, values.next().flatten())?.into_lua(lua)?
        } else {
            build_dimension(lua, member, inner, values)?
        };
        table.raw_set(index, value)?;
    }
    Ok(Value::Table(table))
}

/// PostgreSQL's binary numeric (base-10000 digits, weight, sign, display scale) as decimal text.
fn numeric_text(raw: &[u8]) -> Result<String, BoxError> {
    let word = |i: usize| -> Result<u16, BoxError> {
        raw.get(i * 2..i * 2 + 2).map(|b| u16::from_be_bytes([b[0], b[1]])).ok_or_else(|| "truncated numeric".into())
    };
    let ndigits = usize::from(word(0)?);
    let weight = i64::from(word(1)? as i16);
    let sign = word(2)?;
    let dscale = usize::from(word(3)?);
    match sign {
        0xC000 => return Ok("NaN".to_string()),
        0xD000 => return Ok("Infinity".to_string()),
        0xF000 => return Ok("-Infinity".to_string()),
        _ => {}
    }
    let digits: Vec<u16> = (0..ndigits).map(|i| word(4 + i)).collect::<Result<_, _>>()?;
    let digit = |position: i64| -> u16 { usize::try_from(position).ok().and_then(|p| digits.get(p).copied()).unwrap_or(0) };
    let mut text = String::new();
    if sign == 0x4000 {
        text.push('-');
    }
    if weight < 0 {
        text.push('0');
    } else {
        for position in 0..=weight {
            let _ = if position == 0 { write!(text, "{}", digit(0)) } else { write!(text, "{:04}", digit(position)) };
        }
    }
    if dscale > 0 {
        let mut fraction = String::new();
        let mut position = weight + 1;
        while fraction.len() < dscale {
            let _ = write!(fraction, "{:04}", digit(position));
            position += 1;
        }
        fraction.truncate(dscale);
        text.push('.');
        text.push_str(&fraction);
    }
    Ok(text)
}

/// Microseconds since 2000-01-01 as ISO 8601 (`2024-05-01T12:30:00.25`, `Z` for timestamptz).
fn timestamp_text(micros: i64, zone: &str) -> String {
    match micros {
        i64::MAX => return "infinity".to_string(),
        i64::MIN => return "-infinity".to_string(),
        _ => {}
    }
    let epoch = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
    match epoch.and_then(|e| e.checked_add_signed(chrono::TimeDelta::microseconds(micros))) {
        Some(at) => format!("{}{zone}", at.format("%Y-%m-%dT%H:%M:%S%.f")),
        None => format!("{micros} microseconds after 2000-01-01"),
    }
}

fn date_text(days: i32) -> String {
    match days {
        i32::MAX => return "infinity".to_string(),
        i32::MIN => return "-infinity".to_string(),
        _ => {}
    }
    let epoch = chrono::NaiveDate::from_ymd_opt(2000, 1, 1);
    match epoch.and_then(|e| e.checked_add_signed(chrono::TimeDelta::days(i64::from(days)))) {
        Some(date) => date.format("%Y-%m-%d").to_string(),
        None => format!("{days} days after 2000-01-01"),
    }
}

fn time_text(micros: i64) -> String {
    let seconds = u32::try_from(micros.div_euclid(1_000_000)).unwrap_or(0);
    let nanos = u32::try_from(micros.rem_euclid(1_000_000) * 1000).unwrap_or(0);
    match chrono::NaiveTime::from_num_seconds_from_midnight_opt(seconds, nanos) {
        Some(time) => time.format("%H:%M:%S%.f").to_string(),
        None => "24:00:00".to_string(), // the one time of day chrono does not represent
    }
}

fn uuid_text(bytes: [u8; 16]) -> String {
    let mut text = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        let _ = write!(text, "{byte:02x}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(ndigits: u16, weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> Vec<u8> {
        let mut raw = Vec::new();
        for w in [ndigits, weight as u16, sign, dscale].iter().chain(digits) {
            raw.extend_from_slice(&w.to_be_bytes());
        }
        raw
    }

    #[test]
    fn numeric_as_text() {
        assert_eq!(numeric_text(&numeric(2, 1, 0, 2, &[12, 3456])).unwrap(), "123456.00");
        assert_eq!(numeric_text(&numeric(1, -1, 0x4000, 4, &[5])).unwrap(), "-0.0005");
        assert_eq!(numeric_text(&numeric(1, -2, 0, 6, &[1200])).unwrap(), "0.000012");
        assert_eq!(numeric_text(&numeric(0, 0, 0, 0, &[])).unwrap(), "0");
        assert_eq!(numeric_text(&numeric(1, 2, 0, 0, &[1])).unwrap(), "100000000");
        assert_eq!(numeric_text(&numeric(0, 0, 0xC000, 0, &[])).unwrap(), "NaN");
        assert!(numeric_text(&[0, 1]).is_err());
    }

    #[test]
    fn times_as_iso_8601() {
        assert_eq!(timestamp_text(0, "Z"), "2000-01-01T00:00:00Z");
        assert_eq!(timestamp_text(1_500_000, ""), "2000-01-01T00:00:01.500");
        assert_eq!(date_text(-1), "1999-12-31");
        assert_eq!(time_text(3_600_000_001), "01:00:00.000001");
    }
}
