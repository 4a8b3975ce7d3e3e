//! Device enumeration from sysfs (no libudev); backs the Lua module `DeviceRecordSet`.
//!
//! [`list`] collects every device sysfs knows (the entries of `/sys/bus/*/devices` and
//! `/sys/class/*`, resolved to their `/sys/devices/...` directories, deduplicated and sorted);
//! [`record`] reads one device's record. The Lua wrapper `devices.lua` turns the two into a
//! stateless iterator. The mapping of sysfs onto the record's fields is in `docs/devices.md`.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use mlua::{Lua, Result as LuaResult, Table, Value};

use crate::sysfs::attribute;

/// Builds `DeviceRecordSet`: the native functions, wrapped by `devices.lua`.
pub fn module(lua: &Lua) -> LuaResult<Table> {
    let native = lua.create_table()?;
    native.set("list", lua.create_function(|lua, root: Option<String>| list(lua, root))?)?;
    native.set("record", lua.create_function(|lua, (path, fields): (String, Option<Table>)| record(lua, &path, fields))?)?;
    lua.load(include_str!("devices.lua")).set_name("=tinn/DeviceRecordSet").call(native)
}

const SYS_DEVICES: &str = "/sys/devices";

/// Every device directory under `/sys/devices` that a bus or class lists, sorted.
fn list(lua: &Lua, root: Option<String>) -> LuaResult<Table> {
    let root = PathBuf::from(root.unwrap_or_else(|| "/sys".to_string()));
    let devices = std::fs::canonicalize(root.join("devices")).unwrap_or_else(|_| root.join("devices"));
    let mut found = BTreeSet::new();
    // class folders also hold attribute files (`/sys/class/firmware/timeout`): only entries
    // that lead into the device tree are devices
    let mut collect = |dir: PathBuf| {
        for entry in read_dir_sorted(&dir) {
            match std::fs::canonicalize(&entry) {
                Ok(real) if real.starts_with(&devices) && real.is_dir() => {
                    found.insert(real);
                }
                _ => {}
            }
        }
    };
    for bus in read_dir_sorted(&root.join("bus")) {
        collect(bus.join("devices"));
    }
    for class in read_dir_sorted(&root.join("class")) {
        collect(class);
    }
    lua.create_sequence_from(found.into_iter().map(|p| p.to_string_lossy().into_owned()))
}

fn read_dir_sorted(dir: &Path) -> Vec<PathBuf> {
    crate::sysfs::entries(dir).into_iter().map(|(_, path)| path).collect()
}

/// The last component of the symlink `dir/name` (`subsystem` → `pci`, `driver` → `virtio_net`).
fn link_name(dir: &Path, name: &str) -> Option<String> {
    let target = std::fs::read_link(dir.join(name)).ok()?;
    target.file_name().map(|n| n.to_string_lossy().into_owned())
}

/// Whether `dir`'s subsystem is a bus (`/sys/bus/X`) rather than a class (`/sys/class/X`).
fn on_bus(dir: &Path) -> bool {
    std::fs::read_link(dir.join("subsystem")).map(|t| t.to_string_lossy().contains("/bus/")).unwrap_or(false)
}

fn uevent(dir: &Path) -> HashMap<String, String> {
    std::fs::read_to_string(dir.join("uevent"))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

/// `dir` and its parents up to (not including) `/sys/devices`, nearest first.
fn lineage(dir: &Path) -> Vec<PathBuf> {
    if !dir.starts_with(SYS_DEVICES) {
        return vec![dir.to_path_buf()];
    }
    dir.ancestors().take_while(|d| *d != Path::new(SYS_DEVICES)).map(Path::to_path_buf).collect()
}

fn hex(text: &str) -> Option<u32> {
    u32::from_str_radix(text.trim_start_matches("0x"), 16).ok()
}

/// Vendor and device names from the pci.ids / usb.ids databases, when installed.
struct Ids {
    vendors: HashMap<u32, String>,
    devices: HashMap<(u32, u32), String>,
}

fn load_ids(candidates: &[&str]) -> Option<Ids> {
    let text = candidates.iter().find_map(|p| std::fs::read(p).ok())?;
    let text = String::from_utf8_lossy(&text);
    let mut ids = Ids { vendors: HashMap::new(), devices: HashMap::new() };
    let mut vendor = None;
    for line in text.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if line.starts_with("C ") {
            break; // the device-class section follows the vendor list
        }
        let depth = line.chars().take_while(|&c| c == '\t').count();
        let rest = line.trim_start_matches('\t');
        let Some((id, name)) = rest.split_once("  ") else { continue };
        let Some(id) = hex(id) else { continue };
        match depth {
            0 => {
                vendor = Some(id);
                ids.vendors.insert(id, name.to_string());
            }
            1 => {
                if let Some(v) = vendor {
                    ids.devices.insert((v, id), name.to_string());
                }
            }
            _ => {}
        }
    }
    Some(ids)
}

