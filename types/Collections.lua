---@meta
-- Type definitions for require("Collections") (lua/Collections.lua, docs/collections.md).
-- Every operation is O(1); enqueue and push are amortised O(1).

---A dictionary whose `#bag` is its number of entries and whose `pairs(bag)` gives its entries
---(through __len and __pairs, which tinn's LuaJIT honours). Assigning nil removes an entry;
---re-assigning a key keeps the count. Keys named `count` or `entries` hide the methods of the
---same name; `Bag.count(bag)` and `Bag.entries(bag)` always work.
---Errors: assigning to a nil or NaN key raises (and leaves the count alone).
---@class Bag: { [any]: any }
local BagObject = {}

---The number of entries (same as #bag).
---Errors: raises `Bag.count: expected a Bag` when not called on a Bag.
---@return integer
function BagObject:count() end

---Iterates key, value like pairs(bag), in any LuaJIT.
---Errors: raises `Bag.entries: expected a Bag` when not called on a Bag.
---@return fun(t: table, k: any): any, any next
---@return table data
---@return nil
function BagObject:entries() end

---@class BagClass
---@overload fun(init?: table): Bag
local Bag = {}

---A new Bag, holding a copy of init's entries when given (same as `Bag(init)`).
---Errors: raises `Bag: init must be a table` for anything but a table or nil.
---@param init? table
---@return Bag
function Bag.new(init) end

---The number of entries of bag.
---@param bag Bag
---@return integer
function Bag.count(bag) end

---Iterates key, value of bag.
---@param bag Bag
---@return fun(t: table, k: any): any, any next
---@return table data
---@return nil
function Bag.entries(bag) end

---A FIFO queue in a ring buffer: indices stay within its capacity however long it runs.
---`#q` is its length; `pairs(q)`/`ipairs(q)` and `q:items()` go from front to back without
---removing anything; `fun.iter(q)` yields its values.
---@class Queue
local QueueObject = {}

---Adds value at the back and returns it.
---Errors: raises `Queue:enqueue: value must not be nil`.
---@param value any
---@return any value
function QueueObject:enqueue(value) end

---Alias of enqueue (TINN's spelling).
---@param value any
---@return any value
function QueueObject:Enqueue(value) end

---Adds value at the front and returns it (TINN).
---Errors: raises `Queue:pushFront: value must not be nil`.
---@param value any
---@return any value
function QueueObject:pushFront(value) end

---Removes and returns the front value; nil when the queue is empty.
---@return any|nil
function QueueObject:dequeue() end

---Alias of dequeue (TINN's spelling).
---@return any|nil
function QueueObject:Dequeue() end

---The front value without removing it; nil when empty.
---@return any|nil
function QueueObject:peek() end

---The number of items (same as #q).
---@return integer
function QueueObject:len() end

---Alias of len.
---@return integer
function QueueObject:length() end

---Alias of len (TINN's spelling).
---@return integer
function QueueObject:Len() end

---A stateless iterator over position, value from front to back.
---@return fun(q: Queue, i: integer): integer?, any gen
---@return Queue param
---@return integer state
function QueueObject:items() end

---Alias of items (TINN's spelling).
---@return fun(q: Queue, i: integer): integer?, any gen
---@return Queue param
---@return integer state
function QueueObject:Entries() end

---@class QueueClass
---@overload fun(): Queue
local Queue = {}

---A new empty queue (same as `Queue()`).
---@return Queue
function Queue.new() end

---A LIFO stack; `#s` is its length.
---@class Stack
local StackObject = {}

---Pushes value and returns it.
---Errors: raises `Stack:push: value must not be nil`.
---@param value any
---@return any value
function StackObject:push(value) end

---Removes and returns the top value; nil when the stack is empty.
---@return any|nil
function StackObject:pop() end

---The top value without removing it; nil when empty.
---@return any|nil
function StackObject:top() end

---Alias of top.
---@return any|nil
function StackObject:peek() end

---The number of items (same as #s).
---@return integer
function StackObject:len() end

---Alias of len.
---@return integer
function StackObject:length() end

---A stateless iterator over position, value from the top down (pop order), popping nothing.
---@return fun(s: Stack, i: integer): integer?, any gen
---@return Stack param
---@return integer state
function StackObject:items() end

---@class StackClass
---@overload fun(): Stack
local Stack = {}

---A new empty stack (same as `Stack()`).
---@return Stack
function Stack.new() end

---@class Collections
---@field Bag BagClass
---@field Queue QueueClass
---@field Stack StackClass
local Collections = {}

return Collections
