//! The SQLite driver of `tinn.sql`; backs the Lua module `tinn.sqlite` (DESIGN.md §4).
//!
//! SQLite is compiled in (rusqlite's `bundled` feature): nothing to install. Each open database
//! is a [`SqliteConnection`] userdata whose connection lives on its own thread and takes
//! requests through a channel in order; each request's answer comes back through the reactor,
//! so a slow query suspends only its task and never the scheduler. Files open in WAL mode
//! (readers do not wait for a writer) with a busy timeout (writers wait for each other instead
//! of failing at once), so several connections and several processes can share one file.
//!
//! The db methods scripts call (`run`, `query`, `rows`, `transaction`, ...) are tinn.sql's
//! common layer (`crates/tinn-sql/src/common.lua`); this crate provides the native half of its
//! driver contract.
//!
//! Organization: `worker.rs` the connection thread; `value.rs` values between Lua and SQLite;
//! `error.rs` messages such as `query: no such table: t (SQLITE_ERROR)`.
//! Lua API: `types/sql.lua`; docs: `docs/sql.md`.

mod error;
mod value;
mod worker;

use std::cell::{Cell, RefCell};
use std::ffi::c_int;
use std::sync::Arc;
use std::sync::mpsc::{channel, Sender};
use std::time::Duration;

use mlua::ffi;
use mlua::{
    Function, IntoLuaMulti, Lua, LuaString, MultiValue, Result as LuaResult, Table, UserData, UserDataMethods, Value,
};
use tinn_reactor::{Expect, ScriptError};
use tokio::sync::oneshot;

pub use error::SqliteError;

use worker::{Batch, CursorId, OpenOptions, Request, RowSet, Running, Seq};

/// Builds `tinn.sqlite`: the native `open`, wrapped by `sqlite.lua`.
pub fn module(lua: &Lua) -> LuaResult<Table> {
    let common: Table = lua.load("return require('tinn.sql.common')").set_name("=tinn/sqlite").eval()?;
    let int64: Function = common.get("int64")?;
    lua.set_named_registry_value(&value::INT64_MAKER.to_string_lossy(), int64)?;
    let write_rows: Function = lua.load(include_str!("rows.lua")).set_name("=tinn/sqlite/rows").eval()?;
    lua.set_named_registry_value(value::ROW_WRITER, write_rows)?;
    let native = lua.create_table()?;
    native.set("open", lua.create_function(sqlite_open)?)?;
    tinn_reactor::wrap_module(lua, "=tinn/sqlite", include_str!("sqlite.lua"), native)
}

/// How many rows of a runMany list are read into one chunk for the connection thread.
const RUN_MANY_CHUNK: usize = 1024;

/// An open database: the sending end of its connection thread's request channel.
pub struct SqliteConnection {
    requests: RefCell<Option<Sender<(Seq, Request)>>>,
    running: Arc<Running>,
    last_seq: Cell<Seq>,
    path: String,
    /// The string "n", kept to look up parameter counts without making it each call.
    n_key: LuaString,
    /// `rows.lua`, which writes runMany's rows of plain values.
    write_rows: Function,
}

fn sqlite_open(
    lua: &Lua,
    (path, readonly, wal, busy_timeout_ms): (String, bool, bool, f64),
) -> LuaResult<MultiValue> {
    let busy_timeout = Duration::try_from_secs_f64(busy_timeout_ms / 1000.0).unwrap_or(Duration::MAX);
    let options = OpenOptions { path: path.clone(), readonly, wal, busy_timeout };
    let (opened_tx, opened_rx) = oneshot::channel();
    let (requests, incoming) = channel();
    let spawned = std::thread::Builder::new().name("tinn-sqlite".into()).spawn(move || {
        match worker::open(&options) {
            Ok(conn) => {
                let running = worker::running(&conn);
                if opened_tx.send(Ok(Arc::clone(&running))).is_ok() {
                    worker::serve(conn, incoming, &running);
                }
            }
            Err(err) => {
                let _ = opened_tx.send(Err(err));
            }
        }
    });
    if let Err(err) = spawned {
        return (Value::Nil, format!("open '{path}': cannot start its thread: {err}")).into_lua_multi(lua);
    }
    let (_, parked) = tinn_reactor::start_with(lua, Expect::Whenever, async move {
        match opened_rx.await {
            Ok(Ok(running)) => tinn_reactor::completion(move |lua| {
                let conn = SqliteConnection {
                    requests: RefCell::new(Some(requests)),
                    running,
                    last_seq: Cell::new(0),
                    path,
                    n_key: lua.create_string("n")?,
                    write_rows: lua.named_registry_value(value::ROW_WRITER)?,
                };
                lua.create_userdata(conn)?.into_lua_multi(lua)
            }),
            Ok(Err(err)) => tinn_reactor::failure(err),
            Err(_) => tinn_reactor::failure(format!("open '{path}': its thread ended")),
        }
    })?;
    Ok(parked)
}

