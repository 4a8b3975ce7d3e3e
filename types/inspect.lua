---@meta
-- Type definitions for require("tinn.inspect") (lua/tinn/inspect.lua, docs/inspect.md).

---@class tinn.inspect.Options
---@field depth? integer tables nested deeper print as `{...}` (default 6)
---@field maxItems? integer entries shown per table before `... (N more)` (default 100)
---@field width? integer longest table kept on one line (default 80)

---Callable: `require("tinn.inspect")(value [, opts])` is `inspect.inspect(value, opts)`.
---@class tinn.inspect
---@overload fun(value: any, opts?: tinn.inspect.Options): string
local inspect = {}

---A value as readable Lua-like text: tables with their array part first then sorted keys, spread
---over lines when long; a table met again inside itself prints as `<cycle>`; strings quoted;
---functions as `<function file:line>`; tables with `__tostring` as tostring gives them.
---Errors: raises if `opts` is not a table or one of its numbers is negative.
---@param value any
---@param opts? tinn.inspect.Options
---@return string
function inspect.inspect(value, opts) end

---Every argument inspected, separated by tabs (as print separates them).
---@param ... any
---@return string
function inspect.values(...) end

return inspect
