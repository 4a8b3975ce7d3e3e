-- Shared by the net tests: how many descriptors this process has open, counted from
-- /proc/<pid>/fd by a child process (so the count itself opens nothing here).
local ffi = require("ffi")
pcall(ffi.cdef, "int getpid(void);")
return function()
  local listing = assert(io.popen("ls /proc/" .. ffi.C.getpid() .. "/fd | wc -l"))
  local count = tonumber(listing:read("*a"))
  listing:close()
  return count
end
