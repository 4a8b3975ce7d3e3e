-- Reasons, directories, masks, usn lookups, changes made while no journal was open, a deleted
-- watched directory, and timeouts.
local ChangeJournal = require("ChangeJournal")
local journalModule = require("tinn.journal")
local process = require("tinn.process")

local dir = os.tmpname()
os.remove(dir)
assert(process.exec("mkdir", "-p", dir) == 0)
local journalFile = dir .. ".journal"
local function sh(script) assert(process.exec("sh", "-c", "cd '" .. dir .. "' && " .. script) == 0, script) end
local function show(e, err)
  if not e then return print("no entry", err) end
  print(e.usn, table.concat(e.reasons, "|"), e.path:sub(#dir + 2), e.filename, e.isDirectory)
end

print("constants", journalModule.CREATE, ChangeJournal.DELETE, ChangeJournal.REASONS.OVERFLOW)
local j = assert(ChangeJournal(dir, { journalFile = journalFile }))
local info = j:getJournalInfo()
print("info", type(info.journalId), info.firstUsn, info.nextUsn, j:getNextUsn())
print("timeout", j:waitForNextEntry(nil, nil, 30))

sh("mkdir sub")
show(j:waitForNextEntry())
sh("echo hi > sub/a && chmod 600 sub/a && mv sub/a b && rm b")
for _ = 1, 7 do show(j:waitForNextEntry(nil, nil, 1000)) end

-- a mask picks reasons; a usn reads again from any point
show(j:waitForNextEntry(1, ChangeJournal.DELETE))
show(j:waitForNextEntry(3, ChangeJournal.RENAME_OLD + ChangeJournal.RENAME_NEW))
show(j:waitForNextEntry())
print("timestamps", math.abs(j:waitForNextEntry(1).timestamp - os.time()) < 60)
print("next usn", j:getNextUsn())
j:close()
print("after close", j:waitForNextEntry(nil, nil, 10))

-- changes made while no journal watched are found when it opens again
sh("echo new > offline && mkdir gone")
local j2 = assert(ChangeJournal(dir, { journalFile = journalFile }))
print("usns continue", j2:getJournalInfo().firstUsn, j2:getNextUsn())
show(j2:waitForNextEntry(9, nil, 1000))
show(j2:waitForNextEntry(nil, nil, 1000))
show(j2:waitForNextEntry(nil, nil, 30))

-- deleting the watched directory gives entries, then nothing; no crash
sh("rm -rf sub offline gone")
local seen = {}
while true do
  local e = j2:waitForNextEntry(nil, nil, 300)
  if not e then break end
  seen[#seen + 1] = table.concat(e.reasons, "|") .. " " .. e.path:sub(#dir + 2)
end
table.sort(seen)
print("deleted inside", table.concat(seen, ", "))
process.exec("rmdir", dir)
local e = j2:waitForNextEntry(nil, nil, 1000)
print("watched directory deleted", table.concat(e.reasons, "|"), e.path == dir, e.isDirectory)
print("then", j2:waitForNextEntry(nil, nil, 50))
j2:close()

local _, missing = ChangeJournal(dir)
print((missing:gsub(dir:gsub("%p", "%%%0"), "<dir>")))
print(pcall(ChangeJournal, 42))
print(pcall(j2.waitForNextEntry, j2, -1))
process.exec("rm", "-f", journalFile, journalFile .. ".tree")
