//! Exports LuaJIT's C API from the `tinn` binary, so Lua C modules (`require` through
//! `package.cpath`) resolve `lua_*`/`luaL_*` against the interpreter that loads them.

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" || target_os.ends_with("bsd") {
        // Every global symbol of the linked objects goes in the dynamic table; LuaJIT's API
        // objects are all linked (mlua calls into each), so the whole C API is visible.
        println!("cargo:rustc-link-arg-bins=-Wl,--export-dynamic");
    }
}
