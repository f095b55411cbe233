-- Porthole's built-in imap-capabilities (used when nmap's scripts are not installed): the
-- answer to IMAP's CAPABILITY command (RFC 9051).
description = [[
Lists the capabilities an IMAP server announces in its answer to CAPABILITY (with the words of
the tagged completion line, as nmap's script shows them). Porthole's built-in script: nmap's
imap-capabilities runs instead when nmap's scripts are installed.
]]
categories = { "default", "safe" }

local ph = require "ph_nse"

portrule = function(host, port)
  return ph.port_or_service(port, { 143, 993 }, { "imap", "imaps" })
end

action = function(host, port)
  local sock = ph.connect(host, port, 10000)
  if not sock then return nil end
  local greeting = ph.read_line(sock)
  if not greeting or not greeting:match("^%* OK") then sock:close() return nil end
  local lines = ph.command(sock, "A0001 CAPABILITY\r\n", function(l) return l:match("^A0001 ") end)
  sock:send("A0002 LOGOUT\r\n")
  sock:close()
  if not lines or not lines[#lines]:match("^A0001 OK") then return nil end
  -- The lines run together, as nmap's script reads them; each word once, in order.
  local text = table.concat(lines):gsub("^%* CAPABILITY ", "")
  local seen, words = {}, {}
  for w in text:gmatch("%S+") do
    w = w:gsub("[,.]+$", "")
    if w ~= "" and not seen[w] then
      seen[w] = true
      words[#words + 1] = w
    end
  end
  if #words == 0 then return nil end
  return table.concat(words, " ")
end
