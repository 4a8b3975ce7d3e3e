-- collections_test: Bag, Queue and Stack against plain-Lua references under seeded random
-- operations, plus their documented corner cases.
--
--   LUA_PATH='lua/?.lua;;' luajit tests/lua/collections_test.lua
--
-- `#` and `pairs` reach __len/__pairs only in a LuaJIT built with Lua 5.2 compatibility (tinn's
-- is). Elsewhere this test checks them through the explicit methods and says so on stderr.

local Collections = require("Collections")
local fun = require("fun")
local Bag, Queue, Stack = Collections.Bag, Collections.Queue, Collections.Stack

math.randomseed(42)

local HAS_LEN = #setmetatable({}, { __len = function() return 7 end }) == 7
local HAS_PAIRS
do
  local seen = 0
  for _ in pairs(setmetatable({}, { __pairs = function() return next, { a = 1 }, nil end })) do
    seen = seen + 1
  end
  HAS_PAIRS = seen == 1
end
if not HAS_LEN or not HAS_PAIRS then
  io.stderr:write("collections_test: note: this LuaJIT lacks Lua 5.2 compatibility (__len: ", tostring(HAS_LEN),
    ", __pairs: ", tostring(HAS_PAIRS), "); checking count()/entries()/len()/items() instead\n")
end

local function check(cond, msg)
  assert(cond, msg)
end

local function count_keys(t)
  local n = 0
  for _ in next, t, nil do
    n = n + 1
  end
  return n
end

-------------------------------------------------------------------------------
-- Bag
-------------------------------------------------------------------------------

local function bag_entries(bag)
  local copy = {}
  for k, v in bag:entries() do
    copy[k] = v
  end
  return copy
end

local function same_table(a, b, what)
  for k, v in next, a, nil do
    check(b[k] == v, string.format("%s: key %s is %s, want %s", what, tostring(k), tostring(b[k]), tostring(v)))
  end
  for k in next, b, nil do
    check(a[k] ~= nil, string.format("%s: unexpected key %s", what, tostring(k)))
  end
end

