-- A journal reader for the fault tests in tests/journal.rs: `tinn journal/reader.lua DIR FILE
-- [print]`. Prints `ready` once the journal is open; with `print`, one line per entry
-- (`entry <usn> <reason bits> <path>`) and every error (`error <message>`). A CREATE of a file
-- named `marker-*` prints `marker <name>` (the test's handshake); `marker-stop` also closes the
-- journal, prints `stopped <nextUsn>` and ends.
local ChangeJournal = require("ChangeJournal")

local dir, file, mode = arg[1], arg[2], arg[3]
local journal = assert(ChangeJournal(dir, { journalFile = file }))
local verbose = mode == "print"
print("ready")
io.stdout:flush()

while true do
  local e, err = journal:waitForNextEntry(nil, nil, 200)
  if e then
    if verbose then print("entry", e.usn, e.reason, e.path) end
    if e.reason == ChangeJournal.CREATE and e.filename:match("^marker%-") then
      print("marker", e.filename)
      if e.filename == "marker-stop" then
        print("stopped", journal:getNextUsn())
        journal:close()
        return
      end
    end
    io.stdout:flush()
  elseif err ~= "timeout" then
    if verbose then print("error", err) io.stdout:flush() end
    sleep(50)
  end
end
