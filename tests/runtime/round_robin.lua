-- yield() lets every other ready task run once; the order is round-robin in spawn order.
local function worker(name, rounds)
  for i = 1, rounds do
    print(name .. i)
    yield()
  end
end
spawn(worker, "a", 3)
spawn(worker, "b", 2)
spawn(worker, "c", 3)
print("main before yield")
yield()
print("main after first yield")
-- yield keeps its arguments
local x, y, z = yield(1, nil, "three")
assert(x == 1 and y == nil and z == "three", "yield returns what it was given")
print("yield returned " .. tostring(x) .. " " .. tostring(y) .. " " .. z)
-- a bare coroutine.yield() at task level behaves like yield()
spawn(function() print("d before") coroutine.yield() print("d after") end)
yield()
print("main between")
yield()
print("end")