do
  local bag = Bag()
  check(bag:count() == 0, "a new Bag is empty")
  check(Bag.count(bag) == 0, "Bag.count(bag) works too")
  bag.x = 1
  bag.y = 2
  check(bag:count() == 2, "two assignments count two")
  bag.x = 10
  check(bag:count() == 2, "re-assigning an existing key does not change the count")
  check(bag.x == 10, "re-assignment stores the new value")
  bag.nothing = nil
  check(bag:count() == 2, "assigning nil to a missing key does not change the count")
  bag.x = nil
  check(bag:count() == 1 and bag.x == nil, "assigning nil removes and decrements")
  bag[1] = "one"
  bag[true] = "yes"
  check(bag:count() == 3 and bag[1] == "one" and bag[true] == "yes", "any non-nil key works")
  check(tostring(bag) == "Bag(3)", "tostring(bag) shows the count, got " .. tostring(bag))

  -- a nil or NaN key raises and leaves the count alone
  local ok, err = pcall(function() bag[nil] = 1 end)
  check(not ok and tostring(err):find("index is nil", 1, true), "bag[nil] = v raises, got " .. tostring(err))
  ok = pcall(function() bag[0 / 0] = 1 end)
  check(not ok, "bag[NaN] = v raises")
  check(bag:count() == 3, "a failed assignment does not change the count")

  -- Bag(init) copies
  local init = { a = 1, b = 2, 3 }
  local copy = Bag(init)
  check(copy:count() == 3 and copy.a == 1 and copy[1] == 3, "Bag(init) copies the entries")
  copy.a = nil
  check(init.a == 1, "Bag(init) does not alias init")
  check(Bag.new():count() == 0, "Bag.new() works")
  local bad_ok, bad_err = pcall(Bag, 5)
  check(not bad_ok and tostring(bad_err):find("Bag: init must be a table", 1, true), "Bag(5) raises")

  -- a stored key shadows a method of the same name; Bag.count still works
  local shadow = Bag()
  shadow.count = "mine"
  check(shadow.count == "mine" and Bag.count(shadow) == 1, "a key named count shadows the method")
  local nok, nerr = pcall(Bag.count, {})
  check(not nok and tostring(nerr):find("Bag.count: expected a Bag", 1, true), "Bag.count({}) raises")

  -- the proxy itself stays free of user keys, so every assignment reaches __newindex
  local raw_before = count_keys(bag)
  bag.z = 1
  check(count_keys(bag) == raw_before, "assignments do not land in the proxy table")

  if HAS_LEN then
    check(#bag == bag:count(), "#bag is the count")
  end
  if HAS_PAIRS then
    local n = 0
    for k, v in pairs(bag) do
      n = n + 1
      check(bag[k] == v, "pairs(bag) yields stored entries")
    end
    check(n == bag:count(), "pairs(bag) yields every entry")
  end
end

-- random inserts and deletes against a plain table
for round = 1, 20 do
  local bag, reference, count = Bag(), {}, 0
  local keys = {}
  for i = 1, 40 do
    keys[i] = i
    keys[40 + i] = "k" .. i
  end
  for step = 1, 2000 do
    local key = keys[math.random(1, #keys)]
    local value
    if math.random() < 0.45 then
      value = nil
    else
      value = math.random(1, 1000)
    end
    if reference[key] == nil and value ~= nil then
      count = count + 1
    elseif reference[key] ~= nil and value == nil then
      count = count - 1
    end
    reference[key] = value
    bag[key] = value
    check(bag:count() == count,
      string.format("round %d step %d: count %d, want %d", round, step, bag:count(), count))
    check(bag[key] == value, "round " .. round .. ": reading back the key just set")
    if HAS_LEN then
      check(#bag == count, "round " .. round .. ": #bag follows the count")
    end
  end
  same_table(reference, bag_entries(bag), "round " .. round .. " entries()")
  check(count_keys(reference) == bag:count(), "round " .. round .. ": count equals the number of entries")
  -- fun reads a Bag through its __pairs (fun looks at the metatable itself, any LuaJIT)
  same_table(reference, fun.tomap(bag), "round " .. round .. " fun.tomap(bag)")
  check(fun.length(bag) == count, "round " .. round .. ": fun.length(bag)")
  if HAS_PAIRS then
    local seen = {}
    for k, v in pairs(bag) do
      seen[k] = v
    end
    same_table(reference, seen, "round " .. round .. " pairs(bag)")
  end
end

-------------------------------------------------------------------------------
-- Queue
-------------------------------------------------------------------------------

local function queue_items(q)
  local out = {}
  for i, v in q:items() do
    check(i == #out + 1, "items() numbers positions from 1")
    out[i] = v
  end
  return out
end

local function same_list(a, b, what)
  check(#a == #b, string.format("%s: %d items, want %d", what, #a, #b))
  for i = 1, #b do
    check(a[i] == b[i], string.format("%s: item %d is %s, want %s", what, i, tostring(a[i]), tostring(b[i])))
  end
end

do
  local q = Queue()
  check(q:len() == 0 and q:dequeue() == nil and q:peek() == nil, "an empty queue dequeues and peeks nil")
  check(q:enqueue("a") == "a", "enqueue returns the value")
  q:enqueue("b")
  q:enqueue(false) -- false is a value, not an absence
  check(q:len() == 3 and q:peek() == "a", "peek shows the front")
  same_list(queue_items(q), { "a", "b", false }, "items()")
  check(q:len() == 3, "items() does not drain")
  check(q:dequeue() == "a" and q:dequeue() == "b" and q:dequeue() == false, "FIFO order")
  check(q:dequeue() == nil and q:len() == 0, "dequeue on empty returns nil")
  local ok, err = pcall(q.enqueue, q, nil)
  check(not ok and tostring(err):find("Queue:enqueue: value must not be nil", 1, true), "enqueue(nil) raises")
  local bad_ok, bad_err = pcall(Queue.dequeue, {})
  check(not bad_ok and tostring(bad_err):find("Queue:dequeue", 1, true), "calling a method on a non-Queue raises")
  q:enqueue(2)
  q:pushFront(1)
  same_list(queue_items(q), { 1, 2 }, "pushFront puts in front")
  check(Queue.new():len() == 0, "Queue.new() works")
  check(q.Enqueue == q.enqueue and q.Dequeue == q.dequeue and q.Len == q.len and q.Entries == q.items,
    "TINN spellings are aliases")
  check(tostring(q) == "Queue(2)", "tostring(queue), got " .. tostring(q))
  same_list(fun.totable(q), { 1, 2 }, "fun.totable(queue) reads it through __ipairs")
  same_list(fun.totable(q:items()), { 1, 2 }, "fun.totable(q:items())")
  if HAS_LEN then
    check(#q == 2, "#queue is its length")
  end
end

-- random operations against a plain array
for round = 1, 20 do
  local q, reference = Queue(), {}
  for step = 1, 3000 do
    local r = math.random()
    if r < 0.45 then
      local v = math.random(1, 1e6)
      q:enqueue(v)
      reference[#reference + 1] = v
    elseif r < 0.5 then
      local v = -math.random(1, 1e6)
      q:pushFront(v)
      table.insert(reference, 1, v)
    else
      local got = q:dequeue()
      local want = table.remove(reference, 1)
      check(got == want, string.format("round %d step %d: dequeued %s, want %s", round, step, tostring(got),
        tostring(want)))
    end
    check(q:len() == #reference, string.format("round %d step %d: len %d, want %d", round, step, q:len(),
      #reference))
    check(q:peek() == reference[1], "round " .. round .. ": peek")
    if step % 100 == 0 then
      same_list(queue_items(q), reference, "round " .. round .. " step " .. step .. " items()")
    end
  end
end

-- a queue that never drains keeps its storage bounded: the ring (q.cap slots) only grows to
-- the largest number of items held at once
do
  local q = Queue()
  for i = 1, 5 do
    q:enqueue(i)
  end
  for i = 6, 200000 do
    q:enqueue(i)
    check(q:dequeue() == i - 5, "sliding queue keeps FIFO order")
  end
  check(q:len() == 5, "sliding queue holds 5")
  check(q.cap <= 8, "a sliding queue of 5 items stays in a ring of at most 8 slots, got " .. tostring(q.cap))
  local highest = 0
  for k in next, q, nil do
    if type(k) == "number" and k > highest then
      highest = k
    end
  end
  check(highest <= 8, "no index beyond the ring, got " .. highest)
end

-------------------------------------------------------------------------------
-- Stack
-------------------------------------------------------------------------------

do
  local s = Stack()
  check(s:len() == 0 and s:pop() == nil and s:top() == nil, "an empty stack pops and tops nil")
  check(s:push("a") == "a", "push returns the value")
  s:push("b")
  check(s:top() == "b" and s:peek() == "b" and s:len() == 2, "top shows the last pushed")
  local order = {}
  for i, v in s:items() do
    order[i] = v
  end
  same_list(order, { "b", "a" }, "items() from the top down")
  check(s:len() == 2, "items() does not pop")
  check(s:pop() == "b" and s:pop() == "a" and s:pop() == nil, "LIFO order, then nil")
  local ok, err = pcall(s.push, s, nil)
  check(not ok and tostring(err):find("Stack:push: value must not be nil", 1, true), "push(nil) raises")
  check(Stack.new():len() == 0, "Stack.new() works")
  s:push(1)
  check(tostring(s) == "Stack(1)", "tostring(stack)")
  if HAS_LEN then
    check(#s == 1, "#stack is its length")
  end
end

for round = 1, 20 do
  local s, reference = Stack(), {}
  for step = 1, 2000 do
    if math.random() < 0.55 then
      local v = math.random(1, 1e6)
      s:push(v)
      reference[#reference + 1] = v
    else
      local got = s:pop()
      local want = table.remove(reference)
      check(got == want, string.format("round %d step %d: popped %s, want %s", round, step, tostring(got),
        tostring(want)))
    end
    check(s:len() == #reference, "round " .. round .. ": len")
    check(s:top() == reference[#reference], "round " .. round .. ": top")
  end
end

print("ok collections")
