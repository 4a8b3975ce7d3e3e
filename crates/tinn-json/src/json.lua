-- tinn.json: encode/decode JSON (docs/json.md). The native functions return nil and a message
-- on failure; these wrappers raise it at the caller's line, as LuaJIT's own functions do.
--
--   local json = require("tinn.json")
--   print(json.encode({ name = "tinn", tags = { "lua", "jit" } }, { sortKeys = true }))
--   print(json.decode('{"ok": true}').ok)

local native = ...
local error, type = error, type

local function encode(value, options)
  if options ~= nil and type(options) ~= "table" then
    error("bad argument #2 to 'json.encode' (options table expected, got " .. type(options) .. ")", 2)
  end
  local text, err = native.encode(value, options)
  if text == nil then error(err, 2) end
  return text
end

local function decode(text)
  if type(text) ~= "string" then
    error("bad argument #1 to 'json.decode' (string expected, got " .. type(text) .. ")", 2)
  end
  local value, err = native.decode(text)
  if value == nil then error(err, 2) end
  return value
end

local function object(t)
  if t ~= nil and type(t) ~= "table" then
    error("bad argument #1 to 'json.object' (table expected, got " .. type(t) .. ")", 2)
  end
  return native.object(t)
end

return { encode = encode, decode = decode, object = object, null = native.null }
