-- Porthole's built-in smtp-commands (used when nmap's scripts are not installed): the
-- extensions an SMTP server announces after EHLO (RFC 5321) and what HELP lists.
description = [[
Lists the SMTP extensions a mail server announces in its EHLO answer, and the commands its HELP
answer names. Porthole's built-in script: nmap's smtp-commands runs instead when nmap's scripts
are installed.
]]
categories = { "default", "discovery", "safe" }

local ph = require "ph_nse"

portrule = function(host, port)
  return ph.port_or_service(port, { 25, 465, 587 }, { "smtp", "smtps", "submission" })
end

-- The lines of one SMTP reply: "250-..." continues, "250 ..." ends.
local function reply(sock, cmd)
  return ph.command(sock, cmd, function(l) return not l:match("^%d%d%d%-") end)
end

action = function(host, port)
  local sock = ph.connect(host, port, 10000)
  if not sock then return nil end
  local greeting = reply(sock)
  if not greeting or not greeting[#greeting]:match("^2") then sock:close() return nil end
  local domain = host.targetname or (host.name ~= "" and host.name) or "nmap.scanme.org"
  local ehlo = reply(sock, "EHLO " .. domain .. "\r\n")
  if not ehlo or not ehlo[#ehlo]:match("^250") then sock:close() return nil end
  local words = {}
  for _, l in ipairs(ehlo) do words[#words + 1] = l:sub(5) end
  local out = table.concat(words, ", ")
  local help = reply(sock, "HELP\r\n")
  if help and help[#help]:match("^214") then
    local h = {}
    for _, l in ipairs(help) do h[#h + 1] = l:sub(5) end
    out = out .. "\n " .. table.concat(h, " ")
  end
  sock:send("QUIT\r\n")
  sock:close()
  return out
end
