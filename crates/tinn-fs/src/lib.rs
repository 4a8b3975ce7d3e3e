//! Files and logs for scripts; backs the Lua modules `tinn.fs` and `tinn.log` (DESIGN.md §4).
//!
//! Main types: [`FileHandle`] (an open file: buffered reads and writes, seek, flush, close) and
//! [`LogHandle`] (a buffered append-only log with size-based rotation), both userdata that the
//! Lua wrappers `fs.lua` and `log.lua` turn into script objects. [`FsError`] words every failure
//! as operation + quoted path + OS cause: `open 'missing.txt': No such file or directory (os error 2)`.
//!
//! Nothing here blocks the scheduler thread on the disk: every OS call that can be slow runs on
//! tokio's blocking pool while only the calling task is parked (through `tinn-reactor`). Reads
//! served from a file's buffer and writes that fit its buffer finish at once. The Lua wrappers
//! add the timeouts: a task that stops waiting gets `nil, "timeout"`; the OS call itself cannot
//! be interrupted, so it finishes in the background (long copies stop at the next chunk).
//!
//! Organization:
//! - `file.rs`: [`FileHandle`]; `log.rs`: [`LogHandle`]; `ops.rs`: the blocking halves of
//!   `readFile`, `writeFile`, `stat`, `list`, `mkdir`, `remove`, `rename`, `tempdir`.
//! - `job.rs`: running blocking work for the reactor; `paths.rs`: Lua strings as paths.
//!
//! Lua API: `types/fs.lua`, `types/log.lua`; docs: `docs/fs.md`, `docs/log.md`.

mod error;
mod file;
mod job;
mod log;
mod ops;
mod paths;

use mlua::{IntoLuaMulti, Lua, LuaString, MultiValue, Result as LuaResult, Table};
use tinn_reactor::ScriptError;

pub use error::FsError;
pub use file::FileHandle;
pub use log::{flush_all_now as flush_all_logs_now, LogHandle};

use file::OpenMode;
use log::LogOptions;
use paths::ScriptPath;

/// Builds `tinn.fs`: the native functions, wrapped by `fs.lua`.
pub fn module(lua: &Lua) -> LuaResult<Table> {
    let native = lua.create_table()?;
    native.set("open", lua.create_function(fs_open)?)?;
    native.set("readFile", lua.create_function(fs_read_file)?)?;
    native.set("writeFile", lua.create_function(fs_write_file)?)?;
    native.set("stat", lua.create_function(fs_stat)?)?;
    native.set("list", lua.create_function(fs_list)?)?;
    native.set("mkdir", lua.create_function(fs_mkdir)?)?;
    native.set("remove", lua.create_function(fs_remove)?)?;
    native.set("rename", lua.create_function(fs_rename)?)?;
    native.set("tempdir", lua.create_function(fs_tempdir)?)?;
    tinn_reactor::wrap_module(lua, "=tinn/fs", include_str!("fs.lua"), native)
}

/// Builds `tinn.log`: the native logger constructor, wrapped by `log.lua`.
pub fn log_module(lua: &Lua) -> LuaResult<Table> {
    let native = lua.create_table()?;
    native.set("open", lua.create_function(log_open)?)?;
    tinn_reactor::wrap_module(lua, "=tinn/log", include_str!("log.lua"), native)
}

fn script_path(path: &LuaString) -> ScriptPath {
    ScriptPath::new(&path.as_bytes())
}

fn fs_open(lua: &Lua, (path, mode): (LuaString, String)) -> LuaResult<MultiValue> {
    let open_mode = OpenMode::parse(&mode)
        .ok_or_else(|| mlua::Error::external(format!("bad argument #2 to 'fs.open' (invalid mode '{mode}')")))?;
    let p = script_path(&path);
    let shown = p.shown.clone();
    job::start(lua, "open", p.shown.clone(), move |_| file::open(&p, open_mode), move |lua, opened| match opened {
        Ok(file) => lua.create_userdata(FileHandle::new(shown, file, open_mode))?.into_lua_multi(lua),
        Err(err) => err.into_failure(lua),
    })
}

