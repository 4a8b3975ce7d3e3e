-- tinn.journal: a change journal of a directory tree (DESIGN.md §4, docs/journal.md).
--
--   local ChangeJournal = require("ChangeJournal")
--   local journal = assert(ChangeJournal("/srv/data"))
--   spawn(function()
--     while true do
--       local e = journal:waitForNextEntry()
--       print(e.usn, table.concat(e.reasons, "|"), e.path)
--     end
--   end)
--
-- waitForNextEntry suspends only its task. Entries are numbered by a usn that only grows and
-- are kept in a journal file, so a reader can resume after the last usn it processed.

local native = ...
local reactor = require("tinn.reactor")
local check = require("tinn.check")

local await = reactor.await
local argError, checkTimeout = check.argError, check.timeout
local type, tostring, setmetatable, floor = type, tostring, setmetatable, math.floor

local REASONS = native.reasons
local ALL = 0
for _, bit in pairs(REASONS) do ALL = ALL + bit end

local Journal = {}
Journal.__index = Journal

--- journal:waitForNextEntry([usn [, reasonMask [, timeoutMs]]]) -> entry | nil, err
--- Without usn: the entry after the last one this object returned (at first, the next change).
--- With usn: the first entry whose usn is >= usn. reasonMask (bits of REASONS) skips the rest.
function Journal:waitForNextEntry(usn, reasonMask, timeoutMs)
  if usn ~= nil and (type(usn) ~= "number" or usn < 0 or usn ~= floor(usn)) then
    argError(1, "journal:waitForNextEntry", "usn must be a non-negative integer, got " .. tostring(usn))
  end
  if reasonMask ~= nil and (type(reasonMask) ~= "number" or reasonMask <= 0 or reasonMask ~= floor(reasonMask)) then
    argError(2, "journal:waitForNextEntry", "reason mask must be a positive integer, got " .. tostring(reasonMask))
  end
  checkTimeout(timeoutMs, 3, "journal:waitForNextEntry")
  if self.closed then return nil, "closed" end
  local entry, err = await(timeoutMs, self.handle:wait(usn or self.cursor, reasonMask or ALL))
  if entry then self.cursor = entry.usn + 1 end
  return entry, err
end

--- journal:sync() -> true | nil, err
--- Waits until every entry handed out so far is on the disk itself (fdatasync), not only
--- written to the file; suspends only the calling task.
function Journal:sync()
  if self.closed then return nil, "closed" end
  return await(nil, self.handle:sync())
end

--- journal:getNextUsn() -> the usn the next change will get
function Journal:getNextUsn() return self.handle:nextUsn() end

--- journal:getJournalInfo() -> {journalId, firstUsn, nextUsn, path, journalFile}
function Journal:getJournalInfo() return self.handle:info() end

--- journal:close() stops watching (the journal file stays). Safe to repeat.
function Journal:close()
  if not self.closed then
    self.closed = true
    self.handle:close()
  end
end

-- For tests: record an OVERFLOW and rescan, as after a kernel queue overflow.
function Journal:simulateOverflow() self.handle:simulateOverflow() end

function Journal:__tostring() return "ChangeJournal(" .. self.path .. ")" end

--- ChangeJournal(path [, {journalFile}]) -> journal | nil, err
local function open(path, opts)
  if type(path) ~= "string" then argError(1, "ChangeJournal", "path string expected, got " .. type(path)) end
  if opts ~= nil and type(opts) ~= "table" then argError(2, "ChangeJournal", "options table expected, got " .. type(opts)) end
  local journalFile = opts and opts.journalFile
  if journalFile ~= nil and type(journalFile) ~= "string" then
    argError(2, "ChangeJournal", "journalFile must be a string, got " .. type(journalFile))
  end
  local handle, err = native.open(path, journalFile)
  if not handle then return nil, err end
  local journal = setmetatable({ handle = handle, path = path }, Journal)
  journal.cursor = handle:nextUsn()
  return journal
end

local module = { ChangeJournal = open, open = open, REASONS = REASONS }
for name, bit in pairs(REASONS) do module[name] = bit end
return setmetatable(module, { __call = function(_, ...) return open(...) end })
