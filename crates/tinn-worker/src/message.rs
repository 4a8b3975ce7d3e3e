//! Messages: the values that cross between Lua states on different threads. A message owns its
//! data (no Lua references), so it can move to another thread and become Lua values there.
//! Strings and tables are copied; buffers and channel ends ([`Moved`]) are moved: the sender's
//! handle is detached and the receiver gets the same memory or the same queue.

use std::ffi::c_void;

use mlua::{AnyUserData, Lua, MultiValue, Result as LuaResult, Table, Value};

use crate::buffer::Buffer;
use crate::error::{Unsendable, WorkerError};
use crate::port::{Port, PortEnds};

/// Tables nested deeper than this are refused, so converting cannot exhaust the Rust stack.
pub const MAX_DEPTH: usize = 200;

/// One value sent between threads: nil, booleans, numbers, binary-safe strings, nested tables,
/// or a reference to something the [`Parcel`] moves.
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
    /// Entry `n` of the parcel's moved buffers and ports.
    Moved(usize),
}

/// What a message moves instead of copying.
pub enum Moved {
    /// A buffer's bytes (`worker.buffer`): the allocation itself changes hands.
    Buffer(Box<[u8]>),
    /// One end of a channel (`worker.channel`).
    Port(PortEnds),
}

/// What crosses a queue: one or more values and the buffers and ports they move.
pub struct Parcel {
    values: Vec<Message>,
    moved: Vec<Option<Moved>>,
}

/// The Lua handles a parcel detached, so a parcel that could not be delivered can be put back.
pub struct Detached(Vec<AnyUserData>);

impl Parcel {
    /// Converts Lua values; `op` and `root(i)` name the operation and value `i` in errors, e.g.
    /// `worker.post: cannot send a function at msg.handlers[2]`. Buffers and ports are detached
    /// from their handles only once every value has converted, so a refused message moves nothing.
    pub fn pack<'v>(
        lua: &Lua,
        values: impl IntoIterator<Item = &'v Value>,
        op: &str,
        root: impl Fn(usize) -> String,
    ) -> Result<(Parcel, Detached), WorkerError> {
        Parcel::pack_via(lua, values, op, root, None)
    }

    /// One value, named `root` in errors, posted through channel `via` (whose own ends cannot
    /// travel through it: the receiving end would end up in its own queue).
    pub fn pack_one(lua: &Lua, value: &Value, op: &str, root: &str, via: Option<u64>) -> Result<(Parcel, Detached), WorkerError> {
        Parcel::pack_via(lua, [value], op, |_| root.to_string(), via)
    }

    fn pack_via<'v>(
        lua: &Lua,
        values: impl IntoIterator<Item = &'v Value>,
        op: &str,
        root: impl Fn(usize) -> String,
        via: Option<u64>,
    ) -> Result<(Parcel, Detached), WorkerError> {
        let mut packer = Packer { lua, via, op, path: String::new(), open: Vec::new(), moving: Vec::new() };
        let mut messages = Vec::new();
        for (index, value) in values.into_iter().enumerate() {
            packer.path = root(index + 1);
            messages.push(packer.value(value)?);
        }
        let mut parcel = Parcel { values: messages, moved: Vec::with_capacity(packer.moving.len()) };
        for handle in &packer.moving {
            match detach(handle) {
                Ok(moved) => parcel.moved.push(Some(moved)),
                Err(err) => {
                    // not expected after the checks above; give back what was already taken
                    parcel.restore(Detached(packer.moving.clone()));
                    return Err(WorkerError::Detach { op: op.to_owned(), why: err });
                }
            }
        }
        Ok((parcel, Detached(packer.moving)))
    }

    /// A parcel of no values.
    pub fn empty() -> Parcel {
        Parcel { values: Vec::new(), moved: Vec::new() }
    }

    /// A parcel of one string: the fast path of `post` (no walk, one copy).
    pub fn string(bytes: &[u8]) -> Parcel {
        Parcel { values: vec![Message::String(bytes.to_vec())], moved: Vec::new() }
    }

    /// Turns the parcel into Lua values (fresh tables; moved buffers and ports become handles).
    pub fn unpack(mut self, lua: &Lua) -> LuaResult<MultiValue> {
        let mut out = MultiValue::new();
        for message in std::mem::take(&mut self.values) {
            out.push_back(self.value_of(lua, message)?);
        }
        Ok(out)
    }

    /// Gives moved buffers and ports back to the handles they came from (the parcel was not
    /// delivered).
    pub fn restore(self, detached: Detached) {
        for (handle, moved) in detached.0.into_iter().zip(self.moved) {
            if let Some(moved) = moved {
                reattach(&handle, moved);
            }
        }
    }

    fn value_of(&mut self, lua: &Lua, message: Message) -> LuaResult<Value> {
        Ok(match message {
            Message::Nil => Value::Nil,
            Message::Bool(b) => Value::Boolean(b),
            Message::Integer(i) => Value::Integer(i),
            Message::Number(n) => Value::Number(n),
            Message::String(bytes) => Value::String(lua.create_string(bytes)?),
            Message::Table(pairs) => {
                let array = pairs.iter().filter(|(k, _)| matches!(k, Message::Integer(_))).count();
                let table = lua.create_table_with_capacity(array, pairs.len() - array)?;
                for (key, value) in pairs {
                    table.raw_set(self.value_of(lua, key)?, self.value_of(lua, value)?)?;
                }
                Value::Table(table)
            }
            Message::Moved(index) => match self.moved.get_mut(index).and_then(Option::take) {
                Some(Moved::Buffer(bytes)) => Value::UserData(Buffer::create(lua, bytes)?),
                Some(Moved::Port(ends)) => Value::UserData(Port::create(lua, ends)?),
                None => return Err(mlua::Error::external("a moved buffer or port was already taken")),
            },
        })
    }
}

