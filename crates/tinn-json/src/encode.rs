//! Lua values → JSON text, walking tables directly so errors can name the path.

use std::ffi::c_void;
use std::fmt::Write as _;

use mlua::{Lua, Result as LuaResult, Table, Value};

use crate::{MAX_DEPTH, OBJECT_MARKER};

struct Encoder {
    out: String,
    pretty: bool,
    sort_keys: bool,
    object_marker: *const c_void,
    /// Tables being encoded, outermost first: a table met again is a cycle.
    open: Vec<*const c_void>,
    /// `$`, `.key`, `[3]` segments for error messages.
    path: Vec<String>,
}

fn fail(encoder: &Encoder, what: &str) -> mlua::Error {
    mlua::Error::external(format!("json.encode: {what} at {}", encoder.path_text()))
}

impl Encoder {
    fn path_text(&self) -> String {
        let mut text = String::from("$");
        for segment in &self.path {
            text.push_str(segment);
        }
        text
    }

    fn newline(&mut self) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..self.open.len() {
                self.out.push_str("  ");
            }
        }
    }

    fn value(&mut self, value: &Value) -> LuaResult<()> {
        match value {
            Value::Nil => self.out.push_str("null"),
            Value::LightUserData(ud) if ud.0.is_null() => self.out.push_str("null"),
            Value::Boolean(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Integer(i) => {
                let _ = write!(self.out, "{i}");
            }
            Value::Number(n) => self.number(*n)?,
            Value::String(s) => {
                let text = s.to_str().map_err(|_| fail(self, "string is not valid UTF-8"))?;
                self.string(&text);
            }
            Value::Table(table) => self.table(table)?,
            Value::Other(_) => {
                let kind = cdata_kind(value);
                return Err(fail(self, &format!("cannot encode {kind} (convert FFI values first: tonumber, ffi.string)")));
            }
            other => return Err(fail(self, &format!("cannot encode a {}", other.type_name()))),
        }
        Ok(())
    }

    /// Whole numbers within the i64 range arrive as `Value::Integer` (mlua's conversion is
    /// exact) and are written digit for digit; what comes here is a fraction, -0 or beyond 2^63.
    fn number(&mut self, n: f64) -> LuaResult<()> {
        if !n.is_finite() {
            return Err(fail(self, &format!("cannot encode {n} (JSON has no NaN or infinity)")));
        }
        if n == 0.0 {
            // -0.0 (0.0 arrives as an integer): the sign survives a round trip only with a fraction
            self.out.push_str(if n.is_sign_negative() { "-0.0" } else { "0" });
        } else if let Ok(text) = serde_json::to_string(&n) {
            // serde_json writes the shortest text that reads back as the same double (1e300)
            self.out.push_str(&text);
        }
        Ok(())
    }

    fn string(&mut self, text: &str) {
        // serde_json's escaping; writing to a String cannot fail
        if let Ok(quoted) = serde_json::to_string(text) {
            self.out.push_str(&quoted);
        }
    }

    fn table(&mut self, table: &Table) -> LuaResult<()> {
        let id = table.to_pointer();
        if self.open.contains(&id) {
            return Err(fail(self, "table contains itself (a cycle)"));
        }
        if self.open.len() >= MAX_DEPTH {
            return Err(fail(self, &format!("nesting deeper than {MAX_DEPTH}")));
        }
        let marked_object = table.metatable().is_some_and(|mt| mt.to_pointer() == self.object_marker);
        // First pass: classify the keys. No Lua value is kept past its step: mlua can hold only
        // a few thousand references at once, and tables can be far larger.
        let (mut indexes, mut max_index, mut names, mut others) = (0usize, 0usize, 0usize, false);
        let mut other_key = None;
        for pair in table.pairs::<Value, Value>() {
            match pair?.0 {
                Value::String(_) => names += 1,
                Value::Integer(i) => others |= !count_index(&mut indexes, &mut max_index, i as f64),
                Value::Number(n) => others |= !count_index(&mut indexes, &mut max_index, n),
                other => other_key = Some(other.type_name()),
            }
        }
        if let Some(kind) = other_key {
            return Err(fail(self, &format!("cannot encode a table with a {kind} key")));
        }
        // distinct indexes that fill 1..max exactly: an array with no hole and nothing lost
        let is_array = names == 0 && !others && indexes == max_index && !(marked_object && indexes == 0);
        if !is_array && (indexes > 0 || others) {
            return Err(fail(self, "table mixes array items and keys, or has holes (use json.null for missing items)"));
        }
        self.open.push(id);
        let result = if is_array { self.array(table, max_index) } else { self.object(table) };
        self.open.pop();
        result
    }

    fn array(&mut self, table: &Table, length: usize) -> LuaResult<()> {
        self.out.push('[');
        for index in 1..=length {
            if index > 1 {
                self.out.push(',');
            }
            self.newline();
            self.path.push(format!("[{index}]"));
            self.value(&table.raw_get::<Value>(index)?)?;
            self.path.pop();
        }
        self.close_bracket(length, ']');
        Ok(())
    }

    fn field(&mut self, position: usize, name: &str, value: &Value) -> LuaResult<()> {
        if position > 0 {
            self.out.push(',');
        }
        self.newline();
        self.string(name);
        self.out.push_str(if self.pretty { ": " } else { ":" });
        self.path.push(format!(".{name}"));
        self.value(value)?;
        self.path.pop();
        Ok(())
    }

    fn object(&mut self, table: &Table) -> LuaResult<()> {
        self.out.push('{');
        let mut count = 0;
        if self.sort_keys {
            // keys copied out as Rust strings, so sorting holds no Lua references
            let mut names = Vec::new();
            for pair in table.pairs::<mlua::LuaString, Value>() {
                let name = pair?.0.to_str().map_err(|_| fail(self, "key is not valid UTF-8"))?.to_string();
                names.push(name);
            }
            names.sort();
            for name in &names {
                let value: Value = table.raw_get(name.as_str())?;
                self.field(count, name, &value)?;
                count += 1;
            }
        } else {
            for pair in table.pairs::<mlua::LuaString, Value>() {
                let (key, value) = pair?;
                let name = key.to_str().map_err(|_| fail(self, "key is not valid UTF-8"))?.to_string();
                self.field(count, &name, &value)?;
                count += 1;
            }
        }
        self.close_bracket(count, '}');
        Ok(())
    }

    fn close_bracket(&mut self, items: usize, bracket: char) {
        if items > 0 && self.pretty {
            self.out.push('\n');
            for _ in 1..self.open.len() {
                self.out.push_str("  ");
            }
        }
        self.out.push(bracket);
    }
}

