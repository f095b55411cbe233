-- Porthole's built-in ntp-info (used when nmap's scripts are not installed, or when nmap's
-- ntp-info cannot load in Porthole: it needs nmap's lpeg module): the server's receive time
-- stamp from an NTP client request (RFC 5905).
description = [[
Asks an NTP server for the time (a mode 3 client request) and shows its receive time stamp.
Porthole's built-in script: nmap's ntp-info runs instead when nmap's scripts are installed and
it can load; this one does not ask for the mode 6 system variables nmap's shows when a server
answers them.
]]
categories = { "default", "discovery", "safe" }

local nmap = require "nmap"

portrule = function(host, port)
  return port.protocol == "udp" and (port.state == "open" or port.state == "open|filtered") and
    (port.number == 123 or port.service == "ntp")
end

-- Seconds between 1900-01-01 (NTP's era 0) and 1970-01-01.
local UNIX_EPOCH = 2208988800

action = function(host, port)
  local sock = nmap.new_socket("udp")
  sock:set_timeout(5000)
  if not sock:connect(host, port, "udp") then return nil end
  -- LI 0, version 4, mode 3 (client); the rest zero but the transmit time stamp.
  local req = string.pack(">BBbbI4I4I4", 0x23, 0, 0, 0, 0, 0, 0) .. string.rep("\0", 24) ..
    string.pack(">I4I4", os.time() + UNIX_EPOCH, 0)
  if not sock:send(req) then sock:close() return nil end
  local ok, r = sock:receive()
  sock:close()
  if not ok or #r < 48 or r:byte(1) & 7 ~= 4 then return nil end
  local secs = string.unpack(">I4", r, 33)
  local out = { ["receive time stamp"] = os.date("!%Y-%m-%dT%H:%M:%S", secs - UNIX_EPOCH) }
  return out, "\n  receive time stamp: " .. out["receive time stamp"]
end