fn detach(handle: &AnyUserData) -> Result<Moved, Unsendable> {
    if let Ok(buffer) = handle.borrow::<Buffer>() {
        return buffer.take().map(Moved::Buffer);
    }
    if let Ok(port) = handle.borrow::<Port>() {
        return port.take().map(Moved::Port);
    }
    Err(Unsendable::NotMovable)
}

fn reattach(handle: &AnyUserData, moved: Moved) {
    match moved {
        Moved::Buffer(bytes) => {
            if let Ok(buffer) = handle.borrow::<Buffer>() {
                buffer.put_back(bytes);
            }
        }
        Moved::Port(ends) => {
            if let Ok(port) = handle.borrow::<Port>() {
                port.put_back(ends);
            }
        }
    }
}

struct Packer<'a> {
    lua: &'a Lua,
    /// The channel the message goes through, if any.
    via: Option<u64>,
    op: &'a str,
    /// The path of the value being converted, e.g. `msg.a[3]`; segments are cut on the way out.
    path: String,
    /// Tables on the current path, to tell a cycle from a table shared twice.
    open: Vec<*const c_void>,
    /// Buffers and ports to detach once everything has converted.
    moving: Vec<AnyUserData>,
}

impl Packer<'_> {
    fn fail(&self, why: Unsendable) -> WorkerError {
        WorkerError::Unsendable { op: self.op.to_owned(), why, path: self.path.clone() }
    }

    fn value(&mut self, value: &Value) -> Result<Message, WorkerError> {
        Ok(match value {
            Value::Nil => Message::Nil,
            Value::Boolean(b) => Message::Bool(*b),
            Value::Integer(i) => Message::Integer(*i),
            Value::Number(n) => Message::Number(*n),
            Value::String(s) => Message::String(s.as_bytes().to_vec()),
            Value::Table(table) => self.table(table)?,
            Value::UserData(handle) => self.movable(handle)?,
            other => return Err(self.fail(Unsendable::Type(other.type_name()))),
        })
    }

    fn movable(&mut self, handle: &AnyUserData) -> Result<Message, WorkerError> {
        let ready = if let Ok(buffer) = handle.borrow::<Buffer>() {
            buffer.check_movable()
        } else if let Ok(port) = handle.borrow::<Port>() {
            port.check_movable(self.lua, self.via)
        } else {
            return Err(self.fail(Unsendable::Userdata));
        };
        ready.map_err(|why| self.fail(why))?;
        if self.moving.iter().any(|seen| seen.to_pointer() == handle.to_pointer()) {
            return Err(self.fail(Unsendable::MovedTwice));
        }
        self.moving.push(handle.clone());
        Ok(Message::Moved(self.moving.len() - 1))
    }

    fn table(&mut self, table: &Table) -> Result<Message, WorkerError> {
        let pointer = table.to_pointer();
        if self.open.contains(&pointer) {
            return Err(self.fail(Unsendable::Cycle));
        }
        if self.open.len() >= MAX_DEPTH {
            return Err(self.fail(Unsendable::TooDeep));
        }
        self.open.push(pointer);
        let mut pairs = Vec::new();
        for pair in table.pairs::<Value, Value>() {
            let (key, value) = pair.map_err(|err| self.fail(Unsendable::Unreadable(err)))?;
            let cut = self.path.len();
            push_segment(&mut self.path, &key);
            let key_message = match key {
                Value::Table(_) | Value::String(_) | Value::Boolean(_) | Value::Integer(_) | Value::Number(_) => {
                    self.value(&key)?
                }
                other => return Err(self.fail(Unsendable::Key(other.type_name()))),
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
        let (mut parcel, _) = Parcel::pack_one(lua, &value, "worker.post", "msg", None).map_err(|err| err.to_string())?;
        Ok(parcel.values.remove(0))
    }

    #[test]
    fn round_trips_nested_tables_and_binary_strings() {
        let lua = Lua::new();
        let value: Value = lua.load(r#"{ 1, 2.5, "a\0b", { x = { true } }, [false] = "f" }"#).eval().unwrap();
        let (parcel, _) = Parcel::pack_one(&lua, &value, "worker.post", "msg", None).unwrap();
        let message = parcel.values[0].clone();
        let back = parcel.unpack(&lua).unwrap();
        let (again, _) = Parcel::pack_one(&lua, &back[0], "worker.post", "msg", None).unwrap();
        let sorted = |m: Message| match m {
            Message::Table(mut pairs) => {
                pairs.sort_by(|a, b| format!("{:?}", a.0).cmp(&format!("{:?}", b.0)));
                pairs
            }
            other => panic!("a table, got {other:?}"),
        };
        assert_eq!(sorted(message), sorted(again.values[0].clone()));
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
