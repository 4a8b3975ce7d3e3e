-- Copy a file in chunks, printing progress. Each read and write suspends only this task, so a
-- server or a timer in the same program keeps running while the disk works.
--
--   tinn examples/copy_file.lua SOURCE DEST
--
-- With no arguments it makes a 5 MiB demo file in a fresh temporary directory, copies it,
-- checks the copy and removes the directory.
local fs = require("tinn.fs")

local CHUNK = 1024 * 1024

-- copy(from, to, onProgress) -> bytes copied | nil, err
local function copy(from, to, onProgress)
  local info, err = fs.stat(from)
  if not info then return nil, err end
  local input, output
  input, err = fs.open(from, "r")
  if not input then return nil, err end
  output, err = fs.open(to, "w")
  if not output then
    input:close()
    return nil, err
  end
  local done, ok = 0
  while true do
    local chunk
    chunk, err = input:read(CHUNK)
    if chunk == nil then break end -- end of file (err is nil) or a read error
    ok, err = output:write(chunk)
    if not ok then break end
    done = done + #chunk
    onProgress(done, info.size)
  end
  input:close()
  local closed, closeErr = output:close() -- writes what is still buffered
  if err then return nil, err end
  if not closed then return nil, closeErr end
  return done
end

local function progress(done, total)
  local percent = total > 0 and math.floor(done * 100 / total) or 100
  local bar = string.rep("#", math.floor(percent / 5)) .. string.rep(".", 20 - math.floor(percent / 5))
  print(string.format("[%s] %3d%%  %d / %d bytes", bar, percent, done, total))
end

local source, dest, demoDir = arg[1], arg[2], nil
if not source then
  demoDir = assert(fs.tempdir("tinn-copy"))
  source, dest = demoDir .. "/source.bin", demoDir .. "/copy.bin"
  assert(fs.writeFile(source, string.rep("tinn copies without blocking!!!\n", 5 * 1024 * 1024 / 32)))
elseif not dest then
  io.stderr:write("usage: tinn examples/copy_file.lua SOURCE DEST\n")
  stop(2)
  return
end

local copied, err = copy(source, dest, progress)
if not copied then
  io.stderr:write("copy failed: ", err, "\n")
  stop(1)
  return
end
print(string.format("copied %d bytes", copied))

if demoDir then
  print("same content", fs.readFile(source) == fs.readFile(dest))
  assert(fs.remove(demoDir, { recursive = true }))
end