impl SqliteConnection {
    /// Sends a request made around a fresh reply channel and returns `PENDING, id`; `finish`
    /// turns the answer into the values the waiting task receives.
    fn ask<T: Send + 'static>(
        &self,
        lua: &Lua,
        make: impl FnOnce(oneshot::Sender<T>) -> Request,
        finish: impl FnOnce(&Lua, T) -> LuaResult<MultiValue> + 'static,
    ) -> LuaResult<MultiValue> {
        let (reply, answer) = oneshot::channel();
        let seq = self.next_seq();
        let sent = match self.requests.borrow().as_ref() {
            Some(requests) => requests.send((seq, make(reply))).is_ok(),
            None => false,
        };
        if !sent {
            return SqliteError::Closed.into_failure(lua);
        }
        let mut guard = InterruptOnDrop { running: Some(Arc::clone(&self.running)), seq };
        let (_, parked) = tinn_reactor::start_with(lua, Expect::Soon, async move {
            let answered = answer.await;
            guard.disarm();
            match answered {
                Ok(value) => tinn_reactor::completion(move |lua| finish(lua, value)),
                Err(_) => tinn_reactor::failure(SqliteError::Closed),
            }
        })?;
        Ok(parked)
    }
}

impl SqliteConnection {
    /// The SQL text and one parameter array of a call named `op`.
    fn statement(&self, lua: &Lua, op: &'static str, sql: &LuaString, params: &Table) -> Result<(String, value::Params), SqliteError> {
        Ok((sql_text(op, sql)?, value::Params::one(lua, op, params, &self.n_key)?))
    }

    fn next_seq(&self) -> Seq {
        self.last_seq.set(self.last_seq.get() + 1);
        self.last_seq.get()
    }
}

/// Dropped with the future of a request nobody waits for any more (timeout, cancelled task):
/// interrupts the statement if it is running, so the connection is free for the next call.
struct InterruptOnDrop {
    running: Option<Arc<Running>>,
    seq: Seq,
}

impl InterruptOnDrop {
    /// The answer came: nothing to interrupt.
    fn disarm(&mut self) {
        self.running = None;
    }
}

impl Drop for InterruptOnDrop {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.interrupt(self.seq);
        }
    }
}

/// SQL text as Rust sees it, refusing invalid UTF-8.
fn sql_text(op: &'static str, sql: &LuaString) -> Result<String, SqliteError> {
    sql.to_str().map(|s| s.to_owned()).map_err(|_| SqliteError::NotUtf8 { op })
}

