//! The connection thread: owns one `rusqlite::Connection`, takes [`Request`]s from a channel
//! in order and answers each through a oneshot that the reactor's future awaits.

use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Statement};
use tokio::sync::oneshot;

use crate::error::SqliteError;
use crate::value::{Param, SqlValue};

/// What a connection thread is asked to do.
pub(crate) enum Request {
    Exec { sql: String, reply: oneshot::Sender<Result<(), SqliteError>> },
    Query { sql: String, params: Vec<Param>, reply: oneshot::Sender<Result<RowSet, SqliteError>> },
    Run { sql: String, params: Vec<Param>, reply: oneshot::Sender<Result<(u64, i64), SqliteError>> },
    Prepare { sql: String, reply: oneshot::Sender<Result<(), SqliteError>> },
    Close { reply: oneshot::Sender<()> },
}

/// Rows read off a statement: column names in order and the values row after row.
pub(crate) struct RowSet {
    pub(crate) columns: Vec<String>,
    pub(crate) values: Vec<SqlValue>,
}

/// How the thread opens its database.
pub(crate) struct OpenOptions {
    pub(crate) path: String,
    pub(crate) readonly: bool,
    pub(crate) wal: bool,
    pub(crate) busy_timeout: Duration,
}

/// Prepared statements kept per connection, so a repeated query skips SQLite's parser.
const STATEMENT_CACHE: usize = 128;

/// How long the thread polls its channel before it sleeps on it: a task issuing queries one
/// after another sends the next within microseconds, and waking a sleeping thread costs more.
const SPIN_BEFORE_SLEEP: Duration = Duration::from_micros(50);

/// Opens the database; errors are worded for `sql.open`.
pub(crate) fn open(options: &OpenOptions) -> Result<Connection, SqliteError> {
    let shown = || options.path.clone();
    let mut flags = OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    flags |= if options.readonly {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
    };
    let conn = Connection::open_with_flags(&options.path, flags).map_err(|e| SqliteError::open(shown(), e))?;
    conn.busy_timeout(options.busy_timeout).map_err(|e| SqliteError::open(shown(), e))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    if options.wal && !options.readonly {
        // An in-memory database answers "memory"; that is fine, it has no file to share.
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(|e| SqliteError::open(shown(), e))?;
        // NORMAL is durable across application crashes in WAL mode; only an OS crash or power
        // loss can undo the last commits (never corrupt the file).
        conn.execute_batch("PRAGMA synchronous = NORMAL").map_err(|e| SqliteError::open(shown(), e))?;
    }
    conn.execute_batch("PRAGMA foreign_keys = ON").map_err(|e| SqliteError::open(shown(), e))?;
    Ok(conn)
}

/// Serves requests until `Close` or until every sender is gone (the db was collected).
pub(crate) fn serve(conn: Connection, requests: Receiver<Request>) {
    while let Some(request) = next_request(&requests) {
        match request {
            Request::Exec { sql, reply } => {
                let _ = reply.send(conn.execute_batch(&sql).map_err(|e| SqliteError::engine("exec", e)));
            }
            Request::Query { sql, params, reply } => {
                let _ = reply.send(query(&conn, &sql, &params));
            }
            Request::Run { sql, params, reply } => {
                let _ = reply.send(run(&conn, &sql, &params));
            }
            Request::Prepare { sql, reply } => {
                let prepared = conn.prepare_cached(&sql).map(drop).map_err(|e| SqliteError::engine("prepare", e));
                let _ = reply.send(prepared);
            }
            Request::Close { reply } => {
                drop(conn);
                let _ = reply.send(());
                return;
            }
        }
    }
}

fn next_request(requests: &Receiver<Request>) -> Option<Request> {
    let deadline = Instant::now() + SPIN_BEFORE_SLEEP;
    loop {
        match requests.try_recv() {
            Ok(request) => return Some(request),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) if Instant::now() < deadline => std::hint::spin_loop(),
            Err(TryRecvError::Empty) => return requests.recv().ok(),
        }
    }
}

fn bind(op: &'static str, stmt: &mut Statement<'_>, params: &[Param]) -> Result<(), SqliteError> {
    let wanted = stmt.parameter_count();
    if wanted != params.len() {
        return Err(SqliteError::ParameterCount { op, wanted, got: params.len() });
    }
    for (index, param) in params.iter().enumerate() {
        stmt.raw_bind_parameter(index + 1, param).map_err(|e| SqliteError::engine(op, e))?;
    }
    Ok(())
}

fn query(conn: &Connection, sql: &str, params: &[Param]) -> Result<RowSet, SqliteError> {
    let mut stmt = conn.prepare_cached(sql).map_err(|e| SqliteError::engine("query", e))?;
    bind("query", &mut stmt, params)?;
    let columns: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let width = columns.len();
    let mut values = Vec::new();
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next().map_err(|e| SqliteError::engine("query", e))? {
        for index in 0..width {
            let value = row.get_ref(index).map_err(|e| SqliteError::engine("query", e))?;
            values.push(owned(value));
        }
    }
    Ok(RowSet { columns, values })
}

fn run(conn: &Connection, sql: &str, params: &[Param]) -> Result<(u64, i64), SqliteError> {
    let mut stmt = conn.prepare_cached(sql).map_err(|e| SqliteError::engine("run", e))?;
    bind("run", &mut stmt, params)?;
    // Step to the end: a statement that returns rows (INSERT ... RETURNING, a PRAGMA) still runs.
    let mut rows = stmt.raw_query();
    while rows.next().map_err(|e| SqliteError::engine("run", e))?.is_some() {}
    drop(rows);
    Ok((conn.changes(), conn.last_insert_rowid()))
}

fn owned(value: ValueRef<'_>) -> SqlValue {
    match value {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Integer(i) => SqlValue::Integer(i),
        ValueRef::Real(f) => SqlValue::Real(f),
        ValueRef::Text(bytes) => SqlValue::Text(bytes.to_vec()),
        ValueRef::Blob(bytes) => SqlValue::Blob(bytes.to_vec()),
    }
}
