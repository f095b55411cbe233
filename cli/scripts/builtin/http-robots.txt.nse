-- Porthole's built-in http-robots.txt (used when nmap's scripts are not installed): the
-- Disallow entries of the site's /robots.txt (RFC 9309).
description = [[
Lists the paths a web server's /robots.txt disallows, for every user agent. Porthole's built-in
script: nmap's http-robots.txt runs instead when nmap's scripts are installed.
]]
categories = { "default", "discovery", "safe" }

local nmap = require "nmap"
local ph = require "ph_nse"

portrule = function(host, port) return ph.http_port(port) end

action = function(host, port)
  local r = ph.http_get(host, port, "/robots.txt")
  if not r or r.status ~= 200 then return nil end
  local entries, seen = {}, {}
  for line in r.body:gmatch("[^\r\n]+") do
    local path = line:gsub("#.*$", ""):match("^%s*[Dd][Ii][Ss][Aa][Ll][Ll][Oo][Ww]%s*:%s*(.-)%s*$")
    if path and path ~= "" and not seen[path] then
      seen[path] = true
      entries[#entries + 1] = path
    end
  end
  if #entries == 0 then return nil end
  -- Each path once; the first 15 below verbosity 2, else 40, as nmap's shows them. Long lists
  -- are wrapped at 60 columns (nmap's line breaks are not reproduced).
  local n = #entries
  local shown = math.min(n, nmap.verbosity() < 2 and 15 or 40)
  local out = { ("%d disallowed entr%s %s"):format(n, n == 1 and "y" or "ies",
    shown < n and ("(" .. shown .. " shown)") or "") }
  local line = ""
  for i = 1, shown do
    local e = entries[i] .. (i < shown and " " or "")
    if line ~= "" and #line + #e > 60 then
      out[#out + 1] = line
      line = ""
    end
    line = line .. e
  end
  out[#out + 1] = line
  return table.concat(out, "\n")
end
