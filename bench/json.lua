-- JSON benchmark: tinn.json against lua-cjson (Debian's lua-cjson, loaded into this same
-- process), decode and encode on four shapes of document. Prints MB/s (median of RUNS, CPU time)
-- and the speed ratio tinn/cjson (above 1: tinn is faster). bench/run passes a file name: the
-- API-dump document is written there for Node's side (bench/json_node.js).
-- Usage: tinn bench/json.lua [file to write the API-dump document to]
local json = require("tinn.json")
local RUNS = 5

package.cpath = package.cpath .. ";/usr/lib/x86_64-linux-gnu/lua/5.1/?.so"
local hasCjson, cjson = pcall(require, "cjson")
if not hasCjson then print("lua-cjson is not installed (apt-get install lua-cjson): ratios skipped") end

math.randomseed(5)
local words = { "alpha", "beta", "gamma", "delta", "tinn", "lua", "jit", "server", "json", "café",
  "naïve", "日本語", "emoji 😀", "tab\there", "quote \"q\"", "back\\slash", "line\nbreak" }
local function sentence(n)
  local parts = {}
  for i = 1, n do parts[i] = words[math.random(#words)] end
  return table.concat(parts, " ")
end

-- shaped like a page of a REST API's repository listing: nested objects, URLs, ids, nulls
local function apiDump(count)
  local items = {}
  for i = 1, count do
    local login = "user" .. math.random(1e6)
    items[i] = {
      id = 100000 + i, node_id = ("MDEwOlJlcG9zaXRvcnk%07d"):format(i), name = "repo-" .. i,
      full_name = login .. "/repo-" .. i, private = false, fork = i % 5 == 0,
      owner = { login = login, id = math.random(1e7), type = "User", site_admin = false,
        avatar_url = ("https://avatars.example.com/u/%d?v=4"):format(i),
        url = "https://api.example.com/users/" .. login, html_url = "https://example.com/" .. login },
      html_url = ("https://example.com/%s/repo-%d"):format(login, i),
      description = i % 7 == 0 and json.null or sentence(math.random(3, 12)),
      url = ("https://api.example.com/repos/%s/repo-%d"):format(login, i),
      created_at = "2024-01-15T08:30:00Z", updated_at = "2025-11-02T17:45:12Z",
      size = math.random(1e5), stargazers_count = math.random(5000), watchers_count = math.random(5000),
      language = i % 3 == 0 and "Lua" or "Rust", has_issues = true, has_wiki = i % 2 == 0,
      forks_count = math.random(300), open_issues_count = math.random(50), score = math.random() * 100,
      license = i % 4 == 0 and json.null or { key = "mit", name = "MIT License", spdx_id = "MIT" },
      topics = { "lua", "jit", "topic" .. i % 13 },
    }
  end
  return items
end

local function numbers(count)
  local list = {}
  for i = 1, count do list[i] = i % 2 == 0 and math.random(-1e9, 1e9) or (math.random() - 0.5) * 1e6 end
  return list
end

local function strings(count)
  local list = {}
  for i = 1, count do list[i] = sentence(math.random(1, 20)) end
  return list
end

local function small(i)
  return { id = i, name = "item" .. i, active = true, price = 9.99, tags = { "a", "b" } }
end

local function timed(fn)
  collectgarbage()
  local t0 = os.clock()
  fn()
  return os.clock() - t0
end
local function median(times)
  table.sort(times)
  return times[(#times + 1) / 2]
end

-- runs alternate between tinn and cjson, so that both see the same machine load
local function compare(name, mb, tinnFn, cjsonFn)
  local tinnTimes, cjsonTimes = {}, {}
  for i = 1, RUNS do
    tinnTimes[i] = timed(tinnFn)
    if hasCjson then cjsonTimes[i] = timed(cjsonFn) end
  end
  local tinnTime = median(tinnTimes)
  local line = ("%-32s tinn %7.1f MB/s"):format(name, mb / tinnTime)
  if hasCjson then
    local cjsonTime = median(cjsonTimes)
    line = line .. ("   cjson %7.1f MB/s   tinn/cjson speed %.2fx"):format(mb / cjsonTime, cjsonTime / tinnTime)
  end
  print(line)
end

-- a whole document decoded and encoded in one call
local function document(name, value)
  local text = json.encode(value)
  local mb = #text / 1e6
  name = ("%s %.1fMB"):format(name, mb)
  compare(name .. " decode", mb, function() json.decode(text) end, function() cjson.decode(text) end)
  local decoded = json.decode(text)
  compare(name .. " encode", mb, function() json.encode(decoded) end, function() cjson.encode(decoded) end)
  return text
end

local dump = document("API dump", apiDump(15000))
if arg[1] then
  local file = assert(io.open(arg[1], "wb"))
  file:write(dump)
  file:close()
end
document("number array", numbers(500000))
document("string array", strings(100000))

-- many small documents, one call each: per-call cost dominates
local SMALL = 100000
local objects, texts = {}, {}
for i = 1, SMALL do
  objects[i] = small(i)
  texts[i] = json.encode(objects[i])
end
local smallMb = #table.concat(texts) / 1e6
compare("small objects decode", smallMb, function()
  for i = 1, SMALL do json.decode(texts[i]) end
end, function()
  for i = 1, SMALL do cjson.decode(texts[i]) end
end)
compare("small objects encode", smallMb, function()
  for i = 1, SMALL do json.encode(objects[i]) end
end, function()
  for i = 1, SMALL do cjson.encode(objects[i]) end
end)
