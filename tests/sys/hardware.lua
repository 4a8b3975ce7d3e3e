-- batteries() and monitors() over a sysfs tree of our own (this machine may have neither).
local sys = require("tinn.sys")
local process = require("tinn.process")

local root = os.tmpname()
os.remove(root)
local function put(path, content)
  assert(process.exec("mkdir", "-p", (root .. "/" .. path):match("^(.*)/")) == 0, "mkdir")
  local f = assert(io.open(root .. "/" .. path, "wb"))
  f:write(content)
  f:close()
end

put("power/BAT0/type", "Battery\n")
put("power/BAT0/status", "Discharging\n")
put("power/BAT0/capacity", "87\n")
put("power/BAT0/manufacturer", "ACME\n")
put("power/BAT0/model_name", "PowerCell 9000\n")
put("power/BAT0/energy_full", "50000000\n")
put("power/AC/type", "Mains\n")
put("power/AC/online", "1\n")

-- an EDID base block: maker DEL, product 0x1234, 52 x 32 cm, 2024, name "DELL U2415"
local edid = { 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x10, 0xAC, 0x34, 0x12 }
for i = #edid + 1, 128 do edid[i] = 0 end
edid[18], edid[22], edid[23] = 34, 52, 32
edid[55 + 3] = 0xFC
local name = "DELL U2415\n  "
for i = 1, #name do edid[55 + 4 + i] = name:byte(i) end
put("drm/card0-HDMI-A-1/edid", string.char(unpack(edid)))
put("drm/card0-HDMI-A-1/status", "connected\n")
put("drm/card0-HDMI-A-1/modes", "1920x1200\n1920x1080\n")
put("drm/card0-DP-1/edid", "")
put("drm/card0-DP-1/status", "disconnected\n")
put("drm/version", "drm 1.1.0 20060810\n")

local batteries = sys.batteries(root .. "/power")
print("batteries", #batteries)
local b = batteries[1]
print(b.name, b.status, b.capacity, b.manufacturer, b.model, b.energyFull, b.cycleCount)

local monitors = sys.monitors(root .. "/drm")
print("monitors", #monitors)
local m = monitors[1]
print(m.connector, m.status, m.manufacturer, m.model, m.productCode, m.widthCm, m.heightCm, m.diagonalInches, m.year)
print("modes", table.concat(m.modes, ","))

process.exec("rm", "-rf", root)
