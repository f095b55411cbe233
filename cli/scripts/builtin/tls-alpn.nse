-- Porthole's built-in tls-alpn (used when nmap's scripts are not installed): the application
-- protocols a TLS server agrees to through ALPN (RFC 7301).
description = [[
Lists the application protocols a TLS server accepts through ALPN, in the server's order of
preference: a ClientHello offers a list of protocols, the server picks one, and the next
ClientHello offers the list without it, until the server picks none. Porthole's built-in
script: nmap's tls-alpn runs instead when nmap's scripts are installed.
]]
categories = { "discovery", "safe", "default" }

local tls = require "ph_tls"

portrule = function(host, port)
  return tls.starttls_kind(port) ~= nil or tls.tls_port(port, host)
end

-- IANA's ALPN protocol ids, and gRPC's.
local PROTOCOLS = { "http/0.9", "http/1.0", "http/1.1", "spdy/1", "spdy/2", "spdy/3", "stun.turn",
  "stun.nat-discovery", "h2", "h2c", "webrtc", "c-webrtc", "ftp", "imap", "pop3", "managesieve",
  "coap", "xmpp-client", "xmpp-server", "acme-tls/1", "mqtt", "dot", "ntske/1", "sunrpc", "h3",
  "smb", "irc", "nntp", "nnsp", "doq", "grpc-exp" }

-- The protocol the server picks from `offer`, or nil.
local function chosen(host, port, offer)
  local sh = tls.hello(host, port, { alpn = offer, server_name = tls.server_name(host) })
  local ext = sh and sh.extensions[16]
  if not ext or #ext < 3 then return nil end
  local list = string.unpack(">s2", ext)
  return (string.unpack(">s1", list))
end

action = function(host, port)
  local offer = table.move(PROTOCOLS, 1, #PROTOCOLS, 1, {})
  local picked = {}
  while #offer > 0 do
    local p = chosen(host, port, offer)
    if not p then break end
    local at
    for i, q in ipairs(offer) do if q == p then at = i end end
    if not at then
      picked[#picked + 1] = p -- the server insists on a protocol it was not offered
      break
    end
    picked[#picked + 1] = p
    table.remove(offer, at)
  end
  if #picked > 0 then return picked end
end
