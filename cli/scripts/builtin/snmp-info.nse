-- Porthole's built-in snmp-info (used when nmap's scripts are not installed, or when nmap's
-- snmp-info cannot load in Porthole: it needs nmap's lpeg module): the engine an SNMPv3 agent
-- reports to a discovery request (RFC 3414, 3411), in BER (X.690).
description = [[
Sends an SNMPv3 discovery request (no user, no community) and shows the agent's engine ID
(enterprise, format, data), boots and time from its report. Porthole's built-in script: nmap's
snmp-info runs instead when nmap's scripts are installed and it can load.
]]
categories = { "default", "version", "safe" }

local nmap = require "nmap"
local openssl = require "openssl"
local ph = require "ph_nse"

portrule = function(host, port)
  return port.protocol == "udp" and (port.state == "open" or port.state == "open|filtered") and
    (port.number == 161 or port.service == "snmp")
end

local function tlv(tag, value)
  local n = #value
  local len
  if n < 128 then len = string.char(n)
  elseif n < 256 then len = "\129" .. string.char(n)
  else len = "\130" .. string.pack(">I2", n) end
  return string.char(tag) .. len .. value
end
-- An INTEGER in the fewest bytes of two's complement.
local function int(v)
  local s = string.pack(">i4", v)
  while #s > 1 and ((s:byte(1) == 0 and s:byte(2) < 128) or (s:byte(1) == 255 and s:byte(2) >= 128)) do
    s = s:sub(2)
  end
  return tlv(0x02, s)
end
local function seq(...) return tlv(0x30, table.concat({ ... })) end
local function octets(s) return tlv(0x04, s) end

-- Reads one TLV at pos: tag, value, position after it.
local function read(s, pos)
  if pos + 1 > #s then return nil end
  local tag, len = s:byte(pos), s:byte(pos + 1)
  pos = pos + 2
  if len >= 128 then
    local k = len - 128
    if k < 1 or k > 4 then return nil end
    len = 0
    for i = 0, k - 1 do len = len * 256 + s:byte(pos + i) end
    pos = pos + k
  end
  return tag, s:sub(pos, pos + len - 1), pos + len
end
local function integer(v)
  local n = 0
  for i = 1, #v do n = n * 256 + v:byte(i) end
  if #v > 0 and v:byte(1) >= 128 then n = n - (1 << (8 * #v)) end
  return n
end

local ENTERPRISES = { [8072] = "net-snmp", [2021] = "ucdavis", [9] = "cisco", [311] = "microsoft" }
local FORMATS = { [1] = "ipv4", [2] = "ipv6", [3] = "mac", [4] = "text", [5] = "octets" }

-- "3d04h05m06s" with leading zero units left out, as nmap shows times.
local function duration(t)
  local parts = { { 86400, "d" }, { 3600, "h" }, { 60, "m" }, { 1, "s" } }
  local out = {}
  for _, p in ipairs(parts) do
    local q = t // p[1]
    t = t % p[1]
    if #out > 0 then out[#out + 1] = ("%02d%s"):format(q, p[2])
    elseif q > 0 or p[2] == "s" then out[#out + 1] = q .. p[2] end
  end
  return table.concat(out)
end

local function hex(s) return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end)) end

action = function(host, port)
  local id = string.unpack(">I4", openssl.rand_bytes(4)) & 0x7fffffff
  local usm = seq(octets(""), int(0), int(0), octets(""), octets(""), octets(""))
  local pdu = tlv(0xA0, int(id) .. int(0) .. int(0) .. seq())
  local msg = seq(int(3), seq(int(id), int(65507), octets("\4"), int(3)), octets(usm),
    seq(octets(""), octets(""), pdu))
  local sock = nmap.new_socket("udp")
  sock:set_timeout(5000)
  if not sock:connect(host, port, "udp") then return nil end
  if not sock:send(msg) then sock:close() return nil end
  local ok, r = sock:receive()
  sock:close()
  if not ok then return nil end
  local tag, body = read(r, 1)
  if tag ~= 0x30 then return nil end
  local pos = select(3, read(body, 1)) -- version
  pos = pos and select(3, read(body, pos)) -- global data
  if not pos then return nil end
  local t, params = read(body, pos)
  if t ~= 0x04 then return nil end
  local _, sp = read(params, 1)
  if not sp then return nil end
  local _, engine, p2 = read(sp, 1)
  local _, boots, p3 = read(sp, p2 or #sp + 1)
  local _, time = read(sp, p3 or #sp + 1)
  if not engine or #engine < 5 or not boots or not time then return nil end
  local out = ph.output_table()
  local ent = string.unpack(">I4", engine) & 0x7fffffff
  out.enterprise = ENTERPRISES[ent] or tostring(ent)
  if engine:byte(1) >= 128 then
    out.engineIDFormat = FORMATS[engine:byte(5)] or "unknown"
    out.engineIDData = hex(engine:sub(6))
  else
    out.engineIDFormat = "unknown"
    out.engineIDData = hex(engine:sub(5))
  end
  out.snmpEngineBoots = integer(boots)
  out.snmpEngineTime = duration(integer(time))
  local lines = {}
  for k, v in pairs(out) do lines[#lines + 1] = "  " .. k .. ": " .. tostring(v) end
  return out, "\n" .. table.concat(lines, "\n")
end
