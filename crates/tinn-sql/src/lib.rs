//! The shared front of tinn's database drivers; backs the Lua modules `tinn.sql` and
//! `tinn.sql.common` (DESIGN.md §4).
//!
//! Both are Lua: `sql.lua` picks a driver by the URL's scheme (`sqlite:` → `tinn.sqlite`,
//! `postgres://` → `tinn.pg`); `common.lua` holds the db and statement methods every driver
//! shares and writes down the small contract a driver's native connection fulfils (`exec`,
//! `query`, `run`, `close`, optional cursors and pooling). Lua API: `types/sql.lua`; docs:
//! `docs/sql.md`.

use mlua::{Lua, Result as LuaResult, Table};

/// Builds `tinn.sql`: `open`, `blob`, `isBlob`.
pub fn module(lua: &Lua) -> LuaResult<Table> {
    lua.load(include_str!("sql.lua")).set_name("=tinn/sql").call(())
}

/// Builds `tinn.sql.common`, the methods and the driver contract the drivers share.
pub fn common_module(lua: &Lua) -> LuaResult<Table> {
    lua.load(include_str!("common.lua")).set_name("=tinn/sql/common").call(())
}
