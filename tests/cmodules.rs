//! Lua modules from outside the binary: Debian's C modules by default (`cmodules/cjson_lpeg.lua`
//! in the script table) and a LuaRocks-style tree named by `LUA_PATH` / `LUA_CPATH`.

use crate::support::tinn;

/// Debian's lua-cjson for Lua 5.1 (installed by `.ci/run`).
fn debian_cjson() -> Option<std::path::PathBuf> {
    let multiarch = format!("{}-linux-gnu", std::env::consts::ARCH);
    let path = std::path::PathBuf::from(format!("/usr/lib/{multiarch}/lua/5.1/cjson.so"));
    path.exists().then_some(path)
}

#[test]
fn a_luarocks_tree_named_by_lua_path_and_lua_cpath_loads() {
    let cjson = debian_cjson().expect("lua-cjson is installed (.ci/run installs it)");
    let tree = std::env::temp_dir().join(format!("tinn-rocks-{}", std::process::id()));
    let lib = tree.join("lib/lua/5.1");
    let share = tree.join("share/lua/5.1");
    std::fs::create_dir_all(&lib).expect("tree");
    std::fs::create_dir_all(share.join("greeting")).expect("tree");
    std::fs::copy(&cjson, lib.join("cjson.so")).expect("copy cjson.so into the tree");
    std::fs::write(share.join("shout.lua"), "return function(s) return s:upper() .. '!' end\n").expect("write");
    std::fs::write(share.join("greeting/init.lua"), "return { hello = function(n) return 'hello ' .. n end }\n")
        .expect("write");

    // what `luarocks path` sets: the tree first, then LuaJIT's defaults (`;;`)
    let lua_path = format!("{0}/?.lua;{0}/?/init.lua;;", share.display());
    let lua_cpath = format!("{}/?.so;;", lib.display());
    let output = tinn()
        .env("LUA_PATH", &lua_path)
        .env("LUA_CPATH", &lua_cpath)
        .args([
            "-e",
            "local cjson, shout, greeting = require('cjson'), require('shout'), require('greeting') \
             print(package.searchpath('cjson', package.cpath)) \
             print(cjson.encode({ shout(greeting.hello('rocks')) }))",
        ])
        .output()
        .expect("the tinn binary runs");
    let _ = std::fs::remove_dir_all(&tree);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout, format!("{}\n[\"HELLO ROCKS!\"]\n", lib.join("cjson.so").display()));
}
