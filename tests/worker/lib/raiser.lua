-- A worker for errors.lua that fails at a known line.
local t = nil
return t.field
