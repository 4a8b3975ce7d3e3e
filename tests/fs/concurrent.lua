-- Many tasks use files at once; each call suspends only its own task, and tasks sharing one
-- file take turns in call order, so lines are never torn or duplicated.
local fs = require("tinn.fs")
local dir = assert(fs.tempdir("tinn-concurrent"))
local format = string.format

-- 20 writers and readers on their own files, all at once
local tasks = {}
for i = 1, 20 do
  tasks[i] = spawn(function()
    local path = dir .. "/own" .. i
    local data = string.rep(format("%02d", i), 100000 + i)
    assert(fs.writeFile(path, data, { atomic = i % 2 == 0 }))
    return assert(fs.readFile(path)) == data
  end)
end
local good = 0
for i = 1, 20 do if tasks[i]:join() then good = good + 1 end end
print("own files round trip", good)

-- 10 writers sharing one handle: 200 lines each, yielding now and then
local shared = dir .. "/shared.log"
local out = assert(fs.open(shared, "a"))
tasks = {}
for i = 1, 10 do
  tasks[i] = spawn(function()
    for j = 1, 200 do
      -- every 50th line is larger than the write buffer, so writes also go to the disk directly
      local line = format("w%02d line %03d %s\n", i, j, j % 50 == 0 and string.rep("x", 70000) or "")
      assert(out:write(line))
      if j % 7 == 0 then yield() end
    end
  end)
end
for i = 1, 10 do tasks[i]:join() end
assert(out:close())
local perWriter, whole, ordered = {}, 0, true
for line in assert(fs.open(shared)):lines() do
  local i, j = line:match("^w(%d%d) line (%d%d%d) x*$")
  if i then
    whole = whole + 1
    i, j = tonumber(i), tonumber(j)
    if j ~= (perWriter[i] or 0) + 1 then ordered = false end
    perWriter[i] = j
  end
end
print("shared writer lines", whole, "in order per writer", ordered)

-- 4 readers sharing one handle: every line goes to exactly one of them
local input = assert(fs.open(shared))
local seen, dup, got = {}, 0, {}
tasks = {}
for r = 1, 4 do
  got[r] = 0
  tasks[r] = spawn(function()
    for line in input:lines() do
      if seen[line] then dup = dup + 1 end
      seen[line] = true
      got[r] = got[r] + 1
      if got[r] % 13 == 0 then yield() end
    end
  end)
end
for r = 1, 4 do tasks[r]:join() end
print("shared reader lines", got[1] + got[2] + got[3] + got[4], "duplicates", dup)
assert(input:close())

-- a task keeps running while another waits on a large write
local ticks, done = 0, false
local ticker = spawn(function() while not done do ticks = ticks + 1 yield() end end)
assert(fs.writeFile(dir .. "/big", string.rep("z", 8 * 1024 * 1024)))
done = true
ticker:join()
print("other task ran during the write", ticks > 1)

print("cleanup", fs.remove(dir, { recursive = true }))
