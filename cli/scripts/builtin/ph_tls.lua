-- Porthole's TLS helpers for its built-in scripts (ssl-cert, ssl-date, tls-alpn): which ports
-- speak TLS, STARTTLS for SMTP, LMTP, IMAP, POP3, FTP, NNTP, LDAP, PostgreSQL and XMPP, and a
-- TLS 1.2 ClientHello with the reading of the ServerHello that answers it. Written from RFC 5246
-- (TLS 1.2), RFC 6066 (SNI), RFC 7301 (ALPN), RFC 3207 (SMTP STARTTLS), RFC 2595 (IMAP/POP3),
-- RFC 4217 (FTP AUTH TLS) and the RFCs named below.
local nmap = require "nmap"
local openssl = require "openssl"
local ph = require "ph_nse"

local M = {}

-- Ports and services that speak TLS from the first byte (IANA's "…s" ports).
local TLS_PORTS = { [261] = true, [271] = true, [324] = true, [443] = true, [465] = true,
  [563] = true, [585] = true, [636] = true, [853] = true, [989] = true, [990] = true, [992] = true,
  [993] = true, [994] = true, [995] = true, [2221] = true, [2252] = true, [2376] = true,
  [3269] = true, [3389] = true, [4433] = true, [4911] = true, [5061] = true, [5986] = true,
  [6679] = true, [6697] = true, [8443] = true, [8883] = true, [9001] = true }
local TLS_SERVICES = { ftps = true, ["ftps-data"] = true, ["ftps-control"] = true, https = true,
  ["https-alt"] = true, imaps = true, ircs = true, ldapssl = true, ["ms-wbt-server"] = true,
  pop3s = true, ["sip-tls"] = true, smtps = true, telnets = true, ["tor-orport"] = true }

local function open_tcp(port)
  return port.protocol == "tcp" and (port.state == "open" or port.state == "open|filtered")
end

local probe -- defined below, with the ClientHello

-- Whether the port speaks TLS from its first byte: version detection found TLS, or its number
-- or service name says so, or (when the service is only guessed from the port number) a
-- ClientHello sent there is answered by a TLS handshake or alert. The answer is kept in the
-- host's registry, so the TLS scripts ask each port once.
function M.tls_port(port, host)
  if not open_tcp(port) then return false end
  if port.version and port.version.service_tunnel == "ssl" then return true end
  if TLS_PORTS[port.number] or TLS_SERVICES[port.service or ""] then return true end
  if not host or (port.version and (port.version.name_confidence or 0) > 3) then return false end
  if M.starttls_kind(port) then return false end
  host.registry.ph_tls = host.registry.ph_tls or {}
  local cache = host.registry.ph_tls
  local lock = nmap.mutex(cache)
  lock "lock"
  local key = port.number .. "/" .. port.protocol
  if cache[key] == nil then cache[key] = probe(host, port) end
  lock "done"
  return cache[key]
end

---------------------------------------------------------------- STARTTLS
-- Reads one reply of a line protocol until `last(line)`; the lines, or nil.
local function reply(sock, last)
  return ph.command(sock, nil, last)
end
local function ask(sock, cmd, last)
  return ph.command(sock, cmd, last)
end
local smtp_last = function(l) return not l:match("^%d%d%d%-") end

-- Each protocol's dialogue up to the point where TLS begins; true when the server agreed.
local STARTTLS = {
  smtp = function(sock, host)
    local g = reply(sock, smtp_last)
    if not g or not g[#g]:match("^220") then return false end
    local name = host.targetname or (host.name ~= "" and host.name) or "example.com"
    local e = ask(sock, "EHLO " .. name .. "\r\n", smtp_last)
    if not e or not e[#e]:match("^250") then return false end
    local r = ask(sock, "STARTTLS\r\n", smtp_last)
    return r ~= nil and r[#r]:match("^220") ~= nil
  end,
  imap = function(sock)
    local g = reply(sock, function() return true end)
    if not g or not g[1]:match("^%* OK") then return false end
    local r = ask(sock, "a001 STARTTLS\r\n", function(l) return l:match("^a001 ") end)
    return r ~= nil and r[#r]:match("^a001 OK") ~= nil
  end,
  pop3 = function(sock)
    local g = reply(sock, function() return true end)
    if not g or not g[1]:match("^%+OK") then return false end
    local r = ask(sock, "STLS\r\n", function() return true end)
    return r ~= nil and r[1]:match("^%+OK") ~= nil
  end,
  ftp = function(sock)
    local ftp_last = function(l) return l:match("^%d%d%d ") end
    local g = reply(sock, ftp_last)
    if not g or not g[#g]:match("^220") then return false end
    local r = ask(sock, "AUTH TLS\r\n", ftp_last)
    return r ~= nil and r[#r]:match("^234") ~= nil
  end,
}
-- Reads until `done(data)` holds for all received so far; the data, or nil.
local function read_until(sock, done)
  local data = ""
  while not done(data) do
    local ok, more = sock:receive()
    if not ok then return nil end
    data = data .. more
  end
  return data
end

-- LMTP (RFC 2033) is SMTP's dialogue with LHLO.
STARTTLS.lmtp = function(sock, host)
  local g = reply(sock, smtp_last)
  if not g or not g[#g]:match("^220") then return false end
  local e = ask(sock, "LHLO " .. (host.targetname or "example.com") .. "\r\n", smtp_last)
  if not e or not e[#e]:match("^250") then return false end
  local r = ask(sock, "STARTTLS\r\n", smtp_last)
  return r ~= nil and r[#r]:match("^220") ~= nil
end
-- NNTP (RFC 4642): 382 is "continue with TLS".
STARTTLS.nntp = function(sock)
  local g = reply(sock, function() return true end)
  if not g or not g[1]:match("^20[01]") then return false end
  local r = ask(sock, "STARTTLS\r\n", function() return true end)
  return r ~= nil and r[1]:match("^382") ~= nil
end
-- PostgreSQL's SSLRequest: length 8, code 80877103; "S" means yes.
STARTTLS.postgres = function(sock)
  if not sock:send(string.pack(">I4I4", 8, 80877103)) then return false end
  local ok, r = sock:receive_bytes(1)
  return ok and r:sub(1, 1) == "S"
end
-- LDAP's StartTLS extended operation (RFC 4511 §4.14): message 1, ExtendedRequest [APPLICATION
-- 23] with the OID 1.3.6.1.4.1.1466.20037; the ExtendedResponse [APPLICATION 24] has resultCode 0.
STARTTLS.ldap = function(sock)
  local oid = "1.3.6.1.4.1.1466.20037"
  local op = string.char(0x77, #oid + 2, 0x80, #oid) .. oid
  local msg = "\2\1\1" .. op
  if not sock:send(string.char(0x30, #msg) .. msg) then return false end
  -- A whole BER element: its length in the short form, or in the n bytes that follow 0x80 + n.
  local r = read_until(sock, function(d)
    if #d < 2 then return false end
    local len, head = d:byte(2), 2
    if len >= 0x80 then
      head = 2 + (len & 0x7f)
      if #d < head then return false end
      len = 0
      for i = 3, head do len = len * 256 + d:byte(i) end
    end
    return #d >= head + len
  end)
  return r ~= nil and r:find("\x78[\0-\x7f]\x0a\x01\x00") ~= nil
end
-- XMPP (RFC 6120 §5): a stream header, the server's features, <starttls/>, <proceed/>.
local function xmpp(ns)
  return function(sock, host)
    local to = host.targetname or host.ip
    local open = "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' " ..
      "xmlns='" .. ns .. "' to='" .. to .. "' version='1.0'>"
    if not sock:send(open) then return false end
    local f = read_until(sock, function(d) return d:find("</stream:features>", 1, true) end)
    if not f or not f:find("urn:ietf:params:xml:ns:xmpp-tls", 1, true) then return false end
    if not sock:send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>") then return false end
    local r = read_until(sock, function(d) return d:find(">", 1, true) end)
    return r ~= nil and r:find("<proceed", 1, true) ~= nil
  end
end
STARTTLS.xmpp = xmpp("jabber:client")
STARTTLS["xmpp-server"] = xmpp("jabber:server")

local STARTTLS_PORTS = { [25] = "smtp", [587] = "smtp", [143] = "imap", [110] = "pop3", [21] = "ftp",
  [24] = "lmtp", [119] = "nntp", [5432] = "postgres", [389] = "ldap", [5222] = "xmpp",
  [5269] = "xmpp-server" }
local STARTTLS_SERVICES = { smtp = "smtp", submission = "smtp", imap = "imap", pop3 = "pop3", ftp = "ftp",
  lmtp = "lmtp", nntp = "nntp", postgresql = "postgres", ldap = "ldap", ["xmpp-client"] = "xmpp",
  xmpp = "xmpp", jabber = "xmpp", ["xmpp-server"] = "xmpp-server" }

-- The STARTTLS dialogue for a port (by service name, then number), or nil.
function M.starttls_kind(port)
  if not open_tcp(port) then return nil end
  if port.version and port.version.service_tunnel == "ssl" then return nil end
  if TLS_PORTS[port.number] or TLS_SERVICES[port.service or ""] then return nil end
  return STARTTLS_SERVICES[port.service or ""] or STARTTLS_PORTS[port.number]
end

-- A plain connection on which the server has just agreed to start TLS; or nil, error. A port
-- where STARTTLS failed once is not asked again (the registry remembers, for the other scripts).
function M.starttls(host, port)
  local kind = M.starttls_kind(port)
  if not kind then return nil, "no STARTTLS for this service" end
  host.registry.ph_starttls = host.registry.ph_starttls or {}
  local key = port.number .. "/" .. port.protocol
  if host.registry.ph_starttls[key] == false then return nil, "STARTTLS failed before" end
  local sock = nmap.new_socket()
  sock:set_timeout(5000)
  local ok, err = sock:connect(host, port, "tcp")
  if not ok then return nil, err end
  if not STARTTLS[kind](sock, host) then
    host.registry.ph_starttls[key] = false
    sock:close()
    return nil, "the server refused STARTTLS"
  end
  return sock
end

-- A connection where a ClientHello may be sent next: TCP on TLS ports, after STARTTLS on others.
function M.connect_for_hello(host, port)
  if M.starttls_kind(port) then return M.starttls(host, port) end
  local sock = nmap.new_socket()
  sock:set_timeout(5000)
  local ok, err = sock:connect(host, port, "tcp")
  if not ok then return nil, err end
  return sock
end

---------------------------------------------------------------- ClientHello / ServerHello
local CIPHERS = { 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc009, 0xc013, 0xc00a, 0xc014,
  0x009c, 0x009d, 0x002f, 0x0035, 0x000a, 0x00ff }
local SIGNATURE_ALGORITHMS = { 0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501,
  0x0601, 0x0203, 0x0201 }

local function u16_list(values)
  local out = {}
  for i, v in ipairs(values) do out[i] = string.pack(">I2", v) end
  return table.concat(out)
end
local function extension(kind, body) return string.pack(">I2s2", kind, body) end

-- A TLS 1.2 ClientHello record. opts.alpn: protocol names to offer; opts.server_name: SNI.
function M.client_hello(opts)
  opts = opts or {}
  local exts = {}
  if opts.server_name then
    exts[#exts + 1] = extension(0, string.pack(">s2", string.pack(">Bs2", 0, opts.server_name)))
  end
  exts[#exts + 1] = extension(10, string.pack(">s2", u16_list({ 0x001d, 0x0017, 0x0018, 0x0019 })))
  exts[#exts + 1] = extension(11, "\1\0")
  exts[#exts + 1] = extension(13, string.pack(">s2", u16_list(SIGNATURE_ALGORITHMS)))
  if opts.alpn then
    local names = {}
    for i, p in ipairs(opts.alpn) do names[i] = string.pack(">s1", p) end
    exts[#exts + 1] = extension(16, string.pack(">s2", table.concat(names)))
  end
  -- The random's first four bytes are the time (RFC 5246 §7.4.1.2).
  local random = string.pack(">I4", os.time()) .. openssl.rand_bytes(28)
  local body = "\3\3" .. random .. "\0" .. string.pack(">s2", u16_list(CIPHERS)) .. "\1\0" ..
    string.pack(">s2", table.concat(exts))
  local handshake = "\1" .. string.pack(">I3", #body) .. body
  return "\22\3\1" .. string.pack(">s2", handshake)
end

-- Reads records until a whole first handshake message arrives. Returns the ServerHello as
-- { time, random, version, cipher, extensions = { [type] = body } }, or nil, why.
function M.read_server_hello(sock)
  local buf, hs = "", ""
  while true do
    while #buf >= 5 do
      local kind, _, len = string.unpack(">BI2I2", buf)
      if #buf < 5 + len then break end
      local frag = buf:sub(6, 5 + len)
      buf = buf:sub(6 + len)
      if kind == 21 then return nil, "alert" end
      if kind ~= 22 then return nil, "not a handshake record" end
      hs = hs .. frag
      if #hs >= 4 then
        local msg, mlen = string.unpack(">BI3", hs)
        if #hs >= 4 + mlen then
          if msg ~= 2 then return nil, "not a ServerHello" end
          local body = hs:sub(5, 4 + mlen)
          local version, random, sid, pos = string.unpack(">I2c32s1", body)
          local cipher
          cipher, pos = string.unpack(">I2", body, pos)
          pos = pos + 1 -- compression method
          local exts = {}
          if pos + 1 <= #body then
            local all = string.unpack(">s2", body, pos)
            local i = 1
            while i + 3 <= #all do
              local t, data
              t, data, i = string.unpack(">I2s2", all, i)
              exts[t] = data
            end
          end
          return { version = version, random = random, session_id = sid, cipher = cipher,
            time = string.unpack(">I4", random), extensions = exts }
        end
      end
    end
    if #buf >= 1 and buf:byte(1) ~= 22 and buf:byte(1) ~= 21 then return nil, "not TLS" end
    local ok, data = sock:receive()
    if not ok then return nil, data end
    buf = buf .. data
  end
end

-- Sends a ClientHello to the port and reads the ServerHello; nil, why on failure.
function M.hello(host, port, opts)
  local sock, err = M.connect_for_hello(host, port)
  if not sock then return nil, err end
  local ok
  ok, err = sock:send(M.client_hello(opts))
  if not ok then sock:close() return nil, err end
  local sh
  sh, err = M.read_server_hello(sock)
  sock:close()
  return sh, err
end

-- A ClientHello to a port whose service is not known: does a TLS record come back?
function probe(host, port)
  local sock = nmap.new_socket()
  sock:set_timeout(5000)
  if not sock:connect(host, port, "tcp") then return false end
  local tls = false
  if sock:send(M.client_hello()) then
    local ok, data = sock:receive_bytes(3)
    -- A handshake (22) or an alert (21) record of SSL 3.0 or any TLS.
    tls = ok and data:match("^[\21\22]\3[\0-\4]") ~= nil
  end
  sock:close()
  return tls
end

-- The name to send as SNI: the target's name as the user gave it, when it is not an address.
function M.server_name(host)
  local n = host.targetname
  if n and not n:match("^[%d.]+$") and not n:find(":", 1, true) then return n end
  return nil
end

return M
