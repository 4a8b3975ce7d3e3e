---@meta
-- Type definitions for LuaJIT's own jit.* tool modules that tinn embeds unchanged
-- (lua/jit/README.md; docs/cli.md, "LuaJIT's options and tools"). `tinn -jv`, `-jdump`, `-jp`
-- and `-b` call their `start`; scripts may `require` them too.

---jit.v: prints a line per trace compiled or aborted (`tinn -jv`).
---@class jit.v
local v = {}
---Starts the trace log; `output` is a file name (default: stderr).
---@param output? string
function v.on(output) end
---Alias of on, as `-jv` calls it.
---@param output? string
function v.start(output) end
---Stops the trace log.
function v.off() end

---jit.dump: dumps traces (bytecode, IR, machine code) (`tinn -jdump=opts`).
---@class jit.dump
local dump = {}
---@param opt? string flags such as "+rs", "tbimT" (see the head of lua/jit/dump.lua)
---@param output? string a file name (default: stdout)
function dump.on(opt, output) end
---@param opt? string
---@param output? string
function dump.start(opt, output) end
function dump.off() end

---jit.p: the sampling profiler (`tinn -jp=opts`); reports when the program ends.
---@class jit.p
local p = {}
---@param mode? string e.g. "f" (functions), "l" (lines), "v" (VM states), "z" (zones)
---@param output? string
function p.start(mode, output) end

---jit.zone: names profiler zones for `-jp=z` (`zone("name")` pushes, `zone()` pops).
---@class jit.zone
local zone = {}

---jit.bc: lists bytecode.
---@class jit.bc
local bc = {}
---@param func function
---@param pc integer
---@param prefix? string
---@return string|nil line
function bc.line(func, pc, prefix) end
---@param func function
---@return table targets jump targets
function bc.targets(func) end
---@param func function
---@param out? file*
---@param all? boolean include nested functions
function bc.dump(func, out, all) end
---Lists the bytecode of every function loaded from now on.
---@param output? string
function bc.on(output) end
---@param output? string
function bc.start(output) end
function bc.off() end

---jit.bcsave: saves or lists bytecode (`tinn -b ...`, the arguments of `luajit -b`).
---@class jit.bcsave
local bcsave = {}
---@param ... string
function bcsave.start(...) end

---jit.vmdef: names of bytecodes, IR instructions and trace errors for the tools above.
---@class jit.vmdef

---jit.dis_x86, jit.dis_x64, jit.dis_arm, jit.dis_arm64: machine-code disassemblers for jit.dump.
---@class jit.dis
local dis = {}
---@param code string
---@param addr? integer
---@param out? file*
function dis.disass(code, addr, out) end
---@param code string
---@param addr? integer
---@param out? file*
function dis.disass64(code, addr, out) end
---@param code string
---@param addr? integer
---@param out? file*
function dis.create64(code, addr, out) end
---@param r integer
---@return string
function dis.regname(r) end
---@param r integer
---@return string
function dis.regname64(r) end
-- modules: jit.dis_x86 jit.dis_x64 jit.dis_arm jit.dis_arm64

return { v = v, dump = dump, p = p, zone = zone, bc = bc, bcsave = bcsave, dis = dis }
