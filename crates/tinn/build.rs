//! Exports LuaJIT's C API from the `tinn` binary, so Lua C modules (`require` through
//! `package.cpath`) resolve `lua_*`/`luaL_*` against the interpreter that loads them.
//!
//! Also embeds the repository's `types/*.lua` (the `---@meta` definitions `tinn types` writes):
//! whatever files that folder holds when the binary is built.

use std::path::PathBuf;

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" || target_os.ends_with("bsd") {
        // Every global symbol of the linked objects goes in the dynamic table; LuaJIT's API
        // objects are all linked (mlua calls into each), so the whole C API is visible.
        println!("cargo:rustc-link-arg-bins=-Wl,--export-dynamic");
    }
    embed_type_files();
}

fn embed_type_files() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let types = manifest.join("../../types");
    // A directory here makes cargo rerun this script when any file in it changes or appears.
    println!("cargo:rerun-if-changed={}", types.display());
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&types) {
        Ok(entries) => entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "lua"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    let mut source = String::from("/// Every `types/*.lua` file: name → contents.\npub(crate) const TYPE_FILES: &[(&str, &str)] = &[\n");
    for path in &files {
        let name = path.file_name().expect("a listed file has a name").to_string_lossy();
        let absolute = path.canonicalize().expect("a listed file exists");
        source.push_str(&format!("    ({:?}, include_str!({:?})),\n", name, absolute.display().to_string()));
    }
    source.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("type_files.rs");
    std::fs::write(out, source).expect("OUT_DIR is writable");
}
