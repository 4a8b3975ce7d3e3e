//! `db:rows(...)` in batches (tinn.sql.common's optional `fetch` / `fetchMore` / `closeCursor`):
//! the query's rows stream from the server as the loop asks for them, over a connection the
//! cursor holds until the last row or `closeCursor`. tokio-postgres reads rows off the socket
//! only as fast as they are taken, so a large result never sits in memory whole.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;

use futures_util::{FutureExt, StreamExt};
use mlua::{AnyUserData, IntoLuaMulti, Lua, MultiValue, Result as LuaResult, UserData, Value};
use tinn_reactor::ScriptError;
use tokio_postgres::{Row, RowStream, Statement};

use crate::db::{bound, cancel_query, connection_lost, in_background, rows_to_lua, Held, Source};
use crate::error::PgError;
use crate::value::Param;

/// Rows a query left unread may still have before its connection is given up: beyond this, the
/// query is cancelled and the connection closed instead of drained.
const DRAIN_LIMIT: usize = 10_000;

/// A query part-way read: its connection and the rows still to come.
struct Open {
    /// Taken when the query is abandoned (see `Drop`).
    reading: Option<(Held, Pin<Box<RowStream>>)>,
    statement: Statement,
    /// A row read past the batch to learn whether the stream had ended.
    ahead: Option<Row>,
    /// Every row was read: the connection may serve others.
    done: bool,
}

impl Drop for Open {
    /// A query dropped before its end (a loop left early, `first` on many rows, a timeout):
    /// its connection drains the rest in the background and then serves others. A long rest is
    /// cancelled instead, and the connection closed, so the cancel cannot reach another
    /// caller's query.
    fn drop(&mut self) {
        let Some((held, mut stream)) = self.reading.take() else { return };
        if self.done {
            return;
        }
        in_background(async move {
            let mut left = DRAIN_LIMIT;
            while let Some(Ok(_)) = stream.next().await {
                left -= 1;
                if left == 0 {
                    held.lease().reusable.set(false);
                    cancel_query(held.lease());
                    break;
                }
            }
            drop(stream);
            drop(held);
        });
    }
}

impl Open {
    fn held(&self) -> &Held {
        &self.reading.as_ref().expect("an open cursor holds its connection until dropped").0
    }

    /// Reads up to `n` rows; `true` in the second place when the query has no more.
    async fn read(&mut self, n: usize) -> Result<(Vec<Row>, bool), tokio_postgres::Error> {
        let mut rows = Vec::with_capacity(n.min(1024));
        rows.extend(self.ahead.take());
        let Some((_, stream)) = self.reading.as_mut() else { return Ok((rows, true)) };
        while rows.len() < n {
            match stream.next().await {
                Some(row) => rows.push(row?),
                None => return Ok((rows, true)),
            }
        }
        // Whether the end is already here (it usually comes with the last row), without waiting.
        match stream.next().now_or_never() {
            Some(None) => Ok((rows, true)),
            Some(Some(row)) => {
                self.ahead = Some(row?);
                Ok((rows, false))
            }
            None => Ok((rows, false)),
        }
    }
}

/// The userdata a `fetch` returns while rows remain; empty once read to the end or closed.
pub struct PgCursor(Rc<RefCell<Option<Open>>>);

impl UserData for PgCursor {}

fn batch_to_lua(lua: &Lua, statement: &Statement, rows: &[Row], cursor: Option<PgCursor>) -> LuaResult<MultiValue> {
    let table = match rows_to_lua(lua, statement, rows) {
        Ok(table) => table,
        Err(e) => return PgError::op("query", crate::db::plain(&e)).into_failure(lua),
    };
    match cursor {
        Some(cursor) => (table, lua.create_userdata(cursor)?).into_lua_multi(lua),
        None => table.into_lua_multi(lua),
    }
}

fn failed(open_or_lease: &Held, e: &tokio_postgres::Error) -> PgError {
    let lease = open_or_lease.lease();
    let lost = connection_lost(lease.conn(), e);
    if lost {
        lease.reusable.set(false);
    }
    PgError::from_postgres("query", e, lost)
}

/// `fetch(sql, params, n)`: starts the query, returns its first `n` rows and a cursor if more
/// may follow. With `keep` false (`query` with a limit, as `db:first` calls it), only the rows:
/// the rest is drained or cancelled as for a cursor closed early.
pub(crate) fn fetch(lua: &Lua, source: Source, sql: String, params: Vec<Param>, n: usize, keep: bool) -> LuaResult<MultiValue> {
    tinn_reactor::start(lua, async move {
        let held = match source.hold().await {
            Ok(held) => held,
            Err(e) => return tinn_reactor::failure(e.during("query")),
        };
        let conn = held.lease().conn();
        let started = async {
            let statement = conn.statement(&sql).await?;
            let stream = conn.client.query_raw(&statement, bound(&params)).await?;
            Ok::<_, tokio_postgres::Error>((statement, Box::pin(stream)))
        }
        .await;
        let (statement, stream) = match started {
            Ok(started) => started,
            Err(e) => return tinn_reactor::failure(failed(&held, &e)),
        };
        let mut open = Open { reading: Some((held, stream)), statement: statement.clone(), ahead: None, done: false };
        match open.read(n).await {
            Ok((rows, true)) => {
                open.done = true;
                drop(open);
                tinn_reactor::completion(move |lua| batch_to_lua(lua, &statement, &rows, None))
            }
            Ok((rows, false)) if !keep => {
                drop(open);
                tinn_reactor::completion(move |lua| batch_to_lua(lua, &statement, &rows, None))
            }
            Ok((rows, false)) => tinn_reactor::completion(move |lua| {
                let cursor = PgCursor(Rc::new(RefCell::new(Some(open))));
                batch_to_lua(lua, &statement, &rows, Some(cursor))
            }),
            Err(e) => {
                // the query ended (with an error): nothing left to cancel
                open.done = true;
                tinn_reactor::failure(failed(open.held(), &e))
            }
        }
    })
}

/// `fetchMore(cursor, n)`: the next `n` rows, and the cursor again while more may follow.
pub(crate) fn fetch_more(lua: &Lua, handle: AnyUserData, n: usize) -> LuaResult<MultiValue> {
    let slot = Rc::clone(&handle.borrow::<PgCursor>()?.0);
    let Some(mut open) = slot.borrow_mut().take() else {
        return (lua.create_table()?, Value::Nil).into_lua_multi(lua);
    };
    tinn_reactor::start(lua, async move {
        match open.read(n).await {
            Ok((rows, ended)) => {
                let statement = open.statement.clone();
                if ended {
                    open.done = true;
                    drop(open); // the connection goes back to the pool
                    return tinn_reactor::completion(move |lua| batch_to_lua(lua, &statement, &rows, None));
                }
                tinn_reactor::completion(move |lua| {
                    *slot.borrow_mut() = Some(open);
                    let table = match rows_to_lua(lua, &statement, &rows) {
                        Ok(table) => table,
                        Err(e) => return PgError::op("query", crate::db::plain(&e)).into_failure(lua),
                    };
                    (table, handle).into_lua_multi(lua)
                })
            }
            Err(e) => {
                open.done = true;
                tinn_reactor::failure(failed(open.held(), &e))
            }
        }
    })
}

/// `closeCursor(cursor)`: drops a query not read to its end (see `Open`'s drop).
pub(crate) fn close(cursor: &PgCursor) {
    drop(cursor.0.borrow_mut().take());
}
