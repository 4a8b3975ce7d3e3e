//! The userdata behind a script's db object ([`PgDb`], a pool) and a transaction's connection
//! ([`PgSession`], one leased connection). Every call is a reactor operation that leases a
//! connection for its duration (a session holds its own); the Lua layer (`pg.lua`) parks the
//! task and applies timeouts. A call whose task stops waiting (timeout, cancel) asks the server
//! to cancel the query, and its connection is not reused.

use std::cell::RefCell;
use std::ffi::c_int;
use std::rc::Rc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use mlua::{ffi, IntoLuaMulti, Lua, MultiValue, Result as LuaResult, Table, UserData, UserDataMethods, Value};
use tinn_reactor::ScriptError;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};

use crate::copy::encode_rows;
use crate::error::PgError;
use crate::listen::Listener;
use crate::pool::{Conn, Lease, Pool, Tls};
use crate::value::{params_from_lua, to_cell, Bound, Cell, Param, Raw};

/// Where a call gets its connection: a fresh lease from the pool, or a session's.
#[derive(Clone)]
pub(crate) enum Source {
    Pool(Rc<Pool>),
    Session(SessionSlot),
}

/// A transaction's connection, until it is released (or given up, see `CancelOnDrop`).
pub(crate) type SessionSlot = Rc<RefCell<Option<Rc<Lease>>>>;

pub(crate) enum Held {
    Own(Lease),
    Shared(Rc<Lease>),
}

impl Held {
    pub(crate) fn lease(&self) -> &Lease {
        match self {
            Held::Own(lease) => lease,
            Held::Shared(lease) => lease,
        }
    }
}

impl Source {
    pub(crate) async fn hold(&self) -> Result<Held, PgError> {
        match self {
            Source::Pool(pool) => pool.lease().await.map(Held::Own),
            Source::Session(slot) => slot.borrow().as_ref().map(|lease| Held::Shared(Rc::clone(lease))).ok_or(PgError::Closed),
        }
    }
}

/// While armed, dropping it (the task stopped waiting) cancels the query on the server and
/// keeps the connection out of the pool, since it is still busy with the cancelled query. In a
/// transaction, the transaction is given up with it: its later calls return "closed", and the
/// connection, closed once the last of them is done, no longer counts against the pool, even
/// when the transaction's task was cancelled and never releases it.
struct CancelOnDrop<'a> {
    lease: &'a Lease,
    session: Option<SessionSlot>,
    armed: bool,
}

impl Drop for CancelOnDrop<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        self.lease.reusable.set(false);
        cancel_query(self.lease);
        if let Some(slot) = &self.session {
            slot.borrow_mut().take();
        }
    }
}

/// Runs `work` as a local task of the event loop. Once the loop has ended (objects collected
/// as the Lua state closes at exit) there is none: the work is skipped, the connections close
/// with the process.
pub(crate) fn in_background(work: impl std::future::Future<Output = ()> + 'static) {
    if tokio::runtime::Handle::try_current().is_ok() {
        tokio::task::spawn_local(work);
    }
}

/// Asks the server to stop whatever `lease`'s connection is running (a separate connection
/// carries the request, as PostgreSQL's protocol wants).
pub(crate) fn cancel_query(lease: &Lease) {
    let token = lease.conn().client.cancel_token();
    let tls = lease.tls();
    in_background(async move {
        let _ = match tls {
            Tls::Off => token.cancel_query(tokio_postgres::NoTls).await,
            Tls::Rustls(tls) => token.cancel_query(tls).await,
        };
    });
}

/// SQLSTATE classes after which the connection is gone: 08 connection exception, 57P
/// operator intervention (server shutting down, backend terminated).
pub(crate) fn connection_lost(conn: &Conn, error: &tokio_postgres::Error) -> bool {
    if conn.client.is_closed() || error.is_closed() {
        return true;
    }
    error.code().is_some_and(|code| code.code().starts_with("08") || code.code().starts_with("57P"))
}

/// A cached statement made stale by a schema change; re-preparing it fixes the call.
fn stale_statement(error: &tokio_postgres::Error) -> bool {
    error.as_db_error().is_some_and(|db| db.message().contains("cached plan must not change result type"))
}

/// What a call does once it holds a connection.
enum Work {
    Query(String, Vec<Param>),
    Run(String, Vec<Param>),
    Exec(String),
    CopyIn(String, Vec<u8>),
    Prepare(String),
    /// One statement per parameter row, all or none; `nested`: inside a transaction already.
    RunMany { sql: String, rows: Vec<Vec<Param>>, nested: bool },
}

