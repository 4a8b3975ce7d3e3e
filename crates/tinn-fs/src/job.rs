//! Running blocking file-system work for the reactor: the OS call runs on tokio's blocking
//! pool, the calling task parks on an operation id, and the result comes back as Lua values.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, Value};
use tinn_reactor::ScriptError;

use crate::error::FsError;

/// Tells a blocking job that nobody waits for it any more (the task timed out or was
/// cancelled), so long copies can stop between chunks instead of running to the end.
#[derive(Clone, Default)]
pub(crate) struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub(crate) fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// A flag for the job and a guard for the future that waits on it.
    pub(crate) fn guarded() -> (Cancel, CancelOnDrop) {
        let cancel = Cancel::default();
        (cancel.clone(), CancelOnDrop(Some(cancel)))
    }
}

/// Sets its flag when dropped, unless the job finished first: an aborted future drops it.
pub(crate) struct CancelOnDrop(Option<Cancel>);

impl CancelOnDrop {
    pub(crate) fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(cancel) = &self.0 {
            cancel.0.store(true, Ordering::Relaxed);
        }
    }
}

/// Starts `job` on the blocking pool and returns `PENDING, id`; when it ends, `finish` turns
/// its output into the values the waiting task receives. `op` and `path` name a job that
/// could not run (the runtime is shutting down).
pub(crate) fn start<T, J, F>(lua: &Lua, op: &'static str, path: String, job: J, finish: F) -> LuaResult<MultiValue>
where
    T: Send + 'static,
    J: FnOnce(&Cancel) -> T + Send + 'static,
    F: FnOnce(&Lua, T) -> LuaResult<MultiValue> + 'static,
{
    let (cancel, mut guard) = Cancel::guarded();
    tinn_reactor::start(lua, async move {
        let outcome = tokio::task::spawn_blocking(move || job(&cancel)).await;
        guard.disarm();
        match outcome {
            Ok(value) => tinn_reactor::completion(move |lua| finish(lua, value)),
            Err(err) => tinn_reactor::failure(FsError::job(op, &path, err).to_string()),
        }
    })
}

/// `true`, or `nil, message`.
pub(crate) fn done(lua: &Lua, result: Result<(), FsError>) -> LuaResult<MultiValue> {
    match result {
        Ok(()) => true.into_lua_multi(lua),
        Err(err) => err.into_failure(lua),
    }
}

/// A byte string for Lua, `nil` for "nothing" (end of file), or `nil, message`.
pub(crate) fn bytes(lua: &Lua, result: Result<Option<Vec<u8>>, FsError>) -> LuaResult<MultiValue> {
    match result {
        Ok(Some(data)) => lua.create_string(&data)?.into_lua_multi(lua),
        Ok(None) => Value::Nil.into_lua_multi(lua),
        Err(err) => err.into_failure(lua),
    }
}
