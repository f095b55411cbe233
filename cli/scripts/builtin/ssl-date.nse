-- Porthole's built-in ssl-date (used when nmap's scripts are not installed): the server's clock,
-- from the time a TLS server may put in the first four bytes of its ServerHello random
-- (RFC 5246 §7.4.1.2), checked against a second sample where it looks implausible.
description = [[
Reads a TLS server's clock from its ServerHello and shows it with its difference from the
scanner's clock. Many servers put random bytes there instead of the time: when the first sample
is more than 90 minutes off, more samples decide whether the field moves as a clock does, and
if not the script says so. Porthole's built-in script: nmap's ssl-date runs instead when nmap's
scripts are installed.
]]
categories = { "discovery", "safe", "default" }

local nmap = require "nmap"
local tls = require "ph_tls"

portrule = function(host, port)
  return tls.starttls_kind(port) ~= nil or tls.tls_port(port, host)
end

local MAX_SKEW = 90 * 60 -- seconds off before the field's plausibility is checked
local MAX_JITTER = 5 -- seconds two samples may disagree with the scanner's clock

-- One sample: the server's time and the scanner's when it arrived; nil on failure.
local function sample(host, port)
  local sh = tls.hello(host, port, { server_name = tls.server_name(host) })
  if not sh then return nil end
  local now = os.time()
  return { target = sh.time, scanner = now, delta = os.difftime(sh.time, now) }
end

-- Whether a later sample moves with the scanner's clock: "accepted", "stagnant" or "rejected".
local function verdict(first, later)
  local moved = later.target - first.target
  local elapsed = later.scanner - first.scanner
  if moved < 0 or math.abs(moved - elapsed) > MAX_JITTER then return "rejected" end
  if moved == 0 then return "stagnant" end
  return "accepted"
end

local function timestamp(t)
  local ok, s = pcall(os.date, "!%Y-%m-%dT%H:%M:%S", t)
  return (ok and s or tostring(t)) .. "+00:00"
end

-- "0s", "+4s", "-2m38s", "+5d17h05m06s": nmap's way of showing a clock difference.
local function difference(d)
  d = math.tointeger(d) or math.floor(d)
  if d == 0 then return "0s" end
  local sign = d > 0 and "+" or "-"
  d = math.abs(d)
  local s = string.format("%dd%02dh%02dm%02ds", d // 86400, d // 3600 % 24, d // 60 % 60, d % 60)
  return sign .. s:match("([1-9].*)")
end

action = function(host, port)
  local tm = sample(host, port)
  if not tm then return nil end
  if math.abs(tm.delta) > MAX_SKEW then
    local later = sample(host, port)
    if not later then return nil end
    local v = verdict(tm, later)
    if v == "stagnant" then
      nmap.socket.sleep(1.1)
      later = sample(host, port)
      if not later then return nil end
      v = verdict(tm, later)
    end
    if v ~= "accepted" then return {}, "TLS randomness does not represent time" end
    tm = later
  end
  local date = timestamp(tm.target)
  local out = { date = date, delta = tm.delta }
  return out, string.format("%s; %s from scanner time.", date, difference(tm.delta))
end
