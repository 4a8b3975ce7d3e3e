//! Messages: the values that cross between a worker and its parent. A message owns its data
//! (no Lua references), so it can move to another thread and become Lua values there.

use std::ffi::c_void;

use mlua::{Lua, Result as LuaResult, Table, Value};

/// Tables nested deeper than this are refused, so converting cannot exhaust the Rust stack.
pub const MAX_DEPTH: usize = 200;

/// One value sent between threads: nil, booleans, numbers, binary-safe strings, nested tables.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Message {
    /// `nil`.
    Nil,
    /// `true` / `false`.
    Bool(bool),
    /// A number Lua holds as an integer.
    Integer(i64),
    /// Any other number, bit for bit.
    Number(f64),
    /// A string, as bytes (binary-safe).
    String(Vec<u8>),
    /// A table's key/value pairs (arrays and maps alike); metatables are not sent.
    Table(Vec<(Message, Message)>),
}

impl Message {
    /// Converts a Lua value; `op` and `root` name the operation and the value in errors, e.g.
    /// `worker.post: cannot send a function at msg.handlers[2]`.
    pub fn from_lua(value: &Value, op: &str, root: &str) -> Result<Message, String> {
        let mut encoder = Encoder { op, path: root.to_string(), open: Vec::new() };
        encoder.value(value)
    }

    /// Turns the message into Lua values (fresh tables, strings interned by Lua).
    pub fn to_lua(&self, lua: &Lua) -> LuaResult<Value> {
        Ok(match self {
            Message::Nil => Value::Nil,
            Message::Bool(b) => Value::Boolean(*b),
            Message::Integer(i) => Value::Integer(*i),
            Message::Number(n) => Value::Number(*n),
            Message::String(bytes) => Value::String(lua.create_string(bytes)?),
            Message::Table(pairs) => {
                let array = pairs.iter().filter(|(k, _)| matches!(k, Message::Integer(_))).count();
                let table = lua.create_table_with_capacity(array, pairs.len() - array)?;
                for (key, value) in pairs {
                    table.raw_set(key.to_lua(lua)?, value.to_lua(lua)?)?;
                }
                Value::Table(table)
            }
        })
    }
}

struct Encoder<'a> {
    op: &'a str,
    /// The path of the value being converted, e.g. `msg.a[3]`; segments are cut on the way out.
    path: String,
    /// Tables on the current path, to tell a cycle from a table shared twice.
    open: Vec<*const c_void>,
}

impl Encoder<'_> {
    fn fail(&self, what: &str) -> String {
        format!("{}: {what} at {}", self.op, self.path)
    }

    fn value(&mut self, value: &Value) -> Result<Message, String> {
        Ok(match value {
            Value::Nil => Message::Nil,
            Value::Boolean(b) => Message::Bool(*b),
            Value::Integer(i) => Message::Integer(*i),
            Value::Number(n) => Message::Number(*n),
            Value::String(s) => Message::String(s.as_bytes().to_vec()),
            Value::Table(table) => self.table(table)?,
            other => return Err(self.fail(&format!("cannot send a {}", other.type_name()))),
        })
    }

    fn table(&mut self, table: &Table) -> Result<Message, String> {
        let pointer = table.to_pointer();
        if self.open.contains(&pointer) {
            return Err(self.fail("cannot send a table that contains itself"));
        }
        if self.open.len() >= MAX_DEPTH {
            return Err(self.fail(&format!("cannot send tables nested deeper than {MAX_DEPTH} levels")));
        }
        self.open.push(pointer);
        let mut pairs = Vec::new();
        for pair in table.pairs::<Value, Value>() {
            let (key, value) = pair.map_err(|err| self.fail(&format!("cannot read the table: {err}")))?;
            let cut = self.path.len();
            push_segment(&mut self.path, &key);
            let key_message = match key {
                Value::Table(_) | Value::String(_) | Value::Boolean(_) | Value::Integer(_) | Value::Number(_) => {
                    self.value(&key)?
                }
                other => return Err(self.fail(&format!("cannot send a {} as a key", other.type_name()))),
            };
            let value_message = self.value(&value)?;
            self.path.truncate(cut);
            pairs.push((key_message, value_message));
        }
        self.open.pop();
        Ok(Message::Table(pairs))
    }
}

/// Appends `.name`, `[3]` or `["a key"]` to a path, as the key would be written in Lua.
fn push_segment(path: &mut String, key: &Value) {
    match key {
        Value::String(s) => {
            let text = s.to_string_lossy();
            let identifier = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if identifier {
                path.push('.');
                path.push_str(&text);
            } else {
                path.push_str(&format!("[{text:?}]"));
            }
        }
        Value::Integer(i) => path.push_str(&format!("[{i}]")),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => path.push_str(&format!("[{}]", *n as i64)),
        Value::Number(n) => path.push_str(&format!("[{n}]")),
        Value::Boolean(b) => path.push_str(&format!("[{b}]")),
        other => path.push_str(&format!("[{}]", other.type_name())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(lua: &Lua, code: &str) -> Result<Message, String> {
        let value: Value = lua.load(code).eval().expect("test code evaluates");
        Message::from_lua(&value, "worker.post", "msg")
    }

    #[test]
    fn round_trips_nested_tables_and_binary_strings() {
        let lua = Lua::new();
        let message = convert(&lua, r#"{ 1, 2.5, "a\0b", { x = { true } }, [false] = "f" }"#).unwrap();
        let back = message.to_lua(&lua).unwrap();
        let again = Message::from_lua(&back, "worker.post", "msg").unwrap();
        let sorted = |m: Message| match m {
            Message::Table(mut pairs) => {
                pairs.sort_by(|a, b| format!("{:?}", a.0).cmp(&format!("{:?}", b.0)));
                pairs
            }
            other => panic!("a table, got {other:?}"),
        };
        assert_eq!(sorted(message), sorted(again));
    }

    #[test]
    fn errors_name_the_path() {
        let lua = Lua::new();
        assert_eq!(
            convert(&lua, "{ handlers = { 1, print } }").unwrap_err(),
            "worker.post: cannot send a function at msg.handlers[2]"
        );
        assert_eq!(
            convert(&lua, "local t = { a = { b = {} } } t.a.b.c = t return t").unwrap_err(),
            "worker.post: cannot send a table that contains itself at msg.a.b.c"
        );
        assert_eq!(
            convert(&lua, r#"{ ["a key"] = coroutine.create(print) }"#).unwrap_err(),
            r#"worker.post: cannot send a thread at msg["a key"]"#
        );
        // a table reached twice but not through itself is fine
        assert!(convert(&lua, "local s = {} return { s, s }").is_ok());
    }
}
