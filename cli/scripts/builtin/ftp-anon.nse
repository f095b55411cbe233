-- Porthole's built-in ftp-anon (used when nmap's scripts are not installed): whether an FTP
-- server lets "anonymous" log in (RFC 959, RFC 1635), and the listing of its top directory.
description = [[
Checks whether an FTP server allows anonymous login and, if so, lists its top directory (LIST
over a passive data connection). Porthole's built-in script: nmap's ftp-anon runs instead when
nmap's scripts are installed.
]]
categories = { "default", "auth", "safe" }

local nmap = require "nmap"
local ph = require "ph_nse"

portrule = function(host, port)
  return ph.port_or_service(port, { 21 }, { "ftp", "ftps" })
end

-- One FTP reply: its lines (a multi-line reply ends with "NNN " after "NNN-").
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

action = function(host, port)
  local sock = ph.connect(host, port, 10000)
  if not sock then return nil end
  local code = reply(sock)
  if code ~= 220 then sock:close() return nil end
  code = reply(sock, "USER anonymous\r\n")
  if code == 331 then code = reply(sock, "PASS IEUser@\r\n") end
  if code ~= 230 and code ~= 202 then sock:close() return nil end
  local out = { ("Anonymous FTP login allowed (FTP code %d)"):format(code) }
  local pc, pasv = reply(sock, "PASV\r\n")
  if pc == 227 then
    local p1, p2 = pasv[#pasv]:match("%d+,%d+,%d+,%d+,(%d+),(%d+)")
    local data = nmap.new_socket()
    data:set_timeout(10000)
    -- The data connection goes to the scanned host itself, whatever address PASV names.
    if p1 and data:connect(host, tonumber(p1) * 256 + tonumber(p2), "tcp") then
      local lc = reply(sock, "LIST\r\n")
      if lc == 150 or lc == 125 then
        local parts = {}
        while true do
          local ok, more = data:receive()
          if not ok then break end
          parts[#parts + 1] = more
        end
        for line in table.concat(parts):gmatch("([^\r\n]+)") do out[#out + 1] = line end
        reply(sock)
      end
      data:close()
    end
  end
  sock:send("QUIT\r\n")
  sock:close()
  -- At most 20 entries, as nmap's ftp-anon shows by default.
  if #out > 21 then
    out = table.move(out, 1, 21, 1, {})
    out[22] = "Only 20 shown. Use --script-args ftp-anon.maxlist=-1 to see all."
  end
  return table.concat(out, "\n")
end
