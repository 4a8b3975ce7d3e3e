---@meta
-- Type definitions for require("striter") and require("msiterators") (lua/striter.lua,
-- lua/msiterators.lua, docs/striter.md). Every iterator is a stateless triple (gen, param,
-- state) that works in `for` loops and composes with fun.

---The fields of striter{...}, by name or by position in this order.
---@class striter.Params
---@field data string|ffi.cdata* a Lua string, or an ffi pointer or array
---@field datalength? integer size in BYTES; defaults to #data (string) or ffi.sizeof(data) (array); required for a pointer
---@field basetype? string|ffi.ctype element type, default "char"; "wchar_t" means uint16_t (UTF-16 code units) on every OS
---@field separator? integer|string an element value or one character; needs an integer basetype of 1, 2 or 4 bytes
---@field [1]? string|ffi.cdata*
---@field [2]? integer
---@field [3]? string|ffi.ctype
---@field [4]? integer|string

---@alias striter.Gen fun(param: table, index: integer): integer?, ffi.cdata*, integer

---The striter module: callable as `striter{...}`, and `striter.striter{...}`.
---@class striter.module
---@overload fun(params: striter.Params): striter.Gen, table, integer
local striter = {}

---Iterates a buffer without copying. With a separator each step yields one record as (ptr, len):
---ptr points into the buffer, len counts elements; "a,,b" gives "a", "", "b", and a trailing
---separator adds no empty record. Without a separator each step yields one element as (ptr, 1).
---Errors: raises `striter: data must be a string or ffi pointer, got <type>`, and `striter: ...`
---for a missing datalength with a pointer, a datalength larger than the data or not a multiple of
---the element size, an unknown basetype, or a bad separator.
---@param params striter.Params
---@return striter.Gen gen
---@return table param
---@return integer state
function striter.striter(params) end

---@alias msiterators.Gen fun(param: table, index: integer): integer?, string

---@class msiterators
local msiterators = {}

---The same function as require("striter").striter.
---@param params striter.Params
---@return striter.Gen gen
---@return table param
---@return integer state
function msiterators.striter(params) end

---The pieces of a narrow string split at separator, as Lua strings (striter's rules). For an ffi
---pointer or array without datalength the string ends at its first NUL.
---Errors: raises `mstriter: ...` on bad data, datalength or separator.
---@param data string|ffi.cdata*
---@param separator integer|string a byte value or one character
---@param datalength? integer bytes
---@return msiterators.Gen gen
---@return table param
---@return integer state
function msiterators.mstriter(data, separator, datalength) end

---The strings of a narrow double-NUL-terminated multi-string ("a\0b\0\0"), ending at the first
---empty one or the end of the data. datalength may be left out even for a pointer.
---Errors: raises `mstrziter: ...` on bad data or datalength.
---@param data string|ffi.cdata*
---@param datalength? integer bytes
---@return msiterators.Gen gen
---@return table param
---@return integer state
function msiterators.mstrziter(data, datalength) end

---The pieces of a UTF-16 string split at separator, converted to UTF-8 Lua strings. For an ffi
---pointer or array without datalength the string ends at its first NUL unit.
---Errors: raises `wmstriter: ...` on bad data, datalength or separator, and tinn.text.toAnsi's
---error on invalid UTF-16.
---@param data ffi.cdata*|string UTF-16 units (a string holds raw UTF-16 bytes)
---@param separator integer|string a code unit or one character
---@param datalength? integer bytes
---@return msiterators.Gen gen
---@return table param
---@return integer state
function msiterators.wmstriter(data, separator, datalength) end

---The strings of a UTF-16 double-NUL-terminated multi-string, converted to UTF-8 Lua strings.
---Errors: raises `wmstrziter: ...` on bad data or datalength, and toAnsi's error on invalid UTF-16.
---@param data ffi.cdata*|string
---@param datalength? integer bytes
---@return msiterators.Gen gen
---@return table param
---@return integer state
function msiterators.wmstrziter(data, datalength) end

return striter
