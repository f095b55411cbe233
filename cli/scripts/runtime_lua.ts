/**
 * The Lua half of Porthole's NSE runtime: the `nmap` module, the script loader, nmap's script
 * scheduling (each script action a coroutine; a socket call yields it until its I/O completes)
 * and nmap's output formatting. The JavaScript half (engine.ts) hands it a `host` table of
 * functions: sandboxed file reads, asynchronous socket operations and the clock.
 *
 * Bytes cross the JS/Lua border as hex: wasmoon converts strings as UTF-8, which would mangle
 * binary protocol data.
 */
export const RUNTIME_LUA = String.raw`
local host = ...
local lua_load
local YIELD = {}
local current -- the script thread running now (for stdnse.getid and debug prefixes)
local threads, waiting = {}, {} -- the scheduler's threads, and those waiting for I/O by operation
local cocreate, coresume, costatus, coyield = coroutine.create, coroutine.resume, coroutine.status, coroutine.yield
local char, byte, format, concat = string.char, string.byte, string.format, table.concat

local function unhex(h) return (h:gsub("%x%x", function(c) return char(tonumber(c, 16)) end)) end
local function tohex(s) return (s:gsub(".", function(c) return format("%02x", byte(c)) end)) end
-- Valid UTF-8 without NUL crosses as text ("t..."), anything else as hex ("h..."): most data is
-- text, and decoding hex in Lua is slow.
local function unwire(w) if w:sub(1, 1) == "t" then return w:sub(2) end return unhex(w:sub(2)) end
local function wire(s)
  if not s:find("\0", 1, true) and utf8.len(s) then return "t" .. s end
  return "h" .. tohex(s)
end

-- nmap's scripts may nest coroutines: a yield made by NSE (I/O) inside one passes through to
-- the scheduler, as nse_main.lua does it.
do
  local function handle(co, ok, ...)
    if ok and (...) == YIELD then
      return handle(co, coresume(co, coyield(...)))
    end
    return ok, ...
  end
  function coroutine.resume(co, ...) return handle(co, coresume(co, ...)) end
  local resume = coroutine.resume
  local function unwrap(ok, ...)
    if not ok then error(..., 2) end
    return ...
  end
  function coroutine.wrap(f)
    local co = cocreate(f)
    return function(...) return unwrap(resume(co, ...)) end
  end
end

-- Starts an asynchronous host operation and yields until it completes.
local function await(kind, ...)
  local id = host.start(kind, ...)
  return coyield(YIELD, id)
end

-- Lua's io, os and loaders: only what the sandbox allows.
-- Files: read under the data directories, written only under --script-write-dir (JavaScript
-- checks the path: engine.ts, write_dir.ts).
local File = {}
File.__index = File
function File:read(fmt)
  fmt = fmt or "l"
  if type(fmt) == "number" then
    if self.pos > #self.data then return nil end
    local d = self.data:sub(self.pos, self.pos + fmt - 1)
    self.pos = self.pos + fmt
    return d
  end
  fmt = fmt:gsub("^%*", ""):sub(1, 1)
  if fmt == "a" then
    local d = self.data:sub(self.pos)
    self.pos = #self.data + 1
    return d
  end
  if self.pos > #self.data then return nil end
  local e = self.data:find("\n", self.pos, true) or #self.data + 1
  local line = self.data:sub(self.pos, fmt == "L" and e or e - 1)
  self.pos = e + 1
  if fmt == "n" then return tonumber(line) end
  return line
end
function File:lines(fmt) return function() return self:read(fmt) end end
function File:close() return true end
function File:seek() return self.pos - 1 end
function File:write() return nil, "file not opened for writing", 9 end
function File:flush() return self end
function File:setvbuf() return true end
-- Files opened for writing: a handle on the JavaScript side, which placed the path under
-- --script-write-dir (write_dir.ts) and refuses any other.
local WFile = {}
WFile.__index = WFile
WFile.__name = "FILE*"
local function wcheck(self)
  if not self.id then error("attempt to use a closed file", 3) end
  return self.id
end
function WFile:write(...)
  local id = wcheck(self)
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if type(v) == "number" then v = tostring(v) end
    if type(v) ~= "string" then
      error("bad argument #" .. i .. " to 'write' (string expected, got " .. type(v) .. ")", 2)
    end
    host.file_write(id, wire(v))
  end
  return self
end
function WFile:read(fmt)
  local id = wcheck(self)
  fmt = fmt or "l"
  if type(fmt) == "number" then
    local h = host.file_read(id, fmt)
    return h and unwire(h) or (fmt == 0 and "" or nil)
  end
  fmt = fmt:gsub("^%*", ""):sub(1, 1)
  if fmt == "a" then
    local h = host.file_read(id, -1)
    return h and unwire(h) or ""
  end
  local line = {}
  while true do
    local h = host.file_read(id, 1)
    if not h then break end
    local c = unwire(h)
    if c == "\n" then
      if fmt == "L" then line[#line + 1] = c end
      return concat(line)
    end
    line[#line + 1] = c
  end
  if #line == 0 then return nil end
  local s = concat(line)
  if fmt == "n" then return tonumber(s) end
  return s
end
function WFile:lines(fmt) return function() return self:read(fmt) end end
function WFile:seek(whence, offset)
  return host.file_seek(wcheck(self), whence or "cur", offset or 0)
end
function WFile:flush() host.file_flush(wcheck(self)); return self end
function WFile:setvbuf() wcheck(self); return true end
function WFile:close()
  host.file_close(wcheck(self))
  self.id = nil
  return true
end
local function open_file(path, mode)
  path, mode = tostring(path), mode or "r"
  if not mode:match("^[rwa]%+?b?$") then error("bad argument #2 to 'open' (invalid mode)", 2) end
  if mode:match("^r") and not mode:match("%+") then
    local h = host.read_file(path)
    if not h then return nil, path .. ": No such file or directory", 2 end
    return setmetatable({ data = unwire(h), pos = 1 }, File)
  end
  local r = host.file_open(path, mode)
  if type(r) ~= "number" then return nil, r.err, r.errno end
  return setmetatable({ id = r }, WFile)
end
io = {
  write = function(...) host.log(0, concat({ ... })) end,
  open = open_file,
  lines = function(path, fmt)
    local f = assert(open_file(path))
    return f:lines(fmt)
  end,
  close = function(f) return f:close() end,
  type = function(f)
    local mt = getmetatable(f)
    if mt == WFile then return f.id and "file" or "closed file" end
    if mt == File then return "file" end
    return nil
  end,
}
local os_time, os_date, os_clock, os_difftime, os_getenv = os.time, os.date, os.clock, os.difftime, os.getenv
os = { time = os_time, date = os_date, clock = os_clock, difftime = os_difftime,
  getenv = function() return nil end }
dofile, loadfile = nil, nil
-- Scripts load text only: crafted bytecode could corrupt the VM's memory.
lua_load = load
load = function(chunk, name, _, ...)
  if select("#", ...) == 0 then return lua_load(chunk, name, "t") end
  return lua_load(chunk, name, "t", (...))
end
package.loaded.io, package.loaded.os = io, os -- what require "io" / "os" give too

local function read_lib(name)
  local h = host.read_lib(name)
  if h then return unwire(h) end
end
package.path, package.cpath = "", ""
-- C modules of nmap that Porthole does not have yet: the scripts needing them skip with this note.
local MISSING = { libssh2 = true, brotli = true }
-- nmap's C modules that Porthole has in Lua (openssl.ts, pcre.ts, zlib.ts over host functions,
-- lpeg.ts on its own): each chunk gets the host table, the runtime's wire/unwire and cargs.
-- Their argument checks, in lauxlib's words: int(v, default, n, fname) is luaL_optinteger
-- (luaL_checkinteger without a default), str(v, n, fname) luaL_checkstring.
local cargs = {}
function cargs.int(v, def, n, fname)
  if v == nil and def ~= nil then return def end
  local i = math.tointeger(v)
  if i then return i end
  local why = type(v) == "number" and "number has no integer representation"
    or "number expected, got " .. (v == nil and "no value" or type(v))
  error("bad argument #" .. n .. " to '" .. fname .. "' (" .. why .. ")", 0)
end
function cargs.str(v, n, fname)
  if type(v) == "number" then return tostring(v) end
  if type(v) ~= "string" then
    error("bad argument #" .. n .. " to '" .. fname .. "' (string expected, got " .. (v == nil and "no value" or type(v)) .. ")", 0)
  end
  return v
end
function add_c_module(name, src)
  package.preload[name] = function()
    return assert(lua_load(src, "=" .. name, "t"))(host, wire, unwire, cargs)
  end
  return true
end
-- shortport.ssl probes a port it cannot name by its number (ssl-cert's portrule asks for every
-- open port; http.lua, smtp-ntlm-info and others too) and keeps the verdict in host.registry.ssl,
-- under one mutex per host: a host's ports wait for each other, a port silent to both TLS probes
-- costs comm's 2 x 7 s, and -sC on a host with many such ports spends minutes on this one chain
-- (in nmap too: ~35 silent ports, ~500 s, in the real-daemons lab). Here nselib's own function runs
-- under one mutex per port: each port is still probed once, with nselib's probes and verdicts, and
-- the verdict lands in host.registry.ssl as before; only the ports no longer queue behind each other.
local ssl_cells = setmetatable({}, { __mode = "k" })
local function ssl_per_port(ssl)
  return function(h, p)
    if type(h) ~= "table" or type(h.registry) ~= "table" or type(p) ~= "table" then
      return ssl(h, p)
    end
    local reg = h.registry
    reg.ssl = reg.ssl or {}
    local key = tostring(p.number) .. tostring(p.protocol)
    local cells = ssl_cells[reg.ssl] or {}
    ssl_cells[reg.ssl] = cells
    local cell = cells[key] or { [key] = reg.ssl[key] }
    cells[key] = cell
    -- The host as shortport sees it: its own fields, a registry whose ssl table is this port's.
    local v = ssl(setmetatable({ registry = { ssl = cell } }, { __index = h }), p)
    if cell[key] ~= nil then reg.ssl[key] = cell[key] end
    return v
  end
end
package.searchers = {
  function(name)
    if MISSING[name] then return "\n\tnmap's C module '" .. name .. "' is not available in Porthole's NSE" end
  end,
  function(name) return package.preload[name] and package.preload[name] or "\n\tno field package.preload['" .. name .. "']" end,
  function(name)
    local path = "nselib/" .. name:gsub("%.", "/") .. ".lua"
    local src = read_lib(path)
    if not src then return "\n\tno file '" .. path .. "'" end
    local f, err = lua_load(src, "@" .. path, "t")
    if not f then error(err, 0) end
    if name == "shortport" then
      return function(...)
        local m = f(...)
        rawset(m, "ssl", ssl_per_port(m.ssl))
        return m
      end, path
    end
    if name ~= "stdnse" then return f, path end
    -- nse_main.lua adds silent_require to stdnse: a require whose failure ends the script
    -- quietly (shown with -d).
    return function(...)
      local m = f(...)
      rawset(m, "getid", function() return current and current.script.id end)
      rawset(m, "getinfo", function() return current and current.script.id end)
      rawset(m, "gethostport", function()
        if current then return current.host, current.port end
      end)
      -- A worker thread of the running script (nse_main.lua): scheduled as scripts are, its
      -- end or error seen through the status function; it prints nothing.
      rawset(m, "new_thread", function(main, ...)
        assert(type(main) == "function", "function expected")
        if not current then error("stdnse.new_thread can only be run from an active script", 2) end
        local co = cocreate(main)
        local w = setmetatable({ co = co, args = table.pack(...), worker = true, runnable = true,
          start = host.clock_ms() },
          { __index = current })
        threads[#threads + 1] = w
        return co, function() return costatus(co), rawget(w, "error") end
      end)
      rawset(m, "base", function() return current and current.co end)
      rawset(m, "silent_require", function(...)
        local ok, lib = pcall(require, ...)
        if not ok then error(lib, 2) end
        return lib
      end)
      return m
    end, path
  end,
}

---------------------------------------------------------------- the nmap module
local nmap = { registry = { args = {} } }
local opts = host.options()
-- nmap gives the scripts chosen by name one more level of verbosity.
function nmap.verbosity()
  return opts.verbosity + ((current and current.script.by_name) and 1 or 0)
end
function nmap.debugging() return opts.debugging end
function nmap.address_family() return opts.family end
function nmap.is_privileged() return opts.privileged end
function nmap.clock() return host.clock_ms() / 1000 end
function nmap.clock_ms() return host.clock_ms() end
function nmap.timing_level() return opts.timing end
function nmap.have_ssl() return true end
function nmap.list_interfaces() return {} end
function nmap.log_write(_, msg) host.log(0, msg) end
function nmap.fetchfile(name)
  return (host.fetchfile(name))
end
local host_ports = setmetatable({}, { __mode = "k" })
function nmap.get_port_state(h, p)
  for _, q in ipairs(host_ports[h] or {}) do
    if q.number == p.number and q.protocol == (p.protocol or "tcp") then return q end
  end
end
-- Iterates the host's ports after 'port' with the given protocol and state (nmap's order).
function nmap.get_ports(h, port, proto, state)
  local list = host_ports[h] or {}
  local after = port == nil
  for _, q in ipairs(list) do
    if after and q.protocol == proto and q.state == state then return q end
    if port and q.number == port.number and q.protocol == port.protocol then after = true end
  end
end
function nmap.set_port_state() end
-- nmap's set_port_version (nse_nmaplib.cc): the port's version table becomes its service, as
-- -sV's would; later scripts see the new name, and the report shows it (engine.ts).
local PROBE_STATES = { hardmatched = true, softmatched = true, nomatch = true, tcpwrapped = true,
  incomplete = true }
function nmap.set_port_version(h, p, probestate)
  probestate = probestate or "hardmatched"
  if not PROBE_STATES[probestate] then error("bad argument #3 to 'set_port_version' (invalid option '" .. tostring(probestate) .. "')", 2) end
  local v = p.version
  if type(v) ~= "table" then error("port 'version' field must be a table", 2) end
  local tunnel = v.service_tunnel
  if tunnel ~= nil and tunnel ~= "none" and tunnel ~= "ssl" then
    error("bad argument #2 to 'set_port_version' (invalid value for port.version.service_tunnel)", 2)
  end
  local q = nmap.get_port_state(h, p)
  if not q then return end
  local function s(x) if x ~= nil then return tostring(x) end end
  local cpe = {}
  for _, c in ipairs(type(v.cpe) == "table" and v.cpe or {}) do cpe[#cpe + 1] = tostring(c) end
  local matched = probestate == "hardmatched" or probestate == "softmatched"
  if matched and v.name then q.service = s(v.name) end
  if q ~= p then
    q.version = q.version or {}
    for k, x in pairs(v) do q.version[k] = x end
  end
  if matched then q.version.service_dtype, q.version.name_confidence = "probed", 10 end
  host.set_port_version(h.ip, q.number, q.protocol, probestate, s(v.name), s(v.product),
    s(v.version), s(v.extrainfo), s(v.hostname), s(v.ostype), s(v.devicetype), tunnel or "none",
    table.concat(cpe, "\n"))
end
function nmap.port_is_excluded() return false end
function nmap.version_intensity() return opts.version_intensity end
function nmap.get_interface() return nil end
function nmap.get_interface_info() return nil, "not available in Porthole's NSE" end
function nmap.resolve() return false, "not available in Porthole's NSE" end
function nmap.add_targets() return false, "not available in Porthole's NSE" end
function nmap.new_targets_num() return 0 end
-- nmap's try: returns the values after a true status; otherwise runs the handler and throws.
function nmap.new_try(handler)
  return function(status, ...)
    if status then return ... end
    if handler then handler() end
    error((...), 0)
  end
end

local Socket = {}
Socket.__index = Socket
-- A socket no script can reach any more is closed, as nmap's are when Lua collects them: a script
-- that ends without closing (or fails) must not hold a daemon's connection slot to the end.
Socket.__gc = function(self)
  if self.id then host.close(self.id) end
  self.id = nil
end
local function sock_result(ok, a, ...)
  if ok then return true, a, ... end
  return false, a
end
function nmap.new_socket(proto)
  return setmetatable({ proto = proto or "tcp", buf = "", timeout = 30000 }, Socket)
end
function Socket:set_timeout(ms) self.timeout = math.tointeger(ms) or 30000 end
-- nmap's socket lock (nse_nsock.cc): at most --max-parallelism + 1, by default MAX_PARALLELISM + 1
-- (21: nmap counts with <=) script
-- threads hold connected sockets at once; a thread's first connect waits for room, and the thread gives its place up
-- when none of its sockets is open any more, or when it ends. Without it every script of every
-- port connects at once, and daemons that limit connections per client (vsftpd, Dovecot, Exim,
-- sshd's MaxStartups) turn most of them away.
local MAX_SOCKET_THREADS = opts.max_parallelism > 0 and opts.max_parallelism or 20
local LOCK_WAIT = {} -- what a thread waiting for room yields (with YIELD, so it passes through)
local lock_holders, lock_count, lock_queue = {}, 0, {}
local function socket_lock(sock)
  local t = current
  if not t then return end
  while true do
    local held = lock_holders[t]
    if held then held[sock] = true return end
    if lock_count <= MAX_SOCKET_THREADS then
      lock_holders[t] = setmetatable({ [sock] = true }, { __mode = "k" })
      lock_count = lock_count + 1
      return
    end
    lock_queue[#lock_queue + 1] = t
    coyield(YIELD, LOCK_WAIT)
  end
end
-- Drops the threads that hold no open socket (or, given one, that thread), and wakes as many
-- waiting threads, first come first served, as there is room for.
local function socket_unlock(ended)
  for t, held in pairs(lock_holders) do
    local open = false
    if t ~= ended then
      -- A socket counts from its connect on (nmap's nsiod exists before the connect completes).
      for s in pairs(held) do if s.id or s.connecting then open = true break end end
    end
    if not open then
      lock_holders[t] = nil
      lock_count = lock_count - 1
    end
  end
  -- A woken thread takes its place when it runs (and queues again if another took it first).
  for _ = 1, math.min(MAX_SOCKET_THREADS + 1 - lock_count, #lock_queue) do
    local t = table.remove(lock_queue, 1)
    t.runnable, t.args = true, { n = 0 }
  end
end
function Socket:connect(h, p, proto)
  socket_lock(self)
  local ip = type(h) == "table" and h.ip or h
  local port = type(p) == "table" and p.number or tonumber(p)
  proto = proto or (type(p) == "table" and p.protocol) or self.proto
  if proto == "udp" then self.proto = "udp" end
  -- nmap names the host in TLS's server_name (SNI) when the user gave a name.
  local sni = type(h) == "table" and h.targetname or nil
  self.connecting = true
  local r = await("connect", tostring(ip), math.tointeger(port) or 0, proto, self.timeout, sni,
    self.local_port)
  self.connecting = nil
  if not r.ok then
    socket_unlock()
    return false, r.err
  end
  self.id = r.sock
  self.info = r.info
  return true
end
-- The local port the next connect leaves from (nmap's bind; rpc.lua asks for a reserved one as
-- root). The address stays the route's: Porthole's sandbox binds no other.
function Socket:bind(addr, port)
  if self.id then return false, "socket already connected" end
  self.local_port = math.tointeger(port)
  return true
end
function Socket:send(data)
  if not self.id then return false, "Trying to send through a closed socket" end
  local r = await("send", self.id, wire(tostring(data)), self.timeout)
  if not r.ok then return false, r.err end
  return true
end
function Socket:sendto(h, p, data)
  if not self.id then
    local ok, err = self:connect(h, p, "udp")
    if not ok then return false, err end
  end
  return self:send(data)
end
-- Reads more bytes into the socket's buffer; false, error at EOF or timeout.
local function fill(self)
  if not self.id then return false, "Trying to receive through a closed socket" end
  local r = await("receive", self.id, self.timeout)
  if not r.ok then return false, r.err end
  self.buf = self.buf .. unwire(r.data)
  return true
end
-- Fills the buffer until enough() holds and something arrived, then hands the buffer over; an
-- error (EOF, timeout) ends the wait, and is returned only when nothing arrived at all.
local function receive_until(self, enough)
  while not enough() or #self.buf == 0 do
    local ok, err = fill(self)
    if not ok then
      if #self.buf > 0 then break end
      return false, err
    end
  end
  local data = self.buf
  self.buf = ""
  return true, data
end
function Socket:receive()
  return receive_until(self, function() return true end)
end
function Socket:receive_bytes(n)
  return receive_until(self, function() return #self.buf >= n end)
end
function Socket:receive_lines(n)
  return receive_until(self, function() local _, c = self.buf:gsub("\n", "") return c >= n end)
end
function Socket:receive_buf(delim, keep)
  while true do
    local s, e
    if type(delim) == "function" then s, e = delim(self.buf) else s, e = self.buf:find(delim) end
    if s then
      local data = keep and self.buf:sub(1, e) or self.buf:sub(1, s - 1)
      self.buf = self.buf:sub(e + 1)
      return true, data
    end
    local ok, err = fill(self)
    if not ok then return false, err end
  end
end
function Socket:get_info()
  if not self.id then return false, "not connected" end
  local i = self.info
  return true, i.lhost, math.tointeger(i.lport), i.rhost, math.tointeger(i.rport)
end
-- nmap's certificate table (nse_ssl_cert.cc) from the fields engine.ts read out of the DER.
-- wasmoon hands nested JavaScript objects over as proxies: each is copied into a Lua table.
local function list(proxy)
  local t = {}
  for i = 1, #proxy do t[i] = proxy[i] end
  return t
end
local function date(d)
  if type(d) == "string" or d == nil then return d end
  return { year = d.year, month = d.month, day = d.day, hour = d.hour, min = d.min, sec = d.sec }
end
local function cert_table(f)
  if not f then return nil end
  local openssl = require "openssl"
  local function names(entries)
    local t = {}
    for _, n in ipairs(list(entries)) do
      t[type(n.key) == "string" and n.key or list(n.key)] = unwire(n.value)
    end
    return t
  end
  local pk = { type = f.pubkey.type, bits = math.tointeger(f.pubkey.bits) }
  if f.pubkey.modulus then
    pk.modulus = openssl.bignum_hex2bn(f.pubkey.modulus)
    pk.exponent = openssl.bignum_hex2bn(f.pubkey.exponent)
  end
  if f.pubkey.curve then
    pk.ecdhparams = { curve_params = { curve = f.pubkey.curve, ec_curve_type = "namedcurve" } }
  end
  local exts
  if f.extensions then
    exts = {}
    for i, e in ipairs(list(f.extensions)) do
      exts[i] = { name = e.name, value = e.value, critical = e.critical, error = e.error }
    end
  end
  local der = unhex(f.der)
  local cert = { subject = names(f.subject), issuer = names(f.issuer), sig_algorithm = f.sig_algorithm,
    validity = { notBefore = date(f.validity.notBefore), notAfter = date(f.validity.notAfter) }, pem = f.pem,
    extensions = exts, pubkey = pk }
  return setmetatable(cert, { __index = {
    digest = function(_, alg) return openssl.digest(alg, der) end,
  } })
end
function Socket:get_ssl_certificate()
  if not self.id then return nil end
  return cert_table(host.peer_certificate(self.id))
end
-- STARTTLS: TLS from here on, over the same connection.
function Socket:reconnect_ssl()
  if not self.id then return false, "Trying to reconnect a closed socket" end
  local r = await("starttls", self.id, self.timeout)
  if not r.ok then return false, r.err end
  self.buf = ""
  return true
end
function Socket:close()
  if self.id then host.close(self.id) end
  self.id = nil
  self.buf = ""
  socket_unlock()
  return true
end
nmap.socket = { sleep = function(t) await("sleep", math.floor(t * 1000)) end,
  parse_ssl_certificate = function(der) return cert_table(host.parse_certificate(wire(der))) end }

-- Threads waiting for a mutex or a condition variable sleep until they are woken (nmap's
-- nse_nmaplib.cc keeps them on a list too): polling them every 10 ms woke the scheduler hundreds
-- of times a second while HTTP scripts queued on http.lua's cache mutex, and kept Lua busy.
local function sleep_until_woken(list)
  local t = current
  if not t then return await("sleep", 10) end
  list[#list + 1] = t
  coyield(YIELD, LOCK_WAIT)
end
-- Wakes the first waiting thread still scheduled (every one when all is set); true when one woke.
local function wake(list, all)
  while #list > 0 do
    local t = table.remove(list, 1)
    if not rawget(t, "gone") then
      t.runnable, t.args = true, { n = 0 }
      if not all then return true end
    end
  end
  return false
end
-- Mutexes whose owner may end without "done" (an error, a timeout): a thread's end wakes the
-- next waiter of each mutex left to a dead owner, who then takes the lock.
local mutexes = setmetatable({}, { __mode = "k" })
local function free(m) return not m.owner or costatus(m.owner) == "dead" end
local function wake_orphans()
  for m in pairs(mutexes) do
    if #m.waiters > 0 and free(m) then wake(m.waiters) end
  end
end

function nmap.mutex(obj)
  local reg = nmap.registry["__mutex"] or setmetatable({}, { __mode = "k" })
  nmap.registry["__mutex"] = reg
  if reg[obj] then return reg[obj] end
  local m = { waiters = {} }
  mutexes[m] = true
  local f = function(op)
    local me = coroutine.running()
    if op == "lock" then
      while not free(m) and m.owner ~= me do sleep_until_woken(m.waiters) end
      m.owner = me
      return true
    elseif op == "trylock" then
      if not free(m) and m.owner ~= me then return false end
      m.owner = me
      return true
    elseif op == "done" then
      if m.owner == me then
        m.owner = nil
        wake(m.waiters)
      end
      return true
    elseif op == "running" then
      return m.owner
    end
    error("invalid mutex operation " .. tostring(op))
  end
  reg[obj] = f
  return f
end
-- One condition variable per object, as nmap's: a worker's signal reaches the thread that waits
-- on the same object, whoever asked for the condvar first. "signal" wakes the first waiter,
-- "broadcast" all.
local condvars = setmetatable({}, { __mode = "k" })
function nmap.condvar(obj)
  if condvars[obj] then return condvars[obj] end
  local waiters = {}
  condvars[obj] = function(op)
    if op == "wait" then
      sleep_until_woken(waiters)
    elseif op == "signal" or op == "broadcast" then
      wake(waiters, op == "broadcast")
    end
  end
  return condvars[obj]
end
package.loaded.nmap = nmap

-- nmap's nmapdb (nse_db.cc), the lookups its C side does for NSE's datafiles library: mac2corp is
-- the vendor of a MAC address as the "MAC Address:" line names it (nmap's nmap-mac-prefixes,
-- then Porthole's table of the IEEE registry), or nil. A 6-byte string is the address itself;
-- otherwise 12 hex digits, colons allowed between the bytes.
local nmapdb = {}
function nmapdb.mac2corp(mac)
  mac = tostring(mac)
  local bytes
  if #mac == 6 then
    bytes = { mac:byte(1, 6) }
  else
    bytes = {}
    local i = 1
    while i < #mac and #bytes < 6 do
      if mac:sub(i, i) == ":" and i + 1 < #mac then i = i + 1 end
      local h = mac:sub(i, i + 1)
      if not h:match("^%x%x$") then break end
      bytes[#bytes + 1] = tonumber(h, 16)
      i = i + 2
    end
    if #bytes ~= 6 or i <= #mac then error("Expected a 6-byte MAC address", 2) end
  end
  local r = await("mac_vendor", format("%02X:%02X:%02X:%02X:%02X:%02X", table.unpack(bytes)))
  if r.ok then return r.vendor end
end
package.loaded.nmapdb = nmapdb

-- --script-args: "k=v,k2={a,b=c},k3='x,y'" into nmap.registry.args (nmap's syntax).
function set_args(s)
  local i = 1
  local function skip() i = s:find("[^%s]", i) or #s + 1 end
  local pair
  local function value()
    skip()
    local c = s:sub(i, i)
    if c == "{" then
      i = i + 1
      local t = {}
      while true do
        skip()
        local d = s:sub(i, i)
        if d == "}" then i = i + 1 return t end
        if d == "" then error("unterminated table in script arguments") end
        local k, v = pair()
        if v == nil then t[#t + 1] = k else t[k] = v end
        skip()
        if s:sub(i, i) == "," then i = i + 1 end
      end
    elseif c == '"' or c == "'" then
      local out, j = {}, i + 1
      while true do
        local d = s:sub(j, j)
        if d == "" then error("unterminated string in script arguments") end
        if d == "\\" then out[#out + 1] = s:sub(j + 1, j + 1) j = j + 2
        elseif d == c then break
        else out[#out + 1] = d j = j + 1 end
      end
      i = j + 1
      return concat(out)
    end
    local j = s:find("[,={}]", i) or #s + 1
    local v = s:sub(i, j - 1):match("^(.-)%s*$")
    i = j
    return v
  end
  function pair()
    local k = value()
    skip()
    if s:sub(i, i) == "=" then i = i + 1 return k, value() end
    return k, nil
  end
  local args = nmap.registry.args
  while true do
    skip()
    if i > #s then break end
    local k, v = pair()
    if v == nil then args[#args + 1] = k else args[k] = v end
    skip()
    local c = s:sub(i, i)
    if c == "," then i = i + 1 elseif c ~= "" then error("bad script arguments near '" .. s:sub(i) .. "'") end
  end
  return true
end

---------------------------------------------------------------- scripts
local scripts = {}

-- Runs the script's file in a fresh environment, as nmap does for each thread.
local function instantiate(s, rule)
  local env = setmetatable({ SCRIPT_PATH = s.path, SCRIPT_NAME = s.id, SCRIPT_TYPE = rule }, { __index = _G })
  -- Compiled once; each thread gets the bytecode loaded again with its own environment.
  if not s.bytecode then
    local f, err = lua_load(s.source, "@" .. s.path, "t")
    if not f then return nil, err end
    s.bytecode = string.dump(f)
  end
  local f, err = lua_load(s.bytecode, "@" .. s.path, "b", env)
  if not f then return nil, err end
  local ok, e = pcall(f)
  if not ok then return nil, e end
  return env
end

function load_script(path, wiresrc, by_name)
  local id = path:match("([^/]+)%.nse$") or path:match("([^/]+)$")
  local s = { path = path, id = id, source = unwire(wiresrc), by_name = by_name == true }
  local env, err = instantiate(s)
  if not env then return nil, tostring(err) end
  if type(rawget(env, "action")) ~= "function" then return nil, "no action function" end
  s.categories = rawget(env, "categories") or {}
  s.dependencies = rawget(env, "dependencies") or {}
  s.description = rawget(env, "description")
  local rules = {}
  for _, r in ipairs({ "prerule", "hostrule", "portrule", "postrule" }) do
    if type(rawget(env, r)) == "function" then rules[#rules + 1] = r end
  end
  if #rules == 0 then return nil, "no rule function" end
  s.rules = rules
  scripts[#scripts + 1] = s
  return { id = id, categories = concat(s.categories, ","), dependencies = concat(s.dependencies, ","),
    rules = concat(rules, ","), description = tohex(tostring(s.description or "")) }
end

---------------------------------------------------------------- output
local function format_table(obj, indent)
  indent = indent or "  "
  if type(obj) ~= "table" then return tostring(obj) end
  local mt = getmetatable(obj)
  if mt and mt.__tostring then return tostring(obj) end
  local out = {}
  for _, v in ipairs(obj) do
    out[#out + 1] = "\n" .. indent .. format_table(v, indent .. "  ")
  end
  for k, v in pairs(obj) do
    if type(k) == "string" then
      out[#out + 1] = "\n" .. indent .. k .. ": " .. format_table(v, indent .. "  ")
    end
  end
  return concat(out)
end

-- The structured output as a flat list of lines, one per element in nmap's order (integer keys,
-- then string keys): "t KEY" opens a table, "e KEY VALUE" is an element, "/" closes a table;
-- KEY and VALUE in hex, KEY "-" when absent.
local function format_elems(out, obj)
  local function one(v, k)
    local key = k and tohex(tostring(k)) or "-"
    if type(v) == "table" then
      out[#out + 1] = "t " .. key
      format_elems(out, v)
      out[#out + 1] = "/"
    else
      out[#out + 1] = "e " .. key .. " " .. tohex(tostring(v))
    end
  end
  for _, v in ipairs(obj) do one(v) end
  for k, v in pairs(obj) do
    if type(k) == "string" then one(v, k) end
  end
end

---------------------------------------------------------------- scheduling

-- nmap's " against NAME (IP:PORT)" of its -d lines (nse_main.lua: against_name).
local function against_name(h, p)
  local ipport = h and h.ip and (p and (h.ip .. ":" .. p.number) or h.ip)
  local name = h and h.targetname
  local against = (name and ipport) and (name .. " (" .. ipport .. ")") or name or ipport
  return against and (" against " .. against) or ""
end

-- A rule may do I/O too, so it runs inside the script's coroutine, before the action.
local NO_MATCH = {}
local function new_thread(s, rule, h, p)
  local env, err = instantiate(s, rule)
  if not env then host.log(1, s.id .. ": " .. tostring(err)) return end
  local rulef, action = rawget(env, rule), rawget(env, "action")
  local co = cocreate(function()
    local ok, match = pcall(rulef, h, p)
    if not ok then
      host.log(1, s.id .. " " .. rule .. ": " .. tostring(match))
      return NO_MATCH
    end
    if not match then return NO_MATCH end
    if opts.debugging > 0 then host.log(1, "Starting " .. s.id .. against_name(h, p) .. ".") end
    return action(h, p)
  end)
  threads[#threads + 1] = { co = co, script = s, rule = rule, host = h, port = p, args = { n = 0 }, start = host.clock_ms() }
end

local function set_output(t, r1, r2)
  if r1 == NO_MATCH then return end
  local tab, str
  if r2 ~= nil then tab, str = r1, tostring(r2)
  elseif type(r1) == "string" then str = r1
  elseif r1 == nil then return
  else tab = r1 end
  local elems
  if type(tab) == "table" then
    local out = {}
    format_elems(out, tab)
    elems = concat(out, "\n")
  end
  if str == nil then str = format_table(tab) end
  host.result(t.script.id, t.rule, t.host and t.host.ip, t.port and t.port.number, t.port and t.port.protocol, tohex(str), elems)
end

-- One pass over the runnable threads; returns whether any thread is left.
local function step(timeout_ms)
  timeout_ms = timeout_ms or 0
  local still = {}
  for _, t in ipairs(threads) do
    if timeout_ms > 0 and host.clock_ms() - t.start > timeout_ms then
      host.log(1, t.script.id .. " timed out")
      rawset(t, "gone", true)
      socket_unlock(t)
      wake_orphans()
    elseif t.runnable ~= false then
      current = t
      local r = table.pack(coresume(t.co, table.unpack(t.args, 1, t.args.n)))
      current = nil
      if not r[1] or costatus(t.co) == "dead" then
        rawset(t, "gone", true)
        socket_unlock(t)
        wake_orphans()
      end
      if not r[1] then
        if t.worker then rawset(t, "error", r[2]) end
        host.log(1, t.script.id .. " " .. t.rule .. (t.worker and " worker" or "") .. " failed: " .. tostring(r[2]))
      elseif costatus(t.co) == "dead" then
        if not t.worker then set_output(t, r[2], r[3]) end
        if not t.worker and r[2] ~= NO_MATCH and opts.debugging > 0 then
          host.log(1, "Finished " .. t.script.id .. against_name(t.host, t.port) .. ".")
        end
      elseif r[2] == YIELD then
        t.runnable = false
        if r[3] ~= LOCK_WAIT then waiting[r[3]] = t end
        still[#still + 1] = t
      else
        t.args = { n = 0 }
        still[#still + 1] = t
      end
    else
      still[#still + 1] = t
    end
  end
  threads = still
  return #threads > 0
end

-- Runs every thread to its end: the engine coroutine yields to JavaScript whenever all threads
-- wait for I/O, and JavaScript resumes it with the operations that completed.
local function run(timeout_ms)
  while step(timeout_ms) do
    -- Every round, as nse_main.lua's loop calls nse_nsock.cc's socket_unlock: a thread whose
    -- sockets Lua collected (closed by __gc) gives its place in the socket lock up. (nmap adds a
    -- GC step each round; here one costs ~0.2 ms, thousands of rounds a run, so Lua's own pace
    -- collects.)
    socket_unlock()
    local runnable = false
    for _, t in ipairs(threads) do if t.runnable ~= false then runnable = true end end
    if not runnable then
      coyield("WAIT")
      while true do
        local c = host.take()
        if not c then break end
        local t = waiting[c.id]
        waiting[c.id] = nil
        if t then
          t.runnable = true
          t.args = { n = 1, c }
        end
      end
    end
  end
end

local targets = {}

-- nmap's host table (the fields scripts read) for a scanned address. times are the scan's round
-- trip figures in seconds (nse_nmaplib.cc: to.srtt, to.rttvar, to.timeout), which set the
-- timeouts of stdnse.get_timeout and comm; defaults when the scan timed no round trip.
function add_target(ip, name, bin_ip_hex, srtt, rttvar, timeout)
  local h = { ip = ip, name = name or "", targetname = name ~= "" and name or nil, registry = {},
    bin_ip = unhex(bin_ip_hex),
    times = { srtt = srtt or 0.01, rttvar = rttvar or 0.01, timeout = timeout or 1 },
    directly_connected = false }
  targets[#targets + 1] = h
  host_ports[h] = {}
  return true
end

-- nmap's port table for one port of the target added last.
function add_port(number, protocol, state, service, product, version, extrainfo, tunnel, confidence,
    method)
  local list = host_ports[targets[#targets]]
  list[#list + 1] = { number = math.tointeger(number), protocol = protocol, state = state,
    service = service, version = { name = service, product = product, version = version,
    extrainfo = extrainfo, service_tunnel = tunnel or "none",
    name_confidence = math.tointeger(confidence) or (service and 3 or 0),
    service_dtype = method or "table" } }
  return true
end

-- The threads of one runlevel's scripts for a phase, in nmap's order (nse_main.lua): for each host
-- its hostrules, then for each port every script's portrule. The order is the socket lock's queue:
-- one script after the other left a script late in the list (ssh-hostkey, whose dropbear port
-- takes 60 s of timeouts) waiting behind every other script's connections.
local function start_threads(phase, level)
  local function each(rule, ...)
    for _, s in ipairs(level) do
      for _, r in ipairs(s.rules) do
        if r == rule then new_thread(s, rule, ...) end
      end
    end
  end
  if phase ~= "host" then return each(phase .. "rule") end
  for _, h in ipairs(targets) do
    each("hostrule", h)
    for _, p in ipairs(host_ports[h]) do each("portrule", h, p) end
  end
end

-- nmap's runlevels: a script runs after every loaded script it names in 'dependencies' has run
-- (runlevel 1 + the highest of theirs; a cycle is broken where it closes).
local function runlevels()
  local by_id, level = {}, {}
  for _, s in ipairs(scripts) do by_id[s.id] = s end
  local function of(s, seen)
    if level[s] then return level[s] end
    if seen[s] then return 1 end
    seen[s] = true
    local l = 1
    for _, d in ipairs(s.dependencies) do
      local dep = by_id[d]
      if dep and dep ~= s then l = math.max(l, of(dep, seen) + 1) end
    end
    seen[s] = nil
    level[s] = l
    return l
  end
  local levels, max = {}, 0
  for _, s in ipairs(scripts) do
    local l = of(s, {})
    levels[l] = levels[l] or {}
    table.insert(levels[l], s)
    if l > max then max = l end
  end
  return levels, max
end

-- The entry point: phase is "pre", "host" or "post"; runs every matching script to its end,
-- one runlevel after the other.
function run_phase(phase, timeout_ms)
  local levels, max = runlevels()
  for l = 1, max do
    start_threads(phase, levels[l] or {})
    run(timeout_ms)
  end
  if phase == "host" then targets = {} end
  return true
end


return true
`;
