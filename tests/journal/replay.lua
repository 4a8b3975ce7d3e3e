-- Replays a journal file and compares the result with the tree on disk, for tests/journal.rs:
-- `tinn journal/replay.lua DIR FILE [UPTO [dump]]`. Opening the journal first records what
-- changed while no reader ran; UPTO (a usn) limits the replay to the entries before it.
-- Replay rule (docs/journal.md): CREATE and RENAME_NEW make a path exist, DELETE and RENAME_OLD
-- remove it and everything below it.
local ChangeJournal = require("ChangeJournal")
local process = require("tinn.process")

local dir, file, upto, mode = arg[1], arg[2], tonumber(arg[3]), arg[4]
local journal = assert(ChangeJournal(dir, { journalFile = file }))
repeat until not journal:waitForNextEntry(nil, nil, 300) -- let the open's rescan settle
local info = journal:getJournalInfo()
local root = info.path
upto = upto or info.nextUsn

-- the starting point: the tree when the journal was made (`<journalFile>.tree`, one
-- `isDir size mtime path` line per path after a header, `#end count` last)
local function unescape(s)
  return (s:gsub("\\(.)", { t = "\t", n = "\n", r = "\r", ["\\"] = "\\" }))
end
local exists = {}
for line in assert(io.open(file .. ".tree")):lines() do
  local path = line:match("^[01]\t%-?%d+\t%-?%d+\t(.*)$")
  if path then exists[unescape(path)] = true end
end

local B = ChangeJournal
local counts, entries, consecutive, last = {}, 0, true, nil
for usn = info.firstUsn, upto - 1 do
  local e = assert(journal:waitForNextEntry(usn, nil, 1000))
  if e.usn ~= usn then consecutive = false end
  entries = entries + 1
  for _, name in ipairs(e.reasons) do counts[name] = (counts[name] or 0) + 1 end
  if mode == "dump" then print("entry", e.usn, e.reason, e.path) end
  if bit.band(e.reason, B.DELETE + B.RENAME_OLD) ~= 0 then
    exists[e.path] = nil
    local prefix = e.path .. "/"
    for path in pairs(exists) do
      if path:sub(1, #prefix) == prefix then exists[path] = nil end
    end
  elseif bit.band(e.reason, B.CREATE + B.RENAME_NEW) ~= 0 then
    exists[e.path] = true
  end
  last = e.usn
end
journal:close()

local status, out = process.exec("find", root, "-mindepth", "1")
assert(status == 0, "find failed")
local onDisk, missing, extra = {}, {}, {}
for path in out:gmatch("[^\n]+") do
  onDisk[path] = true
  if not exists[path] then extra[#extra + 1] = path end
end
for path in pairs(exists) do
  if not onDisk[path] then missing[#missing + 1] = path end
end
table.sort(missing)
table.sort(extra)
print("entries", entries, "last", last)
print("usns consecutive", consecutive)
for _, name in ipairs({ "CREATE", "DELETE", "MODIFY", "RENAME_OLD", "RENAME_NEW", "OVERFLOW" }) do
  print("count", name, counts[name] or 0)
end
print("in replay but gone from disk", #missing, missing[1] or "")
print("on disk but not in replay", #extra, extra[1] or "")
