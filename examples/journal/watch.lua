-- The seed's change journal example: a task prints every change in a tree while a periodic
-- tick keeps going beside it (docs/journal.md). Here a third task makes the changes, and the
-- program stops after them; pointed at a real tree, the watcher would run forever.
local ChangeJournal = require("ChangeJournal")

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p " .. dir))
local journal = assert(ChangeJournal(dir, { journalFile = dir .. ".journal" }))

local ticker = periodic(function() print("tick") end, 1000)

local watcher = spawn(function()
  for _ = 1, 6 do
    local entry = journal:waitForNextEntry()
    print(entry.usn, table.concat(entry.reasons, "|"), entry.filename, entry.isDirectory and "dir" or "file")
  end
end)

spawn(function()
  sleep(1100)                                     -- after the first tick
  local f = assert(io.open(dir .. "/hello.txt", "w"))
  f:write("hello\n")
  f:close()                                       -- CREATE, MODIFY, CLOSE_WRITE
  os.rename(dir .. "/hello.txt", dir .. "/world.txt") -- RENAME_OLD, RENAME_NEW
  os.remove(dir .. "/world.txt")                  -- DELETE
end)

watcher:join()
ticker:cancel()
journal:close()
os.remove(dir)
os.remove(dir .. ".journal")
os.remove(dir .. ".journal.tree")