enum Outcome {
    Rows(Statement, Vec<Row>),
    Changes(u64),
    Done,
}

pub(crate) fn bound(params: &[Param]) -> Vec<Bound<'_>> {
    params.iter().enumerate().map(|(i, param)| Bound { index: i + 1, param }).collect()
}

async fn perform(conn: &Conn, work: &Work) -> Result<Outcome, Failed> {
    match work {
        Work::Query(sql, params) => {
            let statement = conn.statement(sql).await?;
            let bound = bound(params);
            let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b as &(dyn ToSql + Sync)).collect();
            let rows = conn.client.query(&statement, &refs).await?;
            Ok(Outcome::Rows(statement, rows))
        }
        Work::Run(sql, params) => {
            let statement = conn.statement(sql).await?;
            let bound = bound(params);
            let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b as &(dyn ToSql + Sync)).collect();
            Ok(Outcome::Changes(conn.client.execute(&statement, &refs).await?))
        }
        Work::Exec(sql) => Ok(conn.client.batch_execute(sql).await.map(|()| Outcome::Done)?),
        Work::Prepare(sql) => Ok(conn.statement(sql).await.map(|_| Outcome::Done)?),
        Work::RunMany { sql, rows, nested } => run_many(conn, sql, rows, *nested).await,
        Work::CopyIn(sql, data) => {
            let sink = conn.client.copy_in::<_, Bytes>(sql.as_str()).await?;
            futures_util::pin_mut!(sink);
            // Chunks keep memory flat on the wire side; the encoded rows are already in memory.
            for chunk in data.chunks(COPY_CHUNK) {
                sink.send(Bytes::copy_from_slice(chunk)).await?;
            }
            Ok(Outcome::Changes(sink.finish().await?))
        }
    }
}

/// Statements of a runMany sent ahead of their answers (pipelined on one connection).
const RUN_MANY_PIPELINE: usize = 256;

/// A failed call: the driver's error, and for runMany the row (from 1) it failed on.
struct Failed {
    row: Option<usize>,
    error: tokio_postgres::Error,
}

impl From<tokio_postgres::Error> for Failed {
    fn from(error: tokio_postgres::Error) -> Failed {
        Failed { row: None, error }
    }
}

/// Runs `sql` once per row inside a transaction (a savepoint when `nested`), pipelining the
/// statements; any failure undoes them all and names its row.
async fn run_many(conn: &Conn, sql: &str, rows: &[Vec<Param>], nested: bool) -> Result<Outcome, Failed> {
    let (begin, commit, rollback) = if nested {
        ("SAVEPOINT tinn_run_many", "RELEASE SAVEPOINT tinn_run_many", "ROLLBACK TO SAVEPOINT tinn_run_many; RELEASE SAVEPOINT tinn_run_many")
    } else {
        ("BEGIN", "COMMIT", "ROLLBACK")
    };
    let statement = conn.statement(sql).await?;
    conn.client.batch_execute(begin).await?;
    let mut executed = Box::pin(futures_util::stream::iter(rows.iter().enumerate())
        .map(|(index, row)| {
            let statement = &statement;
            async move {
                let bound = bound(row);
                let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b as &(dyn ToSql + Sync)).collect();
                conn.client.execute(statement, &refs).await.map_err(|e| (index + 1, e))
            }
        })
        .buffered(RUN_MANY_PIPELINE));
    let mut total = 0u64;
    let mut failure = None;
    while let Some(result) = executed.next().await {
        match result {
            Ok(changes) => total += changes,
            Err(failed) => {
                failure = Some(failed);
                break;
            }
        }
    }
    drop(executed); // statements still in flight after a failure are abandoned before ROLLBACK
    match failure {
        None => {
            conn.client.batch_execute(commit).await?;
            Ok(Outcome::Changes(total))
        }
        Some((row, error)) => {
            let _ = conn.client.batch_execute(rollback).await;
            Err(Failed { row: Some(row), error })
        }
    }
}

/// Bytes per CopyData message.
const COPY_CHUNK: usize = 64 * 1024;

