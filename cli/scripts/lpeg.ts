/**
 * nmap's `lpeg` NSE module (LPeg 0.12, which nmap 7.93 builds in: nse_lpeg.cc, lpeg.c) in Lua:
 * the pattern constructors and operators, grammars, captures, and `match`. nselib's json,
 * lpeg-utility and re libraries, and the scripts on them (banner, http-server-header, ntp-info,
 * snmp-info, …), run on it.
 *
 * LPeg compiles patterns for a parsing machine; this one walks the pattern tree instead (a
 * backtracking interpreter), with Lua's proper tail calls where LPeg jumps, so that a rule that
 * calls itself last (lpeg-utility's `anywhere`) runs in constant stack. Captures follow lpeg.c's
 * evaluation after the match: the whole match stands in where nested captures give no value,
 * back references look back through earlier captures and their enclosing ones.
 */
export const LPEG_LUA = String.raw`
local M = {}
local mt = {}
local methods = {}
mt.__index = methods
local sub, byte, unpack = string.sub, string.byte, table.unpack

local function new(t) return setmetatable(t, mt) end
local function isp(x) return getmetatable(x) == mt end

local P
local TRUE, FALSE = new{ tag = "true" }, new{ tag = "false" }

local function setof(str)
  local set = {}
  for i = 1, #str do set[byte(str, i)] = true end
  return new{ tag = "set", set = set }
end

-- lpeg.P: a pattern from a pattern, string, number, boolean, table (grammar) or function.
local grammar
function P(v)
  if isp(v) then return v end
  if type(v) == "table" then
    -- Grammar errors name the line that built the grammar, as luaL_error does.
    local ok, r = pcall(grammar, v)
    if not ok then error(r, 2) end
    return r
  end
  local t = type(v)
  if t == "string" then return new{ tag = "char", s = v, n = #v }
  elseif t == "number" then
    v = math.tointeger(v) or error("bad argument #1 to 'lpeg.P' (number has no integer representation)", 2)
    if v > 0 then return new{ tag = "any", n = v } end
    if v == 0 then return TRUE end
    return new{ tag = "not", p = new{ tag = "any", n = -v } }
  elseif t == "boolean" then return v and TRUE or FALSE
  elseif t == "function" then return new{ tag = "Cmt", p = TRUE, f = v }
  end
  error("bad argument #1 to 'lpeg.P' (pattern expected, got " .. t .. ")", 2)
end
M.P = P

function M.S(str)
  if type(str) ~= "string" then error("bad argument #1 to 'lpeg.S' (string expected, got " .. type(str) .. ")", 2) end
  return setof(str)
end
function M.R(...)
  local set = {}
  for i = 1, select("#", ...) do
    local r = select(i, ...)
    if type(r) ~= "string" or #r ~= 2 then error("bad argument #" .. i .. " to 'lpeg.R' (range must have two characters)", 2) end
    for c = byte(r, 1), byte(r, 2) do set[c] = true end
  end
  return new{ tag = "set", set = set }
end
function M.V(name)
  if name == nil then error("bad argument #1 to 'lpeg.V' (non-nil value expected)", 2) end
  return new{ tag = "V", name = name }
end

-- A pattern's length when every match has the same one (for lpeg.B), or nil.
local function fixedlen(p)
  local t = p.tag
  if t == "char" then return p.n
  elseif t == "any" then return p.n
  elseif t == "set" then return 1
  elseif t == "true" or t == "false" or t == "not" or t == "and" or t == "behind" or t == "Cc"
    or t == "Cp" or t == "Carg" or t == "Cb" then return 0
  elseif t == "seq" then
    local a, b = fixedlen(p.a), fixedlen(p.b)
    return a and b and a + b
  elseif t == "choice" then
    local a, b = fixedlen(p.a), fixedlen(p.b)
    return a == b and a or nil
  elseif t == "C" or t == "Cg" or t == "Ct" or t == "Cs" or t == "Cf" or t:sub(1, 4) == "div_" then
    return fixedlen(p.p)
  end
  return nil
end
function M.B(patt)
  patt = P(patt)
  local n = fixedlen(patt)
  if not n then error("bad argument #1 to 'lpeg.B' (pattern may not have fixed length)", 2) end
  return new{ tag = "behind", p = patt, n = n }
end

-- Whether p can match the empty string. A rule reached again before any input is consumed
-- is left recursion (LPeg's grammar check); 'calls' holds the rules on that path, 'memo' the
-- rules already known.
local function nullable(p, calls, memo)
  local t = p.tag
  if t == "char" then return p.n == 0
  elseif t == "set" or t == "any" or t == "false" then return false
  elseif t == "seq" then return nullable(p.a, calls, memo) and nullable(p.b, calls, memo)
  elseif t == "choice" then
    local a = nullable(p.a, calls, memo)
    return nullable(p.b, calls, memo) or a
  elseif t == "rep" then return nullable(p.p, calls, memo) or p.n == 0
  elseif t == "opt" or t == "not" or t == "and" or t == "behind" then
    nullable(p.p, calls, memo)
    return true
  elseif t == "grammar" then return nullable(p.g.rules[p.start], calls, memo)
  elseif t == "V" then
    local r = p.g and p.g.rules[p.name]
    if not r then return false end -- an open reference: checked once its grammar closes
    if memo[r] ~= nil then return memo[r] end
    if calls[r] then error("rule '" .. tostring(p.name) .. "' may be left recursive", 0) end
    calls[r] = true
    local n = nullable(r, calls, memo)
    calls[r] = nil
    memo[r] = n
    return n
  elseif p.p then return nullable(p.p, calls, memo)
  end
  return true -- Cc, Cp, Carg, Cb
end

-- LPeg refuses loops whose body may match nothing (they would never end).
local function checkloops(p, seen, rule)
  if seen[p] then return end
  seen[p] = true
  if (p.tag == "rep" or p.tag == "opt") and nullable(p.p, {}, {}) then
    if rule == nil then error("loop body may accept empty string", 0) end
    error("empty loop in rule '" .. tostring(rule) .. "'", 0)
  end
  if p.tag == "grammar" then return end
  for _, v in pairs(p) do if isp(v) then checkloops(v, seen, rule) end end
end

---------------------------------------------------------------- operators
local function union(a, b)
  local set = {}
  for c in pairs(a.set) do set[c] = true end
  for c in pairs(b.set) do set[c] = true end
  return new{ tag = "set", set = set }
end
local function oneset(p)
  if p.tag == "set" then return p end
  if p.tag == "char" and p.n == 1 then return setof(p.s) end
end
function mt.__add(a, b)
  a, b = P(a), P(b)
  local sa, sb = oneset(a), oneset(b)
  if sa and sb then return union(sa, sb) end
  if a.tag == "false" then return b end
  if b.tag == "false" then return a end
  return new{ tag = "choice", a = a, b = b }
end
function mt.__mul(a, b)
  a, b = P(a), P(b)
  if a.tag == "true" then return b end
  if b.tag == "true" then return a end
  return new{ tag = "seq", a = a, b = b }
end
function mt.__sub(a, b)
  a, b = P(a), P(b)
  local sa, sb = oneset(a), oneset(b)
  if sa and sb then
    local set = {}
    for c in pairs(sa.set) do if not sb.set[c] then set[c] = true end end
    return new{ tag = "set", set = set }
  end
  return new{ tag = "seq", a = new{ tag = "not", p = b }, b = a }
end
function mt.__unm(a) return new{ tag = "not", p = P(a) } end
function mt.__len(a) return new{ tag = "and", p = P(a) } end
function mt.__pow(a, n)
  a = P(a)
  n = math.tointeger(n) or error("bad argument #2 to 'pow' (number has no integer representation)", 2)
  local r = n >= 0 and new{ tag = "rep", p = a, n = n } or new{ tag = "opt", p = a, n = -n }
  local ok, err = pcall(checkloops, r, {})
  if not ok then error(err, 2) end
  return r
end
function mt.__div(a, x)
  a = P(a)
  local t = type(x)
  if t == "string" then return new{ tag = "div_string", p = a, s = x }
  elseif t == "number" then return new{ tag = "div_number", p = a, n = math.tointeger(x) }
  elseif t == "table" then return new{ tag = "div_table", p = a, t = x }
  elseif t == "function" then return new{ tag = "div_func", p = a, f = x }
  end
  error("bad argument #2 to 'div' (invalid replacement value)", 2)
end

---------------------------------------------------------------- captures
function M.C(p) return new{ tag = "C", p = P(p) } end
function M.Cs(p) return new{ tag = "Cs", p = P(p) } end
function M.Ct(p) return new{ tag = "Ct", p = P(p) } end
function M.Cg(p, name) return new{ tag = "Cg", p = P(p), name = name } end
function M.Cb(name) return new{ tag = "Cb", name = name } end
function M.Cp() return new{ tag = "Cp" } end
function M.Carg(n)
  n = math.tointeger(n)
  if not n or n < 1 or n > 255 then error("bad argument #1 to 'lpeg.Carg' (invalid argument index)", 2) end
  return new{ tag = "Carg", n = n }
end
function M.Cc(...)
  local n = select("#", ...)
  if n == 0 then return TRUE end
  return new{ tag = "Cc", vals = table.pack(...) }
end
function M.Cf(p, f)
  if type(f) ~= "function" then error("bad argument #2 to 'lpeg.Cf' (function expected, got " .. type(f) .. ")", 2) end
  return new{ tag = "Cf", p = P(p), f = f }
end
function M.Cmt(p, f)
  if type(f) ~= "function" then error("bad argument #2 to 'lpeg.Cmt' (function expected, got " .. type(f) .. ")", 2) end
  return new{ tag = "Cmt", p = P(p), f = f }
end

---------------------------------------------------------------- grammars
-- A copy of p whose open rule references (lpeg.V) name rules of grammar g; closed grammars
-- inside keep theirs.
local function bind(p, g, memo)
  local done = memo[p]
  if done then return done end
  local r = p
  if p.tag == "V" then
    if not p.g then r = new{ tag = "V", name = p.name, g = g } end
  elseif p.tag ~= "grammar" then
    local copy, changed = {}, false
    for k, v in pairs(p) do
      if isp(v) then
        local b = bind(v, g, memo)
        changed = changed or b ~= v
        copy[k] = b
      else
        copy[k] = v
      end
    end
    if changed then r = new(copy) end
  end
  memo[p] = r
  return r
end

-- Rules must be patterns already (LPeg 0.12 converts no string or number there).
function grammar(t)
  local start = 1
  if type(t[1]) == "string" or type(t[1]) == "number" then start = t[1] end
  local first = t[start]
  if not isp(first) then
    if first == nil then error("grammar has no initial rule", 0) end
    error("initial rule '" .. tostring(start) .. "' is not a pattern", 0)
  end
  local g = { rules = {} }
  for k, v in pairs(t) do
    if not (k == 1 and start ~= 1) then
      if not isp(v) then error("rule '" .. tostring(k) .. "' is not a pattern", 0) end
      g.rules[k] = v
    end
  end
  local memo = {}
  for k, r in pairs(g.rules) do g.rules[k] = bind(r, g, memo) end
  local known = {}
  for k, r in pairs(g.rules) do
    nullable(r, { [r] = true }, known)
    checkloops(r, {}, k)
  end
  return new{ tag = "grammar", g = g, start = start }
end

---------------------------------------------------------------- matching
-- A pattern compiles (once, on first match) into a closure m(s, i, caps, env): the position
-- after p matched at i, or nil. Captures go into the list caps as records { node, s = start,
-- e = end, kids }; env.stack holds the capture lists of the enclosing captures (for a match-time
-- capture's back references). Sequences, choices and rule calls end in Lua tail calls.
local compiled = setmetatable({}, { __mode = "k" })
local compile
local function fn(p)
  local m = compiled[p]
  if not m then
    m = compile(p)
    compiled[p] = m
  end
  return m
end
local function match(p, s, i, caps, env) return fn(p)(s, i, caps, env) end
local function truncate(caps, n) for k = #caps, n + 1, -1 do caps[k] = nil end end

local values, nested, hascaps
local NONE = {}

-- Matches body with a capture list of its own, on env.stack meanwhile; the list, or nil.
local function inner(body, s, i, env)
  local kids = {}
  local stack = env.stack
  stack[#stack + 1] = kids
  local e = body(s, i, kids, env)
  stack[#stack] = nil
  return e, kids
end

-- Whether matching p may make a capture (rule calls and grammars are taken to).
local CAPTURES = { C = true, Cs = true, Ct = true, Cg = true, Cf = true, Cc = true, Cp = true,
  Carg = true, Cb = true, Cmt = true, V = true, grammar = true, div_string = true,
  div_number = true, div_table = true, div_func = true }
function hascaps(p)
  if CAPTURES[p.tag] then return true end
  if p.tag == "not" or p.tag == "and" or p.tag == "behind" then return false end
  for _, v in pairs(p) do if isp(v) and hascaps(v) then return true end end
  return false
end

function compile(p)
  local t = p.tag
  if t == "char" then
    local lit, n = p.s, p.n
    if n == 1 then
      local c = byte(lit)
      return function(s, i) if byte(s, i) == c then return i + 1 end end
    end
    if n == 0 then return function(_, i) return i end end
    -- The first byte decides most failures without making a substring.
    local c = byte(lit)
    return function(s, i)
      if byte(s, i) == c and sub(s, i, i + n - 1) == lit then return i + n end
    end
  elseif t == "set" then
    local set = p.set
    return function(s, i)
      local c = byte(s, i)
      if c and set[c] then return i + 1 end
    end
  elseif t == "any" then
    local n = p.n
    return function(s, i, _, env) if i + n - 1 <= env.len then return i + n end end
  elseif t == "seq" then
    local a, b
    return function(s, i, caps, env)
      a = a or fn(p.a)
      b = b or fn(p.b)
      local e = a(s, i, caps, env)
      if not e then return nil end
      return b(s, e, caps, env)
    end
  elseif t == "choice" then
    local a, b
    return function(s, i, caps, env)
      a = a or fn(p.a)
      b = b or fn(p.b)
      local n = #caps
      local e = a(s, i, caps, env)
      if e then return e end
      if #caps > n then truncate(caps, n) end
      return b(s, i, caps, env)
    end
  elseif t == "rep" or t == "opt" then
    local min = t == "rep" and p.n or 0
    local max = t == "opt" and p.n or math.huge
    local set = p.p.tag == "set" and p.p.set
    if set then
      return function(s, i)
        local count = 0
        while count < max do
          local c = byte(s, i)
          if not (c and set[c]) then break end
          i = i + 1
          count = count + 1
        end
        if count < min then return nil end
        return i
      end
    end
    local body
    return function(s, i, caps, env)
      body = body or fn(p.p)
      local count = 0
      while count < max do
        local n = #caps
        local e = body(s, i, caps, env)
        if not e then
          if #caps > n then truncate(caps, n) end
          break
        end
        count = count + 1
        -- A body that matched nothing would match nothing forever (LPeg refuses such loops).
        if e == i then break end
        i = e
      end
      if count < min then return nil end
      return i
    end
  elseif t == "true" then return function(_, i) return i end
  elseif t == "false" then return function() return nil end
  elseif t == "not" then
    local body
    return function(s, i, _, env)
      body = body or fn(p.p)
      if body(s, i, {}, env) then return nil end
      return i
    end
  elseif t == "and" then
    local body
    return function(s, i, _, env)
      body = body or fn(p.p)
      if body(s, i, {}, env) then return i end
    end
  elseif t == "behind" then
    local body, n
    return function(s, i, _, env)
      body, n = body or fn(p.p), p.n
      if i - n < 1 then return nil end
      if body(s, i - n, {}, env) == i then return i end
    end
  elseif t == "grammar" then
    local start
    return function(s, i, caps, env)
      start = start or fn(p.g.rules[p.start])
      return start(s, i, caps, env)
    end
  elseif t == "V" then
    local rule
    return function(s, i, caps, env)
      if not rule then
        if not p.g then error("rule '" .. tostring(p.name) .. "' used outside a grammar", 0) end
        local r = p.g.rules[p.name]
        if not r then error("rule '" .. tostring(p.name) .. "' undefined in given grammar", 0) end
        rule = fn(r)
      end
      return rule(s, i, caps, env)
    end
  elseif t == "Cc" or t == "Cp" or t == "Carg" or t == "Cb" then
    return function(_, i, caps)
      caps[#caps + 1] = { node = p, s = i, e = i }
      return i
    end
  elseif t == "Cmt" then
    local body
    return function(s, i, caps, env)
      body = body or fn(p.p)
      local e, kids = inner(body, s, i, env)
      if not e then return nil end
      -- Back references from here look through every capture made so far.
      local frames
      local stack = env.stack
      for k = 1, #stack do frames = { list = stack[k], idx = #stack[k] + 1, up = frames } end
      local args = nested({ node = p, s = i, e = e, kids = kids }, s, env, frames)
      local r = table.pack(p.f(s, e, unpack(args, 1, args.n)))
      local pos = r[1]
      if not pos then return nil end
      if pos ~= true then
        pos = math.tointeger(pos)
        if not pos or pos < e or pos > env.len + 1 then
          error("invalid position returned by match-time capture", 0)
        end
        e = pos
      end
      if r.n > 1 then caps[#caps + 1] = { node = p, s = i, e = e, vals = table.pack(unpack(r, 2, r.n)) } end
      return e
    end
  end
  -- Every other capture: a record of p from i, its nested captures in a list of their own
  -- (none to keep for a body that cannot capture, as C(1)).
  local body
  if not hascaps(p.p) then
    return function(s, i, caps, env)
      body = body or fn(p.p)
      local e = body(s, i, caps, env)
      if not e then return nil end
      caps[#caps + 1] = { node = p, s = i, e = e, kids = NONE }
      return e
    end
  end
  return function(s, i, caps, env)
    body = body or fn(p.p)
    local e, kids = inner(body, s, i, env)
    if not e then return nil end
    caps[#caps + 1] = { node = p, s = i, e = e, kids = kids }
    return e
  end
end

-- Capture values (lpeg.c's pushcapture), appended to out (out.n counts them, nils included).
local function push(out, v) out.n = out.n + 1; out[out.n] = v end

-- The values of a record's nested captures; the whole match when there are none.
function nested(rec, s, env, frames, extra)
  local out = { n = 0 }
  local kids = rec.kids
  if kids then
    for k = 1, #kids do values(kids[k], s, env, { list = kids, idx = k, up = frames }, out) end
  end
  if extra or out.n == 0 then push(out, sub(s, rec.s, rec.e - 1)) end
  return out
end

-- The named group a back reference means: the last one before it, at its level or an enclosing one.
local function findback(name, frames)
  local f = frames
  while f do
    for j = f.idx - 1, 1, -1 do
      local r = f.list[j]
      if r.node.tag == "Cg" and r.node.name == name then return r, { list = f.list, idx = j, up = f.up } end
    end
    f = f.up
  end
  error("back reference '" .. tostring(name) .. "' not found", 0)
end

-- The first value of a record as text, for Cs and string captures; nil when it has none.
local function onestring(rec, s, env, frames, what)
  local out = { n = 0 }
  values(rec, s, env, frames, out)
  if out.n == 0 then return nil end
  local v = out[1]
  if type(v) ~= "string" and type(v) ~= "number" then
    error("invalid " .. what .. " value (a " .. type(v) .. ")", 0)
  end
  return tostring(v)
end

-- The values of string capture rec (patt / "...%1..."): %0 the whole match, %n the n-th nested
-- capture (the nested captures of simple captures count, in order).
local function stringcap(rec, s, env, frames)
  local caps = { { str = sub(s, rec.s, rec.e - 1) } }
  local function collect(r, fr)
    local kids = r.kids or {}
    for k = 1, #kids do
      local kid = kids[k]
      local kf = { list = kids, idx = k, up = fr }
      if kid.node.tag == "C" then
        caps[#caps + 1] = { str = sub(s, kid.s, kid.e - 1) }
        collect(kid, kf)
      else
        caps[#caps + 1] = { rec = kid, frames = kf }
      end
    end
  end
  collect(rec, frames)
  local fmt = rec.node.s
  return (fmt:gsub("%%(.?)", function(d)
    local l = tonumber(d)
    if not l or #d ~= 1 then return d end
    local c = caps[l + 1]
    if not c then error("invalid capture index (" .. l .. ")", 0) end
    if c.str then return c.str end
    local v = onestring(c.rec, s, env, c.frames, "capture")
    if not v then error("no values in capture index " .. l, 0) end
    return v
  end))
end

function values(rec, s, env, frames, out)
  local node = rec.node
  local t = node.tag
  if t == "C" then
    local v = nested(rec, s, env, frames, true)
    push(out, v[v.n])
    for k = 1, v.n - 1 do push(out, v[k]) end
  elseif t == "Cc" then
    for k = 1, node.vals.n do push(out, node.vals[k]) end
  elseif t == "Cp" then push(out, rec.s)
  elseif t == "Carg" then
    if node.n > env.args.n then error("reference to absent argument #" .. node.n, 0) end
    push(out, env.args[node.n])
  elseif t == "Cmt" then
    for k = 1, rec.vals.n do push(out, rec.vals[k]) end
  elseif t == "Cg" then
    if node.name == nil then
      local v = nested(rec, s, env, frames)
      for k = 1, v.n do push(out, v[k]) end
    end
  elseif t == "Cb" then
    local g, f = findback(node.name, frames)
    local v = nested(g, s, env, f)
    for k = 1, v.n do push(out, v[k]) end
  elseif t == "Ct" then
    local tab, n = {}, 0
    local kids = rec.kids
    for k = 1, #kids do
      local kid = kids[k]
      local kf = { list = kids, idx = k, up = frames }
      if kid.node.tag == "Cg" and kid.node.name ~= nil then
        tab[kid.node.name] = nested(kid, s, env, kf)[1]
      else
        local v = { n = 0 }
        values(kid, s, env, kf, v)
        for j = 1, v.n do tab[n + j] = v[j] end
        n = n + v.n
      end
    end
    push(out, tab)
  elseif t == "Cs" then
    local parts, pos = {}, rec.s
    local kids = rec.kids
    for k = 1, #kids do
      local kid = kids[k]
      parts[#parts + 1] = sub(s, pos, kid.s - 1)
      local v = onestring(kid, s, env, { list = kids, idx = k, up = frames }, "replacement")
      if v then
        parts[#parts + 1] = v
        pos = kid.e
      else
        pos = kid.s
      end
    end
    parts[#parts + 1] = sub(s, pos, rec.e - 1)
    push(out, table.concat(parts))
  elseif t == "Cf" then
    local kids = rec.kids
    if #kids == 0 then error("no initial value for fold capture", 0) end
    local first = { n = 0 }
    values(kids[1], s, env, { list = kids, idx = 1, up = frames }, first)
    if first.n == 0 then error("no initial value for fold capture", 0) end
    local acc = first[1]
    for k = 2, #kids do
      local v = { n = 0 }
      values(kids[k], s, env, { list = kids, idx = k, up = frames }, v)
      acc = node.f(acc, unpack(v, 1, v.n))
    end
    push(out, acc)
  elseif t == "div_string" then
    push(out, stringcap(rec, s, env, frames))
  elseif t == "div_number" then
    if node.n == 0 then return end
    local v = nested(rec, s, env, frames)
    if v.n < node.n then error("no capture '" .. node.n .. "'", 0) end
    push(out, v[node.n])
  elseif t == "div_table" then
    local v = node.t[nested(rec, s, env, frames)[1]]
    if v ~= nil then push(out, v) end
  elseif t == "div_func" then
    local v = nested(rec, s, env, frames)
    local r = table.pack(node.f(unpack(v, 1, v.n)))
    for k = 1, r.n do push(out, r[k]) end
  end
end

-- lpeg.match(pattern, subject, init, ...): the captures' values, the position after the match
-- when it captured nothing, or nil.
function M.match(p, s, init, ...)
  p = P(p)
  if type(s) == "number" then s = tostring(s) end
  if type(s) ~= "string" then error("bad argument #2 to 'match' (string expected, got " .. type(s) .. ")", 2) end
  local len = #s
  local ii = init == nil and 1 or math.tointeger(init)
  if not ii then error("bad argument #3 to 'match' (number has no integer representation)", 2) end
  local i
  if ii > 0 then i = ii <= len and ii or len + 1
  else i = -ii <= len and len + ii + 1 or 1 end
  local caps = {}
  local env = { len = len, args = table.pack(...), stack = { caps } }
  local e = match(p, s, i, caps, env)
  if not e then return nil end
  if #caps == 0 then return e end
  local out = { n = 0 }
  for k = 1, #caps do values(caps[k], s, env, { list = caps, idx = k }, out) end
  if out.n == 0 then return e end
  return unpack(out, 1, out.n)
end
methods.match = M.match

function M.type(v) if isp(v) then return "pattern" end return nil end
-- The LPeg of Debian's nmap 7.93, whose answers these are checked against (nmap's own source
-- bundles 0.12; the two agree on everything nselib uses).
function M.version() return "1.0.2" end
function M.setmaxstack() end
local function debug_only() error("function only implemented in debug mode", 2) end
M.print, M.ptree, M.pcode = debug_only, debug_only, debug_only

-- lpeg.locale: the C locale's character classes, as patterns in t (or a new table).
local CLASSES = { alnum = "%w", alpha = "%a", cntrl = "%c", digit = "%d", graph = "%g",
  lower = "%l", punct = "%p", space = "%s", upper = "%u", xdigit = "%x" }
function M.locale(t)
  t = t or {}
  for name, class in pairs(CLASSES) do
    local set = {}
    for c = 0, 255 do if string.char(c):find(class) then set[c] = true end end
    t[name] = new{ tag = "set", set = set }
  end
  local print = {}
  for c = 0, 255 do if string.char(c):find("%g") or c == 32 then print[c] = true end end
  t.print = new{ tag = "set", set = print }
  return t
end
return M
`;
