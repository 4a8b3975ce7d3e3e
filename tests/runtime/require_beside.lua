-- require looks beside the running script first, then package.path.
local greeter = require("lib.greeter")
print(greeter.greet("tinn"))
local ok, err = pcall(require, "no.such.module")
print(ok, err:match("module 'no.such.module' not found") ~= nil, err:match("no built%-in module") ~= nil)