fn pci_ids() -> Option<&'static Ids> {
    static IDS: OnceLock<Option<Ids>> = OnceLock::new();
    IDS.get_or_init(|| load_ids(&["/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids", "/usr/share/pci.ids"])).as_ref()
}

fn usb_ids() -> Option<&'static Ids> {
    static IDS: OnceLock<Option<Ids>> = OnceLock::new();
    IDS.get_or_init(|| load_ids(&["/usr/share/misc/usb.ids", "/usr/share/hwdata/usb.ids", "/usr/share/usb.ids"])).as_ref()
}

/// Vendors common in machines and virtual machines, for when pci.ids is not installed.
fn known_vendor(id: u32) -> Option<&'static str> {
    Some(match id {
        0x1af4 => "Red Hat, Inc.",
        0x1b36 => "Red Hat, Inc.",
        0x8086 => "Intel Corporation",
        0x1022 => "Advanced Micro Devices, Inc. [AMD]",
        0x1002 => "Advanced Micro Devices, Inc. [AMD/ATI]",
        0x10de => "NVIDIA Corporation",
        0x10ec => "Realtek Semiconductor Co., Ltd.",
        0x14e4 => "Broadcom Inc.",
        0x15ad => "VMware",
        0x1234 => "QEMU",
        0x144d => "Samsung Electronics Co Ltd",
        0x1d0f => "Amazon.com, Inc.",
        _ => return None,
    })
}

fn vendor_name(ids: Option<&Ids>, vendor: u32) -> String {
    ids.and_then(|ids| ids.vendors.get(&vendor).cloned())
        .or_else(|| known_vendor(vendor).map(str::to_string))
        .unwrap_or_else(|| format!("{vendor:04x}"))
}

/// Virtio device ids (virtio spec §5) → what the device is.
fn virtio_kind(id: u32) -> &'static str {
    match id {
        1 => "network device",
        2 => "block device",
        3 => "console",
        4 => "entropy source",
        5 => "memory balloon",
        8 => "SCSI host",
        9 => "9P transport",
        16 => "GPU device",
        18 => "input device",
        19 => "socket device",
        26 => "file system device",
        _ => "device",
    }
}

/// PCI base class (the top byte of `class`) → a class name in the spirit of Windows' setup classes.
fn pci_class(code: u32) -> &'static str {
    match code >> 16 {
        0x01 => "Storage",
        0x02 => "Net",
        0x03 => "Display",
        0x04 => "Media",
        0x05 => "Memory",
        0x06 => "System",
        0x07 => "Ports",
        0x09 => "HIDClass",
        0x0c if (code >> 8) & 0xff == 0x03 => "USB",
        0x0c => "SerialBus",
        0x0d => "Wireless",
        0x12 => "Accelerator",
        _ => "PCI",
    }
}

/// Everything a record can hold, computed from one device directory.
struct Device {
    path: PathBuf,
    name: String,
    subsystem: Option<String>,
    driver: Option<String>,
    devtype: Option<String>,
}

impl Device {
    fn read(path: &Path) -> Device {
        let events = uevent(path);
        Device {
            path: path.to_path_buf(),
            name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            subsystem: link_name(path, "subsystem"),
            driver: link_name(path, "driver"),
            devtype: events.get("DEVTYPE").cloned(),
        }
    }

    fn is(&self, subsystem: &str) -> bool {
        self.subsystem.as_deref() == Some(subsystem)
    }

    /// The driver bound to this device or, for a class device (a disk, an interface), to the
    /// nearest parent that has one: what Windows calls the device's service.
    fn service(&self) -> Option<String> {
        lineage(&self.path).into_iter().find_map(|d| link_name(&d, "driver"))
    }

    /// The bus of the nearest device (this one or a parent) that sits on a bus.
    fn bus(&self) -> Option<String> {
        lineage(&self.path).into_iter().find(|d| on_bus(d)).and_then(|d| link_name(&d, "subsystem"))
    }

