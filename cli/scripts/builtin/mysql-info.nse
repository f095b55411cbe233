-- Porthole's built-in mysql-info (used when nmap's scripts are not installed): what a MySQL or
-- MariaDB server says of itself in its first packet, the handshake (the client/server protocol's
-- "Protocol::Handshake", versions 9 and 10).
description = [[
Connects to a MySQL server and shows what its handshake tells: protocol and server version,
thread (connection) ID, capability flags, status, the authentication salt and plugin.
Porthole's built-in script: nmap's mysql-info runs instead when nmap's scripts are installed.
]]
categories = { "default", "discovery", "safe" }

local nmap = require "nmap"
local ph = require "ph_nse"

-- Not where version detection saw the server refuse us (blocked host, too many connections).
portrule = function(host, port)
  local extra = port.version and port.version.extrainfo or ""
  return port.protocol == "tcp" and port.state == "open" and
    (port.number == 3306 or port.service == "mysql") and
    not (extra:match("[Uu]nauthorized") or extra:match("[Tt]oo many connection"))
end

-- The capability flags by bit, lower half then upper half, under the names nmap shows.
local LOWER = {
  { 0x1, "LongPassword" }, { 0x2, "FoundRows" }, { 0x4, "LongColumnFlag" },
  { 0x8, "ConnectWithDatabase" }, { 0x10, "DontAllowDatabaseTableColumn" },
  { 0x20, "SupportsCompression" }, { 0x40, "ODBCClient" }, { 0x80, "SupportsLoadDataLocal" },
  { 0x100, "IgnoreSpaceBeforeParenthesis" }, { 0x200, "Speaks41ProtocolNew" },
  { 0x400, "InteractiveClient" }, { 0x800, "SwitchToSSLAfterHandshake" },
  { 0x1000, "IgnoreSigpipes" }, { 0x2000, "SupportsTransactions" },
  { 0x4000, "Speaks41ProtocolOld" }, { 0x8000, "Support41Auth" },
}
local UPPER = {
  { 0x1, "SupportsMultipleStatments" }, { 0x2, "SupportsMultipleResults" },
  { 0x8, "SupportsAuthPlugins" },
}
local SECURE_CONNECTION, PLUGIN_AUTH = 0x8000, 0x8

local function names(flags, list, into)
  for _, f in ipairs(list) do
    if flags & f[1] ~= 0 then into[#into + 1] = f[2] end
  end
end

-- One packet: 3 bytes of length, 1 of sequence number, the payload.
local function read_packet(sock)
  local head, err = ph.read_bytes(sock, 4)
  if not head then return nil, err end
  local len = string.unpack("<I3", head)
  return ph.read_bytes(sock, len)
end

-- The handshake's fields, or nil and the server's error message.
local function parse(p)
  local proto = p:byte(1)
  if proto == nil then return nil, "empty packet" end
  if proto == 0xff then return nil, p:sub(4) end
  local ok, version, thread, pos = pcall(string.unpack, "<zI4", p, 2)
  if not ok then return nil, "short handshake" end
  local h = { proto = proto, version = version, thread = thread }
  if proto ~= 10 then return h end
  local ok2, salt, caps, pos2 = pcall(string.unpack, "<c8xI2", p, pos)
  if not ok2 then return h end
  h.salt, h.caps = salt, caps
  if pos2 >= #p then return h end
  local ok3, _, status, upper, auth_len, _, pos3 = pcall(string.unpack, "<BI2I2Bc10", p, pos2)
  if not ok3 then return h end
  h.status, h.upper = status, upper
  -- The rest of the salt: max(13, auth_len - 8) bytes, the last one a NUL.
  if caps & SECURE_CONNECTION ~= 0 then
    local n = math.max(13, auth_len - 8) - 1
    h.salt = h.salt .. p:sub(pos3, pos3 + n - 1)
    pos3 = pos3 + n + 1
  end
  if upper & PLUGIN_AUTH ~= 0 and pos3 <= #p then
    h.plugin = p:sub(pos3):match("^[^%z]*")
  end
  return h
end

action = function(host, port)
  local sock = ph.connect(host, port, 10000)
  if not sock then return nil end
  local p = read_packet(sock)
  sock:close()
  if not p then return nil end
  local h, err = parse(p)
  local out = ph.output_table()
  if not h then
    -- The server refused us (too many connections, host not allowed): shown at -vv, as nmap does.
    if nmap.verbosity() <= 1 then return nil end
    out["MySQL Error"] = err
    return out
  end
  out["Protocol"] = h.proto
  out["Version"] = h.version
  out["Thread ID"] = h.thread
  if h.proto == 10 and h.caps then
    out["Capabilities flags"] = h.caps
    local caps = {}
    names(h.caps, LOWER, caps)
    if h.upper then names(h.upper, UPPER, caps) end
    if #caps > 0 then
      out["Some Capabilities"] = setmetatable(caps, {
        __tostring = function(t) return table.concat(t, ", ") end,
      })
    end
    if h.status then out["Status"] = h.status == 2 and "Autocommit" or h.status end
    out["Salt"] = h.salt
    out["Auth Plugin Name"] = h.plugin
  end
  return out
end
