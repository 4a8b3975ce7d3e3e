//! A change journal of a directory tree; backs the Lua modules `tinn.journal` and
//! `ChangeJournal` (DESIGN.md §4).
//!
//! [`JournalHandle`] watches a tree with inotify (new subdirectories are watched as they
//! appear; a thread of its own empties the kernel's queue so it does not overflow while the
//! event loop is busy) from a task on the event loop, numbers every change with a usn that only grows and
//! writes it to a journal file before any reader sees it, so a reader can resume after its last
//! usn, also after a crash. A kernel queue overflow, a restart and a full disk that has room
//! again all end in a rescan against the journal's own view of the tree, so replaying the
//! journal gives the tree on disk. Lua API: `types/journal.lua`, docs: `docs/journal.md`.

mod error;
mod inotify;
mod journal;

use mlua::{Lua, Result as LuaResult, Table};

pub use error::JournalError;
pub use journal::JournalHandle;

/// Builds `tinn.journal`: the native functions, wrapped by `journal.lua`.
pub fn module(lua: &Lua) -> LuaResult<Table> {
    let native = lua.create_table()?;
    native.set("open", lua.create_function(journal::open)?)?;
    let reasons = lua.create_table()?;
    for (name, bit) in journal::REASONS {
        reasons.set(*name, *bit)?;
    }
    native.set("reasons", reasons)?;
    tinn_reactor::wrap_module(lua, "=tinn/journal", include_str!("journal.lua"), native)
}
