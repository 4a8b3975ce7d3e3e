-- tinn.sqlite's runMany row writer: copies rows of plain values into the connection's parameter
-- buffer through the FFI, inside the JIT (the Lua C API cost ~1,000 instructions a row).
-- Layouts: `Cell` and `Buffer` in value.rs. Returns writeRows(list, from, to, buffer) -> next:
-- rows from..next-1 were written; next > to: all of them; next <= to: row next is not an
-- array of plain values (value.rs reads it through the C API); -next: no room for row next.

local ffi = require("ffi")

if not pcall(ffi.typeof, "tinn_sqlite_buffer") then
  ffi.cdef([[
    typedef struct { uint32_t kind, len; union { int64_t integer; double number; uint64_t start; }; } tinn_sqlite_cell;
    typedef struct {
      tinn_sqlite_cell *cells; uint8_t *bytes; uint32_t *row_ends;
      uint32_t cell_len, cell_cap, byte_len, byte_cap, row_len, row_cap;
    } tinn_sqlite_buffer;
  ]])
end

local bufferPointer = ffi.typeof("tinn_sqlite_buffer *")
local cast, copy = ffi.cast, ffi.copy
local type, rawget, getmetatable = type, rawget, getmetatable

-- Cell kinds, as value.rs numbers them.
local NULL, INTEGER, NUMBER, TEXT = 0, 1, 2, 3

-- How many values row `row` has: `n` if it is a count, its length without `n`; nil when
-- value.rs must read the row (no table, a metatable, a bad `n`).
local function widthOf(row)
  if type(row) ~= "table" or getmetatable(row) ~= nil then return nil end
  local n = rawget(row, "n")
  if n == nil then return #row end
  if type(n) == "number" and n >= 0 and n <= 4294967295 and n % 1 == 0 then return n end
  return nil
end

return function(list, from, to, buffer)
  buffer = cast(bufferPointer, buffer)
  local cells, bytes, rowEnds = buffer.cells, buffer.bytes, buffer.row_ends
  local cellLen, byteLen, rowLen = buffer.cell_len, buffer.byte_len, buffer.row_len
  local cellCap, byteCap, rowCap = buffer.cell_cap, buffer.byte_cap, buffer.row_cap
  local stopped = to + 1
  for i = from, to do
    local row = rawget(list, i)
    local width = widthOf(row)
    if width == nil then stopped = i; break end
    if cellLen + width > cellCap or rowLen >= rowCap then stopped = -i; break end
    local cell, used, plain = cellLen, byteLen, true
    for j = 1, width do
      local value = row[j]
      local kind = type(value)
      local c = cells[cell]
      if kind == "number" then
        c.kind, c.number = NUMBER, value
      elseif kind == "string" then
        local len = #value
        if used + len > byteCap then plain = nil; break end
        copy(bytes + used, value, len)
        c.kind, c.len, c.start = TEXT, len, used
        used = used + len
      elseif kind == "boolean" then
        c.kind, c.integer = INTEGER, value and 1 or 0
      elseif value == nil then
        c.kind = NULL
      else
        plain = false; break
      end
      cell = cell + 1
    end
    if plain == nil then stopped = -i; break end
    if not plain then stopped = i; break end
    rowEnds[rowLen] = cell
    cellLen, byteLen, rowLen = cell, used, rowLen + 1
  end
  buffer.cell_len, buffer.byte_len, buffer.row_len = cellLen, byteLen, rowLen
  return stopped
end
