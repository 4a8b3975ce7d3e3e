---@meta
-- Type definitions for tinn.json (docs/json.md).

---@class tinn.json
---@field null lightuserdata stands for JSON null
local json = {}

---Encodes a value as JSON text.
---Whole numbers below 2^63 are written as integers, -0.0 as `-0.0`.
---Errors: raises naming the path of a value JSON cannot hold (function, cdata, NaN, cycle, mixed
---table, invalid UTF-8, nesting over 128) or if `options` is not a table.
---@param value any
---@param options? {pretty?: boolean, sortKeys?: boolean}
---@return string
function json.encode(value, options) end

---Decodes JSON text. Errors: raises with the line and column of the first problem (also for
---nesting over 128 levels, the limit encode has too).
---@param text string
---@return any
function json.decode(text) end

---Marks `t` (or a new table) so it encodes as an object even when empty.
---@param t? table
---@return table
function json.object(t) end

return json
