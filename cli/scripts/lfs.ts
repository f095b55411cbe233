/**
 * nmap's `lfs` NSE module (nse_fs.cc of nmap 7.93, after LuaFileSystem 1.5.0): `lfs.dir`,
 * `lfs.mkdir`, `lfs.rmdir`, `lfs.link` and `lfs.get_path_separator`, confined as io.open is:
 * changes only under --script-write-dir, listings only there and in the data directories
 * (write_dir.ts decides). Refusals come back as nmap's failures do, never as a thrown error,
 * except lfs.dir's "cannot open", which nmap raises too.
 */
import type { FileRefusal, ScriptWriteDir } from "./write_dir.ts";

/** The Lua module; loaded with the host table, the runtime's wire/unwire and argument checks. */
export const LFS_LUA = String.raw`
local host, _, _, cargs = ...
local str = cargs.str
local M = {
  _COPYRIGHT = "Copyright (C) 2003-2009 Kepler Project",
  _DESCRIPTION = "LuaFileSystem is a Lua library developed to complement the set of functions related to file systems offered by the standard Lua distribution",
  _VERSION = "LuaFileSystem 1.5.0",
}
-- mkdir and rmdir answer (nil, strerror); link adds the errno, as nse_fs.cc's pusherror.
function M.mkdir(path)
  local r = host.lfs_mkdir(str(path, 1, "mkdir"))
  if r == true then return true end
  return nil, r.err
end
function M.rmdir(path)
  local r = host.lfs_rmdir(str(path, 1, "rmdir"))
  if r == true then return true end
  return nil, r.err
end
function M.link(target, name, symbolic)
  local r = host.lfs_link(str(target, 1, "link"), str(name, 2, "link"), symbolic and true or false)
  if r == true then return true end
  return nil, r.err, r.errno
end
local Dir = {}
local DIR_META = { __index = Dir, __name = "directory metatable" }
function Dir:next()
  if self.closed then error("bad argument #1 to 'next' (closed directory)", 2) end
  self.i = self.i + 1
  local name = self.names[self.i]
  if name == nil then self.closed = true end
  return name
end
function Dir:close() self.closed = true end
function M.dir(path)
  path = str(path, 1, "dir")
  local r = host.lfs_dir(path)
  if r.err then error("cannot open " .. path .. ": " .. r.err, 2) end
  local names = {}
  for name in r.names:gmatch("[^/]+") do names[#names + 1] = name end
  return Dir.next, setmetatable({ names = names, i = 0 }, DIR_META)
end
function M.get_path_separator() return "/" end
return M
`;

/** The host functions LFS_LUA calls, over the engine's write directory. */
export function lfsHost(dir: ScriptWriteDir) {
  return {
    lfs_mkdir: (path: string): true | FileRefusal => dir.mkdir(path),
    lfs_rmdir: (path: string): true | FileRefusal => dir.rmdir(path),
    lfs_link: (target: string, name: string, symbolic: boolean): true | FileRefusal =>
      dir.link(target, name, symbolic),
    lfs_dir: (path: string) => {
      const r = dir.list(path);
      if (!Array.isArray(r)) return r;
      // One string: no file name holds a "/".
      return { names: r.join("/") };
    },
  };
}
