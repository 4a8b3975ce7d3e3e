-- http.static: a symbolic link leading out of the folder is refused unless followSymlinks.
local http, fs, process = require("tinn.http"), require("tinn.fs"), require("tinn.process")
local dir = assert(fs.tempdir())
assert(fs.mkdir(dir .. "/site"))
assert(fs.writeFile(dir .. "/outside.txt", "outside\n"))
assert(process.exec("ln", "-s", dir .. "/outside.txt", dir .. "/site/link.txt") == 0)
for _, follow in ipairs{ false, true } do
  local server = assert(http.serve{ port = 0, handler = http.static(dir .. "/site", { followSymlinks = follow }) })
  local r = assert(http.get(("http://127.0.0.1:%d/link.txt"):format(server.port)))
  print("followSymlinks", follow, r.status, r.body)
  server:close()
end
local ok, err = pcall(http.static, dir .. "/nope")
local dirPattern = dir:gsub("%p", "%%%0")
print("missing folder", ok, (err:gsub(dirPattern, "DIR")))
print("bad option", pcall(http.static, dir, { index = 3 }))
assert(fs.remove(dir, { recursive = true }))
