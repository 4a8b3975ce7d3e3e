//! Where `http.static` finds a file: a request path resolved under the served folder, refusing
//! `..` and, unless symbolic links may be followed, any link that leads out of the folder.
//! The rest (conditional requests, ranges, streaming) is Lua in `http.lua`.

use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;

use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, Value};
use tinn_reactor::ScriptError;

use crate::error::HttpError;

/// `native.staticRoot(dir)` → the folder's real path, or nil, message.
pub(crate) fn http_static_root(lua: &Lua, dir: String) -> LuaResult<MultiValue> {
    match std::fs::canonicalize(&dir) {
        Ok(root) if root.is_dir() => root.to_string_lossy().into_owned().into_lua_multi(lua),
        Ok(_) => HttpError::NotADirectory(dir).into_failure(lua),
        Err(source) => HttpError::StaticRoot { dir, source }.into_failure(lua),
    }
}

/// `native.staticLookup(root, path, followSymlinks)` → real path, size, modified (seconds),
/// isDirectory; or nil, "not found" | "forbidden". `path` is the decoded request path.
pub(crate) fn http_static_lookup(lua: &Lua, (root, path, follow_symlinks): (String, mlua::LuaString, bool)) -> LuaResult<MultiValue> {
    let failed = |why: &str| (Value::Nil, why.to_owned()).into_lua_multi(lua);
    let path = path.as_bytes();
    let Ok(path) = std::str::from_utf8(&path) else { return failed("not found") };
    if path.contains('\0') {
        return failed("forbidden");
    }
    let root = PathBuf::from(root);
    let mut candidate = root.clone();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => candidate.push(part),
            Component::RootDir | Component::CurDir => {}
            // `..` (even one that would stay inside) and prefixes are refused outright
            Component::ParentDir | Component::Prefix(_) => return failed("forbidden"),
        }
    }
    let real = match std::fs::canonicalize(&candidate) {
        Ok(real) => real,
        Err(_) => return failed("not found"),
    };
    if !follow_symlinks && !real.starts_with(&root) {
        return failed("forbidden");
    }
    let Ok(meta) = std::fs::metadata(&real) else { return failed("not found") };
    if !meta.is_file() && !meta.is_dir() {
        return failed("not found");
    }
    let modified = meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_secs());
    (real.to_string_lossy().into_owned(), meta.len(), modified, meta.is_dir()).into_lua_multi(lua)
}
