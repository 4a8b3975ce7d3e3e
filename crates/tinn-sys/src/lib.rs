//! System information for scripts; backs the Lua module `tinn.sys` (DESIGN.md §4).
//!
//! Every function returns plain tables built at the time of the call: `info`, `cpus`,
//! `memory`, `uptime`, `disks`, `interfaces`, `processes` (through the `sysinfo` crate and
//! `/proc`), `batteries` (from `/sys/class/power_supply`) and `monitors` (the EDID blocks under
//! `/sys/class/drm`, see [`edid`]). `env` is a snapshot of the environment taken when the
//! module is loaded. The reads are of kernel pseudo-files, which answer at once, so the calls
//! do not park. Lua API: `types/sys.lua`, docs: `docs/sys.md`.

mod devices;
mod edid;
mod sysfs;

pub use devices::module as device_record_set_module;

use mlua::{Lua, Result as LuaResult, Table, Value};
use sysinfo::{CpuRefreshKind, Disks, Networks, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

/// Builds `tinn.sys`: one line per Lua name.
pub fn module(lua: &Lua) -> LuaResult<Table> {
    let sys = lua.create_table()?;
    sys.set("info", lua.create_function(sys_info)?)?;
    sys.set("cpus", lua.create_function(sys_cpus)?)?;
    sys.set("memory", lua.create_function(sys_memory)?)?;
    sys.set("uptime", lua.create_function(|_, ()| Ok(uptime_seconds()))?)?;
    sys.set("disks", lua.create_function(sys_disks)?)?;
    sys.set("interfaces", lua.create_function(sys_interfaces)?)?;
    sys.set("processes", lua.create_function(sys_processes)?)?;
    sys.set("batteries", lua.create_function(sysfs::batteries)?)?;
    sys.set("monitors", lua.create_function(sysfs::monitors)?)?;
    sys.set("env", env_table(lua)?)?;
    Ok(sys)
}

/// Seconds since boot, with the fraction `/proc/uptime` gives (sysinfo rounds to seconds).
fn uptime_seconds() -> f64 {
    std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|text| text.split_whitespace().next().and_then(|s| s.parse::<f64>().ok()))
        .unwrap_or_else(|| System::uptime() as f64)
}

fn cpu_list() -> System {
    let mut system = System::new();
    system.refresh_cpu_list(CpuRefreshKind::nothing().with_frequency());
    system
}

/// The number of CPUs this process may run on (affinity and cgroup quota), as `nproc` says.
fn parallelism() -> usize {
    std::thread::available_parallelism().map(usize::from).unwrap_or(1)
}

fn sys_info(lua: &Lua, (): ()) -> LuaResult<Table> {
    let info = lua.create_table()?;
    info.set("os", System::name())?;
    info.set("osVersion", System::long_os_version())?;
    info.set("distribution", System::distribution_id())?;
    info.set("kernel", System::kernel_version())?;
    info.set("hostname", System::host_name())?;
    info.set("arch", System::cpu_arch())?;
    info.set("cpus", cpu_list().cpus().len())?;
    info.set("parallelism", parallelism())?;
    let mut system = System::new();
    system.refresh_memory();
    info.set("memory", system.total_memory())?;
    info.set("uptime", uptime_seconds())?;
    info.set("bootTime", System::boot_time())?;
    let load = System::load_average();
    info.set("loadAverage", lua.create_sequence_from([load.one, load.five, load.fifteen])?)?;
    Ok(info)
}

fn sys_cpus(lua: &Lua, (): ()) -> LuaResult<Table> {
    let system = cpu_list();
    let list = lua.create_table()?;
    for cpu in system.cpus() {
        let entry = lua.create_table()?;
        entry.set("name", cpu.name())?;
        entry.set("brand", cpu.brand())?;
        entry.set("vendor", cpu.vendor_id())?;
        entry.set("frequency", cpu.frequency())?;
        list.push(entry)?;
    }
    Ok(list)
}

