-- Porthole's built-in memcached-info (used when nmap's scripts are not installed): a memcached
-- server's "stats" and "stats settings" (memcached's text protocol).
description = [[
Shows a memcached server's process, uptime, time, connections, ports and whether it asks for
authentication. Porthole's built-in script: nmap's memcached-info runs instead when nmap's
scripts are installed.
]]
categories = { "discovery", "safe" }

local ph = require "ph_nse"

portrule = function(host, port)
  return ph.port_or_service(port, { 11211 }, { "memcached", "memcache" })
end

local function stats(sock, cmd)
  local lines = ph.command(sock, cmd .. "\r\n", function(l)
    return l == "END" or l:match("ERROR")
  end)
  if not lines or lines[#lines] ~= "END" then return nil end
  local kv = {}
  for _, l in ipairs(lines) do
    local k, v = l:match("^STAT (%S+) (.*)$")
    if k then kv[k] = v end
  end
  return kv
end

action = function(host, port)
  local sock = ph.connect(host, port, 10000)
  if not sock then return nil end
  local s = stats(sock, "stats")
  local set = s and stats(sock, "stats settings") or {}
  sock:close()
  if not s then return nil end
  local out = ph.output_table()
  local function put(name, v, suffix)
    if v then out[name] = v .. (suffix or "") end
  end
  put("Process ID", s.pid)
  put("Uptime", s.uptime, " seconds")
  local t = tonumber(s.time)
  if t then out["Server time"] = os.date("!%Y-%m-%dT%H:%M:%S", t) end
  put("Architecture", s.pointer_size, " bit")
  put("Used CPU (user)", s.rusage_user)
  put("Used CPU (system)", s.rusage_system)
  put("Current connections", s.curr_connections)
  put("Total connections", s.total_connections)
  put("Maximum connections", s.max_connections or set.maxconns)
  put("TCP Port", set.tcpport)
  put("UDP Port", set.udpport)
  if set.auth_enabled_sasl then out["Authentication"] = set.auth_enabled_sasl end
  local lines = {}
  for k, v in pairs(out) do lines[#lines + 1] = "  " .. k .. ": " .. v end
  return out, "\n" .. table.concat(lines, "\n")
end
