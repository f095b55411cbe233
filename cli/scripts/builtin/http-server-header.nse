-- Porthole's built-in http-server-header (used when nmap's scripts are not installed): the
-- Server header of the web server's answer.
description = [[
Shows the Server header a web server sends. Porthole's built-in script: nmap's
http-server-header runs instead when nmap's scripts are installed.
]]
categories = { "version" }

local ph = require "ph_nse"

portrule = function(host, port) return ph.http_port(port) end

action = function(host, port)
  local r = ph.http_request(host, port, "GET", "/")
  if not r or not r.header.server then return nil end
  return { r.header.server }, r.header.server
end
