---@meta
-- Type definitions for require("tinn.text") (lua/tinn/text.lua, docs/striter.md).
-- "Unicode" is UTF-16 in native byte order (as Windows wide strings); "Ansi" is UTF-8.

---@class tinn.text
local text = {}

---Converts UTF-8 to UTF-16. `s` is a Lua string (len defaults to #s) or a cdata pointer/array
---of bytes (len defaults to the bytes before the first NUL, within an array's size). Characters
---outside the BMP become surrogate pairs.
---Errors: raises `toUnicode: invalid UTF-8 at byte <k>: <why>` on overlong forms, encoded
---surrogates, code points above U+10FFFF, stray continuation bytes, invalid bytes and truncated
---sequences; raises on a bad s or len.
---@param s string|ffi.cdata*
---@param len? integer bytes to convert
---@return ffi.cdata* buf a NUL-terminated uint16_t[n + 1]
---@return integer n the number of code units, without the NUL
function text.toUnicode(s, len) end

---Converts UTF-16 code units to a UTF-8 Lua string. `ptr` is a cdata pointer or array of 16-bit
---units, or a Lua string of raw UTF-16 bytes. Without len the text ends at the first NUL unit
---(or the end of an array or string).
---Errors: raises `toAnsi: unpaired surrogate 0x<XXXX> at code unit <k>`; raises on a bad ptr or
---len, or a len beyond an array or string.
---@param ptr ffi.cdata*|string
---@param len? integer code units to convert
---@return string
function text.toAnsi(ptr, len) end

---Alias of toUnicode.
---@param s string|ffi.cdata*
---@param len? integer
---@return ffi.cdata* buf
---@return integer n
function text.toUtf16(s, len) end

---Alias of toAnsi.
---@param ptr ffi.cdata*|string
---@param len? integer
---@return string
function text.toUtf8(ptr, len) end

return text
