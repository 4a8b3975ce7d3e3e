-- A stream object is a plain table: a script that overwrites or drops its fields gets a Lua
-- error from the next call, never a crash. Reads and writes that finish at once go through
-- LuaJIT's FFI with the address of the stream's state; that address keeps what it points to
-- alive on its own, so dropping the `handle` field (and collecting it) leaves it valid.
local net = require("tinn.net")
local server = assert(net.tcp.listen("127.0.0.1", 0))
spawn(function()
  server:serve(function(c)
    while true do
      local line = c:read("l")
      if not line then return end
      c:write(line .. "\n")
    end
  end)
end)

local conn = assert(net.tcp.connect("127.0.0.1", server.port))
conn.handle = nil
collectgarbage()
collectgarbage()
print("write without its handle field", conn:write("hello\n"))
print("read without its handle field", conn:read("l"))

local other = assert(net.tcp.connect("127.0.0.1", server.port))
other.slot = nil
print("write without its address (the slower way)", other:write("x\n"))
other.slot = 5
local ok, err = pcall(other.write, other, "x\n")
print("write with a number for its address", ok, err:match("cannot convert 'number' to 'void %*'") or err)
other:close()
-- the first stream's socket closes once its table (and so its address) is collected: the
-- server's handler then reads end of stream and returns
conn = nil
collectgarbage()
collectgarbage()
server:close()