/// Starts `work` as a reactor operation; its task gets rows, a change count or `true`, or
/// `nil, "op: message (SQLSTATE)"`.
fn start(lua: &Lua, source: Source, op: &'static str, work: Work) -> LuaResult<MultiValue> {
    tinn_reactor::start(lua, async move {
        let held = match source.hold().await {
            Ok(held) => held,
            Err(e) => return tinn_reactor::failure(e.during(op)),
        };
        let lease = held.lease();
        let session = match &source {
            Source::Session(slot) => Some(Rc::clone(slot)),
            Source::Pool(_) => None,
        };
        let mut guard = CancelOnDrop { lease, session, armed: true };
        let mut result = perform(lease.conn(), &work).await;
        if matches!(&result, Err(failed) if stale_statement(&failed.error)) {
            lease.conn().forget_statements();
            result = perform(lease.conn(), &work).await;
        }
        guard.armed = false;
        drop(guard);
        match result {
            Ok(outcome) => tinn_reactor::completion(move |lua| match outcome_to_lua(lua, outcome) {
                Ok(values) => Ok(values),
                // a value tinn.pg cannot convert: the call fails with it, like any other error
                Err(e) => PgError::op(op, plain(&e)).into_failure(lua),
            }),
            Err(Failed { row, error: e }) => {
                let lost = connection_lost(lease.conn(), &e);
                // A COPY the server refuses before it starts leaves tokio-postgres's side of the
                // protocol out of step (the next call on it fails with "unexpected message"):
                // such a connection is closed, not reused.
                if lost || matches!(work, Work::CopyIn(..)) {
                    lease.reusable.set(false);
                }
                let mut error = PgError::from_postgres(op, &e, lost);
                if let (Some(row), PgError::Op { message, .. }) = (row, &mut error) {
                    *message = format!("row {row}: {message}");
                }
                tinn_reactor::failure(error)
            }
        }
    })
}

fn outcome_to_lua(lua: &Lua, outcome: Outcome) -> LuaResult<MultiValue> {
    match outcome {
        Outcome::Rows(statement, rows) => rows_to_lua(lua, &statement, &rows)?.into_lua_multi(lua),
        Outcome::Changes(n) => (n as f64).into_lua_multi(lua),
        Outcome::Done => true.into_lua_multi(lua),
    }
}

/// Values one protected call fills in at most: it takes the Lua-made ones (see `Cell`) on its
/// stack.
const CELLS_PER_CALL: usize = 1024;

/// A length hint for `lua_createtable`.
fn size_hint(n: usize) -> c_int {
    c_int::try_from(n).unwrap_or(c_int::MAX)
}

/// Pushes a string; `state` is a protected call's, with room on its stack.
fn push_bytes(state: *mut ffi::lua_State, bytes: &[u8]) {
    // SAFETY: the caller's protected call catches a memory error
    unsafe {
        ffi::lua_pushlstring(state, bytes.as_ptr().cast(), bytes.len());
    }
}

