-- A one-screen report of this machine (docs/sys.md). The output differs per machine.
local sys = require("tinn.sys")

local info = sys.info()
print(("%s (%s), kernel %s on %s"):format(info.hostname, info.os, info.kernel, info.arch))
print(("%d CPUs (%s), %.1f GiB memory, up %.0f minutes"):format(
  info.cpus, sys.cpus()[1].brand, sys.memory().total / 2^30, sys.uptime() / 60))
for _, disk in ipairs(sys.disks()) do
  print(("disk %s on %s: %.1f of %.1f GiB free"):format(disk.name, disk.mountPoint, disk.available / 2^30, disk.total / 2^30))
end
for _, iface in ipairs(sys.interfaces()) do
  local first = iface.addresses[1]
  print(("interface %s %s %s"):format(iface.name, iface.mac, first and first.address or "-"))
end
for _, battery in ipairs(sys.batteries()) do print("battery", battery.name, tostring(battery.capacity) .. "%", battery.status) end
for _, monitor in ipairs(sys.monitors()) do print("monitor", monitor.manufacturer, monitor.model, monitor.diagonalInches) end
print(#sys.processes() .. " processes; HOME is " .. tostring(sys.env.HOME))
