-- a deliberate syntax error, for the CLI test
local fine = 1
local broken = = 1
