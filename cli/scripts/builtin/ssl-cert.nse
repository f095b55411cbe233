-- Porthole's built-in ssl-cert (used when nmap's scripts are not installed): the certificate a
-- TLS server presents, directly or after STARTTLS, read through socket:get_ssl_certificate().
description = [[
Shows a TLS server's certificate: subject, subject alternative names and validity; with -v the
issuer, public key, signature algorithm and MD5/SHA-1 fingerprints; with -vv the PEM. Ports that
speak TLS from the start are connected with TLS; SMTP, IMAP, POP3 and FTP ports through
STARTTLS. Porthole's built-in script: nmap's ssl-cert runs instead when nmap's scripts are
installed.
]]
categories = { "default", "safe", "discovery" }

local nmap = require "nmap"
local ph = require "ph_nse"
local tls = require "ph_tls"
local openssl = require "openssl"

portrule = function(host, port)
  return tls.starttls_kind(port) ~= nil or tls.tls_port(port, host)
end

-- The name fields shown at every verbosity, in this order.
local MAIN_FIELDS = { "commonName", "organizationName", "stateOrProvinceName", "countryName" }

local function key_text(k)
  return type(k) == "table" and table.concat(k, ".") or k
end

-- UTF-16 (BMPString) values as UTF-8; anything else as it is.
local function text(v)
  if #v < 2 or #v % 2 == 1 then return v end
  local be
  if v:byte(1) == 0 and v:byte(2) > 0 then be = true
  elseif v:byte(1) > 0 and v:byte(2) == 0 then be = false
  else return v end
  local out = {}
  for i = 1, #v, 2 do
    local a, b = v:byte(i, i + 1)
    out[#out + 1] = utf8.char(be and (a << 8 | b) or (b << 8 | a))
  end
  return table.concat(out)
end

-- "commonName=x/organizationName=y/…": the main fields, then (at -vv) the others by name.
local function name_line(name)
  local parts, main = {}, {}
  for _, k in ipairs(MAIN_FIELDS) do
    main[k] = true
    if name[k] then parts[#parts + 1] = k .. "=" .. text(name[k]) end
  end
  if nmap.verbosity() > 1 then
    local rest = {}
    for k, v in pairs(name) do
      if not main[k] then rest[#rest + 1] = { key_text(k), v } end
    end
    table.sort(rest, function(a, b) return a[1] < b[1] end)
    for _, kv in ipairs(rest) do parts[#parts + 1] = kv[1] .. "=" .. text(kv[2]) end
  end
  return table.concat(parts, "/")
end

-- A name as structured output: its fields sorted by name.
local function name_table(name)
  local keys = {}
  local byKey = {}
  for k, v in pairs(name) do
    local kt = key_text(k)
    keys[#keys + 1] = kt
    byKey[kt] = v
  end
  table.sort(keys)
  local t = ph.output_table()
  for _, k in ipairs(keys) do t[k] = byKey[k] end
  return t
end

local function timestamp(d)
  if type(d) == "string" then return d end
  return string.format("%d-%02d-%02dT%02d:%02d:%02d", d.year, d.month, d.day, d.hour, d.min, d.sec)
end

local function date_line(d)
  if not d then return "MISSING" end
  if type(d) == "string" then return string.format("Can't parse; string is \"%s\"", d) end
  return timestamp(d)
end

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function get_certificate(host, port)
  local sock, err
  if tls.starttls_kind(port) then
    sock, err = tls.starttls(host, port)
    if not sock then return nil, err end
    local ok
    ok, err = sock:reconnect_ssl()
    if not ok then sock:close() return nil, err end
  else
    -- As nmap's sslcert: the socket's default timeout (30 s: a busy server's handshake may be
    -- slow), and one more connect when the first fails (nmap's fallback handshake).
    for _ = 1, 2 do
      sock = nmap.new_socket()
      local ok
      ok, err = sock:connect(host, port, "ssl")
      if ok then break end
      sock = nil
    end
    if not sock then return nil, err end
  end
  local cert = sock:get_ssl_certificate()
  sock:close()
  if not cert then return nil, "no certificate" end
  return cert
end

local function structured(cert)
  local o = ph.output_table()
  o.subject = name_table(cert.subject)
  o.issuer = name_table(cert.issuer)
  o.pubkey = ph.output_table()
  o.pubkey.type = cert.pubkey.type
  o.pubkey.bits = cert.pubkey.bits
  if cert.pubkey.type == "rsa" then
    o.pubkey.modulus = openssl.bignum_bn2hex(cert.pubkey.modulus)
    o.pubkey.exponent = openssl.bignum_bn2dec(cert.pubkey.exponent)
  elseif cert.pubkey.type == "ec" then
    local params = ph.output_table()
    params.ec_curve_type = cert.pubkey.ecdhparams.curve_params.ec_curve_type
    params.curve = cert.pubkey.ecdhparams.curve_params.curve
    o.pubkey.ecdhparams = { curve_params = params }
  end
  if cert.extensions and #cert.extensions > 0 then
    o.extensions = {}
    for i, e in ipairs(cert.extensions) do
      local x = ph.output_table()
      x.name = e.name
      x.value = e.value
      x.critical = e.critical
      o.extensions[i] = x
    end
  end
  o.sig_algo = cert.sig_algorithm
  o.validity = ph.output_table()
  o.validity.notBefore = timestamp(cert.validity.notBefore)
  o.validity.notAfter = timestamp(cert.validity.notAfter)
  o.md5 = hex(cert:digest("md5"))
  o.sha1 = hex(cert:digest("sha1"))
  o.pem = cert.pem
  return o
end

local function text_output(cert)
  local v = nmap.verbosity()
  local lines = { "Subject: " .. name_line(cert.subject) }
  for _, e in ipairs(cert.extensions or {}) do
    if e.name == "X509v3 Subject Alternative Name" then
      lines[#lines + 1] = "Subject Alternative Name: " .. tostring(e.value)
      break
    end
  end
  if v > 0 then
    lines[#lines + 1] = "Issuer: " .. name_line(cert.issuer)
    lines[#lines + 1] = "Public Key type: " .. cert.pubkey.type
    lines[#lines + 1] = "Public Key bits: " .. cert.pubkey.bits
    lines[#lines + 1] = "Signature Algorithm: " .. cert.sig_algorithm
  end
  lines[#lines + 1] = "Not valid before: " .. date_line(cert.validity.notBefore)
  lines[#lines + 1] = "Not valid after:  " .. date_line(cert.validity.notAfter)
  if v > 0 then
    -- Unbroken hex, as nmap 7.93 prints it (the reference this output is compared with).
    lines[#lines + 1] = "MD5:   " .. hex(cert:digest("md5"))
    lines[#lines + 1] = "SHA-1: " .. hex(cert:digest("sha1"))
  end
  if v > 1 then lines[#lines + 1] = cert.pem end
  return table.concat(lines, "\n")
end

action = function(host, port)
  local cert = get_certificate(host, port)
  if not cert then return nil end
  return structured(cert), text_output(cert)
end
