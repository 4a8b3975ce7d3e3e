-- List this machine's disks and network adapters from /sys (docs/devices.md).
-- The output differs per machine.
local DeviceRecordSet = require("DeviceRecordSet")
require("fun")()

local drs = DeviceRecordSet()

-- the block devices, as the seed's scripts printed them
each(function(r) print(r.enumerator, r.friendlyname, r.service or "-", r.locationinfo or "-") end,
  filter(function(r) return r.enumerator == "STORAGE" end, drs:devices()))

-- only the fields asked for are read
for _, r in drs:devices({ "class", "friendlyname", "manufacturer" }) do
  if r.class == "Net" then print("network adapter", r.friendlyname, r.manufacturer or "-") end
end

-- how many devices each bus has
local count = {}
each(function(r) count[r.enumerator] = (count[r.enumerator] or 0) + 1 end, drs:devices({ "enumerator" }))
local buses = totable(iter(count))
table.sort(buses)
for _, bus in ipairs(buses) do print(bus, count[bus]) end