impl UserData for SqliteConnection {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("exec", |lua, this, sql: LuaString| {
            let sql = match sql_text("exec", &sql) {
                Ok(sql) => sql,
                Err(err) => return err.into_failure(lua),
            };
            this.ask(lua, |reply| Request::Exec { sql, reply }, |lua, done| match done {
                Ok(()) => true.into_lua_multi(lua),
                Err(err) => err.into_failure(lua),
            })
        });
        methods.add_method("query", |lua, this, (sql, params, limit): (LuaString, Table, Option<usize>)| {
            let (sql, params) = match this.statement(lua, "query", &sql, &params) {
                Ok(parsed) => parsed,
                Err(err) => return err.into_failure(lua),
            };
            this.ask(lua, |reply| Request::Query { sql, params, limit, reply }, |lua, rows| match rows {
                Ok(rows) => rows_to_lua(lua, rows).and_then(|rows| rows.into_lua_multi(lua)),
                Err(err) => err.into_failure(lua),
            })
        });
        methods.add_method("first", |lua, this, (sql, params): (LuaString, Table)| {
            let (sql, params) = match this.statement(lua, "query", &sql, &params) {
                Ok(parsed) => parsed,
                Err(err) => return err.into_failure(lua),
            };
            let limit = Some(1);
            this.ask(lua, |reply| Request::Query { sql, params, limit, reply }, |lua, rows| match rows {
                Ok(rows) => first_row_to_lua(lua, rows).and_then(|row| row.into_lua_multi(lua)),
                Err(err) => err.into_failure(lua),
            })
        });
        methods.add_method("fetch", |lua, this, (sql, params, n): (LuaString, Table, usize)| {
            let (sql, params) = match this.statement(lua, "rows", &sql, &params) {
                Ok(parsed) => parsed,
                Err(err) => return err.into_failure(lua),
            };
            this.ask(lua, |reply| Request::Fetch { sql, params, n, reply }, batch_to_lua)
        });
        methods.add_method("fetchMore", |lua, this, (cursor, n): (CursorId, usize)| {
            this.ask(lua, |reply| Request::FetchMore { cursor, n, reply }, batch_to_lua)
        });
        methods.add_method("closeCursor", |_, this, cursor: CursorId| {
            if let Some(requests) = this.requests.borrow().as_ref() {
                // A closed connection has dropped its cursors already.
                let _ = requests.send((this.next_seq(), Request::CloseCursor { cursor }));
            }
            Ok(())
        });
        methods.add_method("run", |lua, this, (sql, params): (LuaString, Table)| {
            let (sql, params) = match this.statement(lua, "run", &sql, &params) {
                Ok(parsed) => parsed,
                Err(err) => return err.into_failure(lua),
            };
            this.ask(lua, |reply| Request::Run { sql, params, reply }, |lua, done| match done {
                Ok((changes, last_insert_id)) => {
                    (changes as f64, value::to_lua(lua, &value::SqlValue::Integer(last_insert_id))?).into_lua_multi(lua)
                }
                Err(err) => err.into_failure(lua),
            })
        });
        methods.add_method("runMany", |lua, this, (sql, list): (LuaString, Table)| {
            let count = list.raw_len();
            // The first chunk is read before anything is sent: a bad first row or SQL text fails
            // at once; the connection thread runs each chunk while the next one is read.
            let first = sql_text("runMany", &sql)
                .and_then(|sql| Ok((sql, value::Params::rows(lua, "runMany", &list, 1..=count.min(RUN_MANY_CHUNK), &this.write_rows)?)));
            let (sql, first) = match first {
                Ok(first) => first,
                Err(err) => return err.into_failure(lua),
            };
            let (chunks, incoming) = channel();
            let _ = chunks.send(Ok(first));
            let parked = this.ask(lua, |reply| Request::RunMany { sql, chunks: incoming, reply }, |lua, done| match done {
                Ok((changes, last_insert_id)) => {
                    (changes as f64, value::to_lua(lua, &value::SqlValue::Integer(last_insert_id))?).into_lua_multi(lua)
                }
                Err(err) => err.into_failure(lua),
            })?;
            for start in (RUN_MANY_CHUNK + 1..=count).step_by(RUN_MANY_CHUNK) {
                let chunk = value::Params::rows(lua, "runMany", &list, start..=count.min(start + RUN_MANY_CHUNK - 1), &this.write_rows);
                let failed = chunk.is_err();
                // A send fails once nobody runs the request any more (closed, abandoned).
                if chunks.send(chunk).is_err() || failed {
                    break;
                }
            }
            Ok(parked)
        });
        methods.add_method("prepare", |lua, this, sql: LuaString| {
            let sql = match sql_text("prepare", &sql) {
                Ok(sql) => sql,
                Err(err) => return err.into_failure(lua),
            };
            this.ask(lua, |reply| Request::Prepare { sql, reply }, |lua, done| match done {
                Ok(()) => true.into_lua_multi(lua),
                Err(err) => err.into_failure(lua),
            })
        });
        methods.add_method("close", |lua, this, ()| {
            let Some(requests) = this.requests.borrow_mut().take() else {
                return true.into_lua_multi(lua);
            };
            let (reply, answer) = oneshot::channel();
            if requests.send((this.next_seq(), Request::Close { reply })).is_err() {
                return true.into_lua_multi(lua);
            }
            let (_, parked) = tinn_reactor::start_with(lua, Expect::Soon, async move {
                // Either way the connection is gone: closed now, or its thread already ended.
                let _ = answer.await;
                tinn_reactor::completion(|lua| true.into_lua_multi(lua))
            })?;
            Ok(parked)
        });
        methods.add_method("isClosed", |_, this, ()| Ok(this.requests.borrow().is_none()));
        methods.add_meta_method("__tostring", |_, this, ()| Ok(format!("SqliteConnection({})", this.path)));
    }
}

