-- tinn/reactor: the Lua half of the reactor, the seam between parked tasks and IO done in Rust
-- (DESIGN.md §5; the Rust half and its docs: crates/tinn-reactor/src/lib.rs).
--
-- A native function that cannot finish at once returns PENDING and an operation id; its Lua
-- wrapper parks the calling task on the id (`await`, `awaitOp`), and the scheduler's tick hands
-- every completion Rust reported back through `complete`. Rust holds ids only: which task waits
-- on which id is kept here (`parkOn`, `unpark`).
--
-- Not loaded by `require`: the scheduler runs this chunk once, passing the native bridge and
-- the few scheduler operations a wait needs, and publishes the result as `tinn.reactor`:
--   seam.checkTask(fname)            the running task's slot (raises outside a task)
--   seam.park(slot, IO, id, ms)      suspends the task until woken; returns the wake result
--   seam.wake(slot, result)          makes a parked task ready with `result`
--   seam.IO                          the wait kind of a task parked here

local native, seam = ...

local PENDING, cancelOp = native.PENDING, native.cancelOp
local checkTask, park, wake, IO = seam.checkTask, seam.park, seam.wake, seam.IO
local checkTimeout = require("tinn.check").timeout
local type, unpack = type, unpack

-- Which task waits on which operation id. Ids only grow, and a table keyed by them keeps adding
-- hash keys (LuaJIT reuses a cleared node only at its key's main position), so it rehashes every
-- few operations. Most waits are short: an id's slot goes in a ring at `id % RING_SIZE`, and
-- only an id whose ring place an older wait still holds goes in `overflowOps`.
local RING_SIZE = 4096
local newTable = require("table.new")
-- sized up front so every place is in the array part (a prefilling loop would be a JIT trace
-- of its own, numbered before the script's)
local ringIds, ringSlots, overflowOps = newTable(RING_SIZE, 0), newTable(RING_SIZE, 0), {}

local function parkOn(id, slot)
  local at = id % RING_SIZE + 1
  if not ringIds[at] then
    ringIds[at], ringSlots[at] = id, slot
  else
    overflowOps[id] = slot
  end
end

-- Forgets the wait on `id`; returns the slot of the task that waited, or nil.
local function unpark(id)
  local at = id % RING_SIZE + 1
  if ringIds[at] == id then
    ringIds[at] = nil
    return ringSlots[at]
  end
  local slot = overflowOps[id]
  if slot then overflowOps[id] = nil end
  return slot
end

-- A result is packed `{n = k, ...}`, or a lone string or number as itself (no table per read).
local function unpackResult(r)
  if type(r) == "table" then return unpack(r, 1, r.n) end
  if r ~= nil then return r end
end

local function awaitOp(id, timeoutMs)
  local slot = checkTask("awaitOp")
  checkTimeout(timeoutMs, 2, "awaitOp")
  parkOn(id, slot)
  return unpackResult(park(slot, IO, id, timeoutMs))
end

-- Finishes a native call: `return await(timeoutMs, native.read(handle, n))` returns the native
-- results directly (fast path) or parks the task when they are `PENDING, id`.
local function await(timeoutMs, ...)
  local first, id = ...
  if first == PENDING then return awaitOp(id, timeoutMs) end
  return ...
end

-- For the scheduler's tick: `completions` lists id, results, id, results... (as unpackResult takes them)
local function complete(completions)
  for i = 1, #completions, 2 do
    local slot = unpark(completions[i])
    if slot then
      wake(slot, completions[i + 1])
    end
  end
end

-- For the scheduler: the task parked on `id` stops waiting (timeout, cancel); Rust drops the
-- operation's future at once.
local function release(id)
  unpark(id)
  cancelOp(id)
end

-- The module IO wrappers require, and the scheduler's own entry points.
return { PENDING = PENDING, await = await, awaitOp = awaitOp }, complete, release
