-- A panic inside a reactor future (a bug in tinn) must reach the waiting task as an error
-- (issue 14.11). No script input is known to cause one, so the panic comes from a test hook
-- that exists only with TINN_TEST_HOOKS=1 (crates/tinn-runtime/src/lib.rs).
print("start")
local reactor = require("tinn.reactor")
local hooks = require("tinn.testhooks")
local ok, err = reactor.await(nil, hooks.panicOp())
print(ok, err:match("^internal error in [%w_:]+: deliberate panic"))
