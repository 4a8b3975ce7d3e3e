-- writeFile{atomic = true} replaces a file only once the new content is complete. To make the
-- write fail half-way, the file size limit (RLIMIT_FSIZE) is lowered: it binds root too, and
-- with SIGXFSZ ignored the write fails with EFBIG instead of killing the process.
local fs = require("tinn.fs")
local ffi = require("ffi")
ffi.cdef [[
typedef struct { unsigned long cur, max; } tinn_test_rlimit;
int getrlimit(int resource, tinn_test_rlimit *limit);
int setrlimit(int resource, const tinn_test_rlimit *limit);
typedef void (*tinn_test_handler)(int);
tinn_test_handler signal(int sig, tinn_test_handler handler);
]]
local RLIMIT_FSIZE, SIGXFSZ = 1, 25 -- Linux
local SIG_IGN = ffi.cast("tinn_test_handler", 1)

local dir = assert(fs.tempdir("tinn-atomic"))
local function show(label, value, err)
  print(label, tostring(value), (tostring(err):gsub(dir:gsub("%p", "%%%0"), "DIR")))
end
local function entries()
  local names = {}
  for name in assert(fs.list(dir)) do names[#names + 1] = name end
  return table.concat(names, " ")
end

local path = dir .. "/config.txt"
assert(fs.writeFile(path, "old content\n"))
assert(os.execute("chmod 640 " .. path))
local big = string.rep("new content\n", 20000) -- 240,000 bytes

local saved = ffi.new("tinn_test_rlimit")
assert(ffi.C.getrlimit(RLIMIT_FSIZE, saved) == 0)
ffi.C.signal(SIGXFSZ, SIG_IGN)
assert(ffi.C.setrlimit(RLIMIT_FSIZE, ffi.new("tinn_test_rlimit", 65536, saved.max)) == 0)

show("atomic write over the limit", fs.writeFile(path, big, { atomic = true }))
print("old content kept", fs.readFile(path) == "old content\n")
print("temporary file removed", entries())
show("plain write over the limit", fs.writeFile(path, big))
print("plain write left a torn file", fs.stat(path).size)

assert(ffi.C.setrlimit(RLIMIT_FSIZE, saved) == 0)
assert(fs.writeFile(path, "old content\n", { atomic = true }))
print("atomic write within the limit", fs.writeFile(path, big, { atomic = true }), fs.readFile(path) == big)
print("permissions kept", string.format("%o", fs.stat(path).mode), entries())
print("cleanup", fs.remove(dir, { recursive = true }))
