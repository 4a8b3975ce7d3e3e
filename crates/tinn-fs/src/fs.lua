-- tinn.fs: files and directories, suspending only the calling task (DESIGN.md §4).
--
--   local fs = require("tinn.fs")
--   local dir = assert(fs.tempdir())
--   assert(fs.writeFile(dir .. "/a.txt", "one\ntwo\n", { atomic = true }))
--   for line in assert(fs.open(dir .. "/a.txt")):lines() do print(line) end
--   assert(fs.remove(dir, { recursive = true }))
--
-- Every call that can wait takes a timeout in milliseconds, either as its last argument or as
-- the `timeout` field of its options table (file methods: a trailing `timeoutMs`, defaulting to
-- the file's `timeout`), and returns nil, "timeout" when it expires. Failures return nil and a
-- message naming the operation, the path and the OS error; IO on a closed file returns
-- nil, "closed". Misuse (a wrong argument type) raises.

local native = ...
local reactor = require("tinn.reactor")

local await = reactor.await
local type, tostring, error, setmetatable, floor = type, tostring, error, setmetatable, math.floor
local format = string.format

-- Byte counts and offsets beyond 2^53 cannot be exact Lua numbers anyway.
local MAX_INTEGER = 2 ^ 53

local EMPTY = setmetatable({}, { __newindex = function() error("fs: options table is read-only", 2) end })

local check = require("tinn.check")
local argError, checkTimeout = check.argError, check.timeout

local function checkPath(path, n, fname)
  if type(path) ~= "string" then argError(n, fname, "string expected, got " .. type(path), 1) end
end

-- The last argument: nil, a timeout in ms, or an options table (with `timeout`).
local function options(opts, n, fname)
  if opts == nil then return EMPTY end
  if type(opts) == "number" then
    checkTimeout(opts, n, fname, 1)
    return { timeout = opts }
  end
  if type(opts) ~= "table" then
    argError(n, fname, "options table or timeout expected, got " .. type(opts), 1)
  end
  checkTimeout(opts.timeout, n, fname, 1)
  return opts
end

local function flag(opts, name, n, fname)
  local value = opts[name]
  if value ~= nil and type(value) ~= "boolean" then
    argError(n, fname, format("option '%s' must be a boolean, got %s", name, type(value)), 1)
  end
  return value == true
end

---------------------------------------------------------------------------------------------------
-- Files
---------------------------------------------------------------------------------------------------

local File = {}
File.__index = File

local READ_FORMATS = { l = "l", L = "L", a = "a", ["*l"] = "l", ["*L"] = "L", ["*a"] = "a" }

--- file:read([fmt [, timeoutMs]]) -> string | nil at end of file | nil, err
--- fmt as in Lua's io: "l" (default) a line without its end-of-line, "L" with it, "a" the rest
--- of the file ("" at the end), or a number n: n bytes (fewer at the end of the file).
function File:read(fmt, timeoutMs)
  checkTimeout(timeoutMs, 2, "file:read")
  local kind, count = "l", nil
  if type(fmt) == "number" then
    if fmt < 0 or fmt ~= floor(fmt) or fmt > MAX_INTEGER then
      argError(1, "file:read", "byte count must be a non-negative integer, got " .. tostring(fmt))
    end
    kind, count = "n", fmt
  elseif type(fmt) == "string" then
    kind = READ_FORMATS[fmt]
    if not kind then argError(1, "file:read", "format must be 'l', 'L', 'a' or a number, got '" .. fmt .. "'") end
  elseif fmt ~= nil then
    argError(1, "file:read", "format must be 'l', 'L', 'a' or a number, got " .. type(fmt))
  end
  return await(timeoutMs or self.timeout, self.handle:read(kind, count))
end

--- file:write(data [, timeoutMs]) -> file | nil, err
--- Small writes are buffered (64 KiB) and return at once; flush, seek, close write them out.
function File:write(data, timeoutMs)
  data = check.data(data, 1, "file:write")
  checkTimeout(timeoutMs, 2, "file:write")
  local ok, err = await(timeoutMs or self.timeout, self.handle:write(data))
  if not ok then return nil, err end
  return self
end

local WHENCE = { set = true, cur = true, ["end"] = true }

--- file:seek([whence [, offset [, timeoutMs]]]) -> position from the start | nil, err
--- whence "set", "cur" (default) or "end", as in Lua's io; file:seek() tells the position.
function File:seek(whence, offset, timeoutMs)
  whence = whence or "cur"
  if not WHENCE[whence] then
    argError(1, "file:seek", "whence must be 'set', 'cur' or 'end', got " .. tostring(whence))
  end
  offset = offset or 0
  if type(offset) ~= "number" or offset ~= floor(offset) or offset > MAX_INTEGER or offset < -MAX_INTEGER then
    argError(2, "file:seek", "offset must be an integer, got " .. tostring(offset))
  end
  checkTimeout(timeoutMs, 3, "file:seek")
  return await(timeoutMs or self.timeout, self.handle:seek(whence, offset))
end

--- for line in file:lines([timeoutMs]) do ... end
--- Lines without their end-of-line; ends at the end of the file (the file stays open);
--- raises if a read fails or times out.
function File:lines(timeoutMs)
  checkTimeout(timeoutMs, 1, "file:lines")
  local handle = self.handle
  return function()
    local line, err = await(timeoutMs or self.timeout, handle:read("l"))
    if line == nil and err ~= nil then error("file:lines: " .. err, 2) end
    return line
  end
end

--- file:flush([timeoutMs]) -> true | nil, err   (hands buffered writes to the OS)
function File:flush(timeoutMs)
  checkTimeout(timeoutMs, 1, "file:flush")
  return await(timeoutMs or self.timeout, self.handle:flush())
end

--- file:sync([timeoutMs]) -> true | nil, err   (flush, then wait until the data is on disk)
function File:sync(timeoutMs)
  checkTimeout(timeoutMs, 1, "file:sync")
  return await(timeoutMs or self.timeout, self.handle:sync())
end

--- file:close([timeoutMs]) -> true | nil, err
--- Writes what is buffered and closes; safe to repeat. Later IO returns nil, "closed".
function File:close(timeoutMs)
  checkTimeout(timeoutMs, 1, "file:close")
  return await(timeoutMs or self.timeout, self.handle:close())
end

function File:isClosed() return self.handle:isClosed() end

--- file:settimeout(ms | nil) sets the default timeout of this file's calls.
function File:settimeout(ms)
  checkTimeout(ms, 1, "file:settimeout")
  self.timeout = ms
end

function File:__tostring() return format("File(%s)", self.path) end

---------------------------------------------------------------------------------------------------
-- Functions
---------------------------------------------------------------------------------------------------

local fs = {}

--- fs.open(path [, mode [, opts | timeoutMs]]) -> file | nil, err
--- mode as in Lua's io.open: "r" (default), "w", "a", "r+", "w+", "a+", plus "x" after "w"
--- to fail if the file exists; "b" is accepted and ignored. `opts.timeout` bounds the open and
--- becomes the file's default timeout. Directories cannot be opened.
function fs.open(path, mode, opts)
  checkPath(path, 1, "fs.open")
  mode = mode or "r"
  if type(mode) ~= "string" then argError(2, "fs.open", "mode string expected, got " .. type(mode)) end
  local bare = mode:gsub("b", "")
  if not (bare:match("^[rwa]%+?$") or bare:match("^w%+?x$")) then
    argError(2, "fs.open", "invalid mode '" .. mode .. "'")
  end
  opts = options(opts, 3, "fs.open")
  local handle, err = await(opts.timeout, native.open(path, mode))
  if not handle then return nil, err end
  return setmetatable({ handle = handle, path = path, timeout = opts.timeout }, File)
end

--- fs.readFile(path [, opts | timeoutMs]) -> string | nil, err
function fs.readFile(path, opts)
  checkPath(path, 1, "fs.readFile")
  opts = options(opts, 2, "fs.readFile")
  return await(opts.timeout, native.readFile(path))
end

--- fs.writeFile(path, data [, opts | timeoutMs]) -> true | nil, err
--- Replaces the file's content (creating it). With `atomic = true` the data goes to a
--- temporary file beside it that is synced and renamed over `path` only when complete:
--- readers see the old content or the new, and a failure leaves the old file as it was.
function fs.writeFile(path, data, opts)
  checkPath(path, 1, "fs.writeFile")
  data = check.data(data, 2, "fs.writeFile")
  opts = options(opts, 3, "fs.writeFile")
  local atomic = flag(opts, "atomic", 3, "fs.writeFile")
  return await(opts.timeout, native.writeFile(path, data, atomic))
end

--- fs.stat(path [, opts | timeoutMs]) -> info | nil, err
--- info: {type = "file"|"directory"|"link"|"fifo"|"socket"|"char"|"block"|"other", size,
--- mode (permission bits), modified, accessed, created (seconds since the epoch), uid, gid}.
--- Symbolic links are followed.
function fs.stat(path, opts)
  checkPath(path, 1, "fs.stat")
  opts = options(opts, 2, "fs.stat")
  return await(opts.timeout, native.stat(path))
end

--- for name, type in fs.list(path [, opts | timeoutMs]) do ... end
--- The directory's entries sorted by name (without "." and ".."), or nil, err.
function fs.list(path, opts)
  checkPath(path, 1, "fs.list")
  opts = options(opts, 2, "fs.list")
  local names, kinds = await(opts.timeout, native.list(path))
  if not names then return nil, kinds end
  local i = 0
  return function()
    i = i + 1
    local name = names[i]
    if name ~= nil then return name, kinds[i] end
  end
end

--- fs.mkdir(path [, opts | timeoutMs]) -> true | nil, err
--- `recursive = true` creates missing parents and accepts a directory that already exists.
function fs.mkdir(path, opts)
  checkPath(path, 1, "fs.mkdir")
  opts = options(opts, 2, "fs.mkdir")
  return await(opts.timeout, native.mkdir(path, flag(opts, "recursive", 2, "fs.mkdir")))
end

--- fs.remove(path [, opts | timeoutMs]) -> true | nil, err
--- Removes a file, a link or an empty directory; `recursive = true` removes a directory and
--- everything in it (links are removed, not followed).
function fs.remove(path, opts)
  checkPath(path, 1, "fs.remove")
  opts = options(opts, 2, "fs.remove")
  return await(opts.timeout, native.remove(path, flag(opts, "recursive", 2, "fs.remove")))
end

--- fs.rename(from, to [, opts | timeoutMs]) -> true | nil, err   (replaces `to` if it is a file)
function fs.rename(from, to, opts)
  checkPath(from, 1, "fs.rename")
  checkPath(to, 2, "fs.rename")
  opts = options(opts, 3, "fs.rename")
  return await(opts.timeout, native.rename(from, to))
end

--- fs.tempdir([prefix [, opts | timeoutMs]]) -> path | nil, err
--- Creates a new private directory (mode 0700) `<system temp dir>/<prefix>-<random>`
--- (prefix "tinn" by default; TMPDIR is honoured) and returns its path. Remove it when done.
function fs.tempdir(prefix, opts)
  if prefix == nil then prefix = "tinn" end
  if type(prefix) ~= "string" then argError(1, "fs.tempdir", "string expected, got " .. type(prefix)) end
  if prefix:find("/", 1, true) then argError(1, "fs.tempdir", "prefix must not contain '/'") end
  opts = options(opts, 2, "fs.tempdir")
  return await(opts.timeout, native.tempdir(prefix))
end

return fs
