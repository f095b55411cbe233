-- Porthole's built-in http-title (used when nmap's scripts are not installed): the <title> of
-- the site's root page, following redirects on the same host.
description = [[
Shows the title of the default page of a web server. Porthole's built-in script: nmap's
http-title runs instead when nmap's scripts are installed.
]]
categories = { "default", "discovery", "safe" }

local ph = require "ph_nse"

portrule = function(host, port) return ph.http_port(port) end

-- Decodes the few character references a title commonly carries.
local ENTITIES = { amp = "&", lt = "<", gt = ">", quot = '"', apos = "'", nbsp = "\194\160" }
local function unescape(s)
  return (s:gsub("&(#?x?)(%w+);", function(kind, name)
    if kind == "" then return ENTITIES[name:lower()] end
    local n = tonumber(name, kind == "#x" and 16 or 10)
    if n and n < 0x110000 then return utf8.char(n) end
  end))
end

action = function(host, port)
  local r = ph.http_get(host, port, "/")
  if not r then return nil end
  local out = ph.output_table()
  local title = r.body:match("<[Tt][Ii][Tt][Ll][Ee][^>]*>([^<]*)</[Tt][Ii][Tt][Ll][Ee]>")
  local shown
  if title then
    title = unescape(title):gsub("[\n\r\t]", ""):gsub("^%s+", ""):gsub("%s+$", "")
    out.title = title
    shown = title
  else
    local ct = r.header["content-type"]
    shown = "Site doesn't have a title" .. (ct and (" (" .. ct .. ")") or "") .. "."
  end
  if r.location then
    out.redirect_url = r.location
    shown = shown .. "\nRequested resource was " .. r.location
  end
  return out, shown
end
