-- Porthole's built-in nbstat (used when nmap's scripts are not installed): the names a NetBIOS
-- node owns and its MAC address, from a NODE STATUS request to UDP 137 (RFC 1002 4.2.17-18).
description = [[
Sends a NetBIOS node status request (NBSTAT) to UDP port 137 and shows the host's NetBIOS
name, logged-in user and MAC address; with verbosity, every name it owns; with more, the raw
statistics. Porthole's built-in script: nmap's nbstat runs instead when nmap's scripts are
installed.
]]
categories = { "default", "discovery", "safe" }

local nmap = require "nmap"
local nmapdb = require "nmapdb"

-- Only where the host speaks NetBIOS or SMB: a datagram to every host would slow every scan.
hostrule = function(host)
  local function is(number, protocol, states)
    local p = nmap.get_port_state(host, { number = number, protocol = protocol })
    return p ~= nil and states[p.state] == true
  end
  local open = { open = true }
  return is(135, "tcp", open) or is(139, "tcp", open) or is(445, "tcp", open) or
    is(137, "udp", { open = true, ["open|filtered"] = true })
end

-- NetBIOS first-level encoding (RFC 1001 14.1): each nibble of the 16-byte name as 'A' + nibble.
local function encode(name)
  name = name .. string.rep("\0", 16 - #name)
  local out = name:gsub(".", function(c)
    local b = c:byte()
    return string.char(0x41 + (b >> 4), 0x41 + (b & 15))
  end)
  return string.char(32) .. out .. "\0"
end

local WILDCARD = encode("*")
local TRN_ID, NBSTAT, IN = 0x1337, 0x21, 1

-- The names and statistics of one node status response, or nil.
local function parse(r)
  local ok, names, stats = pcall(function()
    local id, flags, _, answers, _, _, pos = string.unpack(">I2I2I2I2I2I2", r)
    if id ~= TRN_ID or answers ~= 1 or flags & 0x8000 == 0 or flags & 7 ~= 0 then return nil end
    local rr_name, rr_type, rr_class, _, p = string.unpack(">zI2I2I4", r, pos)
    if rr_name .. "\0" ~= WILDCARD or rr_type ~= NBSTAT or rr_class ~= IN then return nil end
    local left, count
    left, count, pos = string.unpack(">I2B", r, p)
    local names = {}
    for i = 1, count do
      local name, suffix, f
      name, suffix, f, pos = string.unpack(">c15BI2", r, pos)
      names[i] = { name = (name:gsub(" *$", "")), suffix = suffix, flags = f }
      left = left - 18
    end
    if left > 0 then left = left - 1 end -- the count's byte
    return names, r:sub(pos, pos + left - 1)
  end)
  if ok then return names, stats end
end

local function flags_text(f)
  local out = { f & 0x8000 ~= 0 and "<group>" or "<unique>" }
  if f & 0x1000 ~= 0 then out[#out + 1] = "<deregister>" end
  if f & 0x0800 ~= 0 then out[#out + 1] = "<conflict>" end
  if f & 0x0400 ~= 0 then out[#out + 1] = "<active>" end
  if f & 0x0200 ~= 0 then out[#out + 1] = "<permanent>" end
  return table.concat(out)
end

local function first(names, want)
  for _, n in ipairs(names) do
    if want(n) then return n.name end
  end
end

action = function(host)
  local query = string.pack(">I2I2I2I2I2I2", TRN_ID, 0, 1, 0, 0, 0) .. WILDCARD ..
    string.pack(">I2I2", NBSTAT, IN)
  local names, stats
  -- Four tries of a second each: NetBIOS answers over UDP, and datagrams get lost.
  for _ = 1, 4 do
    local sock = nmap.new_socket("udp")
    sock:set_timeout(1000)
    if sock:connect(host, 137, "udp") and sock:send(query) then
      local ok, r = sock:receive()
      if ok then names, stats = parse(r) end
    end
    sock:close()
    if names then break end
  end
  if not names then return nil end
  -- The server's name has suffix 0x20, the workstation's is the unique one with 0x00, the user
  -- is a 0x03 name other than the server's.
  local server = first(names, function(n) return n.suffix == 0x20 end)
  local workstation = first(names, function(n) return n.suffix == 0 and n.flags & 0x8000 == 0 end)
  local user = first(names, function(n) return n.suffix == 3 and n.name ~= server end)
  local mac = "<unknown> (unknown)"
  -- Samba sends no MAC (all zeros): unknown, not prefix 00:00:00's vendor.
  if #stats >= 6 and stats:sub(1, 6) ~= string.rep("\0", 6) then
    -- The vendor as the "MAC Address:" line names it (nmap's nmap-mac-prefixes, else the IEEE
    -- registry's name).
    mac = stats:sub(1, 6):gsub(".", function(c) return ("%02x:"):format(c:byte()) end):sub(1, -2) ..
      " (" .. (nmapdb.mac2corp(stats:sub(1, 6)) or "unknown") .. ")"
  end
  local out = { ("NetBIOS name: %s, NetBIOS user: %s, NetBIOS MAC: %s"):format(
    server or workstation, user or "<unknown>", mac) }
  if nmap.verbosity() >= 1 then
    local lines = {}
    for _, n in ipairs(names) do
      lines[#lines + 1] = ("  %s<%02x>%sFlags: %s"):format(n.name, n.suffix,
        string.rep(" ", 17 - #n.name), flags_text(n.flags))
    end
    out[#out + 1] = "Names:\n" .. table.concat(lines, "\n")
    if nmap.verbosity() >= 2 then
      local rows = {}
      -- 16 columns per row, as nmap's, whose rows overlap by one byte (sub(i, i + 16)).
      for i = 1, #stats, 16 do
        rows[#rows + 1] = stats:sub(i, i + 16):gsub(".", function(c)
          return ("%02x "):format(c:byte())
        end):sub(1, -2)
      end
      out[#out + 1] = "Statistics:\n  " .. table.concat(rows, "\n  ")
    end
  end
  return table.concat(out, "\n")
end
