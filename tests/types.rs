//! `types/*.lua` covers what the runtime exports, and `tinn types` writes it for an editor.
//!
//! The coverage check loads every built-in module in the real binary, lists the functions its
//! table holds (nested tables included, such as `tcp.connect`), plus the global functions and
//! the `tinn` table's, and requires a definition of each in `types/`: `function x.name(`,
//! `function x:name(`, `function name(` or `---@field name`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::tinn;

/// Helpers the runtime uses itself; scripts see what they offer through other names. The
/// `shadow.*` modules are the parts of `tinn shadow` (apps/shadow), an app, not a library.
const INTERNAL_MODULES: &[&str] =
    &["tinn.clock", "tinn.check", "tinn.stream", "tinn.handle", "fun.core", "fun.generators", "fun.slicing", "fun.reduce", "fun.stages", "fun.compose", "tinn.sql.common", "shadow.store", "shadow.filter", "shadow.web", "shadow.page"];

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The built-in module names, read from the runtime's one list of them (loader.rs), so a
/// module added there is checked here without touching this test.
fn builtin_modules() -> Vec<String> {
    let loader = std::fs::read_to_string(repository().join("crates/tinn-runtime/src/loader.rs")).expect("loader.rs");
    let mut modules = Vec::new();
    let mut in_list = false;
    for line in loader.lines() {
        let line = line.trim();
        if line.starts_with("const EMBEDDED") || line.starts_with("const NATIVE") {
            in_list = true;
        } else if in_list && line.starts_with("];") {
            in_list = false;
        } else if in_list && line.starts_with("(\"") {
            if let Some(name) = line[2..].split('"').next() {
                modules.push(name.to_string());
            }
        }
    }
    modules
}

/// Lua that prints `<owner>\t<path>` for every function reachable from a module table.
const LISTER: &str = r##"
local STANDARD = {}
for name in ([[assert collectgarbage dofile error gcinfo getfenv getmetatable ipairs load loadfile
  loadstring module newproxy next pairs pcall print rawequal rawget rawlen rawset require select
  setfenv setmetatable tonumber tostring type unpack xpcall]]):gmatch("%S+") do STANDARD[name] = true end

local function walk(owner, prefix, t, depth, seen)
  if seen[t] or depth > 3 then return end
  seen[t] = true
  local names = {}
  for key in next, t do if type(key) == "string" then names[#names + 1] = key end end
  table.sort(names)
  for _, key in ipairs(names) do
    local value = rawget(t, key)
    local path = prefix == "" and key or (prefix .. "." .. key)
    if type(value) == "function" and not key:find("^__") then -- metamethods are behaviour, not API
      print(owner .. "\t" .. path)
    elseif type(value) == "table" and not key:find("^_") then
      walk(owner, path, value, depth + 1, seen)
    end
  end
end

for name, value in pairs(_G) do
  if type(value) == "function" and not STANDARD[name] then print("_G\t" .. name) end
end
walk("tinn", "tinn", tinn, 1, {})
for i = 1, select("#", ...) do
  local name = select(i, ...)
  local ok, module = pcall(require, name)
  if not ok then
    print("!\t" .. name .. "\t" .. tostring(module):gsub("\n", " "))
  elseif type(module) == "table" then
    walk(name, "", module, 1, {})
  end
end
"##;

fn type_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(repository().join("types"))
        .expect("types/ exists")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "lua"))
        .map(|path| {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (name, std::fs::read_to_string(&path).expect("readable type file"))
        })
        .collect();
    files.sort();
    files
}

/// Every name the type files define as a function or a field.
fn defined_names(files: &[(String, String)]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (_, text) in files {
        for line in text.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("function ") {
                let head = rest.split('(').next().unwrap_or("");
                let last = head.rsplit(['.', ':']).next().unwrap_or(head);
                names.insert(last.trim().to_string());
            } else if let Some(rest) = line.strip_prefix("---@field ") {
                if let Some(name) = rest.split_whitespace().next() {
                    names.insert(name.trim_end_matches('?').to_string());
                }
            } else if let Some((target, _)) = line.split_once('=') {
                // `module.name = function` style assignments in a meta file
                if let Some(last) = target.trim().rsplit('.').next() {
                    if !target.trim().contains(' ') && target.contains('.') {
                        names.insert(last.to_string());
                    }
                }
            }
        }
    }
    names
}

