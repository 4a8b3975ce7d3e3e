//! The module loader: embedded Lua libraries and native modules come first, then LuaJIT's own
//! `package.path` / `package.cpath` searchers (which honour `LUA_PATH` and `LUA_CPATH`).

use mlua::{Function, Lua, Result as LuaResult, Table, Value};

/// A native module: builds the table `require` returns.
pub type NativeModule = fn(&Lua) -> LuaResult<Table>;

/// The scheduler is loaded by the runtime itself (it needs the native bridge), not by `require`.
pub(crate) const SCHEDULER_SOURCE: &str = include_str!("../../../lua/tinn/scheduler.lua");
/// The reactor's Lua half: the scheduler runs it with what parking needs and publishes the
/// result as `tinn.reactor` (so it is no entry of [`EMBEDDED`]).
pub(crate) const REACTOR_SOURCE: &str = include_str!("../../../lua/tinn/reactor.lua");

/// Pure-Lua libraries from `lua/`, embedded at build time: `require` name → source.
const EMBEDDED: &[(&str, &str)] = &[
    ("tinn.clock", include_str!("../../../lua/tinn/clock.lua")),
    ("tinn.check", include_str!("../../../lua/tinn/check.lua")),
    ("tinn.stream", include_str!("../../../lua/tinn/stream.lua")),
    ("tinn.handle", include_str!("../../../lua/tinn/handle.lua")),
    ("tinn.text", include_str!("../../../lua/tinn/text.lua")),
    ("tinn.inspect", include_str!("../../../lua/tinn/inspect.lua")),
    ("tinn.test", include_str!("../../../lua/tinn/test.lua")),
    ("fun", include_str!("../../../lua/fun.lua")),
    ("fun.core", include_str!("../../../lua/fun/core.lua")),
    ("fun.generators", include_str!("../../../lua/fun/generators.lua")),
    ("fun.slicing", include_str!("../../../lua/fun/slicing.lua")),
    ("fun.reduce", include_str!("../../../lua/fun/reduce.lua")),
    ("fun.stages", include_str!("../../../lua/fun/stages.lua")),
    ("fun.compose", include_str!("../../../lua/fun/compose.lua")),
    ("Collections", include_str!("../../../lua/Collections.lua")),
    ("StopWatch", include_str!("../../../lua/StopWatch.lua")),
    ("striter", include_str!("../../../lua/striter.lua")),
    ("msiterators", include_str!("../../../lua/msiterators.lua")),
    // LuaJIT's own tools, as `luajit` ships them (lua/jit/README.md)
    ("jit.v", include_str!("../../../lua/jit/v.lua")),
    ("jit.dump", include_str!("../../../lua/jit/dump.lua")),
    ("jit.p", include_str!("../../../lua/jit/p.lua")),
    ("jit.zone", include_str!("../../../lua/jit/zone.lua")),
    ("jit.bc", include_str!("../../../lua/jit/bc.lua")),
    ("jit.bcsave", include_str!("../../../lua/jit/bcsave.lua")),
    ("jit.vmdef", include_str!("../../../lua/jit/vmdef.lua")),
    ("jit.dis_x86", include_str!("../../../lua/jit/dis_x86.lua")),
    ("jit.dis_x64", include_str!("../../../lua/jit/dis_x64.lua")),
    ("jit.dis_arm", include_str!("../../../lua/jit/dis_arm.lua")),
    ("jit.dis_arm64", include_str!("../../../lua/jit/dis_arm64.lua")),
    // `tinn shadow` (apps/shadow/main.lua, run by the CLI) and its parts
    ("shadow.store", include_str!("../../../apps/shadow/store.lua")),
    ("shadow.filter", include_str!("../../../apps/shadow/filter.lua")),
    ("shadow.web", include_str!("../../../apps/shadow/web.lua")),
    ("shadow.page", include_str!("../../../apps/shadow/page.lua")),
];

/// Modules written in Rust: `require` name → constructor. The only list of them.
const NATIVE: &[(&str, NativeModule)] = &[
    ("tinn.net", tinn_net::module),
    ("tinn.fs", tinn_fs::module),
    ("tinn.log", tinn_fs::log_module),
    ("tinn.json", tinn_json::module),
    ("tinn.http", tinn_http::module),
    ("tinn.process", tinn_process::module),
    ("tinn.sys", tinn_sys::module),
    ("DeviceRecordSet", tinn_sys::device_record_set_module),
    ("tinn.journal", tinn_journal::module),
    ("ChangeJournal", tinn_journal::module),
    ("tinn.worker", tinn_worker::module),
    ("tinn.dns", tinn_dns::module),
    ("DNSNameServer", tinn_dns::name_server_module),
    ("tinn.sql", tinn_sql::module),
    ("tinn.sql.common", tinn_sql::common_module),
    ("tinn.sqlite", tinn_sqlite::module),
    ("tinn.pg", tinn_pg::module),
];

