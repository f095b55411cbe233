-- Porthole's built-in http-methods (used when nmap's scripts are not installed): the methods an
-- OPTIONS request says the server allows (Allow, or the older Public of RFC 2068), then each of
-- GET, HEAD, POST and OPTIONS it did not name, tried on its own; and which of them are risky.
description = [[
Finds the HTTP methods a web server supports: those the Allow and Public headers of an OPTIONS
response name, then GET, HEAD, POST and OPTIONS tried one by one when not named (supported
unless refused with 405 or 501, or with the same client or server error as a made-up method).
Lists the potentially risky ones (any but those four); with verbosity, every supported method.
Porthole's built-in script: nmap's http-methods runs instead when nmap's scripts are installed.
]]
categories = { "default", "safe" }

local nmap = require "nmap"
local openssl = require "openssl"
local ph = require "ph_nse"

portrule = function(host, port) return ph.http_port(port) end

local SAFE = { "GET", "HEAD", "POST", "OPTIONS" }

local function contains(list, x)
  for _, v in ipairs(list) do if v == x then return true end end
  return false
end

-- A method is there unless refused as unknown (405, 501), or as the made-up one was.
local function allowed(made_up, r)
  if r.status == 405 or r.status == 501 then return false end
  return not (r.status >= 400 and r.status < 600 and made_up and r.status == made_up.status)
end

local function spaced(list)
  return setmetatable(list, { __tostring = function(t) return table.concat(t, " ") end })
end

action = function(host, port)
  local methods = {}
  local r = ph.http_request(host, port, "OPTIONS", "/")
  if r then
    local seen = {}
    for _, h in ipairs({ "allow", "public" }) do
      for m in (r.header[h] or ""):gmatch("[^,]+") do
        m = m:match("^%s*(.-)%s*$")
        if m ~= "" and not seen[m] then methods[#methods + 1] = m end
        seen[m] = true
      end
    end
  end
  local letters = openssl.rand_bytes(4):gsub(".", function(c)
    return string.char(65 + c:byte() % 26)
  end)
  local made_up = ph.http_request(host, port, letters, "/")
  for _, m in ipairs(SAFE) do
    if not contains(methods, m) then
      local x = ph.http_request(host, port, m, "/")
      if x and allowed(made_up, x) then methods[#methods + 1] = m end
    end
  end
  local out = ph.output_table()
  if nmap.verbosity() > 0 and #methods > 0 then out["Supported Methods"] = spaced(methods) end
  local risky = {}
  for _, m in ipairs(methods) do
    if not contains(SAFE, m) then risky[#risky + 1] = m end
  end
  if #risky > 0 then out["Potentially risky methods"] = spaced(risky) end
  if next(out) == nil then return nil end
  return out
end