/// `{ {col = value, ...}, ..., columns = {names in order} }`. The tables are filled through
/// Lua's C API, one protected call per [`CELLS_PER_CALL`] values, not an mlua call (and a
/// registry handle) per table and value: a large result costs about a third less.
pub(crate) fn rows_to_lua(lua: &Lua, statement: &Statement, rows: &[Row]) -> LuaResult<Table> {
    let columns = statement.columns();
    let rows_per_call = (CELLS_PER_CALL / columns.len().max(1)).max(1);
    let mut result = Value::Nil; // made by the first call
    let mut chunks = rows.chunks(rows_per_call);
    let mut first_row = 0;
    loop {
        let chunk = chunks.next().unwrap_or_default();
        let mut cells = Vec::with_capacity(chunk.len() * columns.len());
        // the call's arguments: the result so far, then each Lua-made value (its cell keeps the place)
        let mut arguments = vec![result];
        for row in chunk {
            for (i, column) in columns.iter().enumerate() {
                // Raw accepts every type, so this fails only on a row shorter than its statement
                let raw: Raw = row.try_get(i).map_err(mlua::Error::external)?;
                let mut cell = to_cell(lua, column.type_(), raw.0)
                    .map_err(|e| PgError::Column { column: column.name().to_string(), message: plain(&e) })?;
                if let Cell::Lua(value) = &mut cell {
                    arguments.push(std::mem::replace(value, Value::Nil));
                }
                cells.push(cell);
            }
        }
        // SAFETY: runs in protected mode (luaL_checkstack raises there) and leaves exactly the
        // result table on the stack; index 1 is the result (nil at first), 2.. the Lua-made
        // values in cell order.
        let filled: Table = unsafe {
            lua.exec_raw(MultiValue::from_vec(arguments), |state| {
                ffi::luaL_checkstack(state, size_hint(columns.len() + 4), c"too many columns".as_ptr());
                if ffi::lua_type(state, 1) == ffi::LUA_TNIL {
                    ffi::lua_createtable(state, size_hint(rows.len()), 1);
                    ffi::lua_createtable(state, size_hint(columns.len()), 0);
                    for (i, column) in columns.iter().enumerate() {
                        push_bytes(state, column.name().as_bytes());
                        ffi::lua_rawseti(state, -2, i as ffi::lua_Integer + 1);
                    }
                    ffi::lua_setfield(state, -2, c"columns".as_ptr());
                    ffi::lua_replace(state, 1);
                }
                let names = ffi::lua_gettop(state);
                for column in columns {
                    push_bytes(state, column.name().as_bytes());
                }
                let mut made = 1;
                let mut cells = cells.iter();
                for r in 0..chunk.len() {
                    ffi::lua_createtable(state, 0, size_hint(columns.len()));
                    for (i, cell) in (&mut cells).take(columns.len()).enumerate() {
                        ffi::lua_pushvalue(state, names + 1 + i as c_int);
                        match cell {
                            Cell::Nil => {
                                ffi::lua_pop(state, 1);
                                continue;
                            }
                            Cell::Boolean(b) => ffi::lua_pushboolean(state, c_int::from(*b)),
                            Cell::Number(n) => ffi::lua_pushnumber(state, *n),
                            Cell::Bytes(bytes) => push_bytes(state, bytes),
                            Cell::Text(text) => push_bytes(state, text.as_bytes()),
                            Cell::Lua(_) => {
                                made += 1;
                                ffi::lua_pushvalue(state, made);
                            }
                        }
                        ffi::lua_rawset(state, -3);
                    }
                    ffi::lua_rawseti(state, 1, (first_row + r) as ffi::lua_Integer + 1);
                }
                ffi::lua_settop(state, 1);
            })?
        };
        first_row += chunk.len();
        if first_row == rows.len() {
            return Ok(filled);
        }
        result = Value::Table(filled);
    }
}

/// An mlua error's own text, without the wrapping a Lua callback adds (a json column's decode
/// error comes back from Lua as a RuntimeError).
pub(crate) fn plain(error: &mlua::Error) -> String {
    match error {
        mlua::Error::RuntimeError(message) => message.clone(),
        mlua::Error::CallbackError { cause, .. } => plain(cause),
        other => other.to_string(),
    }
}

fn bad_params(lua: &Lua, op: &'static str, message: String) -> LuaResult<MultiValue> {
    PgError::op(op, message).into_failure(lua)
}

/// A database: a pool of connections plus, once `listen` is called, a LISTEN connection.
pub struct PgDb {
    pub(crate) pool: Rc<Pool>,
    pub(crate) listener: Rc<Listener>,
}

/// One connection held for a transaction; released by `release(clean)`.
pub struct PgSession(SessionSlot);

