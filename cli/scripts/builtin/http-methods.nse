-- Porthole's built-in http-methods (used when nmap's scripts are not installed): the methods an
-- OPTIONS request says the server allows, and which of them are risky.
description = [[
Finds the HTTP methods a web server supports (the Allow header of an OPTIONS request, or else
which of GET, HEAD, POST and OPTIONS it does not refuse) and lists the potentially risky ones.
Porthole's built-in script: nmap's http-methods runs instead when nmap's scripts are installed.
]]
categories = { "default", "safe" }

local nmap = require "nmap"
local ph = require "ph_nse"

portrule = function(host, port) return ph.http_port(port) end

local SAFE = { GET = true, HEAD = true, POST = true, OPTIONS = true }

action = function(host, port)
  local methods = {}
  local r = ph.http_request(host, port, "OPTIONS", "/")
  local allow = r and r.status < 400 and (r.header.allow or r.header.public)
  if allow then
    for m in allow:gmatch("[^,%s]+") do methods[#methods + 1] = m end
  else
    for _, m in ipairs({ "GET", "HEAD", "POST", "OPTIONS" }) do
      local x = ph.http_request(host, port, m, "/")
      if x and x.status ~= 405 and x.status ~= 501 and x.status ~= 400 then
        methods[#methods + 1] = m
      end
    end
  end
  if #methods == 0 then return nil end
  local risky = {}
  for _, m in ipairs(methods) do
    if not SAFE[m:upper()] then risky[#risky + 1] = m end
  end
  if #risky == 0 and nmap.verbosity() == 0 then return nil end
  local out = ph.output_table()
  out["Supported Methods"] = methods
  local shown = "\n  Supported Methods: " .. table.concat(methods, " ")
  if #risky > 0 then
    out["Potentially risky methods"] = risky
    shown = shown .. "\n  Potentially risky methods: " .. table.concat(risky, " ")
  end
  return out, shown
end
