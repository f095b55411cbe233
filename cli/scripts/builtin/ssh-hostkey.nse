-- Porthole's built-in ssh-hostkey (used when nmap's scripts are not installed): the server's
-- host keys, from the first messages of an SSH key exchange (RFC 4253, RFC 5656, RFC 8709).
description = [[
Shows an SSH server's host keys: size, MD5 fingerprint and type. One key exchange is begun for
each kind of key (DSA, RSA, ECDSA, Ed25519); the server's reply carries the key, and the
connection is closed there. Porthole's built-in script: nmap's ssh-hostkey runs instead when
nmap's scripts are installed.
]]
categories = { "safe", "default", "discovery" }

local ph = require "ph_nse"
local openssl = require "openssl"

portrule = function(host, port)
  return ph.port_or_service(port, { 22 }, { "ssh" })
end

local KINDS = {
  { algs = "ssh-dss", name = "DSA" },
  -- "ssh-rsa" only, as nmap 7.93 asks: OpenSSH 8.8 and later refuse it, so neither shows their
  -- RSA key (asking for rsa-sha2-256 would, and differ from the reference).
  { algs = "ssh-rsa", name = "RSA" },
  { algs = "ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521", name = "ECDSA" },
  { algs = "ssh-ed25519", name = "ED25519" },
}

local function str(s) return string.pack(">s4", s) end

-- An SSH binary packet around a payload, without encryption or MAC.
local function packet(payload)
  local pad = 8 - ((5 + #payload) % 8)
  if pad < 4 then pad = pad + 8 end
  return string.pack(">I4B", 1 + #payload + pad, pad) .. payload .. string.rep("\0", pad)
end

local function kexinit(host_algs)
  local cookie = openssl.rand_bytes(16)
  local ciphers = "aes128-ctr,aes256-ctr,aes128-gcm@openssh.com,chacha20-poly1305@openssh.com"
  local macs = "hmac-sha2-256,hmac-sha1,hmac-sha2-512"
  return "\20" .. cookie ..
    str("diffie-hellman-group14-sha256,diffie-hellman-group14-sha1") .. str(host_algs) ..
    str(ciphers) .. str(ciphers) .. str(macs) .. str(macs) .. str("none") .. str("none") ..
    str("") .. str("") .. "\0" .. string.pack(">I4", 0)
end

-- Reads SSH packets until one of type `want`; returns its payload, or nil.
local function read_packet(sock, state, want)
  while true do
    while #state.buf < 4 or #state.buf < 4 + string.unpack(">I4", state.buf) do
      local ok, more = sock:receive()
      if not ok then return nil end
      state.buf = state.buf .. more
      if #state.buf > 4 and string.unpack(">I4", state.buf) > 65536 then return nil end
    end
    local len, pad = string.unpack(">I4B", state.buf)
    local payload = state.buf:sub(6, 4 + len - pad)
    state.buf = state.buf:sub(5 + len)
    local t = payload:byte(1)
    if t == want then return payload end
    if t == 1 then return nil end -- SSH_MSG_DISCONNECT
  end
end

-- The bits of an SSH mpint's magnitude.
local function mpint_bits(m)
  m = m:gsub("^\0+", "")
  if m == "" then return 0 end
  local b, top = (#m - 1) * 8, m:byte(1)
  while top > 0 do b, top = b + 1, top >> 1 end
  return b
end

local function key_bits(blob)
  local kind, rest = string.unpack(">s4", blob)
  if kind == "ssh-rsa" then
    local _, n = string.unpack(">s4s4", blob, rest)
    return mpint_bits(n)
  elseif kind == "ssh-dss" then
    return mpint_bits((string.unpack(">s4", blob, rest)))
  elseif kind:match("^ecdsa%-sha2%-nistp") then
    return tonumber(kind:match("(%d+)$"))
  elseif kind == "ssh-ed25519" then
    return 256
  end
end

local function fetch(host, port, algs)
  local sock = ph.connect(host, port, 10000)
  if not sock then return nil end
  local state = { buf = "" }
  -- The server's identification line (lines before it are allowed by RFC 4253).
  while true do
    local line = ph.read_line(sock)
    if not line then sock:close() return nil end
    if line:match("^SSH%-") then break end
  end
  sock:send("SSH-2.0-OpenSSH_for_Porthole\r\n")
  sock:send(packet(kexinit(algs)))
  if not read_packet(sock, state, 20) then sock:close() return nil end
  -- Any value in 1 < e < p-1 is accepted: the exchange stops at the server's reply.
  local e = "\1" .. openssl.rand_bytes(254)
  sock:send(packet("\30" .. str(e)))
  local reply = read_packet(sock, state, 31)
  sock:close()
  if not reply then return nil end
  return (string.unpack(">s4", reply, 2))
end

action = function(host, port)
  local keys, lines = {}, {}
  for _, k in ipairs(KINDS) do
    local blob = fetch(host, port, k.algs)
    if blob then
      local fp = openssl.md5(blob):gsub(".", function(c) return ("%02x"):format(c:byte()) end)
      local t = ph.output_table()
      t.bits = key_bits(blob)
      t.type = string.unpack(">s4", blob)
      t.fingerprint = fp
      t.key = ph.base64(blob)
      keys[#keys + 1] = t
      lines[#lines + 1] = ("  %s %s (%s)"):format(t.bits, fp, k.name)
    end
  end
  if #keys == 0 then return nil end
  return keys, "\n" .. table.concat(lines, "\n")
end