    fn enumerator(&self) -> String {
        if self.is("block") {
            return "STORAGE".to_string();
        }
        // `serial-base` → `SERIAL_BASE`, so enumerators are identifiers
        self.bus().map(|b| b.to_uppercase().replace('-', "_")).unwrap_or_else(|| "ROOT".to_string())
    }

    fn class(&self) -> String {
        let subsystem = self.subsystem.as_deref().unwrap_or("");
        match subsystem {
            "block" if self.devtype.as_deref() == Some("partition") => "Volume".to_string(),
            "block" => "DiskDrive".to_string(),
            "net" => "Net".to_string(),
            "tty" => "Ports".to_string(),
            "cpu" => "Processor".to_string(),
            "power_supply" => "Battery".to_string(),
            "drm" => "Display".to_string(),
            "sound" => "Media".to_string(),
            "input" | "hid" | "hidraw" => "HIDClass".to_string(),
            "usb" => "USB".to_string(),
            "pci" => attribute(&self.path, "class").and_then(|c| hex(&c)).map(pci_class).unwrap_or("PCI").to_string(),
            "" => "Unknown".to_string(),
            other => other.to_string(),
        }
    }

    /// The nearest device (self first) with a PCI or virtio vendor id, and its ids.
    fn pci_like(&self) -> Option<(PathBuf, u32, u32)> {
        lineage(&self.path).into_iter().find_map(|d| {
            let vendor = attribute(&d, "vendor").and_then(|v| hex(&v))?;
            let device = attribute(&d, "device").and_then(|v| hex(&v)).unwrap_or(0);
            Some((d, vendor, device))
        })
    }

    /// The nearest USB device (self first): one with `idVendor`.
    fn usb(&self) -> Option<PathBuf> {
        lineage(&self.path).into_iter().find(|d| d.join("idVendor").exists())
    }

    fn manufacturer(&self) -> Option<String> {
        if self.is("block") {
            if let Some(vendor) = attribute(&self.path.join("device"), "vendor").filter(|v| !v.starts_with("0x")) {
                return Some(vendor); // SCSI/ATA vendor string
            }
        }
        if let Some(usb) = self.usb() {
            if let Some(name) = attribute(&usb, "manufacturer") {
                return Some(name);
            }
            let vendor = attribute(&usb, "idVendor").and_then(|v| hex(&v))?;
            return Some(vendor_name(usb_ids(), vendor));
        }
        self.pci_like().map(|(_, vendor, _)| vendor_name(pci_ids(), vendor))
    }

    fn description(&self) -> String {
        let subsystem = self.subsystem.as_deref().unwrap_or("");
        match subsystem {
            "block" if self.devtype.as_deref() == Some("partition") => return "Disk partition".to_string(),
            "block" => return "Disk drive".to_string(),
            "net" => return "Network adapter".to_string(),
            "pci" => {
                if let Some((_, vendor, device)) = self.pci_like() {
                    if let Some(name) = pci_ids().and_then(|ids| ids.devices.get(&(vendor, device))) {
                        return name.clone();
                    }
                    // virtio over PCI: modern device ids are 0x1040 + the virtio id
                    if vendor == 0x1af4 && (0x1040..0x1080).contains(&device) {
                        return format!("Virtio {} (PCI)", virtio_kind(device - 0x1040));
                    }
                    return format!("PCI device {vendor:04x}:{device:04x}");
                }
            }
            "virtio" => {
                let id = attribute(&self.path, "device").and_then(|d| hex(&d)).unwrap_or(0);
                return format!("Virtio {}", virtio_kind(id));
            }
            "usb" => {
                if let Some(product) = attribute(&self.path, "product") {
                    return product;
                }
                let vendor = attribute(&self.path, "idVendor").and_then(|v| hex(&v));
                let product = attribute(&self.path, "idProduct").and_then(|v| hex(&v));
                if let (Some(v), Some(p)) = (vendor, product) {
                    if let Some(name) = usb_ids().and_then(|ids| ids.devices.get(&(v, p))) {
                        return name.clone();
                    }
                }
                return "USB device".to_string();
            }
            _ => {}
        }
        if subsystem.is_empty() {
            "Device".to_string()
        } else {
            format!("{subsystem} device")
        }
    }

