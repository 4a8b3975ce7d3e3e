//! The connection thread: owns one `rusqlite::Connection`, takes [`Request`]s from a channel
//! in order and answers each through a oneshot that the reactor's future awaits.

use std::collections::HashMap;
use std::ptr::NonNull;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, InterruptHandle, OpenFlags, Rows, Statement};
use tokio::sync::oneshot;

use crate::error::SqliteError;
use crate::value::{Params, SqlValue};

/// What a connection thread is asked to do.
pub(crate) enum Request {
    Exec { sql: String, reply: oneshot::Sender<Result<(), SqliteError>> },
    /// Every row, or the first `limit`.
    Query { sql: String, params: Params, limit: Option<usize>, reply: oneshot::Sender<Result<RowSet, SqliteError>> },
    /// The first `n` rows, keeping the statement open as a cursor if more may follow.
    Fetch { sql: String, params: Params, n: usize, reply: oneshot::Sender<Result<Batch, SqliteError>> },
    /// The next `n` rows of a cursor.
    FetchMore { cursor: CursorId, n: usize, reply: oneshot::Sender<Result<Batch, SqliteError>> },
    /// Drops a cursor not read to its end; nobody waits for this.
    CloseCursor { cursor: CursorId },
    Run { sql: String, params: Params, reply: oneshot::Sender<Result<(u64, i64), SqliteError>> },
    /// One statement for many parameter rows, all or nothing. The rows come in chunks while the
    /// caller reads them off its list; a chunk that failed to read ends the list.
    RunMany { sql: String, chunks: Receiver<Result<Params, SqliteError>>, reply: oneshot::Sender<Result<(u64, i64), SqliteError>> },
    Prepare { sql: String, reply: oneshot::Sender<Result<(), SqliteError>> },
    Close { reply: oneshot::Sender<()> },
}

/// Numbers a connection's requests, so a caller that stops waiting (a timeout) can tell whether
/// its own request is the one running.
pub(crate) type Seq = u64;

impl Request {
    /// `true` when nobody waits for the answer any more (the caller timed out or was
    /// cancelled before the request started): it is skipped.
    fn abandoned(&self) -> bool {
        match self {
            Request::Exec { reply, .. } | Request::Prepare { reply, .. } => reply.is_closed(),
            Request::Query { reply, .. } => reply.is_closed(),
            Request::Fetch { reply, .. } | Request::FetchMore { reply, .. } => reply.is_closed(),
            Request::Run { reply, .. } | Request::RunMany { reply, .. } => reply.is_closed(),
            Request::CloseCursor { .. } | Request::Close { .. } => false,
        }
    }
}

/// Which request the thread is running, shared with the callers so that one that stops
/// waiting can interrupt its own statement (and no other).
pub(crate) struct Running {
    /// The running request and whether it may be interrupted: only outside a transaction (SQLite
    /// rolls back the whole transaction of an interrupted write and later statements would then
    /// commit on their own) and while no cursor is open.
    now: Mutex<(Seq, bool)>,
    interrupt: InterruptHandle,
}

impl Running {
    fn set(&self, seq: Seq, interruptible: bool) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = (seq, interruptible);
    }

    /// Interrupts request `seq` if it is running now outside a transaction. The lock keeps the
    /// thread from moving on to the next request in between.
    pub(crate) fn interrupt(&self, seq: Seq) {
        let now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        if *now == (seq, true) {
            self.interrupt.interrupt();
        }
    }
}

/// Rows read off a statement: column names in order and the values row after row.
pub(crate) struct RowSet {
    pub(crate) columns: Vec<String>,
    pub(crate) values: Vec<SqlValue>,
}

/// Names an open cursor on its connection.
pub(crate) type CursorId = u64;

/// A batch of rows and, when more may follow, the cursor that reads them.
pub(crate) struct Batch {
    pub(crate) rows: RowSet,
    pub(crate) cursor: Option<CursorId>,
}

/// A statement being read batch by batch across requests (`db:rows`).
///
/// rusqlite ties `Rows` to a borrowed `Statement` and a `Statement` to a borrowed `Connection`;
/// a cursor must outlive the request that opened it, so it owns its statement on the heap and
/// erases both lifetimes. That is sound because [`serve`] drops every cursor before its
/// connection, never moves the connection while cursors exist, and `Drop` below drops the rows
/// before the statement they point into.
struct Cursor {
    rows: Option<Rows<'static>>,
    statement: NonNull<Statement<'static>>,
    width: usize,
    columns: Vec<String>,
}