#[test]
fn every_exported_function_has_a_type_definition() {
    let modules: Vec<String> =
        builtin_modules().into_iter().filter(|m| !INTERNAL_MODULES.contains(&m.as_str())).collect();
    assert!(modules.len() >= 8, "could not read the module list from loader.rs: {modules:?}");
    let output = tinn().arg("-e").arg(LISTER).args(&modules).output().expect("the tinn binary runs");
    let listing = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "the lister failed: {}", String::from_utf8_lossy(&output.stderr));

    let files = type_files();
    let all_text: String = files.iter().map(|(_, text)| text.as_str()).collect::<Vec<_>>().join("\n");
    let defined = defined_names(&files);
    let mut missing = Vec::new();
    for line in listing.lines() {
        let mut fields = line.split('\t');
        let (owner, path) = (fields.next().unwrap_or(""), fields.next().unwrap_or(""));
        if owner == "!" {
            missing.push(format!("module {path} does not load: {}", fields.next().unwrap_or("")));
            continue;
        }
        let name = path.rsplit('.').next().unwrap_or(path);
        if !defined.contains(name) {
            missing.push(format!("{owner}: {path}"));
        }
    }
    for module in &modules {
        // a types file must name the module (its @class, header or require line)
        if !all_text.contains(module.as_str()) {
            missing.push(format!("module {module}: no types/*.lua mentions it"));
        }
    }
    assert!(
        missing.is_empty(),
        "functions the runtime exports with no definition in types/ ({}):\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}

#[test]
fn tinn_types_writes_definitions_and_luarc() {
    let dir = std::env::temp_dir().join(format!("tinn-types-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".tinn/types")).expect("temp dir");
    // a stale definition from an older tinn is removed; an existing .luarc.json keeps its settings
    std::fs::write(dir.join(".tinn/types/gone.lua"), "---@meta\n").expect("write");
    std::fs::write(dir.join(".luarc.json"), r#"{"diagnostics": {"globals": ["vim"]}, "workspace.library": ["lib"]}"#)
        .expect("write");
    let output = tinn().arg("types").arg(&dir).output().expect("the tinn binary runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    for (name, text) in type_files() {
        let written = std::fs::read_to_string(dir.join(".tinn/types").join(&name)).unwrap_or_default();
        assert_eq!(written, text, "{name} is written as it is in types/");
    }
    assert!(!dir.join(".tinn/types/gone.lua").exists(), "stale definitions are removed");
    let luarc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(".luarc.json")).expect(".luarc.json")).expect("valid JSON");
    assert_eq!(luarc["runtime.version"], "LuaJIT");
    assert_eq!(luarc["workspace.library"], serde_json::json!(["lib", ".tinn/types"]));
    assert_eq!(luarc["diagnostics"]["globals"], serde_json::json!(["vim"]));

    // running it again changes nothing
    let again = tinn().arg("types").arg(&dir).output().expect("the tinn binary runs");
    assert!(again.status.success());
    let luarc2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(".luarc.json")).expect(".luarc.json")).expect("valid JSON");
    assert_eq!(luarc, luarc2);
    let _ = std::fs::remove_dir_all(&dir);

    // not a JSON object: left alone, with a clear error
    let bad = std::env::temp_dir().join(format!("tinn-types-bad-{}", std::process::id()));
    std::fs::create_dir_all(&bad).expect("temp dir");
    std::fs::write(bad.join(".luarc.json"), "{ not json").expect("write");
    let output = tinn().arg("types").arg(&bad).output().expect("the tinn binary runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not valid JSON"));
    assert_eq!(std::fs::read_to_string(bad.join(".luarc.json")).unwrap_or_default(), "{ not json");
    let _ = std::fs::remove_dir_all(&bad);
}
