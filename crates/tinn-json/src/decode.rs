//! JSON text → Lua values in one pass: serde_json drives a `DeserializeSeed` that creates the
//! Lua tables as it parses.

use std::fmt;

use mlua::{Lua, Result as LuaResult, Table, Value};
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::{MAX_DEPTH, OBJECT_MARKER};

/// Builds one Lua value; `marker` is set on empty objects so they encode back as `{}`.
#[derive(Clone, Copy)]
struct LuaSeed<'a> {
    lua: &'a Lua,
    marker: &'a Table,
    /// Arrays and objects around the value being read.
    depth: usize,
}

impl LuaSeed<'_> {
    /// The seed for the items of an array or object this seed is reading.
    fn nested<E: serde::de::Error>(self) -> Result<Self, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(format!("nesting deeper than {MAX_DEPTH}")));
        }
        Ok(LuaSeed { depth: self.depth + 1, ..self })
    }
}

impl<'de> DeserializeSeed<'de> for LuaSeed<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

fn lua_error<E: serde::de::Error>(e: mlua::Error) -> E {
    E::custom(e)
}

impl<'de> Visitor<'de> for LuaSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Boolean(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
        // LuaJIT numbers are doubles; integers up to 2^53 stay exact
        Ok(Value::Number(v as f64))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Number(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
        self.lua.create_string(v).map(Value::String).map_err(lua_error)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        Ok(Value::NULL)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let item_seed = self.nested()?;
        let table = self.lua.create_table_with_capacity(seq.size_hint().unwrap_or(0), 0).map_err(lua_error)?;
        let mut index = 0;
        while let Some(item) = seq.next_element_seed(item_seed)? {
            index += 1;
            table.raw_set(index, item).map_err(lua_error)?;
        }
        Ok(Value::Table(table))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let value_seed = self.nested()?;
        let table = self.lua.create_table().map_err(lua_error)?;
        let mut empty = true;
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(value_seed)?;
            table.raw_set(key, value).map_err(lua_error)?;
            empty = false;
        }
        if empty {
            table.set_metatable(Some(self.marker.clone())).map_err(lua_error)?;
        }
        Ok(Value::Table(table))
    }
}

/// `json.decode(text)` → `true, value`, or `false, "json.decode: <reason> at line L column C"`
/// for the Lua wrapper to raise.
pub(crate) fn json_decode(lua: &Lua, text: mlua::LuaString) -> LuaResult<(bool, Value)> {
    let marker: Table = lua.named_registry_value(OBJECT_MARKER)?;
    let seed = LuaSeed { lua, marker: &marker, depth: 0 };
    let bytes = text.as_bytes();
    let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
    // the seed counts depth itself (MAX_DEPTH, as encode), instead of serde_json's 127 levels
    deserializer.disable_recursion_limit();
    match seed.deserialize(&mut deserializer).and_then(|value| deserializer.end().map(|()| value)) {
        Ok(value) => Ok((true, value)),
        Err(e) => Ok((false, Value::String(lua.create_string(format!("json.decode: {e}"))?))),
    }
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
