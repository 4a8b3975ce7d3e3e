---@meta
-- Type definitions for tinn.sys (docs/sys.md). Sizes in bytes, times in seconds.

---@class SysInfo
---@field os string|nil distribution name ("Debian GNU/Linux")
---@field osVersion string|nil
---@field distribution string
---@field kernel string|nil as `uname -r`
---@field hostname string|nil
---@field arch string as `uname -m`
---@field cpus integer online logical CPUs
---@field parallelism integer CPUs this process may use (as `nproc`)
---@field memory integer total memory
---@field uptime number
---@field bootTime integer seconds since the epoch
---@field loadAverage number[] 1, 5 and 15 minutes

---@class SysCpu
---@field name string
---@field brand string
---@field vendor string
---@field frequency integer MHz

---@class SysMemory
---@field total integer
---@field free integer
---@field available integer
---@field used integer
---@field swapTotal integer
---@field swapFree integer
---@field swapUsed integer
---@field cgroupTotal? integer
---@field cgroupFree? integer

---@class SysDisk
---@field name string
---@field mountPoint string
---@field fileSystem string
---@field total integer
---@field available integer
---@field removable boolean
---@field readOnly boolean
---@field kind string "SSD", "HDD" or "Unknown(..)"

---@class SysAddress
---@field address string
---@field prefix integer
---@field family "inet"|"inet6"

---@class SysInterface
---@field name string
---@field mac string
---@field mtu integer
---@field received integer
---@field transmitted integer
---@field addresses SysAddress[]

---@class SysProcess
---@field pid integer
---@field ppid integer|nil
---@field name string
---@field exe string|nil
---@field cmd string[]
---@field memory integer
---@field virtualMemory integer
---@field status string
---@field startTime integer
---@field user string|nil uid

---@class SysBattery
---@field name string
---@field status string|nil
---@field capacity number|nil percent
---@field capacityLevel string|nil
---@field manufacturer string|nil
---@field model string|nil
---@field serial string|nil
---@field technology string|nil
---@field present number|nil
---@field cycleCount number|nil
---@field energyNow number|nil µWh
---@field energyFull number|nil
---@field energyFullDesign number|nil
---@field chargeNow number|nil µAh
---@field chargeFull number|nil
---@field chargeFullDesign number|nil
---@field voltageNow number|nil µV
---@field powerNow number|nil µW
---@field currentNow number|nil µA

---@class SysMonitor
---@field connector string "card0-HDMI-A-1"
---@field status string|nil
---@field enabled boolean|nil
---@field manufacturer string PNP id
---@field model string
---@field productCode integer
---@field serial string
---@field widthCm integer
---@field heightCm integer
---@field diagonalInches number|nil
---@field year integer
---@field modes string[]

local sys = {}

---@return SysInfo
function sys.info() end

---@return SysCpu[]
function sys.cpus() end

---@return SysMemory
function sys.memory() end

---@return number seconds since boot
function sys.uptime() end

---@return SysDisk[]
function sys.disks() end

---@return SysInterface[]
function sys.interfaces() end

---@return SysProcess[]
function sys.processes() end

---Errors: raises if `root` is not a string.
---@param root? string replaces /sys/class/power_supply
---@return SysBattery[]
function sys.batteries(root) end

---Errors: raises if `root` is not a string.
---@param root? string replaces /sys/class/drm
---@return SysMonitor[]
function sys.monitors(root) end

---The environment when the module was loaded.
---@type table<string, string>
sys.env = {}

return sys
