-- Failures come back as nil and a message naming the operation, the path and the OS error;
-- misuse raises an error naming the function. Nothing here may crash the runtime.
local fs = require("tinn.fs")
local dir = assert(fs.tempdir("tinn-errors"))
local function show(label, value, err)
  print(label, tostring(value), (tostring(err):gsub(dir:gsub("%p", "%%%0"), "DIR")))
end

-- missing paths (the first is relative: scripts run in tests/)
show("open", fs.open("missing.txt"))
show("open for append in a missing dir", fs.open(dir .. "/no/such/file", "a"))
show("readFile", fs.readFile(dir .. "/missing.txt"))
show("writeFile", fs.writeFile(dir .. "/no/such/file", "x"))
show("writeFile atomic", fs.writeFile(dir .. "/no/such/file", "x", { atomic = true }))
show("stat", fs.stat(dir .. "/missing"))
show("list", fs.list(dir .. "/missing"))
show("mkdir", fs.mkdir(dir .. "/a/b"))
show("remove", fs.remove(dir .. "/missing"))
show("rename", fs.rename(dir .. "/missing", dir .. "/other"))

-- wrong kind of thing
assert(fs.writeFile(dir .. "/file", "content"))
assert(fs.mkdir(dir .. "/sub"))
assert(fs.writeFile(dir .. "/sub/inner", "x"))
show("open a directory", fs.open(dir))
show("open a directory to write", fs.open(dir, "w"))
show("readFile a directory", fs.readFile(dir))
show("list a file", fs.list(dir .. "/file"))
show("mkdir over a file", fs.mkdir(dir .. "/file"))
show("mkdir existing", fs.mkdir(dir .. "/sub"))
show("mkdir recursive over a file", fs.mkdir(dir .. "/file/x", { recursive = true }))
show("remove a non-empty dir", fs.remove(dir .. "/sub"))
show("rename a dir into itself", fs.rename(dir .. "/sub", dir .. "/sub/deeper"))

-- permission denied, also for root (CI runs as root, where chmod 000 denies nothing):
-- files under /proc/sys are checked against their own mode bits for every user, root
-- included. kernel/ostype is read-only (0444), vm/drop_caches write-only (0200).
show("open read-only for writing", fs.open("/proc/sys/kernel/ostype", "r+"))
show("open read-only for appending", fs.open("/proc/sys/kernel/ostype", "a"))
show("readFile write-only", fs.readFile("/proc/sys/vm/drop_caches"))
-- and chmod 000, where it applies (not root): checked, printing nothing either way
local uid = io.popen("id -u"):read("*l")
if uid ~= "0" then
  assert(os.execute("chmod 000 " .. dir .. "/file"))
  local value, err = fs.readFile(dir .. "/file")
  assert(value == nil and err:find("Permission denied (os error 13)", 1, true), "chmod 000 denies: " .. tostring(err))
  assert(os.execute("chmod 600 " .. dir .. "/file"))
end

-- a file used the wrong way
local r = assert(fs.open(dir .. "/file", "r"))
show("write on a read-only file", r:write("x"))
show("flush after the refused write", r:flush())
assert(r:close())
local a = assert(fs.open(dir .. "/file", "a"))
show("read on an append-only file", a:read())
assert(a:close())
local w = assert(fs.open(dir .. "/file", "w"))
show("seek before the start", w:seek("set", -1))
show("seek cur before the start", w:seek("cur", -10))
assert(w:close())
show("closed file", w:read("a"))
print("lines on a closed file", pcall(function() for _ in w:lines() do end end))

-- misuse raises, blamed on the caller's line
local function try(fn)
  local ok, err = pcall(fn)
  print(ok, err)
end
try(function() fs.open(nil) end)
try(function() fs.open(dir, 7) end)
try(function() fs.open(dir, "rw") end)
try(function() fs.open(dir, "r", -1) end)
try(function() fs.open(dir, "r", "soon") end)
try(function() fs.readFile({}) end)
try(function() fs.writeFile(dir .. "/x", nil) end)
try(function() fs.writeFile(dir .. "/x", "data", { atomic = "yes" }) end)
try(function() fs.mkdir(dir, { recursive = 1 }) end)
try(function() fs.rename(dir) end)
try(function() fs.tempdir("a/b") end)
try(function() fs.stat(dir, { timeout = -5 }) end)
local f = assert(fs.open(dir .. "/file"))
try(function() f:read("x") end)
try(function() f:read(-1) end)
try(function() f:read(1.5) end)
try(function() f:read({}) end)
try(function() f:read("l", -1) end)
try(function() f:write(nil) end)
try(function() f:write({}) end)
try(function() f:seek("middle") end)
try(function() f:seek("set", 0.5) end)
try(function() f:lines("fast") end)
try(function() f:settimeout(-1) end)
assert(f:close())

print("cleanup", fs.remove(dir, { recursive = true }))
