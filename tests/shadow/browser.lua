-- The shadow page in a real browser: headless Chromium driven through its DevTools protocol,
-- over tinn's own WebSocket client. `tinn shadow/browser.lua PAGE_URL TREE SCREENSHOT`:
-- loads the page, makes a file in TREE and waits for it in the live list, unticks CREATE in
-- the page's filter editor and saves, then checks that the next CREATE is not listed (its
-- DELETE, which still is, marks the moment), and saves a screenshot.
local http = require("tinn.http")
local json = require("tinn.json")
local process = require("tinn.process")
local fs = require("tinn.fs")

local pageUrl, tree, screenshot = arg[1], arg[2], arg[3]
--- How long each step may take before the test fails (the page itself answers in ~0.2 s).
local STEP_MS = 15000

local profile = assert(fs.tempdir("tinn-chromium"))
local browser = assert(process.spawn{ cmd = "chromium", args = {
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-dev-shm-usage", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
  "--user-data-dir=" .. profile, "--window-size=1280,900", "about:blank" },
  stdout = "null", stderr = "pipe" })

local function finish(status)
  browser:kill()
  browser:wait(5000)
  process.exec("rm", "-rf", profile)
  if status ~= 0 then stop(status) end
end

-- Chromium says where its DevTools endpoint is on stderr
local port
for line in browser.stderr:lines(STEP_MS) do
  port = line:match("DevTools listening on ws://127%.0%.0%.1:(%d+)/")
  if port then break end
end
if not port then
  io.stderr:write("chromium did not start its DevTools endpoint\n")
  return finish(1)
end
-- keep reading what it logs, so a full pipe never blocks it
spawn(function() pcall(function() for _ in browser.stderr:lines() do end end) end)

local target = assert(http.request{ url = ("http://127.0.0.1:%s/json/new?%s"):format(port, pageUrl),
  method = "PUT", timeout = STEP_MS })
local ws = assert(http.websocket(json.decode(target.body).webSocketDebuggerUrl, { timeout = STEP_MS }))

local nextId = 0
--- One DevTools call; events that arrive meanwhile are skipped.
local function cdp(method, params)
  nextId = nextId + 1
  assert(ws:send(json.encode({ id = nextId, method = method, params = params or json.null })))
  while true do
    local text = assert(ws:receive(STEP_MS))
    local message = json.decode(text)
    if message.id == nextId then
      assert(not message.error, method .. ": " .. json.encode(message.error or {}))
      return message.result
    end
  end
end

local function evaluate(expression)
  local result = cdp("Runtime.evaluate", { expression = expression, returnByValue = true })
  return result.result.value
end

--- Waits until `expression` is truthy in the page; returns how long it took (ms).
local function waitUntil(what, expression)
  local started = tinn.now()
  while not evaluate(expression) do
    if tinn.now() - started > STEP_MS then
      io.stderr:write("the page never showed ", what, "; status: ", tostring(evaluate("document.getElementById('status').textContent")), "\n")
      finish(1)
    end
    sleep(20)
  end
  return tinn.now() - started
end

local function liveHas(kind, name)
  return ("[...document.querySelectorAll('#live tr')].some(r => r.children[1].textContent === %q && r.children[2].textContent.endsWith('/' + %q))"):format(kind, name)
end

local function touch(name)
  local f = assert(io.open(tree .. "/" .. name, "w"))
  f:close()
end

waitUntil("a connected store", "document.getElementById('status').textContent.startsWith('store ok')")
print("page loaded, store ok")

touch("seen-by-browser.txt")
local took = waitUntil("the new file", liveHas("CREATE", "seen-by-browser.txt"))
print("a new file appeared in the live list", took <= 3000)
io.stderr:write(("browser: the new file appeared after %d ms\n"):format(took))

-- the filter editor: stop shadowing CREATE
evaluate("document.getElementById('kind-CREATE').click(); document.getElementById('save').click(); true")
waitUntil("the saved filter", "document.getElementById('filter-msg').textContent === 'saved'")
print("CREATE unticked and saved", evaluate("document.getElementById('kind-CREATE').checked") == false)

touch("after-filter.txt")
os.remove(tree .. "/after-filter.txt")
waitUntil("the DELETE after the filter", liveHas("DELETE", "after-filter.txt"))
print("the CREATE after the filter is not listed", evaluate(liveHas("CREATE", "after-filter.txt")) == false)

local shot = cdp("Page.captureScreenshot", { format = "png" })
-- base64 → bytes
local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local value = {}
for i = 1, #B64 do value[B64:sub(i, i)] = i - 1 end
local bytes, bits, count = {}, 0, 0
for c in shot.data:gmatch("[%w+/]") do
  bits = bits * 64 + value[c]
  count = count + 6
  if count >= 8 then
    count = count - 8
    local byte = math.floor(bits / 2 ^ count)
    bytes[#bytes + 1] = string.char(byte)
    bits = bits - byte * 2 ^ count
  end
end
local png = table.concat(bytes)
assert(fs.writeFile(screenshot, png))
print("screenshot saved", png:sub(2, 4) == "PNG")
ws:close()
finish(0)