/// The chunk name of an embedded module, so tracebacks read `tinn/clock:12`.
pub(crate) fn chunk_name(module: &str) -> String {
    let path = module.replace('.', "/");
    if path.starts_with("tinn/") {
        format!("={path}")
    } else {
        format!("=tinn/{path}")
    }
}

/// Whether `name` is a module the runtime carries (embedded Lua or native).
pub(crate) fn is_builtin(name: &str) -> bool {
    EMBEDDED.iter().any(|(n, _)| *n == name) || NATIVE.iter().any(|(n, _)| *n == name)
}

/// The built-in module a mistyped or unqualified name probably meant: `http` → `tinn.http`,
/// `tinn.jsno` → `tinn.json`, `collections` → `Collections`.
pub(crate) fn suggest(name: &str) -> Option<&'static str> {
    let names = EMBEDDED.iter().map(|(n, _)| *n).chain(NATIVE.iter().map(|(n, _)| *n));
    let wanted = name.to_lowercase();
    let mut best: Option<(usize, &'static str)> = None;
    for candidate in names {
        let lower = candidate.to_lowercase();
        let bare = lower.strip_prefix("tinn.").unwrap_or(&lower);
        let wanted_bare = wanted.strip_prefix("tinn.").unwrap_or(&wanted);
        let distance = edit_distance(wanted_bare, bare);
        // one typo per four letters, at least one, never a different short word
        let allowed = (bare.len() / 4).max(1);
        if distance <= allowed && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate).filter(|candidate| *candidate != name)
}

/// Edit distance over bytes counting a swap of neighbours as one edit (`jsno` → `json`), so
/// the common typos are one step away; module names are ASCII.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    // rows i-2, i-1 and i of the dynamic-programming table
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut current = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j - 1] + cost).min(previous[j] + 1).min(current[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        before = std::mem::replace(&mut previous, current);
    }
    previous[b.len()]
}

/// Puts the built-in searcher right after `package.preload`'s, ahead of the file searchers.
pub(crate) fn install(lua: &Lua) -> LuaResult<()> {
    let package: Table = lua.globals().get("package")?;
    let loaders: Table = package.get("loaders")?;
    let searcher = lua.create_function(search_builtin)?;
    loaders.raw_insert(2, searcher)?;
    add_system_paths(&package)
}

/// Where Debian and Ubuntu install Lua 5.1 modules (`apt install lua-cjson lua-lpeg`), which
/// LuaJIT's own defaults (`/usr/local/...`) miss: C modules first, then pure Lua.
const SYSTEM_CPATH: &[&str] = &["/usr/lib/{multiarch}/lua/5.1/?.so", "/usr/lib/lua/5.1/?.so"];
const SYSTEM_PATH: &[&str] = &["/usr/share/lua/5.1/?.lua", "/usr/share/lua/5.1/?/init.lua"];

/// Appends the system folders to `package.cpath` / `package.path` unless `LUA_CPATH` /
/// `LUA_PATH` is set: then the user's value is what LuaJIT made of it, untouched.
fn add_system_paths(package: &Table) -> LuaResult<()> {
    if !cfg!(target_os = "linux") {
        return Ok(());
    }
    // Debian's multiarch tuple for this build (x86_64-linux-gnu, aarch64-linux-gnu, ...).
    let multiarch = match std::env::consts::ARCH {
        "x86" => "i386-linux-gnu".to_string(),
        "arm" => "arm-linux-gnueabihf".to_string(),
        "powerpc64" if cfg!(target_endian = "little") => "powerpc64le-linux-gnu".to_string(),
        arch => format!("{arch}-linux-gnu"),
    };
    for (variable, field, folders) in [("LUA_CPATH", "cpath", SYSTEM_CPATH), ("LUA_PATH", "path", SYSTEM_PATH)] {
        if std::env::var_os(variable).is_some() {
            continue;
        }
        let mut value: String = package.get(field)?;
        for folder in folders {
            value.push(';');
            value.push_str(&folder.replace("{multiarch}", &multiarch));
        }
        package.set(field, value)?;
    }
    Ok(())
}

fn search_builtin(lua: &Lua, name: String) -> LuaResult<Value> {
    if let Some((_, source)) = EMBEDDED.iter().find(|(n, _)| *n == name) {
        let chunk = lua.load(*source).set_name(chunk_name(&name)).into_function()?;
        return Ok(Value::Function(chunk));
    }
    if let Some((_, build)) = NATIVE.iter().find(|(n, _)| *n == name) {
        let build = *build;
        let loader: Function = lua.create_function(move |lua, _: String| build(lua))?;
        return Ok(Value::Function(loader));
    }
    let hint = match suggest(&name) {
        Some(meant) => format!(" (did you mean require(\"{meant}\")?)"),
        None => String::new(),
    };
    Ok(Value::String(lua.create_string(format!("\n\tno built-in module '{name}'{hint}"))?))
}
