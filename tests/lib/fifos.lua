-- FIFOs standing in for a stuck disk, shared by the timeout tests (fs, log); the tests run in
-- tests/, so they load this with dofile("lib/fifos.lua").
--   local fifo = dofile("lib/fifos.lua")(prefix)  -- a fresh temporary folder
--   local path = fifo("name")                     -- a FIFO made in it
local fs = require("tinn.fs")

return function(prefix)
  local dir = assert(fs.tempdir(prefix))
  return function(name)
    local path = dir .. "/" .. name
    assert(os.execute("mkfifo " .. path))
    return path
  end, dir
end
