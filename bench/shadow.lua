-- tinn shadow throughput (DESIGN §6: file operations → rows in the store >= 50k/s on SQLite,
-- >= 20k/s on PostgreSQL, none lost). A burst of file operations from another process (files
-- made, then removed: one row each) is watched by a `tinn shadow` process shipping to STORE;
-- inotifywait (inotify-tools), when installed, counts the same burst's events as the peer, and
-- a WebSocket client counts the page's pushes under that load.
--   tinn bench/shadow.lua STORE_URL [operations]
-- The watched tree is on tmpfs (/dev/shm) when there is one; shadow's journal and an SQLite store
-- stay on disk. On ext4 the writer, not shadow, set the pace: after a few bursts of 50k files made
-- and removed, perf showed most of the writer's time in ext4's inode allocator skipping recently
-- deleted inodes (recently_deleted), at 3-15k operations/s from run to run.
local process = require("tinn.process")
local sql = require("tinn.sql")
local http = require("tinn.http")
local json = require("tinn.json")
local fs = require("tinn.fs")

local url = assert(arg[1], "usage: tinn bench/shadow.lua STORE_URL [operations]")
local OPS = tonumber(arg[2]) or 100000
local FILES = math.floor(OPS / 2)
local host = "bench-" .. math.floor(tinn.now())
local q = url:match("^postgres") and function(s) return (s:gsub("%?", "$1")) end or function(s) return s end

local dir = assert(fs.tempdir("tinn-shadow-bench"))
local tree = dir .. "/tree"
if fs.stat("/dev/shm") then tree = "/dev/shm/" .. dir:match("[^/]+$") end
assert(fs.mkdir(tree))

local shadow = assert(process.spawn{ cmd = "/proc/self/exe",
  args = { "shadow", tree, "--store", url, "--listen", "127.0.0.1:0", "--host", host },
  env = { XDG_STATE_HOME = dir .. "/state" }, stdout = "pipe" })
local page
for line in shadow.stdout:lines(10000) do
  page = line:match("^shadow: page at (%S+)")
  if page then break end
end
assert(page, "tinn shadow did not start")
spawn(function() pcall(function() for _ in shadow.stdout:lines() do end end) end)

-- the page's pushes while the burst is shipped
local pushes, pushedEvents = 0, 0
local ws = assert(http.websocket(page:gsub("^http", "ws") .. "ws", { timeout = 5000 }))
local watcher = spawn(function()
  while true do
    local text = ws:receive()
    if not text then return end
    local message = json.decode(text)
    if message.type == "update" then
      pushes = pushes + 1
      pushedEvents = pushedEvents + #message.events + (message.skipped or 0)
    end
  end
end)

-- inotifywait counting the same burst, if installed
local inotify = process.spawn{ cmd = "inotifywait", args = { "-m", "-r", "-q", "-e", "create,delete", tree },
  stdout = "pipe", stderr = "null" }
local inotifyEvents, inotifyDone = 0, nil
if inotify then
  spawn(function()
    pcall(function()
      for _ in inotify.stdout:lines() do
        inotifyEvents = inotifyEvents + 1
        if inotifyEvents == OPS then inotifyDone = tinn.now() end
      end
    end)
  end)
end
sleep(300) -- let inotifywait set its watches up

local started = tinn.now()
local writer = assert(process.spawn{ cmd = "/proc/self/exe", args = { "-e", ([[
  local dir, n = %q, %d
  for i = 1, n do assert(io.open(dir .. "/f" .. i, "w")):close() end
  for i = 1, n do assert(os.remove(dir .. "/f" .. i)) end
]]):format(tree, FILES) } })

-- The shadow's CPU time so far (utime + stime, s): what it costs per row, whoever shares the cores.
local function shadowCpu()
  local file = io.open("/proc/" .. shadow.pid .. "/stat")
  if not file then return 0 end
  local stat = file:read("*a")
  file:close()
  local utime, stime = stat:match("^%d+ %b() %S+" .. (" %S+"):rep(10) .. " (%d+) (%d+)")
  return (tonumber(utime) + tonumber(stime)) / 100
end

local db = assert(sql.open(url))
local rows, writerDone, rowsAtWriterDone = 0, nil, nil
local cpuBefore = shadowCpu()
spawn(function() writer:wait() writerDone = tinn.now() end)
while tinn.now() - started < 120000 do
  local row = db:first(q("SELECT count(*) AS n FROM shadow_events WHERE host = ?"), host)
  rows = row and tonumber(row.n) or rows
  if writerDone and not rowsAtWriterDone then rowsAtWriterDone = rows end
  if rows >= OPS then break end
  sleep(writerDone and 20 or 200) -- count(*) scans the rows: seldom while the writer runs
end
local finished = tinn.now()
local took = (finished - started) / 1000
local writerTook = ((writerDone or finished) - started) / 1000
local cpu = shadowCpu() - cpuBefore
sleep(300) -- the last pushes

print(("file operations: %d in %.2f s (%.0f/s, the writer's own pace)"):format(OPS, writerTook, OPS / writerTook))
print(("shadow → %s: %d rows, %d lost, %.0f rows/s end to end"):format(url:match("^(%a+)"), rows, OPS - rows, rows / took))
local overflows = db:first(q("SELECT count(*) AS n FROM shadow_events WHERE host = ? AND kind = 'OVERFLOW'"), host)
if overflows and tonumber(overflows.n) > 0 then
  print(("the journal fell behind the kernel's queue %d times: a rescan stands for the changes it lost"):format(tonumber(overflows.n)))
end
-- Which pace the end-to-end figure is: once the writer is done, the rows still to store show
-- how fast shadow itself goes (a lag of about one batch, BATCH_MS, means it kept up).
local behind = OPS - (rowsAtWriterDone or rows)
local catchUp = took - writerTook
if behind > 0 and catchUp > 0.25 then
  print(("limit: shadow — %d rows behind when the writer finished, stored in %.2f s more (%.0f rows/s, shadow's own pace)")
    :format(behind, catchUp, (rows - (rowsAtWriterDone or rows)) / catchUp))
else
  print(("limit: the writer — shadow kept up (%d rows behind when it finished, %.2f s to store them)"):format(behind, catchUp))
end
print(("shadow CPU: %.1f µs per row (utime + stime, %.2f s)"):format(cpu * 1e6 / math.max(rows, 1), cpu))
if inotify then
  local t = ((inotifyDone or tinn.now()) - started) / 1000
  print(("inotifywait: %d of %d events, %.0f events/s"):format(inotifyEvents, OPS, inotifyEvents / t))
  inotify:kill()
else
  print("inotifywait is not installed (apt install inotify-tools): peer skipped")
end
print(("page: %d pushes in %.1f s (%.1f/s) carrying %d events"):format(pushes, took, pushes / took, pushedEvents))

ws:close()
watcher:cancel()
shadow:kill()
shadow:wait(5000)
db:run(q("DELETE FROM shadow_events WHERE host = ?"), host)
db:close()
process.exec("rm", "-rf", dir, tree)
