-- Porthole's built-in redis-info (used when nmap's scripts are not installed): what a Redis
-- server tells of itself over its protocol (RESP): INFO, CONFIG GET bind, CLIENT LIST.
description = [[
Shows a Redis server's version, system, process and clients (the INFO, CONFIG GET bind and
CLIENT LIST commands). Porthole's built-in script: nmap's redis-info runs instead when nmap's
scripts are installed.
]]
categories = { "discovery", "safe" }

local ph = require "ph_nse"

portrule = function(host, port)
  return ph.port_or_service(port, { 6379 }, { "redis" })
end

-- Reads one RESP value: a string, an integer, a list, or nil and an error.
local function read_value(sock)
  local line, err = ph.read_line(sock)
  if not line then return nil, err end
  local kind, rest = line:sub(1, 1), line:sub(2)
  if kind == "+" then return rest end
  if kind == "-" then return nil, rest end
  if kind == ":" then return tonumber(rest) end
  if kind == "$" then
    local n = tonumber(rest)
    if not n or n < 0 then return nil, "null" end
    local data, e = ph.read_bytes(sock, n + 2)
    if not data then return nil, e end
    return data:sub(1, n)
  end
  if kind == "*" then
    local list = {}
    for i = 1, tonumber(rest) or 0 do
      local v, e = read_value(sock)
      if v == nil then return nil, e end
      list[i] = v
    end
    return list
  end
  return nil, "not RESP"
end

local function call(sock, cmd)
  if not sock:send(cmd .. "\r\n") then return nil end
  return read_value(sock)
end

local FIELDS = {
  { "redis_version", "Version" }, { "os", "Operating System" },
  { "arch_bits", "Architecture", " bits" }, { "process_id", "Process ID" },
  { "used_cpu_sys", "Used CPU (sys)" }, { "used_cpu_user", "Used CPU (user)" },
  { "connected_clients", "Connected clients" }, { "connected_slaves", "Connected slaves" },
  { "used_memory_human", "Used memory" }, { "role", "Role" },
}

action = function(host, port)
  local sock = ph.connect(host, port, 10000)
  if not sock then return nil end
  local info = call(sock, "INFO")
  if type(info) ~= "string" then sock:close() return nil end
  local kv = {}
  for k, v in info:gmatch("([%w_]+):([^\r\n]*)") do kv[k] = v end
  local out = ph.output_table()
  for _, f in ipairs(FIELDS) do
    if kv[f[1]] then out[f[2]] = kv[f[1]] .. (f[3] or "") end
  end
  local bind = call(sock, "CONFIG GET bind")
  if type(bind) == "table" and type(bind[2]) == "string" then
    local addrs = {}
    for a in bind[2]:gmatch("%S+") do addrs[#addrs + 1] = a end
    if #addrs > 0 then out["Bind addresses"] = addrs end
  end
  local clients = call(sock, "CLIENT LIST")
  if type(clients) == "string" then
    local seen, ips = {}, {}
    for addr in clients:gmatch("[^l]addr=(%S+)") do
      local ip = addr:match("^(.*):%d+$") or addr
      if not seen[ip] then
        seen[ip] = true
        ips[#ips + 1] = ip
      end
    end
    if #ips > 0 then out["Client connections"] = ips end
  end
  sock:close()
  if next(kv) == nil then return nil end
  local lines = {}
  for k, v in pairs(out) do
    if type(v) == "table" then
      lines[#lines + 1] = "  " .. k .. ": "
      for _, x in ipairs(v) do lines[#lines + 1] = "    " .. x end
    else
      lines[#lines + 1] = "  " .. k .. ": " .. v
    end
  end
  return out, "\n" .. table.concat(lines, "\n")
end
