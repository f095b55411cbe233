-- Porthole's built-in banner (used when nmap's scripts are not installed): what an open TCP
-- service sends first, after connecting, in one line.
description = [[
Connects to an open TCP port and prints what the service sends first (its banner), with
control characters escaped. Porthole's built-in script: nmap's banner runs instead when nmap's
scripts are installed.
]]
categories = { "discovery", "safe" }

local ph = require "ph_nse"

portrule = function(host, port)
  return port.protocol == "tcp" and port.state == "open"
end

action = function(host, port)
  local data = ph.read_banner(host, port, 5000)
  if not data then return nil end
  data = data:gsub("[\r\n%s]+$", "")
  if data == "" then return nil end
  return (data:gsub("[%c\128-\255]", function(c) return ("\\x%02X"):format(c:byte()) end))
end
