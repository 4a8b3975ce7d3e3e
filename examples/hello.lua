-- examples/hello.lua: the main chunk is task 1; spawned tasks take turns whenever one yields or sleeps.
print("hello from tinn " .. tinn.version .. " on " .. jit.version)

local function counter(name, count, pause)
  for i = 1, count do
    print(string.format("%s %d", name, i))
    sleep(pause)
  end
  return name .. " done"
end

local a = spawn(counter, "tick", 3, 20)
local b = spawn(counter, "tock", 3, 25)
print(a:join())
print(b:join())
