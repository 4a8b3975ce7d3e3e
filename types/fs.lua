---@meta
-- Type definitions for tinn.fs (docs/fs.md).
--
-- Every call marked @async suspends only the calling task. Its last argument is a timeout in
-- milliseconds, or (for module functions) an options table whose `timeout` field is one;
-- expiry returns nil, "timeout". Failures return nil and "<operation> '<path>': <OS error>",
-- e.g. "open 'missing.txt': No such file or directory (os error 2)". IO on a closed file
-- returns nil, "closed". Misuse (wrong argument types) raises "bad argument #n to '<fn>' (...)".

---@alias FsOptions number|{ timeout?: number } a timeout in ms, or a table with one

---@class File
---@field path string the path it was opened with
---@field timeout? number default timeout (ms) of this file's calls
local File = {}

---Reads a line without its "\n" ("l", the default), a line with it ("L"), the rest of the file
---("a"; "" at the end) or `n` bytes (fewer only at the end). Returns nil at the end of the file.
---Errors: raises on a bad format or timeout.
---@async
---@param fmt? "l"|"L"|"a"|integer
---@param timeoutMs? number
---@return string|nil data
---@return string|nil err "timeout", "closed", "read '<path>': <OS error>" or "... file not open for reading"
function File:read(fmt, timeoutMs) end

---Writes `data` (a number is written as text). Small writes are buffered (64 KiB) and return at
---once; `flush`, `seek`, `sync` and `close` write the buffer out.
---Errors: raises if `data` is not a string or number, or on a bad timeout.
---@async
---@param data string|number
---@param timeoutMs? number
---@return File|nil file the file itself, for chaining
---@return string|nil err
function File:write(data, timeoutMs) end

---Moves to `offset` from the start ("set"), the current position ("cur", the default) or the end
---("end"), and returns the new position from the start. `file:seek()` tells the position.
---Errors: raises on a bad whence or a non-integer offset.
---@async
---@param whence? "set"|"cur"|"end"
---@param offset? integer
---@param timeoutMs? number
---@return integer|nil position
---@return string|nil err
function File:seek(whence, offset, timeoutMs) end

---Iterates over lines (without "\n") until the end of the file; the file stays open.
---Errors: the iterator raises "file:lines: <err>" if a read fails or times out.
---@async
---@param timeoutMs? number
---@return fun(): string|nil
function File:lines(timeoutMs) end

---Hands buffered writes to the OS.
---@async
---@param timeoutMs? number
---@return true|nil ok
---@return string|nil err
function File:flush(timeoutMs) end

---Flushes, then waits until the data is on the storage device (fsync).
---@async
---@param timeoutMs? number
---@return true|nil ok
---@return string|nil err
function File:sync(timeoutMs) end

---Writes what is buffered and closes the file; safe to repeat (later calls return true).
---If it times out, the file is still closed once the operations before it are done.
---@async
---@param timeoutMs? number
---@return true|nil ok
---@return string|nil err
function File:close(timeoutMs) end

---@return boolean
function File:isClosed() end

---Sets the default timeout of this file's calls (nil: wait forever).
---Errors: raises if `ms` is not a non-negative number or nil.
---@param ms? number
function File:settimeout(ms) end

---@class FsStat
---@field type "file"|"directory"|"link"|"fifo"|"socket"|"char"|"block"|"other"
---@field size integer bytes
---@field mode integer permission bits (e.g. 0x1a4 = 0644)
---@field modified? number seconds since the Unix epoch
---@field accessed? number
---@field created? number nil where the file system does not record it
---@field uid? integer
---@field gid? integer

---@class tinn.fs
local fs = {}

---Opens a file. `mode` as in Lua's io.open: "r" (default), "w", "a", "r+", "w+", "a+"; "x" after
---"w" ("wx", "w+x") fails if the file exists; "b" is ignored. Directories cannot be opened.
---`opts.timeout` bounds the open and becomes the file's default timeout.
---Errors: raises if `path` is not a string, on an invalid mode or a bad timeout.
---@async
---@param path string
---@param mode? string
---@param opts? FsOptions
---@return File|nil file
---@return string|nil err "timeout" or "open '<path>': <OS error>"
function fs.open(path, mode, opts) end

---Reads a whole file.
---@async
---@param path string
---@param opts? FsOptions
---@return string|nil data
---@return string|nil err "timeout" or "readFile '<path>': <OS error>"
function fs.readFile(path, opts) end

---Replaces a file's content, creating it. With `atomic = true` the data goes to a temporary file
---beside it, which is synced and renamed over `path` when complete: readers see the old content
---or the new, and a failure (or a timeout) leaves the old file as it was. The replacement keeps
---the old file's permissions; a symbolic link at `path` is replaced, not followed.
---Errors: raises if `data` is not a string or number, or `atomic` is not a boolean.
---@async
---@param path string
---@param data string|number
---@param opts? number|{ timeout?: number, atomic?: boolean }
---@return true|nil ok
---@return string|nil err "timeout" or "writeFile '<path>': <OS error>"
function fs.writeFile(path, data, opts) end

---Describes a file (following symbolic links).
---@async
---@param path string
---@param opts? FsOptions
---@return FsStat|nil info
---@return string|nil err "timeout" or "stat '<path>': <OS error>"
function fs.stat(path, opts) end

---Lists a directory: an iterator over `name, type` sorted by name, without "." and "..".
---`for name, kind in assert(fs.list(dir)) do ... end`
---@async
---@param path string
---@param opts? FsOptions
---@return (fun(): string, string)|nil iterator
---@return string|nil err "timeout" or "list '<path>': <OS error>"
function fs.list(path, opts) end

---Creates a directory; `recursive = true` creates missing parents and accepts an existing directory.
---@async
---@param path string
---@param opts? number|{ timeout?: number, recursive?: boolean }
---@return true|nil ok
---@return string|nil err "timeout" or "mkdir '<path>': <OS error>"
function fs.mkdir(path, opts) end

---Removes a file, a link or an empty directory; `recursive = true` removes a directory and
---everything in it (links inside are removed, not followed).
---@async
---@param path string
---@param opts? number|{ timeout?: number, recursive?: boolean }
---@return true|nil ok
---@return string|nil err "timeout" or "remove '<path>': <OS error>"
function fs.remove(path, opts) end

---Renames (moves) `from` to `to`, replacing `to` if it is a file.
---@async
---@param from string
---@param to string
---@param opts? FsOptions
---@return true|nil ok
---@return string|nil err "timeout" or "rename '<from>' -> '<to>': <OS error>"
function fs.rename(from, to, opts) end

---Creates a new private directory (mode 0700) `<system temp dir>/<prefix>-<random>` (prefix
---"tinn" by default; TMPDIR is honoured) and returns its path. Remove it when done.
---Errors: raises if `prefix` is not a string or contains "/".
---@async
---@param prefix? string
---@param opts? FsOptions
---@return string|nil path
---@return string|nil err "timeout" or "tempdir '<temp dir>': <OS error>"
function fs.tempdir(prefix, opts) end

return fs
