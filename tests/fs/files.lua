-- The file API: open modes, read formats, write, seek, lines, flush, close, and the directory
-- functions. Scratch files live in a fresh fs.tempdir() that is removed at the end.
local fs = require("tinn.fs")
local dir = assert(fs.tempdir("tinn-files"))
local function rel(s) return (tostring(s):gsub(dir:gsub("%p", "%%%0"), "DIR")) end

local path = dir .. "/notes.txt"
print("writeFile", fs.writeFile(path, "one\ntwo\r\nthree"))
print("readFile", (fs.readFile(path):gsub("\r", "\\r")))

local f = assert(fs.open(path))
print("tostring", rel(f))
print("formats", f:read(), (f:read("L"):gsub("[\r\n]", { ["\r"] = "\\r", ["\n"] = "\\n" })), f:read("*l"))
print("at end", f:read(), f:read("a") == "", f:read(3), f:read(0))
print("seek set", f:seek("set", 4), f:read(3), f:seek())
print("seek end", f:seek("end", -5), f:read("a"))
print("seek cur", f:seek("set"), f:read(1), f:seek("cur", 3), f:read(1))
print("read 0 before the end", f:read(0) == "")
print("close", f:close(), f:close(), f:isClosed())
print("closed read", f:read())
print("closed write", f:write("x"))
print("closed seek", f:seek())
print("closed flush", f:flush())

-- "w" truncates, "a" appends, "r+" reads and writes in place, "w+" starts empty and reads back
f = assert(fs.open(path, "w"))
assert(f:write("alpha\n"):write(42):write("\n"))
print("write flush", f:flush(), f:seek())
assert(f:close())
f = assert(fs.open(path, "a"))
assert(f:write("appended\n"))
assert(f:close())
print("after append", (fs.readFile(path):gsub("\n", "|")))
f = assert(fs.open(path, "r+"))
print("r+ read", f:read())
assert(f:write("XY"))       -- lands right after the line just read, not after the read-ahead
print("r+ read on", "[" .. f:read() .. "]", f:read())
assert(f:close())
print("after r+", (fs.readFile(path):gsub("\n", "|")))
f = assert(fs.open(path, "w+"))
print("w+ empty", f:read("a") == "")
assert(f:write("fresh\n"))
print("w+ seek back", f:seek("set"), f:read("L") == "fresh\n")
print("sync", f:sync())
assert(f:close())

-- "wx" creates, and refuses a file that exists
local fresh = dir .. "/fresh.txt"
f = assert(fs.open(fresh, "wx"))
assert(f:close())
print("wx on existing", rel(select(2, fs.open(fresh, "wx"))))

-- lines() stops at the end; the file stays open
assert(fs.writeFile(path, "a\nb\n\nc"))
f = assert(fs.open(path))
local seen = {}
for line in f:lines() do seen[#seen + 1] = "[" .. line .. "]" end
print("lines", table.concat(seen, " "), f:isClosed())
assert(f:close())

-- stat
local info = assert(fs.stat(path))
print("stat file", info.type, info.size, type(info.modified), info.modified > 1.5e9, type(info.mode))
print("stat dir", fs.stat(dir).type, string.format("%o", fs.stat(dir).mode))

-- mkdir, list (sorted, with types), rename, remove
print("mkdir", fs.mkdir(dir .. "/sub"))
print("mkdir recursive", fs.mkdir(dir .. "/deep/er/est", { recursive = true }))
print("mkdir recursive again", fs.mkdir(dir .. "/deep/er/est", { recursive = true }))
assert(os.execute("ln -s notes.txt " .. dir .. "/link && mkfifo " .. dir .. "/pipe"))
for name, kind in assert(fs.list(dir)) do print("list", name, kind) end
print("stat follows links", fs.stat(dir .. "/link").type)
print("rename", fs.rename(fresh, dir .. "/sub/moved.txt"))
for name, kind in fs.list(dir .. "/sub") do print("list sub", name, kind) end
print("remove file", fs.remove(dir .. "/sub/moved.txt"))
print("remove empty dir", fs.remove(dir .. "/sub"))
print("remove link", fs.remove(dir .. "/link"), fs.stat(path) ~= nil)
print("remove tree", fs.remove(dir, { recursive = true }))
print("gone", fs.stat(dir) == nil)