fn add_call_methods<T: 'static, M: UserDataMethods<T>>(methods: &mut M, source: fn(&T) -> Option<Source>) {
    // `limit` (db:first passes 1): at most that many rows; the rest is not transferred.
    methods.add_method("query", move |lua, this, (sql, params, limit): (String, Option<Table>, Option<usize>)| {
        let Some(source) = source(this) else { return PgError::Closed.into_failure(lua) };
        match params_from_lua(params) {
            Ok(params) if limit.is_some() => crate::cursor::fetch(lua, source, sql, params, limit.unwrap_or(1).max(1), false),
            Ok(params) => start(lua, source, "query", Work::Query(sql, params)),
            Err(e) => bad_params(lua, "query", e),
        }
    });
    methods.add_method("run", move |lua, this, (sql, params): (String, Option<Table>)| {
        let Some(source) = source(this) else { return PgError::Closed.into_failure(lua) };
        match params_from_lua(params) {
            Ok(params) => start(lua, source, "run", Work::Run(sql, params)),
            Err(e) => bad_params(lua, "run", e),
        }
    });
    methods.add_method("exec", move |lua, this, sql: String| {
        let Some(source) = source(this) else { return PgError::Closed.into_failure(lua) };
        start(lua, source, "exec", Work::Exec(sql))
    });
    methods.add_method("fetch", move |lua, this, (sql, params, n): (String, Option<Table>, usize)| {
        let Some(source) = source(this) else { return PgError::Closed.into_failure(lua) };
        match params_from_lua(params) {
            Ok(params) => crate::cursor::fetch(lua, source, sql, params, n.max(1), true),
            Err(e) => bad_params(lua, "query", e),
        }
    });
    methods.add_method("fetchMore", |lua, _, (cursor, n): (mlua::AnyUserData, usize)| crate::cursor::fetch_more(lua, cursor, n.max(1)));
    // Anything but a cursor is ignored: tinn.sql.common hands over the error text of a failed
    // fetch in the cursor's place.
    methods.add_method("closeCursor", |_, _, cursor: Value| {
        if let Some(cursor) = cursor.as_userdata().and_then(|ud| ud.borrow::<crate::cursor::PgCursor>().ok()) {
            crate::cursor::close(&cursor);
        }
        Ok(())
    });
    methods.add_method("runMany", move |lua, this, (sql, list): (String, Table)| {
        let Some(source) = source(this) else { return PgError::Closed.into_failure(lua) };
        let mut rows = Vec::with_capacity(list.raw_len());
        for (index, row) in list.sequence_values::<Table>().enumerate() {
            match row.map_err(|e| e.to_string()).and_then(|row| params_from_lua(Some(row))) {
                Ok(params) => rows.push(params),
                Err(e) => return bad_params(lua, "runMany", format!("row {}: {e}", index + 1)),
            }
        }
        let nested = matches!(source, Source::Session(_));
        start(lua, source, "runMany", Work::RunMany { sql, rows, nested })
    });
    methods.add_method("prepare", move |lua, this, sql: String| {
        let Some(source) = source(this) else { return PgError::Closed.into_failure(lua) };
        start(lua, source, "prepare", Work::Prepare(sql))
    });
    methods.add_method("copyIn", move |lua, this, (sql, rows): (String, Table)| {
        let Some(source) = source(this) else { return PgError::Closed.into_failure(lua) };
        match encode_rows(&rows) {
            Ok(data) => start(lua, source, "copyIn", Work::CopyIn(sql, data)),
            Err(e) => bad_params(lua, "copyIn", e),
        }
    });
}

impl UserData for PgDb {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        add_call_methods(methods, |db: &PgDb| (!db.pool.is_closed()).then(|| Source::Pool(Rc::clone(&db.pool))));
        // One connection leased until `release`, for a transaction.
        methods.add_method("acquire", |lua, this, ()| {
            let pool = Rc::clone(&this.pool);
            tinn_reactor::start(lua, async move {
                match pool.lease().await {
                    Ok(lease) => tinn_reactor::completion(move |lua| {
                        lua.create_userdata(PgSession(Rc::new(RefCell::new(Some(Rc::new(lease))))))?.into_lua_multi(lua)
                    }),
                    Err(e) => tinn_reactor::failure(e.during("transaction")),
                }
            })
        });
        methods.add_method("listen", |lua, this, channel: String| this.listener.listen(lua, channel));
        methods.add_method("unlisten", |lua, this, channel: String| this.listener.unlisten(lua, channel));
        methods.add_method("notifications", |lua, this, ()| this.listener.notifications(lua));
        methods.add_method("relisten", |lua, this, ()| this.listener.relisten(lua));
        methods.add_method("url", |_, this, ()| Ok(this.pool.target.display.clone()));
        // `broken`: the connection may be mid-transaction or dead, so it is closed rather than
        // handed to the next caller.
        methods.add_method("release", |_, _, (session, broken): (mlua::UserDataRef<PgSession>, Option<bool>)| {
            if let Some(lease) = session.0.borrow_mut().take() {
                if broken == Some(true) {
                    lease.reusable.set(false);
                }
            }
            Ok(())
        });
        methods.add_method("close", |_, this, ()| {
            this.pool.close();
            this.listener.close();
            Ok(true)
        });
        methods.add_method("isClosed", |_, this, ()| Ok(this.pool.is_closed()));
    }
}

impl UserData for PgSession {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        add_call_methods(methods, |session: &PgSession| session.0.borrow().is_some().then(|| Source::Session(Rc::clone(&session.0))));
    }
}

impl Drop for PgSession {
    fn drop(&mut self) {
        // Collected without `release` (its task was cancelled mid-transaction): not reusable.
        if let Some(lease) = self.0.borrow_mut().take() {
            lease.reusable.set(false);
        }
    }
}
