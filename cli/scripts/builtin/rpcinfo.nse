-- Porthole's built-in rpcinfo (used when nmap's scripts are not installed): the programs an ONC
-- RPC portmapper has registered, from its DUMP procedure (RFC 5531 messages; rpcbind versions 4
-- and 3 of RFC 1833 first, then portmap version 2), over the scanned port's TCP or UDP.
description = [[
Asks the portmapper (rpcbind) for every registered RPC program and shows, for each, its program
number, versions, port and protocol, and name. Porthole's built-in script: nmap's rpcinfo runs
instead when nmap's scripts are installed.
]]
categories = { "discovery", "default", "safe", "version" }

local nmap = require "nmap"
local openssl = require "openssl"
local ph = require "ph_nse"

portrule = function(host, port)
  return nmap.version_intensity() >= 7 and port.number == 111 and
    (port.protocol == "tcp" or port.protocol == "udp") and
    (port.state == "open" or port.state == "open|filtered")
end

-- Program numbers and the names nmap shows for them (the widely deployed ones).
local PROGRAMS = {
  [100000] = "rpcbind", [100001] = "rstatd", [100002] = "rusersd", [100003] = "nfs",
  [100004] = "ypserv", [100005] = "mountd", [100007] = "ypbind", [100008] = "walld",
  [100009] = "yppasswdd", [100010] = "etherstatd", [100011] = "rquotad", [100012] = "sprayd",
  [100017] = "rexd", [100020] = "llockmgr", [100021] = "nlockmgr", [100023] = "statmon",
  [100024] = "status", [100026] = "bootparam", [100028] = "ypupdated", [100029] = "keyserv",
  [100069] = "ypxfrd", [100083] = "ttdbserverd", [100099] = "pld", [100101] = "na.event",
  [100133] = "nsm_addrand", [100227] = "nfs_acl", [100232] = "sadmind", [100235] = "cachefsd",
  [100249] = "snmpXdmid", [150001] = "pcnfsd", [300019] = "amd", [391002] = "sgi_fam",
  [395650] = "nfs4_cb",
}

local PMAP, DUMP, CALL, REPLY = 100000, 4, 0, 1
local IPPROTO = { [6] = "tcp", [17] = "udp" }

-- A DUMP call: no credentials, no arguments (RFC 5531 section 9).
local function call(xid, version)
  return string.pack(">I4I4I4I4I4I4I4I4I4I4", xid, CALL, 2, PMAP, version, DUMP, 0, 0, 0, 0)
end