impl Cursor {
    fn open(conn: &Connection, sql: &str, params: &Params) -> Result<Cursor, SqliteError> {
        let statement = conn.prepare(sql).map_err(|e| SqliteError::engine("rows", e))?;
        // SAFETY: see the type's doc: the connection outlives the cursor and stays in place.
        let statement: Statement<'static> = unsafe { std::mem::transmute::<Statement<'_>, Statement<'static>>(statement) };
        let statement = NonNull::from(Box::leak(Box::new(statement)));
        let mut cursor = Cursor { rows: None, statement, width: 0, columns: Vec::new() };
        // SAFETY: the statement is ours alone until `rows` borrows it, below, for its lifetime.
        let stmt = unsafe { &mut *cursor.statement.as_ptr() };
        bind("rows", stmt, params, 0)?;
        cursor.columns = stmt.column_names().into_iter().map(str::to_owned).collect();
        cursor.width = cursor.columns.len();
        cursor.rows = Some(stmt.raw_query());
        Ok(cursor)
    }

    /// Up to `n` rows; `done` is true once the statement has no more.
    fn read(&mut self, n: usize) -> Result<(RowSet, bool), SqliteError> {
        let mut values = Vec::new();
        let mut done = true;
        if let Some(rows) = self.rows.as_mut() {
            let mut read = 0;
            done = false;
            while read < n {
                match rows.next().map_err(|e| SqliteError::engine("rows", e))? {
                    Some(row) => {
                        for index in 0..self.width {
                            values.push(owned(row.get_ref(index).map_err(|e| SqliteError::engine("rows", e))?));
                        }
                        read += 1;
                    }
                    None => {
                        done = true;
                        break;
                    }
                }
            }
        }
        Ok((RowSet { columns: self.columns.clone(), values }, done))
    }
}

