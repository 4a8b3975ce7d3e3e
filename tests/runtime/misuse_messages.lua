-- Issue 15.8: misuse gets a message that says what to do, not a machine message.
local t = spawn(function() return 1 end)
print(select(2, pcall(function() local v = t.join() return v end)))
print(select(2, pcall(function() local v = t.status(5) return v end)))
print(select(2, pcall(function() return tinn.jsno end)))
print(select(2, pcall(function() return tinn.nosuchthing end)))
print("tinn.json still loads", type(tinn.json.encode))
for _, name in ipairs({ "http", "tinn.jsno", "collections", "nosuchmodule" }) do
  local _, err = pcall(require, name)
  print((err:match("^[^\n]*\n[^\n]*\n[^\n]*")))
end
