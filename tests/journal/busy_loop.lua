-- While the script runs without yielding, another process makes 20,000 files (40,000 events,
-- more than the kernel's queue holds by default: 16,384). The journal empties that queue on a
-- thread of its own, so afterwards every change is reported in order and no OVERFLOW stands
-- for lost ones; before, the queue overflowed whenever the event loop was busy this long.
local ChangeJournal = require("ChangeJournal")
local process = require("tinn.process")

local FILES = 20000
local dir = os.tmpname()
os.remove(dir)
assert(process.exec("mkdir", "-p", dir .. "/tree") == 0)
local marker = dir .. "/done"
local journal = assert(ChangeJournal(dir .. "/tree", { journalFile = dir .. "/journal" }))

assert(process.spawn{ cmd = "sh", args = { "-c",
  ("cd '%s/tree' && for i in $(seq %d); do : > f$i; done && : > '%s'"):format(dir, FILES, marker) } })
local deadline = os.clock() + 60
while os.clock() < deadline do -- busy: the event loop does not run
  local f = io.open(marker, "r")
  if f then f:close() break end
end

local bad, lastUsn = nil, nil
for k = 1, 2 * FILES do
  local e, err = journal:waitForNextEntry(nil, nil, 10000)
  local want, file = k % 2 == 1 and "CREATE" or "CLOSE_WRITE", "f" .. math.floor((k + 1) / 2)
  if not e then bad = ("nothing after %d of %d entries: %s"):format(k - 1, 2 * FILES, err) break end
  if e.reasons[1] ~= want or e.filename ~= file or (lastUsn and e.usn ~= lastUsn + 1) then
    bad = ("entry %d: %s %s, expected %s %s"):format(k, table.concat(e.reasons, "|"), e.filename, want, file)
    break
  end
  lastUsn = e.usn
end
print("every change reported in order", bad or "yes")
print("nothing more", journal:waitForNextEntry(nil, nil, 100))
journal:close()
process.exec("rm", "-rf", dir)
