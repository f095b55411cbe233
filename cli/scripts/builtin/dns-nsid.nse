-- Porthole's built-in dns-nsid (used when nmap's scripts are not installed): what a DNS server
-- says its name and version are: the EDNS NSID option (RFC 5001) and the CHAOS-class TXT
-- records id.server and version.bind (RFC 1035 messages).
description = [[
Asks a DNS server for its identity: the NSID option of an EDNS query, and the CHAOS TXT records
id.server and version.bind. Porthole's built-in script: nmap's dns-nsid runs instead when nmap's
scripts are installed.
]]
categories = { "discovery", "default", "safe" }

local nmap = require "nmap"
local openssl = require "openssl"
local ph = require "ph_nse"

-- On 53/tcp only when 53/udp is not known open: the answers are the same, shown once (on UDP
-- when both are open), as nmap's dns-nsid shows them.
portrule = function(host, port)
  if port.state ~= "open" and port.state ~= "open|filtered" then return false end
  if port.number ~= 53 and port.service ~= "domain" then return false end
  if port.protocol == "udp" then return true end
  local udp = nmap.get_port_state(host, { number = port.number, protocol = "udp" })
  return port.protocol == "tcp" and not (udp and udp.state == "open")
end

local function qname(name)
  local out = {}
  for label in name:gmatch("[^.]+") do out[#out + 1] = string.pack("s1", label) end
  return table.concat(out) .. "\0"
end

-- Skips a (possibly compressed) name at pos; returns the position after it.
local function skip_name(msg, pos)
  while pos <= #msg do
    local len = msg:byte(pos)
    if len == 0 then return pos + 1 end
    if len >= 0xC0 then return pos + 2 end
    pos = pos + 1 + len
  end
  return pos
end

-- One query over the port's protocol; returns the reply's answer records {type, data} and additional records.
local function query(host, port, name, qtype, qclass, opt)
  local tcp = port.protocol == "tcp"
  local sock = nmap.new_socket(port.protocol)
  sock:set_timeout(5000)
  if not sock:connect(host, port, port.protocol) then return nil end
  local id = string.unpack(">I2", openssl.rand_bytes(2))
  local msg = string.pack(">I2I2I2I2I2I2", id, 0x0100, 1, 0, 0, opt and 1 or 0) ..
    qname(name) .. string.pack(">I2I2", qtype, qclass) .. (opt or "")
  -- Over TCP each message has its length before it (RFC 1035, 4.2.2).
  if not sock:send(tcp and string.pack(">s2", msg) or msg) then sock:close() return nil end
  local ok, r
  if tcp then
    local head = ph.read_bytes(sock, 2)
    r = head and ph.read_bytes(sock, (string.unpack(">I2", head)))
    ok = r ~= nil
  else
    ok, r = sock:receive()
  end
  sock:close()
  if not ok or #r < 12 or string.unpack(">I2", r) ~= id then return nil end
  local _, flags, qd, an, ns, ar = string.unpack(">I2I2I2I2I2I2", r)
  if flags & 0x000F ~= 0 then return nil end -- an error code
  local pos = 13
  for _ = 1, qd do pos = skip_name(r, pos) + 4 end
  local records = {}
  for i = 1, an + ns + ar do
    pos = skip_name(r, pos)
    if pos + 10 > #r + 1 then break end
    local t, _, _, len = string.unpack(">I2I2I4I2", r, pos)
    pos = pos + 10
    records[#records + 1] = { type = t, data = r:sub(pos, pos + len - 1), answer = i <= an }
    pos = pos + len
  end
  return records
end

local function txt(host, port, name)
  for _, rec in ipairs(query(host, port, name, 16, 3) or {}) do
    if rec.answer and rec.type == 16 then
      local parts, pos = {}, 1
      while pos <= #rec.data do
        local s
        s, pos = string.unpack("s1", rec.data, pos)
        parts[#parts + 1] = s
      end
      return table.concat(parts)
    end
  end
end

local function nsid(host, port)
  -- An OPT record (root name, type 41, 4096-byte payload) carrying an empty NSID option (3).
  local opt = "\0" .. string.pack(">I2I2I4I2I2I2", 41, 4096, 0, 4, 3, 0)
  for _, rec in ipairs(query(host, port, "", 2, 1, opt) or {}) do
    if rec.type == 41 then
      local pos = 1
      while pos + 3 <= #rec.data do
        local code, len = string.unpack(">I2I2", rec.data, pos)
        local value = rec.data:sub(pos + 4, pos + 3 + len)
        if code == 3 and #value > 0 then
          local hex = value:gsub(".", function(c) return ("%02x"):format(c:byte()) end)
          local text = value:gsub("[^\32-\126]", "")
          return text .. " (" .. hex .. ")"
        end
        pos = pos + 4 + len
      end
    end
  end
end

action = function(host, port)
  local out = ph.output_table()
  out.NSID = nsid(host, port)
  out["id.server"] = txt(host, port, "id.server")
  out["bind.version"] = txt(host, port, "version.bind")
  local lines = {}
  for k, v in pairs(out) do lines[#lines + 1] = "  " .. k .. ": " .. v end
  if #lines == 0 then return nil end
  return out, "\n" .. table.concat(lines, "\n")
end
