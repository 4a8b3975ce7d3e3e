-- 100,000 messages bounce between the parent and one worker; each is checked on both sides.
local worker = require("tinn.worker")

local N = 100000
local w = worker.spawn([[
  local worker = require("tinn.worker")
  local count = 0
  while true do
    local n = worker.receive()
    if n == nil then break end
    count = count + 1
    worker.post(n + 1)
  end
  return count
]])

local ok = 0
for i = 1, N do
  w:post(i)
  local reply = w:receive()
  if reply == i + 1 then ok = ok + 1 end
end
w:post(nil)
print("round trips", ok)
print("worker counted", w:join())
