---@meta
-- Type definitions for tinn.journal / ChangeJournal (docs/journal.md).

---@class JournalEntry
---@field usn integer grows by one per entry, never reused
---@field path string absolute
---@field filename string last component of path
---@field reason integer the reason bits
---@field reasons string[] their names: CREATE, MODIFY, CLOSE_WRITE, DELETE, RENAME_OLD, RENAME_NEW, ATTRIB, OVERFLOW
---@field isDirectory boolean
---@field timestamp number seconds since the epoch

---@class JournalInfo
---@field journalId string
---@field firstUsn integer
---@field nextUsn integer
---@field path string
---@field journalFile string
---@field pending integer entries noticed but not yet written (the disk is full)

---@class ChangeJournal
local Journal = {}

---Waits for the next entry (after this object's last one, or the first with usn >= `usn`).
---Errors: raises on a bad usn, mask or timeout.
---@async
---@param usn? integer
---@param reasonMask? integer sum of reason bits
---@param timeoutMs? number
---@return JournalEntry|nil entry
---@return string|nil err "timeout", "closed", or why the journal cannot answer
function Journal:waitForNextEntry(usn, reasonMask, timeoutMs) end

---The usn after the last entry written to the journal file.
---@return integer
function Journal:getNextUsn() end

---Waits until every entry handed out so far is on the disk itself (fdatasync).
---@async
---@return true|nil ok
---@return string|nil err "closed" or the sync's failure
function Journal:sync() end

---@return JournalInfo
function Journal:getJournalInfo() end

---Records what is still queued, writes and syncs it, stops watching. Safe to repeat.
function Journal:close() end

---Records an OVERFLOW and rescans the tree, as after a kernel queue overflow (for tests).
function Journal:simulateOverflow() end

---@class ChangeJournalModule
---@overload fun(path: string, opts?: {journalFile?: string}): ChangeJournal|nil, string|nil
---@field CREATE integer 0x01
---@field MODIFY integer 0x02
---@field CLOSE_WRITE integer 0x04
---@field DELETE integer 0x08
---@field RENAME_OLD integer 0x10
---@field RENAME_NEW integer 0x20
---@field ATTRIB integer 0x40
---@field OVERFLOW integer 0x80
---@field REASONS table<string, integer>
local module = {}

---Watches `path`. Errors: raises if path is not a string; returns nil, err if it cannot watch.
---@param path string
---@param opts? {journalFile?: string}
---@return ChangeJournal|nil
---@return string|nil err
function module.open(path, opts) end

module.ChangeJournal = module.open

return module