fn sys_memory(lua: &Lua, (): ()) -> LuaResult<Table> {
    let mut system = System::new();
    system.refresh_memory();
    let memory = lua.create_table()?;
    memory.set("total", system.total_memory())?;
    memory.set("free", system.free_memory())?;
    memory.set("available", system.available_memory())?;
    memory.set("used", system.used_memory())?;
    memory.set("swapTotal", system.total_swap())?;
    memory.set("swapFree", system.free_swap())?;
    memory.set("swapUsed", system.used_swap())?;
    if let Some(limits) = system.cgroup_limits() {
        memory.set("cgroupTotal", limits.total_memory)?;
        memory.set("cgroupFree", limits.free_memory)?;
    }
    Ok(memory)
}

fn sys_disks(lua: &Lua, (): ()) -> LuaResult<Table> {
    let disks = Disks::new_with_refreshed_list();
    let list = lua.create_table()?;
    for disk in disks.list() {
        let entry = lua.create_table()?;
        entry.set("name", disk.name().to_string_lossy())?;
        entry.set("mountPoint", disk.mount_point().to_string_lossy())?;
        entry.set("fileSystem", disk.file_system().to_string_lossy())?;
        entry.set("total", disk.total_space())?;
        entry.set("available", disk.available_space())?;
        entry.set("removable", disk.is_removable())?;
        entry.set("readOnly", disk.is_read_only())?;
        entry.set("kind", disk.kind().to_string())?;
        list.push(entry)?;
    }
    Ok(list)
}

fn sys_interfaces(lua: &Lua, (): ()) -> LuaResult<Table> {
    let networks = Networks::new_with_refreshed_list();
    let mut names: Vec<&String> = networks.list().keys().collect();
    names.sort();
    let list = lua.create_table()?;
    for name in names {
        let Some(data) = networks.list().get(name) else { continue };
        let entry = lua.create_table()?;
        entry.set("name", name.as_str())?;
        entry.set("mac", data.mac_address().to_string())?;
        entry.set("mtu", data.mtu())?;
        entry.set("received", data.total_received())?;
        entry.set("transmitted", data.total_transmitted())?;
        let addresses = lua.create_table()?;
        for network in data.ip_networks() {
            let address = lua.create_table()?;
            address.set("address", network.addr.to_string())?;
            address.set("prefix", network.prefix)?;
            address.set("family", if network.addr.is_ipv4() { "inet" } else { "inet6" })?;
            addresses.push(address)?;
        }
        entry.set("addresses", addresses)?;
        list.push(entry)?;
    }
    Ok(list)
}

fn sys_processes(lua: &Lua, (): ()) -> LuaResult<Table> {
    let mut system = System::new();
    let what = ProcessRefreshKind::nothing().with_memory().with_cmd(UpdateKind::Always).with_exe(UpdateKind::Always);
    system.refresh_processes_specifics(ProcessesToUpdate::All, true, what);
    let mut processes: Vec<_> = system.processes().values().filter(|p| p.thread_kind().is_none()).collect();
    processes.sort_by_key(|p| p.pid());
    let list = lua.create_table()?;
    for process in processes {
        let entry = lua.create_table()?;
        entry.set("pid", process.pid().as_u32())?;
        entry.set("ppid", process.parent().map(|p| p.as_u32()))?;
        entry.set("name", process.name().to_string_lossy())?;
        entry.set("exe", process.exe().map(|p| p.to_string_lossy().into_owned()))?;
        let cmd = lua.create_sequence_from(process.cmd().iter().map(|a| a.to_string_lossy().into_owned()))?;
        entry.set("cmd", cmd)?;
        entry.set("memory", process.memory())?;
        entry.set("virtualMemory", process.virtual_memory())?;
        entry.set("status", process.status().to_string())?;
        entry.set("startTime", process.start_time())?;
        entry.set("user", process.user_id().map(|u| u.to_string()))?;
        list.push(entry)?;
    }
    Ok(list)
}

fn env_table(lua: &Lua) -> LuaResult<Value> {
    let env = lua.create_table()?;
    for (key, value) in std::env::vars_os() {
        env.set(lua.create_string(key.as_encoded_bytes())?, lua.create_string(value.as_encoded_bytes())?)?;
    }
    Ok(Value::Table(env))
}
