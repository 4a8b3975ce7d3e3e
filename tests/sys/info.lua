-- tinn.sys values cross-checked with /proc, /sys and the usual commands.
local sys = require("tinn.sys")
local process = require("tinn.process")

local function readFile(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end
local function run(cmd, ...)
  local status, out = process.exec(cmd, ...)
  assert(status == 0, cmd .. " failed")
  return (out:gsub("%s+$", ""))
end

local info = sys.info()
print("info.os", type(info.os) == "string" and #info.os > 0)
print("info.kernel = uname -r", info.kernel == run("uname", "-r"))
print("info.hostname = /proc/sys/kernel/hostname", info.hostname == readFile("/proc/sys/kernel/hostname"):gsub("%s+$", ""))
print("info.arch", info.arch == run("uname", "-m"))

local online = tonumber(run("getconf", "_NPROCESSORS_ONLN"))
print("#cpus() = online CPUs", #sys.cpus() == online, info.cpus == online)
print("info.parallelism = nproc", info.parallelism == tonumber(run("nproc")))
local cpu = sys.cpus()[1]
print("cpu fields", type(cpu.name) == "string", type(cpu.brand) == "string", type(cpu.frequency) == "number")

local memTotal = tonumber(readFile("/proc/meminfo"):match("MemTotal:%s*(%d+) kB")) * 1024
local memory = sys.memory()
print("memory.total = MemTotal", memory.total == memTotal, info.memory == memTotal)
print("memory parts", memory.available <= memory.total, memory.free <= memory.total, memory.used <= memory.total)

local procUptime = tonumber(readFile("/proc/uptime"):match("^(%S+)"))
print("uptime close to /proc/uptime", math.abs(sys.uptime() - procUptime) < 2, math.abs(info.uptime - procUptime) < 2)

-- interfaces: the same names as /sys/class/net
local expected = {}
for name in run("ls", "/sys/class/net"):gmatch("%S+") do expected[#expected + 1] = name end
local names = {}
for i, iface in ipairs(sys.interfaces()) do names[i] = iface.name end
print("interfaces = /sys/class/net", table.concat(names, " ") == table.concat(expected, " "))
local lo
for _, iface in ipairs(sys.interfaces()) do if iface.name == "lo" then lo = iface end end
local loAddress = false
for _, a in ipairs(lo.addresses) do if a.address == "127.0.0.1" and a.prefix == 8 then loAddress = true end end
print("lo has 127.0.0.1/8", loAddress)

-- disks: every entry is mounted where /proc/mounts says
local mounts = readFile("/proc/mounts")
local allMounted = true
for _, disk in ipairs(sys.disks()) do
  if not mounts:find(" " .. disk.mountPoint .. " ", 1, true) then allMounted = false end
  assert(disk.total >= disk.available, "disk sizes")
end
print("disks are mounted", allMounted)

-- processes: this one (by /proc/self) and init
local self = tonumber(readFile("/proc/self/stat"):match("^(%d+)"))
local found, init = nil, nil
for _, p in ipairs(sys.processes()) do
  if p.pid == self then found = p end
  if p.pid == 1 then init = p end
end
print("processes has this one", found ~= nil and found.name == "tinn", found and found.memory > 0)
print("processes has pid 1", init ~= nil)

print("env", sys.env.HOME == os.getenv("HOME"), sys.env.PATH == os.getenv("PATH"))

-- this machine's answers are lists, empty when there is no such hardware
local batteries, monitors = sys.batteries(), sys.monitors()
print("batteries and monitors are lists", type(batteries) == "table", type(monitors) == "table")
print("no power_supply dir gives {}", #sys.batteries("/nonexistent") == 0, #sys.monitors("/nonexistent") == 0)
