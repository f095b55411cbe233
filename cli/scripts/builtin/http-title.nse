-- Porthole's built-in http-title (used when nmap's scripts are not installed): the <title> of
-- the site's root page, following redirects on the same host. Character references are shown
-- as the page writes them ("&amp;"), as nmap's http-title does.
description = [[
Shows the title of the default page of a web server. Porthole's built-in script: nmap's
http-title runs instead when nmap's scripts are installed.
]]
categories = { "default", "discovery", "safe" }

local ph = require "ph_nse"

portrule = function(host, port) return ph.http_port(port) end

action = function(host, port)
  local r = ph.http_get(host, port, "/")
  if not r then return nil end
  local out = ph.output_table()
  local title = r.body:match("<[Tt][Ii][Tt][Ll][Ee][^>]*>([^<]*)</[Tt][Ii][Tt][Ll][Ee]>")
  local shown
  if title then
    title = title:gsub("[\n\r\t]", ""):gsub("^%s+", ""):gsub("%s+$", "")
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
