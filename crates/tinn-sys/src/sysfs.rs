//! Batteries and monitors, read from sysfs. Both take an optional root directory in place of
//! `/sys/class/power_supply` / `/sys/class/drm`, which lets tests use a tree of their own.

use std::path::Path;

use mlua::{Lua, Result as LuaResult, Table};

use crate::edid;

/// A sysfs attribute without surrounding white space; None when absent, unreadable or empty.
/// The one reader of attributes for this crate (devices.rs too).
pub(crate) fn attribute(dir: &Path, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(name)).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The entries of `root`, sorted by name; empty when it does not exist (no such hardware).
pub(crate) fn entries(root: &Path) -> Vec<(String, std::path::PathBuf)> {
    let mut list: Vec<_> = std::fs::read_dir(root)
        .map(|dir| dir.flatten().map(|e| (e.file_name().to_string_lossy().into_owned(), e.path())).collect())
        .unwrap_or_default();
    list.sort();
    list
}

/// Text attributes of a battery, as sysfs names them → the field scripts see.
const BATTERY_TEXT: &[(&str, &str)] = &[
    ("status", "status"),
    ("manufacturer", "manufacturer"),
    ("model_name", "model"),
    ("serial_number", "serial"),
    ("technology", "technology"),
    ("capacity_level", "capacityLevel"),
];

/// Numeric attributes (µWh, µAh, µV, µW, µA, percent, count).
const BATTERY_NUMBERS: &[(&str, &str)] = &[
    ("capacity", "capacity"),
    ("present", "present"),
    ("cycle_count", "cycleCount"),
    ("energy_now", "energyNow"),
    ("energy_full", "energyFull"),
    ("energy_full_design", "energyFullDesign"),
    ("charge_now", "chargeNow"),
    ("charge_full", "chargeFull"),
    ("charge_full_design", "chargeFullDesign"),
    ("voltage_now", "voltageNow"),
    ("power_now", "powerNow"),
    ("current_now", "currentNow"),
];

pub(crate) fn batteries(lua: &Lua, root: Option<String>) -> LuaResult<Table> {
    let root = root.unwrap_or_else(|| "/sys/class/power_supply".to_string());
    let list = lua.create_table()?;
    for (name, dir) in entries(Path::new(&root)) {
        if attribute(&dir, "type").as_deref() != Some("Battery") {
            continue; // mains adapters, USB supplies
        }
        let battery = lua.create_table()?;
        battery.set("name", name)?;
        for (file, field) in BATTERY_TEXT {
            battery.set(*field, attribute(&dir, file))?;
        }
        for (file, field) in BATTERY_NUMBERS {
            battery.set(*field, attribute(&dir, file).and_then(|v| v.parse::<f64>().ok()))?;
        }
        list.push(battery)?;
    }
    Ok(list)
}

pub(crate) fn monitors(lua: &Lua, root: Option<String>) -> LuaResult<Table> {
    let root = root.unwrap_or_else(|| "/sys/class/drm".to_string());
    let list = lua.create_table()?;
    for (connector, dir) in entries(Path::new(&root)) {
        // connectors are `card0-HDMI-A-1`; an empty or missing edid means nothing is plugged in
        let Ok(bytes) = std::fs::read(dir.join("edid")) else { continue };
        let Some(edid) = edid::parse(&bytes) else { continue };
        let monitor = lua.create_table()?;
        monitor.set("connector", connector)?;
        monitor.set("status", attribute(&dir, "status"))?;
        monitor.set("enabled", attribute(&dir, "enabled").map(|s| s == "enabled"))?;
        monitor.set("manufacturer", edid.manufacturer)?;
        monitor.set("model", edid.model)?;
        monitor.set("productCode", edid.product_code)?;
        monitor.set("serial", edid.serial)?;
        monitor.set("widthCm", edid.width_cm)?;
        monitor.set("heightCm", edid.height_cm)?;
        let (w, h) = (f64::from(edid.width_cm), f64::from(edid.height_cm));
        // 0x0 means a projector or a size the monitor does not report
        let diagonal = (w > 0.0 && h > 0.0).then(|| ((w * w + h * h).sqrt() / 2.54 * 10.0).round() / 10.0);
        monitor.set("diagonalInches", diagonal)?;
        monitor.set("year", edid.year)?;
        let modes = attribute(&dir, "modes").unwrap_or_default();
        monitor.set("modes", lua.create_sequence_from(modes.lines().map(str::to_string))?)?;
        list.push(monitor)?;
    }
    Ok(list)
}
