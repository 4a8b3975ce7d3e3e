-- A directory of 70,000 files moved into the tree: its RENAME_NEW, then a CREATE for every file
-- in it, usn growing by one. The journal once recorded more than 65,536 entries at once without
-- writing them, gave them up as if the disk were full, and went silent: no entry, no OVERFLOW.
local ChangeJournal = require("ChangeJournal")
local process = require("tinn.process")

local FILES = 70000
local name = os.tmpname()
os.remove(name)
-- tmpfs, where there is one, makes the 70,000 files quickly
local base = process.exec("test", "-d", "/dev/shm") == 0 and "/dev/shm/" .. name:match("[^/]+$") or name
assert(process.exec("mkdir", "-p", base .. "/tree", base .. "/outside/moved") == 0)
assert(process.exec("sh", "-c", ("cd '%s/outside/moved' && seq %d | sed 's/^/f/' | xargs touch"):format(base, FILES)) == 0)
local journal = assert(ChangeJournal(base .. "/tree", { journalFile = name .. ".journal" }))
local lastUsn = journal:getNextUsn() - 1
assert(process.exec("mv", base .. "/outside/moved", base .. "/tree/moved") == 0)

local moved = journal:waitForNextEntry(nil, nil, 10000)
print("first entry", moved and table.concat(moved.reasons, "|"), moved and moved.filename)
lastUsn = moved and moved.usn or lastUsn
local created, bad = {}, nil
for k = 1, FILES do
  local e, err = journal:waitForNextEntry(nil, nil, 10000)
  if not e then bad = ("silent after %d of %d files: %s"):format(k - 1, FILES, err) break end
  if e.usn ~= lastUsn + 1 or e.reasons[1] ~= "CREATE" or e.path ~= base .. "/tree/moved/" .. e.filename then
    bad = ("entry %d: usn %d (after %d) %s %s"):format(k, e.usn, lastUsn, table.concat(e.reasons, "|"), e.path)
    break
  end
  created[e.filename] = true
  lastUsn = e.usn
end
for i = 1, FILES do
  if not bad and not created["f" .. i] then bad = "f" .. i .. " not reported" end
end
print("every file reported as created", bad or "yes")
print("nothing more", journal:waitForNextEntry(nil, nil, 100))
journal:close()
process.exec("rm", "-rf", base, name .. ".journal", name .. ".journal.tree")