-- One reply: a UDP datagram, or over TCP the fragments of one record (record marking, RFC 5531
-- section 11: each fragment after 4 bytes whose top bit marks the last one).
local function exchange(sock, tcp, msg)
  if tcp then
    if not sock:send(string.pack(">I4", 0x80000000 | #msg) .. msg) then return nil end
    local parts = {}
    repeat
      local head = ph.read_bytes(sock, 4)
      if not head then return nil end
      local mark = string.unpack(">I4", head)
      local frag = ph.read_bytes(sock, mark & 0x7fffffff)
      if not frag then return nil end
      parts[#parts + 1] = frag
    until mark & 0x80000000 ~= 0
    return table.concat(parts)
  end
  if not sock:send(msg) then return nil end
  local ok, r = sock:receive()
  return ok and r or nil
end

-- XDR: a counted opaque or string, padded to 4 bytes.
local function opaque(r, pos)
  local n, p = string.unpack(">I4", r, pos)
  return r:sub(p, p + n - 1), p + ((n + 3) & ~3)
end

-- The entries of an accepted, successful DUMP reply to `xid`, or nil.
local function entries(r, xid, version)
  local ok, list = pcall(function()
    local id, kind, stat, pos = string.unpack(">I4I4I4", r)
    if id ~= xid or kind ~= REPLY or stat ~= 0 then return nil end
    local _, p = string.unpack(">I4", r, pos) -- the verifier's flavour
    local _, p2 = opaque(r, p)
    local accept
    accept, pos = string.unpack(">I4", r, p2)
    if accept ~= 0 then return nil end
    local out = {}
    while true do
      local more
      more, pos = string.unpack(">I4", r, pos)
      if more == 0 then return out end
      local e = {}
      e.prog, e.vers, pos = string.unpack(">I4I4", r, pos)
      if version > 2 then
        e.netid, pos = opaque(r, pos)
        e.netid = e.netid:match("^[^%z]*")
        e.addr, pos = opaque(r, pos)
        e.owner, pos = opaque(r, pos)
        -- A universal address of TCP/UDP (RFC 5665): "h.h.h.h.p1.p2", port = p1 * 256 + p2;
        -- the address is shown without the port, as nmap's.
        if e.netid:match("^[tu][cd]p6?$") then
          local a, hi, lo = e.addr:match("^(.-)%.(%d+)%.(%d+)$")
          if a then e.addr, e.port = a, tonumber(hi) * 256 + tonumber(lo) end
        end
      else
        local proto
        proto, e.port, pos = string.unpack(">I4I4", r, pos)
        e.netid = IPPROTO[proto] or proto
      end
      out[#out + 1] = e
    end
  end)
  return ok and list or nil
end

-- A scanned port the portmapper maps a program to is named after the program, as -sV names it
-- ("status", version "1", "RPC #100024"): where nothing named it yet, or only the port number
-- did, or the portmapper's port itself is known as rpcbind (as nmap's rpcinfo, it then names
-- them all).
local function name_port(host, port, prog, proto, t)
  local p = t.port and nmap.get_port_state(host, { number = t.port, protocol = proto })
  if not p or (p.state ~= "open" and p.state ~= "open|filtered") then return end
  p.version = p.version or {}
  if p.service ~= nil and p.version.service_dtype ~= "table" and port.service ~= "rpcbind" then
    return
  end
  p.version.name = PROGRAMS[prog]
  p.version.extrainfo = "RPC #" .. prog
  local v = t.version
  p.version.version = #v > 1 and ("%d-%d"):format(v[1], v[#v]) or tostring(v[1])
  nmap.set_port_version(host, p, "softmatched")
end

action = function(host, port)
  local tcp = port.protocol == "tcp"
  local list
  for version = 4, 2, -1 do
    local sock = nmap.new_socket(port.protocol)
    sock:set_timeout(5000)
    if not sock:connect(host, port, port.protocol) then return nil end
    local xid = string.unpack(">I4", openssl.rand_bytes(4))
    local r = exchange(sock, tcp, call(xid, version))
    sock:close()
    list = r and entries(r, xid, version)
    if list then break end
  end
  if not list then return nil end
  -- By program, by netid: the port last given, the versions in ascending order.
  local progs, order = {}, {}
  for _, e in ipairs(list) do
    local prog = progs[e.prog]
    if not prog then
      prog = ph.output_table()
      progs[e.prog] = prog
      order[#order + 1] = e.prog
    end
    local t = prog[e.netid]
    if not t then
      t = ph.output_table()
      t.port = e.port
      t.version = {}
      prog[e.netid] = t
    end
    t.port, t.addr, t.owner = e.port, e.addr, e.owner
    table.insert(t.version, e.vers)
    table.sort(t.version)
  end
  table.sort(order)
  local out, lines = ph.output_table(), {}
  for _, n in ipairs(order) do
    out[tostring(n)] = progs[n]
    for netid, t in pairs(progs[n]) do
      if netid == "tcp" or netid == "udp" then name_port(host, port, n, netid, t) end
      if t.port then
        lines[#lines + 1] = ("%-7d %-10s %5d/%-4s  %s"):format(n, table.concat(t.version, ","),
          t.port, netid, PROGRAMS[n] or "")
      end
    end
  end
  if #lines == 0 then return nil end
  table.sort(lines)
  table.insert(lines, 1, "program version    port/proto  service")
  return out, "\n  " .. table.concat(lines, "\n  ") .. "\n"
end