    fn friendly_name(&self) -> String {
        if self.is("block") {
            if let Some(model) = attribute(&self.path.join("device"), "model") {
                return format!("{model} ({})", self.name);
            }
            return self.name.clone();
        }
        if self.is("net") {
            return self.name.clone();
        }
        self.description()
    }

    /// Where the device sits, as Windows words it for PCI and USB.
    fn location_info(&self) -> Option<String> {
        for dir in lineage(&self.path) {
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if let Some((bus, device, function)) = pci_address(&name) {
                return Some(format!("PCI bus {bus}, device {device}, function {function}"));
            }
            if dir.join("idVendor").exists() {
                let busnum = attribute(&dir, "busnum").unwrap_or_default();
                let devpath = attribute(&dir, "devpath").unwrap_or_default();
                return Some(format!("Port_#{devpath}.Hub_#{busnum}"));
            }
        }
        None
    }

    /// `PCIROOT(0)#PCI(0200)#VIRTIO(1)#...` from `/sys/devices` down to the device.
    fn location_path(&self) -> String {
        let mut parts: Vec<String> = lineage(&self.path)
            .iter()
            .rev()
            .map(|d| {
                let name = d.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if let Some(domain_bus) = name.strip_prefix("pci") {
                    let bus = domain_bus.rsplit(':').next().and_then(hex).unwrap_or(0);
                    format!("PCIROOT({bus})")
                } else if let Some((_, device, function)) = pci_address(&name) {
                    format!("PCI({device:02X}{function:02X})")
                } else {
                    name.to_uppercase()
                }
            })
            .collect();
        if parts.is_empty() {
            parts.push(self.name.to_uppercase());
        }
        parts.join("#")
    }
}

/// `0000:00:03.0` → (bus 0, device 3, function 0).
fn pci_address(name: &str) -> Option<(u32, u32, u32)> {
    let mut parts = name.split(':');
    let (_domain, bus, rest) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || bus.len() != 2 {
        return None;
    }
    let (device, function) = rest.split_once('.')?;
    Some((hex(bus)?, hex(device)?, hex(function)?))
}

const FIELDS: &[&str] = &[
    "description",
    "manufacturer",
    "devicetype",
    "class",
    "enumerator",
    "friendlyname",
    "locationinfo",
    "locationpaths",
    "service",
    "path",
    "subsystem",
    "driver",
    "name",
];

/// The record of the device at `path`; `fields` (a set `{name = true}`) limits what is read.
fn record(lua: &Lua, path: &str, fields: Option<Table>) -> LuaResult<Table> {
    let device = Device::read(Path::new(path));
    let out = lua.create_table()?;
    for &field in FIELDS {
        if let Some(wanted) = &fields {
            if !wanted.get::<bool>(field).unwrap_or(false) {
                continue;
            }
        }
        let value: Value = match field {
            "description" => Value::String(lua.create_string(device.description())?),
            "manufacturer" => opt(lua, device.manufacturer())?,
            "devicetype" => opt(lua, device.devtype.clone())?,
            "class" => Value::String(lua.create_string(device.class())?),
            "enumerator" => Value::String(lua.create_string(device.enumerator())?),
            "friendlyname" => Value::String(lua.create_string(device.friendly_name())?),
            "locationinfo" => opt(lua, device.location_info())?,
            "locationpaths" => Value::Table(lua.create_sequence_from([device.location_path()])?),
            "service" => opt(lua, device.service())?,
            "driver" => opt(lua, device.driver.clone())?,
            "path" => Value::String(lua.create_string(path)?),
            "subsystem" => opt(lua, device.subsystem.clone())?,
            "name" => Value::String(lua.create_string(&device.name)?),
            _ => Value::Nil,
        };
        out.set(field, value)?;
    }
    Ok(out)
}

fn opt(lua: &Lua, value: Option<String>) -> LuaResult<Value> {
    match value {
        Some(text) => Ok(Value::String(lua.create_string(text)?)),
        None => Ok(Value::Nil),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pci_addresses_and_classes() {
        assert_eq!(pci_address("0000:00:03.0"), Some((0, 3, 0)));
        assert_eq!(pci_address("0000:1a:1f.7"), Some((0x1a, 0x1f, 7)));
        assert_eq!(pci_address("virtio2"), None);
        assert_eq!(pci_address("pci0000:00"), None);
        assert_eq!(pci_class(0x020000), "Net");
        assert_eq!(pci_class(0x0c0330), "USB");
    }
}
