-- http-multicore.lua: hello world on every core. Each worker runs its own HTTP server on the
-- same port (SO_REUSEPORT), and the kernel spreads new connections over their sockets.
-- The `x-worker` header names the worker that answered.
--
--   tinn examples/workers/http-multicore.lua [port] [workers]   (port 0: any free port)
--   curl -i -H 'Connection: close' http://127.0.0.1:8080/ http://127.0.0.1:8080/
local worker = require("tinn.worker")

local port = tonumber(arg[1]) or 8080
local count = tonumber(arg[2]) or worker.cpus()
assert(count >= 1, "at least one worker")

-- The worker: serve on `port` (its args) with reuseport, then post back the port it listens on.
local SERVER = [[
  local worker, http = require("tinn.worker"), require("tinn.http")
  local id = tostring(worker.id)
  local server = assert(http.serve{ host = "127.0.0.1", port = ..., reuseport = true, handler = function(req, res)
    res:header("content-type", "text/plain"):header("x-worker", id):send("Hello, World!\n")
  end })
  worker.post(server.port)
  -- the server keeps the worker running until the program ends
]]

--- Waits until worker `w` listens and returns its port; raises the worker's error if it failed.
local function listening(w)
  local bound = w:receive()
  if not bound then error(w.name .. " failed: " .. tostring(select(2, w:join())), 0) end
  return bound
end

-- The first worker binds (picking the port when it is 0); the others join it on that port.
local workers = { worker.spawn(SERVER, { args = port, name = "http 1" }) }
port = listening(workers[1])
for i = 2, count do workers[i] = worker.spawn(SERVER, { args = port, name = "http " .. i }) end
for i = 2, count do listening(workers[i]) end

print("listening on http://127.0.0.1:" .. port)
print("workers: " .. count)
-- The running workers keep the program alive. Ctrl-C (SIGINT, which no task waits for) ends it:
-- tinn cancels the program's tasks, sends QUIT to every worker and exits with status 130.
