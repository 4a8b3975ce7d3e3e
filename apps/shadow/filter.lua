-- shadow/filter: which journal entries are shadowed (docs/shadow.md "Filters").
--
--   local f = assert(Filter.new{ kinds = {"CREATE", "DELETE"}, include = {"**/*.txt"}, exclude = {"**/tmp/**"} })
--   f:matches("CREATE", "/srv/a/b.txt")   --> true
--
-- A path is shadowed when its kind is listed, it matches an include glob (or there are none)
-- and no exclude glob. Globs match the whole absolute path: `*` any run of characters but
-- `/`, `**` any run including `/`, `?` one character but `/`; a glob without `/` matches the
-- last component (`*.log` is `**/*.log`).

local KINDS = { "CREATE", "MODIFY", "DELETE", "RENAME_OLD", "RENAME_NEW", "ATTRIB", "OVERFLOW" }
local KNOWN = {}
for _, kind in ipairs(KINDS) do KNOWN[kind] = true end

local type, concat, gsub, find = type, table.concat, string.gsub, string.find

--- The Lua pattern of a glob, anchored at both ends.
local function globPattern(glob)
  if not find(glob, "/", 1, true) then glob = "**/" .. glob end
  local out, i = {}, 1
  while i <= #glob do
    local c = glob:sub(i, i)
    if c == "*" and glob:sub(i + 1, i + 1) == "*" then
      if glob:sub(i + 2, i + 2) == "/" then
        out[#out + 1] = "(.-/?)" -- `**/` also matches no directory at all
        i = i + 3
      else
        out[#out + 1] = ".*"
        i = i + 2
      end
    elseif c == "*" then
      out[#out + 1] = "[^/]*"
      i = i + 1
    elseif c == "?" then
      out[#out + 1] = "[^/]"
      i = i + 1
    else
      out[#out + 1] = (gsub(c, "[%^%$%(%)%%%.%[%]%+%-]", "%%%0"))
      i = i + 1
    end
  end
  return "^" .. concat(out) .. "$"
end

local function matchesAny(patterns, path)
  for i = 1, #patterns do
    if find(path, patterns[i]) then return true end
  end
  return false
end

local Filter = {}
Filter.__index = Filter

--- Filter.new{kinds, include, exclude} -> filter | nil, err (the settings are checked)
local function new(settings)
  if type(settings) ~= "table" then return nil, "filters: a JSON object expected" end
  local kinds = settings.kinds or KINDS
  local include, exclude = settings.include or {}, settings.exclude or {}
  local allowed = {}
  if type(kinds) ~= "table" then return nil, "filters: kinds must be a list" end
  for _, kind in ipairs(kinds) do
    if not KNOWN[kind] then
      return nil, "filters: unknown kind " .. tostring(kind) .. " (known: " .. concat(KINDS, ", ") .. ")"
    end
    allowed[kind] = true
  end
  local compiled = {}
  for name, globs in pairs({ include = include, exclude = exclude }) do
    if type(globs) ~= "table" then return nil, "filters: " .. name .. " must be a list of globs" end
    compiled[name] = {}
    for _, glob in ipairs(globs) do
      if type(glob) ~= "string" or glob == "" then
        return nil, "filters: " .. name .. " holds " .. tostring(glob) .. ", not a glob"
      end
      compiled[name][#compiled[name] + 1] = globPattern(glob)
    end
  end
  local list = {}
  for _, kind in ipairs(KINDS) do
    if allowed[kind] then list[#list + 1] = kind end
  end
  return setmetatable({
    allowed = allowed,
    includePatterns = compiled.include, excludePatterns = compiled.exclude,
    settings = { kinds = list, include = include, exclude = exclude },
  }, Filter)
end

--- filter:matches(kind, path) -> whether an entry of that kind on that path is shadowed
function Filter:matches(kind, path)
  if not self.allowed[kind] then return false end
  if #self.includePatterns > 0 and not matchesAny(self.includePatterns, path) then return false end
  return not matchesAny(self.excludePatterns, path)
end

return { new = new, KINDS = KINDS, globPattern = globPattern }
