-- json_api.lua: a small JSON API with routes, path parameters and request bodies.
-- Run: tinn examples/http/json_api.lua [port]
--   curl http://127.0.0.1:8081/todos
--   curl -X POST -d '{"title": "write docs"}' http://127.0.0.1:8081/todos
--   curl http://127.0.0.1:8081/todos/1
local http = require("tinn.http")
local json = require("tinn.json")

local todos, nextId = {}, 1

-- Each route: method, a Lua pattern for the path (captures become arguments), handler.
local routes = {
  { "GET", "^/todos$", function(req, res)
    local list = {}
    for id = 1, nextId - 1 do if todos[id] then list[#list + 1] = todos[id] end end
    res:json(list)
  end },
  { "POST", "^/todos$", function(req, res)
    local ok, body = pcall(json.decode, req:body(64 * 1024) or "")
    if not ok or type(body) ~= "table" or type(body.title) ~= "string" then
      return res:status(400):json({ error = "expected a JSON object with a string 'title'" })
    end
    local todo = { id = nextId, title = body.title, done = false }
    todos[nextId], nextId = todo, nextId + 1
    res:status(201):json(todo)
  end },
  { "GET", "^/todos/(%d+)$", function(req, res, id)
    local todo = todos[tonumber(id)]
    if not todo then return res:status(404):json({ error = "no todo " .. id }) end
    res:json(todo)
  end },
}

local server = assert(http.serve{ port = tonumber(arg[1]) or 8081, handler = function(req, res)
  for _, route in ipairs(routes) do
    local method, pattern, handle = route[1], route[2], route[3]
    if req.method == method then
      local captures = { req.path:match(pattern) }
      if captures[1] then return handle(req, res, unpack(captures)) end
    end
  end
  res:status(404):json({ error = "no route for " .. req.method .. " " .. req.path })
end })
print("listening on http://127.0.0.1:" .. server.port)
