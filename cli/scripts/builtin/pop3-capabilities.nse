-- Porthole's built-in pop3-capabilities (used when nmap's scripts are not installed): the
-- answer to POP3's CAPA command (RFC 2449).
description = [[
Lists the capabilities a POP3 server announces in its answer to CAPA, with their arguments in
parentheses. Porthole's built-in script: nmap's pop3-capabilities runs instead when nmap's
scripts are installed.
]]
categories = { "default", "discovery", "safe" }

local ph = require "ph_nse"

portrule = function(host, port)
  return ph.port_or_service(port, { 110, 995 }, { "pop3", "pop3s" })
end

action = function(host, port)
  local sock = ph.connect(host, port, 10000)
  if not sock then return nil end
  local greeting = ph.read_line(sock)
  if not greeting or not greeting:match("^%+OK") then sock:close() return nil end
  local lines = ph.command(sock, "CAPA\r\n", function(l) return l == "." or l:match("^%-ERR") end)
  sock:send("QUIT\r\n")
  sock:close()
  if not lines or not lines[1]:match("^%+OK") then return nil end
  local caps = {}
  for i = 2, #lines - 1 do
    local name, args = lines[i]:match("^(%S+)%s*(.-)%s*$")
    if name then caps[#caps + 1] = args ~= "" and (name .. "(" .. args .. ")") or name end
  end
  if #caps == 0 then return nil end
  return table.concat(caps, " ")
end
