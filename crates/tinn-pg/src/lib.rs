//! The PostgreSQL driver of `tinn.sql`; backs the Lua module `tinn.pg` (DESIGN.md §4).
//!
//! tokio-postgres runs on the thread's event loop: no thread per query. A db is a pool of
//! connections ([`pool`]), leased one call at a time (a transaction holds one for its length),
//! so concurrent tasks run queries concurrently; every call is a `tinn-reactor` operation that
//! parks only its task. TLS through rustls. Values cross as described in [`value`]; errors are
//! `nil, "op: message (SQLSTATE)"` ([`PgError`]). `db:copyIn` streams rows in COPY text format
//! ([`copy`]); `db:listen` turns NOTIFY into named signals ([`listen`]).
//!
//! Main types: [`PgDb`] and [`PgSession`], userdata that `pg.lua` wraps into the db and
//! transaction objects scripts see. Lua API: `types/pg.lua`; docs: `docs/pg.md`.

mod copy;
mod cursor;
mod db;
mod error;
mod listen;
mod pool;
mod value;

use std::rc::Rc;

use mlua::{Function, IntoLuaMulti, Lua, MultiValue, Result as LuaResult, Table};
use tinn_reactor::ScriptError;

pub use cursor::PgCursor;
pub use db::{PgDb, PgSession};
pub use error::PgError;

/// Connections a db opens at most, unless `opts.pool` says otherwise.
const DEFAULT_POOL_SIZE: usize = 4;

/// Builds `tinn.pg`: the native functions, wrapped by `pg.lua`.
pub fn module(lua: &Lua) -> LuaResult<Table> {
    let native = lua.create_table()?;
    native.set("open", lua.create_function(pg_open)?)?;
    native.set("installHelpers", lua.create_function(pg_install_helpers)?)?;
    native.set("DEFAULT_POOL_SIZE", DEFAULT_POOL_SIZE)?;
    tinn_reactor::wrap_module(lua, "=tinn/pg", include_str!("pg.lua"), native)
}

/// `pg.lua` hands over the Lua functions results need: tinn.sql.common's `int64(hi, lo)` (for
/// bigints beyond ±2^53) and tinn.json's `decode` (for json and jsonb).
fn pg_install_helpers(lua: &Lua, (int64, decode): (Function, Function)) -> LuaResult<()> {
    lua.set_named_registry_value(value::INT64, int64)?;
    lua.set_named_registry_value(value::JSON_DECODE, decode)
}

/// `open(url, poolSize, ca, connectTimeoutMs)`: parses the URL, opens the first connection
/// (so a wrong password or an unreachable server is reported here), returns the db.
fn pg_open(lua: &Lua, (url, size, ca, timeout): (String, Option<usize>, Option<String>, Option<f64>)) -> LuaResult<MultiValue> {
    let timeout = timeout.filter(|ms| ms.is_finite() && *ms > 0.0).map(|ms| ms.ceil() as u64);
    let target = match pool::Target::parse(&url, ca.as_deref(), timeout) {
        Ok(target) => target,
        Err(e) => return e.into_failure(lua),
    };
    let pool = pool::Pool::new(target, size.unwrap_or(DEFAULT_POOL_SIZE).max(1));
    tinn_reactor::start(lua, async move {
        match pool.warm().await {
            Ok(()) => tinn_reactor::completion(move |lua| {
                let listener = listen::Listener::new(Rc::clone(&pool));
                lua.create_userdata(PgDb { pool, listener: Rc::new(listener) })?.into_lua_multi(lua)
            }),
            Err(e) => tinn_reactor::failure(e),
        }
    })
}
