-- The burst of file operations that tests/journal/burst.lua and bench/journal.lua watch, run
-- in a second tinn process so that it does not wait for the reader:
--   tinn tests/journal/burst_writer.lua <dir> <iterations>
-- Each iteration creates f<i> (with one byte written), renames it to g<i> and deletes it:
-- 4 operations, 6 inotify events.
local dir = assert(arg[1], "usage: burst_writer.lua <dir> <iterations>")
local n = assert(tonumber(arg[2]), "usage: burst_writer.lua <dir> <iterations>")
for i = 1, n do
  local f = assert(io.open(dir .. "/f" .. i, "w")) f:write("x") f:close()
  assert(os.rename(dir .. "/f" .. i, dir .. "/g" .. i))
  assert(os.remove(dir .. "/g" .. i))
end
