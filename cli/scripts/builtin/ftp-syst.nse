-- Porthole's built-in ftp-syst (used when nmap's scripts are not installed): an FTP server's
-- answers to SYST and STAT (RFC 959), after an anonymous login when the server allows it.
description = [[
Shows what an FTP server answers to SYST (when it says more than the usual "UNIX Type: L8")
and to STAT. Porthole's built-in script: nmap's ftp-syst runs instead when nmap's scripts are
installed.
]]
categories = { "default", "discovery", "safe" }

local ph = require "ph_nse"

portrule = function(host, port)
  return ph.port_or_service(port, { 21 }, { "ftp", "ftps" })
end

-- One FTP reply: its code and lines (a multi-line reply ends with "NNN " after "NNN-").
local function reply(sock, cmd)
  local code
  local lines = ph.command(sock, cmd, function(l)
    code = code or l:match("^(%d%d%d)%-")
    if code then return l:match("^" .. code .. " ") ~= nil end
    return l:match("^%d%d%d") ~= nil
  end)
  if not lines then return nil end
  return tonumber(lines[#lines]:sub(1, 3)), lines
end

-- A reply's text without its codes: one line as is, several after a newline.
local function text(lines)
  local t = {}
  for i, l in ipairs(lines) do
    t[i] = l:match("^%d%d%d[ -](.*)$") or l
  end
  if #t == 1 then return t[1] end
  return "\n" .. table.concat(t, "\n")
end

action = function(host, port)
  local sock = ph.connect(host, port, 10000)
  if not sock then return nil end
  if reply(sock) ~= 220 then sock:close() return nil end
  local code = reply(sock, "USER anonymous\r\n")
  if code == 331 then reply(sock, "PASS IEUser@\r\n") end
  local out = ph.output_table()
  local sc, syst = reply(sock, "SYST\r\n")
  if sc == 215 and text(syst) ~= "UNIX Type: L8" then out.SYST = text(syst) end
  local tc, stat = reply(sock, "STAT\r\n")
  if tc == 211 or tc == 212 or tc == 213 then out.STAT = text(stat) end
  sock:send("QUIT\r\n")
  sock:close()
  local shown = {}
  for k, v in pairs(out) do shown[#shown + 1] = "  " .. k .. ": " .. v end
  if #shown == 0 then return nil end
  return out, "\n" .. table.concat(shown, "\n")
end