/// `rows, cursor` (cursor nil after the last batch), or `nil, message`.
fn batch_to_lua(lua: &Lua, batch: Result<Batch, SqliteError>) -> LuaResult<MultiValue> {
    match batch {
        Ok(Batch { rows, cursor }) => (rows_to_lua(lua, rows)?, cursor).into_lua_multi(lua),
        Err(err) => err.into_failure(lua),
    }
}

/// `{ row, row, ..., columns = { names in order } }`, each row `{ name = value }`, built in one
/// pass through the Lua C API (a table made through mlua costs a reference of its own).
fn rows_to_lua(lua: &Lua, set: RowSet) -> LuaResult<Table> {
    let width = set.columns.len();
    let count = set.values.len().checked_div(width).unwrap_or(0);
    // SAFETY: the closure checks the stack room it uses and leaves exactly the rows table; it
    // runs protected, so an allocation failure raises as an mlua error.
    unsafe {
        lua.exec_raw(Value::Nil, |state| {
            ffi::lua_settop(state, 0);
            if ffi::lua_checkstack(state, 8) == 0 {
                return;
            }
            ffi::lua_createtable(state, c_int::try_from(width).unwrap_or(0), 0);
            for (index, name) in set.columns.iter().enumerate() {
                ffi::lua_pushlstring(state, name.as_ptr().cast(), name.len());
                ffi::lua_rawseti(state, 1, (index + 1) as ffi::lua_Integer);
            }
            ffi::lua_createtable(state, c_int::try_from(count).unwrap_or(0), 1);
            for (index, values) in set.values.chunks(width.max(1)).enumerate() {
                push_row(state, values, |column| {
                    ffi::lua_rawgeti(state, 1, (column + 1) as ffi::lua_Integer);
                });
                ffi::lua_rawseti(state, 2, (index + 1) as ffi::lua_Integer);
            }
            ffi::lua_pushlstring(state, c"columns".as_ptr(), 7);
            ffi::lua_pushvalue(state, 1);
            ffi::lua_rawset(state, 2);
            ffi::lua_remove(state, 1);
        })
    }
}

/// The first row `{ name = value }` of `set` alone, or nil: db:first needs neither the list
/// nor the column names.
fn first_row_to_lua(lua: &Lua, set: RowSet) -> LuaResult<Value> {
    let Some(values) = set.values.get(..set.columns.len()).filter(|values| !values.is_empty()) else {
        return Ok(Value::Nil);
    };
    // SAFETY: as in `rows_to_lua`; leaves exactly the row.
    unsafe {
        lua.exec_raw(Value::Nil, |state| {
            ffi::lua_settop(state, 0);
            if ffi::lua_checkstack(state, 8) == 0 {
                return;
            }
            push_row(state, values, |column| {
                let name = &set.columns[column];
                ffi::lua_pushlstring(state, name.as_ptr().cast(), name.len());
            });
        })
    }
}

/// Pushes the row `{ name = value }`; `push_name(column)` pushes a column's name.
unsafe fn push_row(state: *mut ffi::lua_State, values: &[value::SqlValue], mut push_name: impl FnMut(usize)) {
    unsafe {
        ffi::lua_createtable(state, 0, c_int::try_from(values.len()).unwrap_or(0));
        for (column, value) in values.iter().enumerate() {
            push_name(column);
            value::push(state, value);
            ffi::lua_rawset(state, -3);
        }
    }
}
