//! JSON for scripts; backs the Lua module `tinn.json` (DESIGN.md §4).
//!
//! `decode` parses with serde_json into a flat tape, then builds the Lua tables from it with
//! their exact sizes; `encode` walks Lua tables directly so it can apply tinn's rules: a table
//! whose keys are exactly 1..n is an array, a table with string keys an object, an empty table
//! `[]` unless marked with `json.object()`; `json.null` stands for JSON null in both directions.
//! Errors name the position (`line 3 column 7`) or the path (`$.users[2].name`). Both work on
//! the Lua C API inside a protected call (protect.rs) for speed. Lua API: `types/json.lua`.

mod decode;
mod encode;
mod protect;

use mlua::{ffi, Function, Lua, Result as LuaResult, Table, Value};

/// Arrays and objects nested deeper than this are refused, by `encode` and `decode` alike, so
/// whatever one writes the other reads (and neither recurses far enough to exhaust the stack).
const MAX_DEPTH: usize = 128;

/// Registry key of the metatable that marks a table as a JSON object.
const OBJECT_MARKER: &str = "tinn.json.object";

/// Why `encode` or `decode` failed; the text is what the script's error says.
#[derive(Debug, thiserror::Error)]
enum JsonError {
    #[error("json.encode: {what} at {path}")]
    Encode { what: String, path: String },
    #[error("json.decode: {0}")]
    Decode(String),
}

tinn_reactor::script_error!(JsonError);

/// Builds `tinn.json`.
pub fn module(lua: &Lua) -> LuaResult<Table> {
    let marker = lua.create_table()?;
    marker.set("__name", "json.object")?;
    lua.set_named_registry_value(OBJECT_MARKER, &marker)?;

    let native = lua.create_table()?;
    native.set("null", Value::NULL)?;
    native.set("encode", native_function(lua, &marker, encode::json_encode)?)?;
    native.set("decode", native_function(lua, &marker, decode::json_decode)?)?;
    native.set("object", lua.create_function(json_object)?)?;
    lua.load(include_str!("json.lua")).set_name("=tinn/json").call(native)
}

/// A C closure over the protected-call trampoline and the object marker (protect.rs).
fn native_function(lua: &Lua, marker: &Table, function: ffi::lua_CFunction) -> LuaResult<Function> {
    // SAFETY: the closure leaves the marker's two upvalues' worth of stack as one function
    unsafe {
        lua.exec_raw(marker, |state| {
            ffi::lua_pushcfunction(state, protect::trampoline);
            ffi::lua_insert(state, -2);
            ffi::lua_pushcclosure(state, function, 2);
        })
    }
}

/// `json.object([t])`: marks `t` (or a new table) so that it encodes as an object even when empty.
fn json_object(lua: &Lua, table: Option<Table>) -> LuaResult<Table> {
    let table = match table {
        Some(table) => table,
        None => lua.create_table()?,
    };
    let marker: Table = lua.named_registry_value(OBJECT_MARKER)?;
    table.set_metatable(Some(marker))?;
    Ok(table)
}
