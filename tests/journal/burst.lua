-- 100,000 file operations in a burst from another process: every one reported, in order,
-- with usn growing by one; then the reader "restarts" in the middle (closes, and a new journal
-- opens the same journal file) and resumes by usn with nothing missed or duplicated.
local ChangeJournal = require("ChangeJournal")
local process = require("tinn.process")
local floor = math.floor

local ITERATIONS = 25000 -- 4 operations each (create, write, rename, delete): 100,000
local dir = os.tmpname()
os.remove(dir)
assert(process.exec("mkdir", "-p", dir) == 0)
local journalFile = dir .. ".journal"
local journal = assert(ChangeJournal(dir, { journalFile = journalFile }))
local first = journal:getNextUsn()

-- the burst runs in a second tinn process (/proc/self/exe), which does not wait for us
local writerScript = arg[0]:gsub("[^/]*$", "") .. "burst_writer.lua"
local writer = assert(process.spawn{ cmd = "/proc/self/exe", args = { writerScript, dir, tostring(ITERATIONS) } })

local EXPECT = { "CREATE", "MODIFY", "CLOSE_WRITE", "RENAME_OLD", "RENAME_NEW", "DELETE" }
local TOTAL = ITERATIONS * #EXPECT
local counts, bad, lastUsn = {}, nil, first - 1
local function check(e, k)
  local i = k - 1
  local iteration = floor(i / #EXPECT) + 1
  local want = EXPECT[i % #EXPECT + 1]
  local name = (want == "RENAME_NEW" or want == "DELETE") and ("g" .. iteration) or ("f" .. iteration)
  counts[want] = (counts[want] or 0) + 1
  if not bad and (e.usn ~= lastUsn + 1 or e.reasons[1] ~= want or #e.reasons ~= 1 or e.filename ~= name) then
    bad = ("entry %d: usn %d (after %d) %s %s, expected %s %s"):format(
      k, e.usn, lastUsn, table.concat(e.reasons, "|"), e.filename, want, name)
  end
  lastUsn = e.usn
end

-- first half through the first reader
local k = 0
while k < TOTAL / 2 do
  local e, err = journal:waitForNextEntry(nil, nil, 10000)
  assert(e, err)
  k = k + 1
  check(e, k)
end
local resumeAt = lastUsn + 1
print("writer exit", writer:wait())
-- close records what the kernel still queued; the reader forgets its place
journal:close()

-- the restarted reader opens the same journal file and asks for what follows its last usn
local again = assert(ChangeJournal(dir, { journalFile = journalFile }))
print("resumed journal keeps its id and usns", again:getJournalInfo().firstUsn == first)
while k < TOTAL do
  local e, err = again:waitForNextEntry(k == TOTAL / 2 and resumeAt or nil, nil, 10000)
  assert(e, err)
  k = k + 1
  check(e, k)
end
print("entries in order with growing usn", bad or "yes")
for _, reason in ipairs(EXPECT) do print(reason, counts[reason] == ITERATIONS) end
print("nothing more", again:waitForNextEntry(nil, nil, 100))
again:close()
process.exec("rm", "-rf", dir, journalFile)
