-- DeviceRecordSet: records match /sys; the iterator is stateless and composes with fun.
local DeviceRecordSet = require("DeviceRecordSet")
local fun = require("fun")
local process = require("tinn.process")

local function ls(dir)
  local status, out = process.exec("ls", dir)
  assert(status == 0, "ls " .. dir)
  local names = {}
  for name in out:gmatch("%S+") do names[#names + 1] = name end
  table.sort(names)
  return table.concat(names, " ")
end
local function names(records)
  local list = {}
  for _, r in ipairs(records) do list[#list + 1] = r.name end
  table.sort(list)
  return table.concat(list, " ")
end

local drs = DeviceRecordSet()
local all = fun.totable(drs:devices())
print("some devices", #all > 10)

-- block devices: the whole disks are /sys/block; every block device is STORAGE
local disks = fun.totable(fun.filter(function(r) return r.subsystem == "block" and r.devicetype == "disk" end, drs:devices()))
print("disks = /sys/block", names(disks) == ls("/sys/block"))
local storage = fun.filter(function(r) return r.enumerator == "STORAGE" end, drs:devices())
print("STORAGE = block subsystem", fun.all(function(r) return r.subsystem == "block" end, storage))
print("disk class", fun.all(function(r) return r.class == "DiskDrive" and r.description == "Disk drive" end, fun.iter(disks)))

-- network interfaces: /sys/class/net, with the interface name as friendly name
local nets = fun.totable(fun.filter(function(r) return r.subsystem == "net" end, drs:devices()))
print("net = /sys/class/net", names(nets) == ls("/sys/class/net"))
print("net fields", fun.all(function(r) return r.class == "Net" and r.friendlyname == r.name end, fun.iter(nets)))

-- every record: path under /sys/devices, enumerator in capitals, locationpaths a list
print("paths", fun.all(function(r) return r.path:find("^/sys/devices/") ~= nil end, fun.iter(all)))
print("enumerators", fun.all(function(r) return r.enumerator:match("^[A-Z0-9_]+$") ~= nil end, fun.iter(all)))
print("locationpaths", fun.all(function(r) return type(r.locationpaths) == "table" and #r.locationpaths == 1 end, fun.iter(all)))
-- a device bound to a driver has it as service (the driver link of sysfs)
local bound = fun.totable(fun.filter(function(r) return r.driver ~= nil end, drs:devices()))
print("service = driver when bound", #bound > 0, fun.all(function(r) return r.service == r.driver end, fun.iter(bound)))

-- stateless: the same (param, state) gives the same record, and iterating twice the same sequence
local gen, param, state = drs:devices()
local s1, r1 = gen(param, state + 2)
local s2, r2 = gen(param, state + 2)
local same = s1 == s2
for k, v in pairs(r1) do
  if k ~= "locationpaths" and r2[k] ~= v then same = false end
end
print("same (param, state), same record", same, r1.locationpaths[1] == r2.locationpaths[1])
print("two passes agree", fun.length(gen, param, state) == #all)
print("end", gen(param, #all))

-- fields limit what is read (path always comes)
local gen2, param2, state2 = drs:devices({ "enumerator" })
local _, limited = gen2(param2, state2)
local keys = {}
for k in pairs(limited) do keys[#keys + 1] = k end
table.sort(keys)
print("limited fields", table.concat(keys, ","))

-- the issue's example, counted instead of printed (output differs per machine)
require("fun")()
local printed = 0
each(function(r) printed = printed + 1 end, filter(function(r) return r.enumerator == "STORAGE" end, drs:devices()))
print("STORAGE records", printed == fun.length(fun.filter(function(r) return r.subsystem == "block" end, fun.iter(all))))

print(pcall(drs.devices, drs, { "nosuchfield" }))
print(pcall(drs.devices, drs, "enumerator"))
