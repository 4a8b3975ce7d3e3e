-- DeviceRecordSet: the devices of this machine, read from /sys (docs/devices.md).
--
--   local DeviceRecordSet = require("DeviceRecordSet")
--   local drs = DeviceRecordSet()
--   for _, r in drs:devices({ "friendlyname", "enumerator" }) do print(r.enumerator, r.friendlyname) end
--   require("fun")()
--   each(print, filter(function(r) return r.enumerator == "STORAGE" end, drs:devices()))
--
-- devices() returns a stateless iterator triple (gen, param, state): gen(param, i) gives
-- i + 1 and the record of the (i + 1)th device, reading it from /sys at that moment, so the
-- same (param, state) gives the same record and fun's pipelines can restart it freely.

local native = ...
local check = require("tinn.check")
local argError = check.argError
local type, setmetatable, tostring = type, setmetatable, tostring
local record = native.record

local FIELDS = {
  description = true, manufacturer = true, devicetype = true, class = true, enumerator = true,
  friendlyname = true, locationinfo = true, locationpaths = true, service = true,
  path = true, subsystem = true, driver = true, name = true,
}

local DeviceRecordSet = {}
DeviceRecordSet.__index = DeviceRecordSet

-- param = { n, paths..., fields = set | nil }; the state is the index of the last record given.
local function gen(param, i)
  i = i + 1
  local path = param[i]
  if path == nil then return nil end
  return i, record(path, param.fields)
end

--- drs:devices([fields]) -> gen, param, 0 over every device's record. `fields` is a list of
--- field names to fill (all when nil); `path` is always filled.
function DeviceRecordSet:devices(fields)
  local set
  if fields ~= nil then
    if type(fields) ~= "table" then argError(1, "drs:devices", "list of field names expected, got " .. type(fields)) end
    set = { path = true }
    for i = 1, #fields do
      local name = fields[i]
      if not FIELDS[name] then argError(1, "drs:devices", "unknown field '" .. tostring(name) .. "'") end
      set[name] = true
    end
  end
  local param = native.list(self.root)
  param.fields = set
  return gen, param, 0
end

--- drs:paths() -> the list of device directories (under /sys/devices) the set enumerates.
function DeviceRecordSet:paths() return native.list(self.root) end

--- drs:record(path [, fields]) -> the record of one device directory.
function DeviceRecordSet:record(path, fields)
  if type(path) ~= "string" then argError(1, "drs:record", "path string expected, got " .. type(path)) end
  local set
  if fields ~= nil then
    set = { path = true }
    for i = 1, #fields do set[fields[i]] = true end
  end
  return record(path, set)
end

function DeviceRecordSet:__tostring() return "DeviceRecordSet(" .. (self.root or "/sys") .. ")" end

local function new(root)
  if root ~= nil and type(root) ~= "string" then argError(1, "DeviceRecordSet", "sysfs root string expected, got " .. type(root)) end
  return setmetatable({ root = root }, DeviceRecordSet)
end

-- `DeviceRecordSet()` and `DeviceRecordSet.new()` both make a set.
return setmetatable({ new = new, FIELDS = FIELDS }, { __call = function(_, root) return new(root) end })
