-- LISTEN/NOTIFY between two connections: NOTIFY on a channel becomes the named signal
-- "pg:" .. channel, the payload its value. Unlistening lets the program end.
local sql = require("tinn.sql")
local listener = assert(sql.open(os.getenv("PG_URL")))
local sender = assert(sql.open(os.getenv("PG_URL")))

assert(listener:listen("jobs"))
assert(listener:listen("Odd \"Channel\""))

local received = {}
local waiter = spawn(function()
  for _ = 1, 4 do received[#received + 1] = waitSignal("pg:jobs", 5000) end
end)
local odd = spawn(function() return waitSignal("pg:Odd \"Channel\"", 5000) end)
yield()
assert(sender:run("SELECT pg_notify('jobs', $1)", "first"))
-- two at once (one transaction): both reach the task that waits again after the first
assert(sender:exec("NOTIFY jobs, 'second'; NOTIFY jobs, 'third'"))
-- notifications sent inside a transaction arrive when it commits
sender:transaction(function(tx)
  assert(tx:run("SELECT pg_notify('jobs', $1)", "fourth (in a transaction)"))
end)
assert(sender:run("SELECT pg_notify($1, $2)", "Odd \"Channel\"", "quoted name"))
waiter:join()
print("jobs", table.concat(received, " | "))
print("odd", odd:join())

-- onSignal works too, and a waitSignal times out when nothing comes
local got = {}
onSignal(function(payload) got[#got + 1] = payload end, "pg:jobs")
assert(sender:run("SELECT pg_notify('jobs', 'via onSignal')"))
print("timeout", waitSignal("pg:nothing-here", 200))
waitFor(function() return #got == 1 end, 5000)
print("onSignal", got[1])

-- after unlisten, nothing arrives on that channel
assert(listener:unlisten("jobs"))
local late = spawn(function() return waitSignal("pg:jobs", 300) end)
assert(sender:run("SELECT pg_notify('jobs', 'after unlisten')"))
print("after unlisten", late:join())

assert(listener:unlisten("Odd \"Channel\""))
print(pcall(listener.listen, listener, ""))
sender:close()
print("done; no channel left, so the program ends")
