package.path = "/usr/share/nmap/nselib/?.lua"
local stub = setmetatable({}, {__index=function(t,k) return function() return nil end end})
package.preload["nmap"] = function() return setmetatable({verbosity=function() return 0 end, debugging=function() return 0 end, registry={args={}}, socket={sleep=function() end}, address_family=function() return "inet" end}, getmetatable(stub)) end
package.preload["openssl"] = function() return stub end
package.preload["unicode"] = function() return stub end
package.preload["lpeg"] = function() return stub end
package.preload["libssh2"] = function() return stub end
package.preload["zlib"] = function() return stub end
package.preload["pcre"] = function() return stub end
-- Loads every nselib library with the C modules stubbed, then prints probes of Lua 5.3 semantics.
SCRIPT_NAME = "x"
function silent_require(...) return require(...) end
if host_readfile then -- wasmoon: its io reads only its own in-memory file system
  table.insert(package.searchers, 2, function(name)
    local path = "/usr/share/nmap/nselib/" .. name:gsub("%.", "/") .. ".lua"
    local src = host_readfile(path)
    if not src then return "\n\tno file " .. path end
    return assert(load(src, "@" .. path)), path
  end)
end
local ok, bad = 0, {}
for _, name in ipairs({"afp","ajp","amqp","anyconnect","asn1","base32","base64","bin","bitcoin","bits","bittorrent","bjnp","brute","cassandra","citrixxml","coap","comm","creds","cvs","datafiles","datetime","dhcp","dhcp6","dicom","dns","dnsbl","dnssd","drda","eap","eigrp","formulas","ftp","geoip","giop","gps","http","httpspider","iax2","idna","ike","imap","informix","ipOps","ipmi","ipp","irc","iscsi","isns","jdwp","json","knx","ldap","libssh2-utility","listop","lpeg-utility","ls","match","membase","mobileme","mongodb","mqtt","msrpc","msrpcperformance","msrpctypes","mssql","multicast","mysql","natpmp","nbd","ncp","ndmp","netbios","nrpc","nsedebug","omp2","oops","ospf","outlib","packet","pgsql","pop3","pppoe","proxy","punycode","rand","rdp","re","redis","rmi","rpc","rpcap","rsync","rtsp","sasl","shortport","sip","slaxml","smb","smb2","smbauth","smtp","snmp","socks","srvloc","ssh1","ssh2","sslcert","sslv2","stdnse","strbuf","stringaux","stun","tab","tableaux","target","tftp","tls","tn3270","tns","unicode","unittest","unpwdb","upnp","url","versant","vnc","vulns","vuzedht","wsdd","xdmcp","xmpp"}) do
  local s, e = pcall(require, name)
  if s then ok = ok + 1 else bad[#bad+1] = name .. ": " .. tostring(e):sub(1,120) end
end
print("loaded " .. ok .. " failed " .. #bad)
for _, b in ipairs(bad) do print("  " .. b) end
-- 5.3 semantics
print(string.pack(">I2s1", 258, "ab"):byte(1, -1))
print(math.maxinteger, 1 << 40, 0x7fffffff + 1, 7 // 2, 7.0 // 2, 0xff & 0x0f, 1 << 62, math.type(3), math.type(3.0), utf8.char(228, 8364))
print(string.unpack("<i8", "\255\255\255\255\255\255\255\255"))
