-- Collections: Bag, Queue and Stack, with TINN's names. Every operation is O(1)
-- (Queue:enqueue and Stack:push amortised).
--
--   local Collections = require("Collections")
--   local bag = Collections.Bag(); bag.x = 1; bag.y = 2; bag.x = nil; print(#bag)   --> 1
--   local q = Collections.Queue(); q:enqueue("a"); q:enqueue("b"); print(q:dequeue()) --> a
--   local s = Collections.Stack(); s:push(1); s:push(2); print(s:pop())               --> 2
--
-- `#` and `pairs` use __len and __pairs, which tinn's LuaJIT (built with Lua 5.2 compatibility)
-- honours. Plain LuaJIT ignores them on tables: there use bag:count(), bag:entries(), q:len(),
-- q:items(), s:len() and s:items().

local setmetatable, getmetatable, error, type = setmetatable, getmetatable, error, type
local next, format = next, string.format

-------------------------------------------------------------------------------
-- Bag
-------------------------------------------------------------------------------

-- A bag is an empty proxy table: every assignment reaches __newindex, which keeps the count.
-- Its entries live in a table stored under the private key DATA, its count under COUNT; these
-- keys are tables nobody else can name, so no user key can collide with them.
local DATA, COUNT = {}, {}

local Bag = {}
local bag_methods = {}
local Bag_mt = {}

local function check_bag(bag, fname)
  if getmetatable(bag) ~= Bag_mt then
    error(format("Bag.%s: expected a Bag, got %s", fname, type(bag)), 3)
  end
end

Bag_mt.__index = function(self, key)
  local v = self[DATA][key]
  if v == nil then
    -- methods are found only under keys the bag does not hold
    return bag_methods[key]
  end
  return v
end

Bag_mt.__newindex = function(self, key, value)
  local data = self[DATA]
  local old = data[key]
  data[key] = value -- raises first for a nil or NaN key, leaving the count alone
  if old == nil then
    if value ~= nil then
      self[COUNT] = self[COUNT] + 1
    end
  elseif value == nil then
    self[COUNT] = self[COUNT] - 1
  end
end

Bag_mt.__len = function(self)
  return self[COUNT]
end

Bag_mt.__pairs = function(self)
  return next, self[DATA], nil
end

Bag_mt.__tostring = function(self)
  return format("Bag(%d)", self[COUNT])
end

--- Bag([init]) -> a dictionary whose `#bag` is its number of entries; assigning nil removes an
--- entry, re-assigning a key keeps the count; `pairs(bag)` gives its entries. With a table,
--- copies its entries. Also Bag.new([init]).
---   local b = Bag({a = 1}); b.b = 2; print(#b, b:count())   --> 2 2
function Bag.new(init)
  local bag = setmetatable({ [DATA] = {}, [COUNT] = 0 }, Bag_mt)
  if init ~= nil then
    if type(init) ~= "table" then
      error("Bag: init must be a table, got " .. type(init), 2)
    end
    for k, v in next, init, nil do
      bag[k] = v
    end
  end
  return bag
end

--- bag:count() -> number of entries (same as #bag). Also Bag.count(bag).
function bag_methods.count(self)
  check_bag(self, "count")
  return self[COUNT]
end

--- bag:entries() -> next, data, nil: iterates key, value like pairs(bag). Also Bag.entries(bag).
---   for k, v in bag:entries() do print(k, v) end
function bag_methods.entries(self)
  check_bag(self, "entries")
  return next, self[DATA], nil
end

Bag.count = bag_methods.count
Bag.entries = bag_methods.entries

setmetatable(Bag, {
  __call = function(_, init)
    return Bag.new(init)
  end,
})

-------------------------------------------------------------------------------
-- Queue: a ring buffer in the object's array part
-------------------------------------------------------------------------------

-- Slots 1..cap hold the items; head is the slot of the first, n the number of items. The
-- ring only grows (doubling), so indices never wander into the hash part however long the
-- queue runs, and it never needs to drain to stay fast.
local Queue = {}
Queue.__index = Queue

local INITIAL_CAPACITY = 4

local function check_queue(q, fname)
  if getmetatable(q) ~= Queue then
    error(format("Queue:%s: call it with ':' on a Queue, got %s", fname, type(q)), 3)
  end
end

--- Queue() -> an empty FIFO queue. Also Queue.new().
---   local q = Queue(); q:enqueue(1); print(#q, q:peek())   --> 1 1
function Queue.new()
  return setmetatable({ head = 1, n = 0, cap = 0 }, Queue)
end

-- doubles the ring, moving the wrapped-around part behind the old end
local function grow(q)
  local cap = q.cap
  local newcap = cap == 0 and INITIAL_CAPACITY or cap * 2
  local wrapped = q.head + q.n - 1 - cap -- items stored at slots 1..wrapped
  for i = 1, wrapped do
    q[cap + i] = q[i]
    q[i] = nil
  end
  q.cap = newcap
end

--- q:enqueue(value) -> value: adds at the back. Errors: value must not be nil. Alias: Enqueue.
function Queue:enqueue(value)
  check_queue(self, "enqueue")
  if value == nil then
    error("Queue:enqueue: value must not be nil", 2)
  end
  local n = self.n
  if n == self.cap then
    grow(self)
  end
  local cap = self.cap
  self[(self.head + n - 1) % cap + 1] = value
  self.n = n + 1
  return value
end

--- q:pushFront(value) -> value: adds at the front (TINN). Errors: value must not be nil.
function Queue:pushFront(value)
  check_queue(self, "pushFront")
  if value == nil then
    error("Queue:pushFront: value must not be nil", 2)
  end
  if self.n == self.cap then
    grow(self)
  end
  local cap = self.cap
  local head = (self.head - 2) % cap + 1
  self[head] = value
  self.head = head
  self.n = self.n + 1
  return value
end

--- q:dequeue() -> the front value, removed; nil when empty. Alias: Dequeue.
function Queue:dequeue()
  check_queue(self, "dequeue")
  local n = self.n
  if n == 0 then
    return nil
  end
  local head = self.head
  local value = self[head]
  self[head] = nil
  if n == 1 then
    self.head = 1
  else
    self.head = head % self.cap + 1
  end
  self.n = n - 1
  return value
end

--- q:peek() -> the front value without removing it; nil when empty.
function Queue:peek()
  check_queue(self, "peek")
  if self.n == 0 then
    return nil
  end
  return self[self.head]
end

--- q:len() -> number of items (same as #q). Aliases: length, Len.
function Queue:len()
  check_queue(self, "len")
  return self.n
end

local function queue_gen(q, i)
  if i >= q.n then
    return nil
  end
  i = i + 1
  return i, q[(q.head + i - 2) % q.cap + 1]
end

--- q:items() -> a stateless iterator (gen, q, 0) over position, value from front to back,
--- without removing anything; composes with fun. Alias: Entries.
---   for i, v in q:items() do print(i, v) end
function Queue:items()
  check_queue(self, "items")
  return queue_gen, self, 0
end

Queue.Enqueue = Queue.enqueue
Queue.Dequeue = Queue.dequeue
Queue.Len = Queue.len
Queue.length = Queue.len
Queue.Entries = Queue.items

Queue.__len = function(self)
  return self.n
end
Queue.__pairs = function(self)
  return queue_gen, self, 0
end
Queue.__ipairs = Queue.__pairs
Queue.__tostring = function(self)
  return format("Queue(%d)", self.n)
end

setmetatable(Queue, {
  __call = function()
    return Queue.new()
  end,
})

-------------------------------------------------------------------------------
-- Stack
-------------------------------------------------------------------------------

local Stack = {}
Stack.__index = Stack

local function check_stack(s, fname)
  if getmetatable(s) ~= Stack then
    error(format("Stack:%s: call it with ':' on a Stack, got %s", fname, type(s)), 3)
  end
end

--- Stack() -> an empty LIFO stack. Also Stack.new().
---   local s = Stack(); s:push("a"); print(s:top(), #s)   --> a 1
function Stack.new()
  return setmetatable({ n = 0 }, Stack)
end

--- s:push(value) -> value. Errors: value must not be nil.
function Stack:push(value)
  check_stack(self, "push")
  if value == nil then
    error("Stack:push: value must not be nil", 2)
  end
  local n = self.n + 1
  self[n] = value
  self.n = n
  return value
end

--- s:pop() -> the top value, removed; nil when empty.
function Stack:pop()
  check_stack(self, "pop")
  local n = self.n
  if n == 0 then
    return nil
  end
  local value = self[n]
  self[n] = nil
  self.n = n - 1
  return value
end

--- s:top() -> the top value without removing it; nil when empty. Alias: peek.
function Stack:top()
  check_stack(self, "top")
  return self[self.n] -- self[0] is nil
end

--- s:len() -> number of items (same as #s). Alias: length.
function Stack:len()
  check_stack(self, "len")
  return self.n
end

local function stack_gen(s, i)
  if i >= s.n then
    return nil
  end
  i = i + 1
  return i, s[s.n - i + 1]
end

--- s:items() -> a stateless iterator over position, value from the top down (pop order),
--- without removing anything.
function Stack:items()
  check_stack(self, "items")
  return stack_gen, self, 0
end

Stack.peek = Stack.top
Stack.length = Stack.len

Stack.__len = function(self)
  return self.n
end
Stack.__pairs = function(self)
  return stack_gen, self, 0
end
Stack.__ipairs = Stack.__pairs
Stack.__tostring = function(self)
  return format("Stack(%d)", self.n)
end

setmetatable(Stack, {
  __call = function()
    return Stack.new()
  end,
})

return {
  Bag = Bag,
  Queue = Queue,
  Stack = Stack,
}
