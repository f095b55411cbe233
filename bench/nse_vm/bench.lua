local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end
local t0 = os.clock()
local r = fib(27)
local parts = {}
for i = 1, 200000 do parts[#parts+1] = string.format("%d:%s", i, ("x"):rep(i % 7)) end
local s = table.concat(parts, ",")
local n = 0
for w in s:gmatch("(%d+):") do n = n + 1 end
local acc = 0
for i = 1, 200000 do local a, b = string.unpack(">I4I2", string.pack(">I4I2", i, i & 0xffff)); acc = acc + a + b end
local keys = {}
for i = 1, 100000 do keys[i] = (i * 7919) % 100003 end
table.sort(keys)
print("result", r, n, acc, keys[1])