fn fs_read_file(lua: &Lua, path: LuaString) -> LuaResult<MultiValue> {
    let p = script_path(&path);
    job::start(lua, "readFile", p.shown.clone(), move |cancel| ops::read_file(&p, cancel), |lua, data| {
        job::bytes(lua, data.map(Some))
    })
}

fn fs_write_file(lua: &Lua, (path, data, atomic): (LuaString, LuaString, bool)) -> LuaResult<MultiValue> {
    let p = script_path(&path);
    let data = data.as_bytes().to_vec();
    job::start(lua, "writeFile", p.shown.clone(), move |cancel| ops::write_file(&p, &data, atomic, cancel), job::done)
}

fn fs_stat(lua: &Lua, path: LuaString) -> LuaResult<MultiValue> {
    let p = script_path(&path);
    job::start(lua, "stat", p.shown.clone(), move |_| ops::stat(&p), |lua, stat| {
        let stat = match stat {
            Ok(stat) => stat,
            Err(err) => return err.into_failure(lua),
        };
        let table = lua.create_table()?;
        table.set("type", stat.kind)?;
        table.set("size", stat.size)?;
        table.set("mode", stat.mode)?;
        table.set("modified", stat.modified)?;
        table.set("accessed", stat.accessed)?;
        table.set("created", stat.created)?;
        table.set("uid", stat.uid)?;
        table.set("gid", stat.gid)?;
        table.into_lua_multi(lua)
    })
}

fn fs_list(lua: &Lua, path: LuaString) -> LuaResult<MultiValue> {
    let p = script_path(&path);
    job::start(lua, "list", p.shown.clone(), move |cancel| ops::list(&p, cancel), |lua, entries| {
        let entries = match entries {
            Ok(entries) => entries,
            Err(err) => return err.into_failure(lua),
        };
        let names = lua.create_table_with_capacity(entries.len(), 0)?;
        let kinds = lua.create_table_with_capacity(entries.len(), 0)?;
        for (name, kind) in entries {
            names.raw_push(lua.create_string(paths::to_bytes(name.as_ref()))?)?;
            kinds.raw_push(kind)?;
        }
        (names, kinds).into_lua_multi(lua)
    })
}

fn fs_mkdir(lua: &Lua, (path, recursive): (LuaString, bool)) -> LuaResult<MultiValue> {
    let p = script_path(&path);
    job::start(lua, "mkdir", p.shown.clone(), move |_| ops::mkdir(&p, recursive), job::done)
}

fn fs_remove(lua: &Lua, (path, recursive): (LuaString, bool)) -> LuaResult<MultiValue> {
    let p = script_path(&path);
    job::start(lua, "remove", p.shown.clone(), move |_| ops::remove(&p, recursive), job::done)
}

fn fs_rename(lua: &Lua, (from, to): (LuaString, LuaString)) -> LuaResult<MultiValue> {
    let (from, to) = (script_path(&from), script_path(&to));
    job::start(lua, "rename", from.shown.clone(), move |_| ops::rename(&from, &to), job::done)
}

fn fs_tempdir(lua: &Lua, prefix: LuaString) -> LuaResult<MultiValue> {
    let prefix = script_path(&prefix);
    job::start(lua, "tempdir", prefix.shown.clone(), move |_| ops::tempdir(&prefix), |lua, made| match made {
        Ok(path) => lua.create_string(paths::to_bytes(&path))?.into_lua_multi(lua),
        Err(err) => err.into_failure(lua),
    })
}

fn log_open(
    lua: &Lua,
    (path, max_bytes, keep, flush_ms, buffer_size, max_buffered): (LuaString, Option<u64>, u32, u64, usize, usize),
) -> LuaResult<MultiValue> {
    let p = script_path(&path);
    let options = LogOptions { max_bytes, keep, flush_ms, buffer_size, max_buffered };
    let shown = p.shown.clone();
    job::start(lua, "log.open", shown, move |_| log::open(&p).map(|(file, size)| (p, file, size)), move |lua, opened| {
        match opened {
            Ok((p, file, size)) => lua.create_userdata(LogHandle::new(p, file, size, options))?.into_lua_multi(lua),
            Err(err) => err.into_failure(lua),
        }
    })
}
