-- LuaJIT's own modules are there, with the JIT on.
local ffi, bit = require("ffi"), require("bit")
ffi.cdef("int abs(int x);")
print(ffi.C.abs(-7), bit.band(0xff, 0x0f), bit.tohex(255, 2), (jit.status()))
local buf = ffi.new("uint8_t[4]", 1, 2, 3, 4)
print(buf[0] + buf[3], ffi.sizeof(buf))