impl Drop for Cursor {
    fn drop(&mut self) {
        // Rows first: they point into the statement (and reset it as they drop).
        self.rows = None;
        // SAFETY: made by Box::leak in `open`, freed only here.
        drop(unsafe { Box::from_raw(self.statement.as_ptr()) });
    }
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

/// What a caller keeps of the connection thread to interrupt its requests.
pub(crate) fn running(conn: &Connection) -> Arc<Running> {
    Arc::new(Running { now: Mutex::new((0, false)), interrupt: conn.get_interrupt_handle() })
}

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
pub(crate) fn serve(conn: Connection, requests: Receiver<(Seq, Request)>, running: &Running) {
    // Declared after `conn`, so dropped before it (see `Cursor`).
    let mut cursors: HashMap<CursorId, Cursor> = HashMap::new();
    let mut next_cursor: CursorId = 0;
    while let Some((seq, request)) = next_request(&requests) {
        if request.abandoned() {
            continue;
        }
        // SQLite clears an interrupt only once no statement is active, so with a cursor open it
        // would also fail the statements after this one.
        running.set(seq, conn.is_autocommit() && cursors.is_empty());
        match request {
            Request::Exec { sql, reply } => {
                let _ = reply.send(conn.execute_batch(&sql).map_err(|e| SqliteError::engine("exec", e)));
            }
            Request::Query { sql, params, limit, reply } => {
                let _ = reply.send(query(&conn, &sql, &params, limit));
            }
            Request::Fetch { sql, params, n, reply } => {
                let batch = Cursor::open(&conn, &sql, &params).and_then(|mut cursor| {
                    let (rows, done) = cursor.read(n)?;
                    if done {
                        return Ok(Batch { rows, cursor: None });
                    }
                    next_cursor += 1;
                    cursors.insert(next_cursor, cursor);
                    Ok(Batch { rows, cursor: Some(next_cursor) })
                });
                let _ = reply.send(batch);
            }
            Request::FetchMore { cursor: id, n, reply } => {
                let batch = match cursors.get_mut(&id) {
                    Some(cursor) => cursor.read(n).map(|(rows, done)| {
                        Batch { rows, cursor: (!done).then_some(id) }
                    }),
                    None => Err(SqliteError::Closed),
                };
                if !matches!(batch, Ok(Batch { cursor: Some(_), .. })) {
                    cursors.remove(&id);
                }
                let _ = reply.send(batch);
            }
            Request::CloseCursor { cursor } => {
                cursors.remove(&cursor);
            }
            Request::Run { sql, params, reply } => {
                let _ = reply.send(run(&conn, &sql, &params));
            }
            Request::RunMany { sql, chunks, reply } => {
                let _ = reply.send(run_many(&conn, &sql, &chunks));
            }
            Request::Prepare { sql, reply } => {
                let prepared = conn.prepare_cached(&sql).map(drop).map_err(|e| SqliteError::engine("prepare", e));
                let _ = reply.send(prepared);
            }
            Request::Close { reply } => {
                cursors.clear();
                drop(conn);
                let _ = reply.send(());
                return;
            }
        }
        running.set(0, false);
    }
}

/// Polls between clock reads while spinning: reading the clock costs more than a poll.
const POLLS_PER_CLOCK_READ: u32 = 64;

/// Polls before the thread yields its core between polls: a reply is usually followed by the
/// next request within a few microseconds, but on a busy machine a thread that keeps spinning
/// holds the core the event loop needs to send that request (measured on 2 loaded cores: 3x
/// the calls per second, half the CPU time, with yields).
const POLLS_BEFORE_YIELDING: u32 = 128;

fn next_request(requests: &Receiver<(Seq, Request)>) -> Option<(Seq, Request)> {
    let deadline = Instant::now() + SPIN_BEFORE_SLEEP;
    let mut polls = 0u32;
    loop {
        match requests.try_recv() {
            Ok(request) => return Some(request),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {
                polls += 1;
                // Once yielding, a poll costs more than the clock: read it each time.
                let check = polls >= POLLS_BEFORE_YIELDING || polls.is_multiple_of(POLLS_PER_CLOCK_READ);
                if check && Instant::now() >= deadline {
                    return requests.recv().ok();
                }
                if polls < POLLS_BEFORE_YIELDING {
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
        }
    }
}

/// Binds row `row` of `params`.
fn bind(op: &'static str, stmt: &mut Statement<'_>, params: &Params, row: usize) -> Result<(), SqliteError> {
    let values = params.row(row);
    let wanted = stmt.parameter_count();
    if wanted != values.len() {
        return Err(SqliteError::ParameterCount { op, wanted, got: values.len() });
    }
    for (index, value) in values.enumerate() {
        stmt.raw_bind_parameter(index + 1, ToSqlOutput::Borrowed(value)).map_err(|e| SqliteError::engine(op, e))?;
    }
    Ok(())
}

fn query(conn: &Connection, sql: &str, params: &Params, limit: Option<usize>) -> Result<RowSet, SqliteError> {
    let mut stmt = conn.prepare_cached(sql).map_err(|e| SqliteError::engine("query", e))?;
    bind("query", &mut stmt, params, 0)?;
    let columns: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let width = columns.len();
    let mut values = Vec::new();
    let mut rows = stmt.raw_query();
    let mut left = limit.unwrap_or(usize::MAX);
    while left > 0 {
        let Some(row) = rows.next().map_err(|e| SqliteError::engine("query", e))? else { break };
        left -= 1;
        for index in 0..width {
            let value = row.get_ref(index).map_err(|e| SqliteError::engine("query", e))?;
            values.push(owned(value));
        }
    }
    Ok(RowSet { columns, values })
}

fn run(conn: &Connection, sql: &str, params: &Params) -> Result<(u64, i64), SqliteError> {
    let mut stmt = conn.prepare_cached(sql).map_err(|e| SqliteError::engine("run", e))?;
    bind("run", &mut stmt, params, 0)?;
    // Step to the end: a statement that returns rows (INSERT ... RETURNING, a PRAGMA) still runs.
    let mut rows = stmt.raw_query();
    while rows.next().map_err(|e| SqliteError::engine("run", e))?.is_some() {}
    drop(rows);
    Ok((conn.changes(), conn.last_insert_rowid()))
}

/// Runs `sql` once per row inside a savepoint: every row is applied or none (inside a
/// transaction or not), and outside one the rows commit together, once.
fn run_many(
    conn: &Connection,
    sql: &str,
    chunks: &Receiver<Result<Params, SqliteError>>,
) -> Result<(u64, i64), SqliteError> {
    conn.execute_batch("SAVEPOINT tinn_run_many").map_err(|e| SqliteError::engine("runMany", e))?;
    let applied = (|| {
        let mut stmt = conn.prepare_cached(sql).map_err(|e| SqliteError::engine("runMany", e))?;
        let (mut changes, mut row) = (0, 0);
        for chunk in chunks {
            let chunk = chunk?;
            for index in 0..chunk.len() {
                row += 1;
                bind("runMany", &mut stmt, &chunk, index).map_err(|e| e.in_row(row))?;
                let mut stepped = stmt.raw_query();
                while stepped.next().map_err(|e| SqliteError::engine("runMany", e).in_row(row))?.is_some() {}
                drop(stepped);
                changes += conn.changes();
            }
        }
        Ok(changes)
    })();
    match applied {
        Ok(changes) => {
            conn.execute_batch("RELEASE tinn_run_many").map_err(|e| SqliteError::engine("runMany", e))?;
            Ok((changes, conn.last_insert_rowid()))
        }
        Err(err) => {
            // The savepoint's own failure cannot add to the row's, which is what the script needs.
            let _ = conn.execute_batch("ROLLBACK TO tinn_run_many; RELEASE tinn_run_many");
            // A row the caller could not read fails the call before any statement runs: that
            // error wins over the engine's, as if the whole list had been read first.
            Err(chunks.iter().find_map(Result::err).unwrap_or(err))
        }
    }
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
