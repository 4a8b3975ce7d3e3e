---@meta
-- Type definitions for DeviceRecordSet (docs/devices.md).

---@class DeviceRecord
---@field path string the device's directory under /sys/devices (always filled)
---@field name string the kernel's name for it (`vda`, `eth0`, `0000:00:03.0`)
---@field description string what the device is ("Disk drive", "Network adapter", a pci.ids name)
---@field manufacturer string|nil from sysfs vendor strings, USB `manufacturer`, pci.ids / usb.ids
---@field devicetype string|nil the uevent DEVTYPE (`disk`, `partition`, `usb_device`, ...)
---@field class string a setup class: DiskDrive, Volume, Net, Display, USB, Ports, Processor, ...
---@field enumerator string the bus in capitals (PCI, USB, VIRTIO, ACPI, PLATFORM, ...), STORAGE for block devices, ROOT for virtual devices
---@field friendlyname string a name for people: the model and kernel name of a disk, the interface name, else the description
---@field locationinfo string|nil "PCI bus 0, device 3, function 0" or "Port_#1.2.Hub_#1"
---@field locationpaths string[] one path from the root: "PCIROOT(0)#PCI(0300)#VIRTIO2#NET#ETH0"
---@field service string|nil the driver bound to the device or its nearest parent with one
---@field subsystem string|nil the sysfs subsystem (a bus or a class name)
---@field driver string|nil the driver bound to this very device

---@alias DeviceField "description"|"manufacturer"|"devicetype"|"class"|"enumerator"|"friendlyname"|"locationinfo"|"locationpaths"|"service"|"path"|"subsystem"|"driver"|"name"

---@class DeviceRecordSet
---@field root? string the sysfs root ("/sys" when nil)
local DeviceRecordSet = {}

---A stateless iterator over every device's record: `for i, record in drs:devices() do`.
---Composes with fun: `each(print, filter(function(r) return r.enumerator == "STORAGE" end, drs:devices()))`.
---Errors: raises on a field name not in the list above.
---@param fields? DeviceField[] fill only these fields (path is always filled)
---@return fun(param: table, state: integer): integer|nil, DeviceRecord gen
---@return table param
---@return integer state
function DeviceRecordSet:devices(fields) end

---The device directories the set enumerates, sorted.
---@return string[]
function DeviceRecordSet:paths() end

---The record of one device directory.
---@param path string
---@param fields? DeviceField[]
---@return DeviceRecord
function DeviceRecordSet:record(path, fields) end

---@class DeviceRecordSetModule
---@overload fun(root?: string): DeviceRecordSet
local module = {}

---@param root? string
---@return DeviceRecordSet
function module.new(root) end

return module
