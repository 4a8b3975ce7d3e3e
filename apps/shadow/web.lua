-- shadow/web: the page, its JSON API and its WebSocket (docs/shadow.md "The page").
--
--   GET  /                  the page (no outside assets)
--   GET  /ws                WebSocket: a snapshot, then pushes (at most 10 a second)
--   GET  /api/status        store status, lag per tree, counts, events per second
--   GET  /api/filters       PUT /api/filters   {kinds = [...], include = [...], exclude = [...]}
--   GET  /api/search?path=&kind=&from=&to=&limit=&offset=   stored history, newest first
--
-- On loopback nothing is asked (unless `--token` gives one); on any other address every request
-- needs the access token printed at start (`?token=` or `Authorization: Bearer <token>`).
--
--   local server = assert(web.start(state, { listen = "127.0.0.1:0", page = html, ... }))
--   print(server.url)

local http = require("tinn.http")
local json = require("tinn.json")

--- Pushes to the page at most this often (ms).
local PUSH_MS = 100
--- Most events one push carries; a busier 100 ms sends the newest and counts the rest.
local PUSH_EVENTS = 500
--- Search pages hold at most this many rows.
local SEARCH_LIMIT = 500

local function isLoopback(host)
  return host == "127.0.0.1" or host == "::1" or host == "localhost" or host:match("^127%.") ~= nil
end

--- "host:port", "[v6]:port" or ":port" → host, port
local function parseListen(listen)
  local host, port = listen:match("^%[(.+)%]:(%d+)$")
  if not host then host, port = listen:match("^(.*):(%d+)$") end
  if not host then return nil, "--listen wants HOST:PORT, got '" .. listen .. "'" end
  if host == "" then host = "127.0.0.1" end
  return host, tonumber(port)
end

local function randomToken()
  local f = io.open("/dev/urandom", "rb")
  local bytes = f and f:read(16)
  if f then f:close() end
  if not bytes or #bytes < 16 then error("shadow: cannot read /dev/urandom for the access token") end
  return (bytes:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

local function eventJson(e)
  return { usn = e.usn, at = e.at, kind = e.kind, path = e.path, isDir = e.isDir and true or false, root = e.root }
end

local function status(state, opts)
  local journals = {}
  local behind = 0
  for _, j in ipairs(state.journals) do
    journals[#journals + 1] = { root = j.root, journalId = j.id, shippedUsn = j.cursor or json.null, behind = j.behind }
    behind = behind + j.behind
  end
  local now = math.floor(tinn.now() / 1000)
  local rates = {}
  for i = opts.rateSeconds - 1, 1, -1 do
    rates[#rates + 1] = state.rates[now - i] or 0
  end
  return {
    host = state.host,
    store = state.storeUrl,
    storeOk = state.storeError == nil,
    storeError = state.storeError or json.null,
    journalError = state.journalError or json.null,
    behind = behind,
    journals = journals,
    shipped = state.shipped,
    counts = state.counts,
    rates = rates, -- events per second, oldest first, ending with the last full second
    filters = state.filter.settings,
  }
end

local function start(state, opts)
  local host, port = parseListen(opts.listen)
  if not host then return nil, port end
  local token = opts.token or (not isLoopback(host) and randomToken() or nil)
  local clients = {}

  local function authorised(req)
    if not token then return true end
    local given = req.query.token
    local header = req.headers["authorization"]
    if header then given = header:match("^Bearer%s+(%S+)$") or given end
    return given == token
  end

  local function search(req, res)
    local q = req.query
    local limit = math.min(tonumber(q.limit) or 50, SEARCH_LIMIT)
    local offset = math.max(tonumber(q.offset) or 0, 0)
    if not state.store then
      return res:status(503):json({ error = "store unreachable: " .. tostring(state.storeError) })
    end
    local rows, err = state.store:search{ path = q.path, kind = q.kind, from = q.from, to = q.to,
      limit = math.floor(limit), offset = math.floor(offset) }
    if not rows then return res:status(503):json({ error = err }) end
    local list = {}
    for i, row in ipairs(rows) do
      list[i] = { journalId = row.journal_id, usn = tonumber(row.usn), at = row.at, kind = row.kind,
        path = row.path, isDir = row.is_dir == true or row.is_dir == 1 }
    end
    res:json({ rows = list, offset = offset, limit = limit })
  end

  local function filters(req, res)
    if req.method == "GET" then return res:json(state.filter.settings) end
    if req.method ~= "PUT" and req.method ~= "POST" then
      return res:status(405):header("allow", "GET, PUT"):send("method not allowed\n")
    end
    local body, bodyErr = req:body(64 * 1024, 5000)
    if not body then return res:status(400):json({ error = bodyErr }) end
    local ok, settings = pcall(json.decode, body)
    if not ok then return res:status(400):json({ error = "filters: not JSON: " .. tostring(settings) }) end
    local saved, err = opts.setFilter(settings)
    if not saved then return res:status(400):json({ error = err }) end
    res:json(saved)
  end

  local function websocket(req, res)
    local ws, err = res:upgrade()
    if not ws then return res:status(400):send(tostring(err) .. "\n") end
    local recent = {}
    for i, e in ipairs(opts.recentEvents()) do recent[i] = eventJson(e) end
    ws:send(json.encode({ type = "snapshot", events = recent, status = status(state, opts) }))
    clients[ws] = true
    -- the page sends nothing; this waits until it goes away
    while true do
      local data, why = ws:receive()
      if not data and why ~= "timeout" then break end
    end
    clients[ws] = nil
  end

  local routes = {
    ["/"] = function(_, res) res:header("content-type", "text/html; charset=utf-8"):send(opts.page) end,
    ["/ws"] = websocket,
    ["/api/status"] = function(_, res) res:json(status(state, opts)) end,
    ["/api/filters"] = filters,
    ["/api/search"] = search,
  }

  local server, err = http.serve{ host = host, port = port, handler = function(req, res)
    local route = routes[req.path]
    if not route then return res:status(404):send("not found\n") end
    if not authorised(req) then
      return res:status(401):header("www-authenticate", "Bearer"):send("access token required\n")
    end
    route(req, res)
  end }
  if not server then return nil, err end

  -- a push every PUSH_MS while anything changed: new events, or the status once a second
  local lastStatus = 0
  local pusher = periodic(function()
    local events = state.outbox
    local now = tinn.now()
    if #events == 0 and now - lastStatus < 1000 then return end
    state.outbox = {}
    lastStatus = now
    local list = {}
    for i = math.max(1, #events - PUSH_EVENTS + 1), #events do list[#list + 1] = eventJson(events[i]) end
    local message = json.encode({ type = "update", events = list, skipped = #events - #list, status = status(state, opts) })
    for ws in pairs(clients) do
      if not ws:send(message, 1000) then clients[ws] = nil end
    end
  end, PUSH_MS)

  local shown = host:find(":", 1, true) and ("[" .. host .. "]") or host
  local url = ("http://%s:%d/"):format(shown, server.port)
  if token then url = url .. "?token=" .. token end
  return {
    url = url,
    close = function()
      pusher:cancel()
      for ws in pairs(clients) do ws:close(1001, "shadow stopping") end
      server:close()
    end,
  }
end

return { start = start }
