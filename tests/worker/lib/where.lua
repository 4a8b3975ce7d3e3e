-- A worker for paths.lua: reports the path it was started from.
return arg[0]