/// Counts a numeric key as an array index when it is a positive integer; false otherwise.
fn count_index(indexes: &mut usize, max_index: &mut usize, key: f64) -> bool {
    // LuaJIT arrays stop far below 2^31; larger keys cannot be array items
    if key.fract() != 0.0 || !(1.0..=f64::from(i32::MAX)).contains(&key) {
        return false;
    }
    *indexes += 1;
    *max_index = (*max_index).max(key as usize); // integral and in range, so exact
    true
}

/// `json.encode(value [, {pretty, sortKeys}])` → text, or `nil, message` naming the path of a
/// value JSON cannot hold (function, NaN, cycle, mixed table, invalid UTF-8, nesting over 128)
/// for the Lua wrapper to raise.
pub(crate) fn json_encode(lua: &Lua, (value, options): (Value, Option<Table>)) -> LuaResult<(Value, Value)> {
    let (pretty, sort_keys) = match &options {
        Some(options) => (options.get::<Option<bool>>("pretty")?.unwrap_or(false), options.get::<Option<bool>>("sortKeys")?.unwrap_or(false)),
        None => (false, false),
    };
    let marker: Table = lua.named_registry_value(OBJECT_MARKER)?;
    let mut encoder = Encoder {
        out: String::new(),
        pretty,
        sort_keys,
        object_marker: marker.to_pointer(),
        open: Vec::new(),
        path: Vec::new(),
    };
    match encoder.value(&value) {
        Ok(()) => Ok((Value::String(lua.create_string(&encoder.out)?), Value::Nil)),
        Err(mlua::Error::ExternalError(message)) => Ok((Value::Nil, Value::String(lua.create_string(message.to_string())?))),
        Err(other) => Err(other),
    }
}

/// What a value mlua calls "other" is: under LuaJIT, cdata. Named by its C type, as `tostring`
/// shows it (`cdata<int [2]>`), with the value for a boxed 64-bit integer (`cdata<int64_t> 1LL`).
fn cdata_kind(value: &Value) -> String {
    match value.to_string() {
        Ok(text) => match text.split_once(": 0x") {
            Some((kind, _)) => kind.to_string(),
            // a boxed 64-bit integer prints as its value: 1LL, 1ULL
            None if text.ends_with("ULL") => format!("cdata<uint64_t> {text}"),
            None => format!("cdata<int64_t> {text}"),
        },
        Err(_) => "cdata".to_string(),
    }
}
