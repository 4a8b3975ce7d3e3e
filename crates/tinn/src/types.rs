//! `tinn types [dir]`: writes tinn's `---@meta` definitions (the repository's `types/` folder,
//! embedded at build time by `build.rs`) into `<dir>/.tinn/types/`, and points lua-language-server
//! at them through `<dir>/.luarc.json`, so editors complete and document tinn's globals and
//! modules.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

// TYPE_FILES: &[(&str, &str)], file name → contents, every `*.lua` of the repository's `types/`.
include!(concat!(env!("OUT_DIR"), "/type_files.rs"));

/// Where the definitions go, relative to the project folder.
const TYPES_SUBDIR: &str = ".tinn/types";

/// lua-language-server's configuration file in the project folder.
const LUARC: &str = ".luarc.json";

/// Writes the definitions and the configuration into `dir`; returns what it did, for the user.
pub(crate) fn write(dir: &Path) -> Result<String, String> {
    let target = dir.join(TYPES_SUBDIR);
    std::fs::create_dir_all(&target).map_err(|err| format!("cannot create '{}': {err}", target.display()))?;
    remove_stale(&target)?;
    for (name, contents) in TYPE_FILES {
        let path = target.join(name);
        std::fs::write(&path, contents).map_err(|err| format!("cannot write '{}': {err}", path.display()))?;
    }
    let luarc = dir.join(LUARC);
    let action = update_luarc(&luarc)?;
    Ok(format!(
        "wrote {} definition files to {}\n{action} {}",
        TYPE_FILES.len(),
        target.display(),
        luarc.display()
    ))
}

/// Definitions of modules that no longer exist must not linger: the folder is ours.
fn remove_stale(target: &Path) -> Result<(), String> {
    let entries = std::fs::read_dir(target).map_err(|err| format!("cannot list '{}': {err}", target.display()))?;
    for entry in entries.flatten() {
        let path: PathBuf = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".lua") && !TYPE_FILES.iter().any(|(file, _)| *file == name) {
            std::fs::remove_file(&path).map_err(|err| format!("cannot remove '{}': {err}", path.display()))?;
        }
    }
    Ok(())
}

/// Creates `.luarc.json`, or adds tinn's settings to an existing one without dropping the rest.
fn update_luarc(path: &Path) -> Result<&'static str, String> {
    let (mut config, action) = match std::fs::read_to_string(path) {
        Ok(text) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(map)) => (map, "updated"),
            Ok(_) => return Err(format!("'{}' is not a JSON object; not changing it", path.display())),
            Err(err) => return Err(format!("'{}' is not valid JSON ({err}); not changing it", path.display())),
        },
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => (Map::new(), "wrote"),
        Err(err) => return Err(format!("cannot read '{}': {err}", path.display())),
    };
    config
        .entry("$schema")
        .or_insert_with(|| Value::from("https://raw.githubusercontent.com/LuaLS/vscode-lua/master/setting/schema.json"));
    // .luarc.json accepts both flat ("runtime.version") and nested ({"runtime": {"version"}})
    // keys; follow whichever the file already uses.
    set_setting(&mut config, "runtime", "version", |current| current.or_else(|| Some(Value::from("LuaJIT"))));
    set_setting(&mut config, "workspace", "library", |current| {
        let mut library = match current {
            Some(Value::Array(items)) => items,
            Some(Value::String(one)) => vec![Value::String(one)],
            _ => Vec::new(),
        };
        if !library.iter().any(|item| item.as_str() == Some(TYPES_SUBDIR)) {
            library.push(Value::from(TYPES_SUBDIR));
        }
        Some(Value::Array(library))
    });
    set_setting(&mut config, "workspace", "checkThirdParty", |current| current.or(Some(Value::Bool(false))));
    let text = serde_json::to_string_pretty(&Value::Object(config)).map_err(|err| err.to_string())?;
    std::fs::write(path, text + "\n").map_err(|err| format!("cannot write '{}': {err}", path.display()))?;
    Ok(action)
}

fn set_setting(config: &mut Map<String, Value>, section: &str, key: &str, update: impl FnOnce(Option<Value>) -> Option<Value>) {
    if let Some(Value::Object(nested)) = config.get_mut(section) {
        let current = nested.remove(key);
        if let Some(value) = update(current) {
            nested.insert(key.to_string(), value);
        }
        return;
    }
    let flat = format!("{section}.{key}");
    let current = config.remove(&flat);
    if let Some(value) = update(current) {
        config.insert(flat, value);
    }
}
