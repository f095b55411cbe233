-- Porthole's own small NSE library for its built-in scripts: they run on hosts without nmap's
-- nselib, so they use only the `nmap` module and this. Written from the protocols (RFC 9110/9112).
local nmap = require "nmap"

local M = {}

-- A table whose string keys iterate in insertion order, so structured output (XML <elem>s)
-- keeps the order the script gave.
function M.output_table()
  local keys = {}
  local mt = {}
  function mt.__newindex(t, k, v)
    if rawget(t, k) == nil and v ~= nil then keys[#keys + 1] = k end
    rawset(t, k, v)
  end
  function mt.__pairs(t)
    local i = 0
    return function()
      while true do
        i = i + 1
        local k = keys[i]
        if k == nil then return nil end
        local v = rawget(t, k)
        if v ~= nil then return k, v end
      end
    end, t, nil
  end
  return setmetatable({}, mt)
end

local function is_open_tcp(port)
  return port.protocol == "tcp" and (port.state == "open" or port.state == "open|filtered")
end

local HTTP_SERVICES = { http = true, https = true, ["http-alt"] = true, ["http-proxy"] = true,
  ["https-alt"] = true, ["http-mgmt"] = true, ["soap"] = true, ["ipp"] = true }
local HTTP_PORTS = { [80] = true, [443] = true, [631] = true, [7080] = true, [8080] = true,
  [8443] = true, [8088] = true, [5800] = true, [3872] = true, [8180] = true, [8000] = true }

-- Whether a port speaks HTTP by its number or the service detected on it.
function M.http_port(port)
  if not is_open_tcp(port) then return false end
  return HTTP_PORTS[port.number] or HTTP_SERVICES[port.service or ""] or false
end

-- Whether a port is open TCP and named (number or service) as one of the given.
function M.port_or_service(port, numbers, services)
  if not is_open_tcp(port) then return false end
  for _, n in ipairs(numbers) do if port.number == n then return true end end
  for _, s in ipairs(services) do if port.service == s then return true end end
  return false
end

local SSL_PORTS = { [443] = true, [8443] = true, [465] = true, [993] = true, [995] = true }
local SSL_SERVICES = { https = true, smtps = true, imaps = true, pop3s = true }
local function tunnel(port)
  if port.version and port.version.service_tunnel == "ssl" then return "ssl" end
  if SSL_SERVICES[port.service or ""] or SSL_PORTS[port.number] then return "ssl" end
  return "tcp"
end

-- A socket connected to the scanned port (TLS where the port speaks it), or nil, error.
function M.connect(host, port, timeout_ms)
  local sock = nmap.new_socket()
  sock:set_timeout(timeout_ms or 10000)
  local ok, err = sock:connect(host, port, tunnel(port))
  if not ok then return nil, err end
  return sock
end

-- Reads one line (without its CR LF) from a socket, or nil, error.
function M.read_line(sock)
  local ok, line = sock:receive_buf("\r?\n", false)
  if not ok then return nil, line end
  return line
end

-- Reads exactly n bytes from a socket (what comes after stays for the next read), or nil, error.
function M.read_bytes(sock, n)
  if n == 0 then return "" end
  local ok, data = sock:receive_buf(function(buf)
    if #buf >= n then return n, n end
  end, true)
  if not ok then return nil, data end
  return data
end

-- Sends a command and reads lines until `last(line)` is true; returns the lines or nil, error.
function M.command(sock, cmd, last)
  if cmd then
    local ok, err = sock:send(cmd)
    if not ok then return nil, err end
  end
  local lines = {}
  while true do
    local line, err = M.read_line(sock)
    if not line then return nil, err end
    lines[#lines + 1] = line
    if last(line) then return lines end
  end
end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
-- Base64 (RFC 4648) of a byte string.
function M.base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = (a << 16) | ((b or 0) << 8) | (c or 0)
    local q = { (n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63 }
    out[#out + 1] = B64:sub(q[1] + 1, q[1] + 1) .. B64:sub(q[2] + 1, q[2] + 1) ..
      (b and B64:sub(q[3] + 1, q[3] + 1) or "=") .. (c and B64:sub(q[4] + 1, q[4] + 1) or "=")
  end
  return table.concat(out)
end

-- Reads one HTTP/1.x response from a socket: status line, headers, body (Content-Length,
-- chunked, or to the end of the connection; none for HEAD, 1xx, 204 and 304).
local function read_response(sock, method)
  local ok, head = sock:receive_buf("\r?\n\r?\n", false)
  if not ok then return nil, head end
  local lines = {}
  for line in (head .. "\n"):gmatch("(.-)\r?\n") do lines[#lines + 1] = line end
  local version, status = (lines[1] or ""):match("^HTTP/(%d%.%d)%s+(%d%d%d)")
  if not status then return nil, "not an HTTP response" end
  local r = { version = version, status = tonumber(status), status_line = lines[1],
    header = {}, rawheader = {} }
  for i = 2, #lines do
    local name, value = lines[i]:match("^([^:]+):%s*(.-)%s*$")
    if name then
      r.rawheader[#r.rawheader + 1] = lines[i]
      local k = name:lower()
      r.header[k] = r.header[k] and (r.header[k] .. "," .. value) or value
    end
  end
  local body = ""
  local no_body = method == "HEAD" or r.status < 200 or r.status == 204 or r.status == 304
  if no_body then
  elseif (r.header["transfer-encoding"] or ""):lower():find("chunked", 1, true) then
    local parts = {}
    while true do
      local ok2, size_line = sock:receive_buf("\r?\n", false)
      if not ok2 then break end
      local size = tonumber(size_line:match("^%s*(%x+)") or "", 16)
      if not size or size == 0 then break end
      local data = M.read_bytes(sock, size + 2)
      if not data then break end
      parts[#parts + 1] = data:sub(1, size)
    end
    body = table.concat(parts)
  elseif r.header["content-length"] then
    body = M.read_bytes(sock, tonumber(r.header["content-length"]) or 0) or ""
  else
    local parts = {}
    while true do
      local ok2, more = sock:receive()
      if not ok2 then break end
      parts[#parts + 1] = more
    end
    body = table.concat(parts)
  end
  r.body = body
  return r
end

-- One HTTP request to the scanned host's port; returns the response table or nil, error.
function M.http_request(host, port, method, path)
  local sock, err = M.connect(host, port, 10000)
  if not sock then return nil, err end
  local ok
  local hostname = host.targetname or host.ip
  if port.number ~= 80 and port.number ~= 443 then hostname = hostname .. ":" .. port.number end
  local req = method .. " " .. path .. " HTTP/1.1\r\n" ..
    "Host: " .. hostname .. "\r\n" ..
    "Connection: close\r\n" ..
    "User-Agent: Mozilla/5.0 (compatible; Porthole Scripting Engine)\r\n\r\n"
  ok, err = sock:send(req)
  if not ok then sock:close() return nil, err end
  local r, rerr = read_response(sock, method)
  sock:close()
  return r, rerr
end

-- GET, following redirects that stay on the same host and port (at most 5).
function M.http_get(host, port, path)
  local r, err = M.http_request(host, port, "GET", path)
  local hops = 0
  while r and r.status >= 300 and r.status < 400 and r.header.location and hops < 5 do
    local loc = r.header.location
    local scheme, authority, rest = loc:match("^(%a[%w+.-]*)://([^/]*)(.*)$")
    local target
    if scheme then
      local h, p = authority:match("^(.-):(%d+)$")
      h = h or authority
      p = tonumber(p) or (scheme:lower() == "https" and 443 or 80)
      if (h ~= host.ip and h ~= host.targetname) or p ~= port.number then break end
      target = rest ~= "" and rest or "/"
    elseif loc:sub(1, 1) == "/" then
      target = loc
    else
      target = path:gsub("[^/]*$", "") .. loc
    end
    local nr = M.http_request(host, port, "GET", target)
    if not nr then break end
    r, hops = nr, hops + 1
    r.location = loc
    r.path = target
  end
  return r, err
end

-- Reads what a service says first (its banner), waiting at most timeout_ms for it: over TLS or
-- plain TCP as the port suggests, then the other way when nothing came (a TLS service says
-- nothing until the handshake), as nmap's comm.tryssl does.
function M.read_banner(host, port, timeout_ms)
  local first = tunnel(port)
  local err
  for _, how in ipairs({ first, first == "ssl" and "tcp" or "ssl" }) do
    local sock = nmap.new_socket()
    sock:set_timeout(timeout_ms or 5000)
    local ok, data = sock:connect(host, port, how)
    if ok then ok, data = sock:receive() end
    sock:close()
    if ok then return data end
    err = data
  end
  return nil, err
end

return M
