-- Issue 15.4: an onError handler takes the error of a worker nobody joins; a worker being
-- joined hands its error to the join instead.
local worker = require("tinn.worker")
onError(function(err, task) print("onError got", (err:match("^[^\n]*")), task) end)
local w = worker.spawn('error("boom", 0)')
waitFor(function() return w:status() == "failed" end)
yield()
print("still running")
local joined = worker.spawn('sleep(20) error("joined", 0)')
onError(function(err) print("must not be called", err) end)
print("join", (joined:join()), (select(2, joined:join()):match("^[^\n]*")))
