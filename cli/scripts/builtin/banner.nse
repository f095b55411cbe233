-- Porthole's built-in banner (used when nmap's scripts are not installed): what an open TCP
-- service sends first, after connecting, in one line.
description = [[
Connects to an open TCP port and prints what the service sends first (its banner), with
control characters escaped. Porthole's built-in script: nmap's banner runs instead when nmap's
scripts are installed.
]]
categories = { "discovery", "safe" }

local nmap = require "nmap"
local ph = require "ph_nse"

portrule = function(host, port)
  return port.protocol == "tcp" and port.state == "open"
end

action = function(host, port)
  -- nmap's banner waits 5 s to connect plus 5 s for the banner.
  local data = ph.read_banner(host, port, 10000)
  if not data then return nil end
  data = data:gsub("[\r\n%s]+$", "")
  if data == "" then return nil end
  data = data:gsub("[%c\128-\255]", function(c) return ("\\x%02X"):format(c:byte()) end)
  -- Long banners are wrapped as nmap's banner shows them: 73 columns with the "| banner: " or
  -- "| " before each line; below verbosity 2, two lines at most, the second ending in "...".
  local lines = { data:sub(1, 63) }
  for i = 64, #data, 71 do lines[#lines + 1] = data:sub(i, i + 70) end
  if #lines > 2 and nmap.verbosity() < 2 then lines = { lines[1], lines[2]:sub(1, 68) .. "..." } end
  return table.concat(lines, "\n")
end
