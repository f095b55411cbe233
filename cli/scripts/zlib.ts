/**
 * nmap's `zlib` NSE module (nse_zlib.cc: lzlib 0.4-work3): `compress`, `decompress`, `crc32`,
 * `adler32`, `version`, and the `inflate(source)` / `deflate(sink)` streams, over Deno's
 * node:zlib. node:zlib has no synchronous stream that can be fed again, so the streams work in
 * whole pieces: an inflate stream inflates all the input it has gathered so far (from the start,
 * each time more arrives), and a deflate stream compresses what was written since the last flush
 * as raw deflate blocks of its own, inside the zlib or gzip frame it writes itself.
 */
import { concatBytes } from "../service/rpc.ts";

/** The Lua module; loaded with the host table, the runtime's wire/unwire and argument checks. */
export const ZLIB_LUA = String.raw`
local host, wire, unwire, cargs = ...
local M = {
  _COPYRIGHT = "Copyright (C) 2003-2010 Tiago Dionizio",
  _DESCRIPTION = "Lua 5 interface to access zlib library functions",
  _VERSION = "lzlib 0.4-work3",
  NO_COMPRESSION = 0, BEST_SPEED = 1, BEST_COMPRESSION = 9, DEFAULT_COMPRESSION = -1,
  FILTERED = 1, HUFFMAN_ONLY = 2, RLE = 3, FIXED = 4, DEFAULT_STRATEGY = 0,
  MINIMUM_MEMLEVEL = 1, MAXIMUM_MEMLEVEL = 9, DEFAULT_MEMLEVEL = 8,
  DEFAULT_WINDOWBITS = 15, MINIMUM_WINDOWBITS = 8, MAXIMUM_WINDOWBITS = 15,
  GZIP_WINDOWBITS = 16, RAW_WINDOWBITS = -1,
}
local int, str = cargs.int, cargs.str

function M.version() return host.zlib_version() end
-- lzlib pushes the sums as Lua floats (lua_pushnumber).
function M.adler32(...)
  if select("#", ...) == 0 then return 1.0 end
  local a, buf = ...
  return host.zlib_sum("adler32", int(a, nil, 1, "adler32"), wire(str(buf, 2, "adler32"))) + 0.0
end
function M.crc32(...)
  if select("#", ...) == 0 then return 0.0 end
  local c, buf = ...
  return host.zlib_sum("crc32", int(c, nil, 1, "crc32"), wire(str(buf, 2, "crc32"))) + 0.0
end

-- compress(buffer, level, method, windowBits, memLevel, strategy): the data and zlib's result
-- (Z_STREAM_END), or nil and the error code.
function M.compress(buf, level, method, windowBits, memLevel, strategy)
  local r = host.zlib_compress(wire(str(buf, 1, "compress")), int(level, -1, 2, "compress"),
    int(method, 8, 3, "compress"), int(windowBits, 15, 4, "compress"), int(memLevel, 8, 5, "compress"),
    int(strategy, 0, 6, "compress"))
  if r.code then return nil, r.code + 0.0 end
  return unwire(r.out), 1.0
end
function M.decompress(buf, windowBits)
  local r = host.zlib_decompress(wire(str(buf, 1, "decompress")), int(windowBits, 15, 2, "decompress"))
  if r.err then error(r.err, 0) end
  return unwire(r.out)
end

---------------------------------------------------------------- streams
local Stream = {}
local META = { __index = Stream, __name = "zlib:zstream" }
function META:__tostring()
  if self.closed then return "zlib stream (closed)" end
  return "zlib " .. self.kind .. " stream (" .. self.id .. ")"
end
function META:__gc() host.zlib_free(self.id) end
local function check(self, kind)
  if getmetatable(self) ~= META or self.closed or (kind and self.kind ~= kind) then
    error("bad argument #1 (attempt to use invalid zlib stream)", 0)
  end
end

-- inflate(source, windowBits, dictionary): source is the compressed string, a function called
-- for more, or an object with :read (and :peek).
function M.inflate(source, windowBits, dictionary)
  local t = type(source)
  if t == "table" or t == "userdata" then
    if type(source.read) ~= "function" then error("bad argument #1 to 'inflate' (input parameter does not provide :read function)", 0) end
  elseif t ~= "string" and t ~= "number" and t ~= "function" then
    error("bad argument #1 to 'inflate' (input parameter must be a string, function, table or userdata value)", 0)
  end
  windowBits = int(windowBits, 15, 2, "inflate")
  if windowBits > 0 and windowBits < 16 then windowBits = windowBits | 32 end
  local r = host.zlib_open_inflate(windowBits, dictionary and wire(str(dictionary, 3, "inflate")) or nil)
  if r.err then error(r.err, 0) end
  local s = setmetatable({ id = r.id, kind = "inflate", out = "", eos = false }, META)
  if t == "string" or t == "number" then s.input = tostring(source) else s.source = source end
  return s
end

-- More output into s.out; false when nothing more will come.
local BLOCK = 8192
local function inflate_block(s)
  if s.eos then return false end
  local data, done = s.input, false
  s.input = nil
  if data == nil then
    local src = s.source
    if src == nil then done = true
    elseif type(src) == "function" then data = src(BLOCK)
    else
      data = (src.peek or src.read)(src, BLOCK)
      if src.peek and data then src:read(#data) end
    end
    if data ~= nil and type(data) ~= "string" then error("deflate callback must return string or nil", 0) end
    if data == nil then done, s.source = true, nil end
  end
  local r = host.zlib_inflate(s.id, data and wire(data) or nil)
  if r.err then s.closed = true error(r.err, 0) end
  local out = unwire(r.out)
  s.out = s.out .. out
  if r.ended or done then s.eos = true end
  return #out > 0 or not s.eos
end

local function read_line(s)
  local parts = {}
  while true do
    local i = s.out:find("[\r\n]")
    if i then
      parts[#parts + 1] = s.out:sub(1, i - 1)
      local cr = s.out:sub(i, i) == "\r"
      s.out = s.out:sub(i + 1)
      if cr then
        if s.out == "" then inflate_block(s) end
        if s.out:sub(1, 1) == "\n" then s.out = s.out:sub(2) end
      end
      return table.concat(parts)
    end
    parts[#parts + 1] = s.out
    s.out = ""
    if not inflate_block(s) then break end
  end
  local line = table.concat(parts)
  if #line > 0 or not s.eos then return line end
  return nil
end
local function read_chars(s, n)
  while #s.out < n and inflate_block(s) do end
  local d = s.out:sub(1, n)
  s.out = s.out:sub(n + 1)
  if #d > 0 then return d end
  return nil
end

function Stream:read(...)
  check(self, "inflate")
  local n = select("#", ...)
  if n == 0 then return read_line(self) end
  local res = {}
  for i = 1, n do
    local f = select(i, ...)
    local v
    if type(f) == "number" then
      if f == 0 then
        if #self.out > 0 or inflate_block(self) then v = "" end
      else v = read_chars(self, f) end
    else
      if type(f) ~= "string" or f:sub(1, 1) ~= "*" then error("bad argument #" .. i .. " to 'read' (invalid option)", 0) end
      local k = f:sub(2, 2)
      if k == "l" then v = read_line(self)
      elseif k == "a" then v = read_chars(self, math.maxinteger) or ""
      else error("bad argument #" .. i .. " to 'read' (invalid format)", 0) end
    end
    res[i] = v
    if v == nil then return table.unpack(res, 1, i) end
  end
  return table.unpack(res, 1, n)
end
function Stream:lines()
  check(self, "inflate")
  return function() return read_line(self) end
end

-- deflate(sink, level, method, windowBits, memLevel, strategy, dictionary)
function M.deflate(sink, level, method, windowBits, memLevel, strategy, dictionary)
  local t = type(sink)
  if t == "table" or t == "userdata" then
    if type(sink.write) ~= "function" then error("bad argument #1 to 'deflate' (output parameter does not provide :write function)", 0) end
  elseif t ~= "function" then
    error("bad argument #1 to 'deflate' (output parameter must be a function, table or userdata value)", 0)
  end
  local r = host.zlib_open_deflate(int(level, -1, 2, "deflate"), int(method, 8, 3, "deflate"),
    int(windowBits, 15, 4, "deflate"), int(memLevel, 8, 5, "deflate"), int(strategy, 0, 6, "deflate"),
    dictionary and wire(str(dictionary, 7, "deflate")) or nil)
  if r.err then error(r.err, 0) end
  return setmetatable({ id = r.id, kind = "deflate", sink = sink }, META)
end
local function emit(s, data)
  if data == "" then return end
  if type(s.sink) == "function" then s.sink(data) else s.sink:write(data) end
end
local function deflate(s, data, flush)
  local r = host.zlib_deflate(s.id, wire(data), flush)
  if r.err then s.closed = true return false, r.err end
  emit(s, unwire(r.out))
  if flush == "finish" then s.closed = true end
  return true
end
function Stream:write(...)
  check(self, "deflate")
  for i = 1, select("#", ...) do
    local ok, err = deflate(self, str((select(i, ...)), i + 1, "write"), "none")
    if not ok then return false, err end
  end
  return true
end
function Stream:flush(how)
  check(self, "deflate")
  how = how or "sync"
  if how ~= "sync" and how ~= "full" and how ~= "finish" then
    error("bad argument #1 to 'flush' (invalid option '" .. tostring(how) .. "')", 0)
  end
  return deflate(self, "", how)
end
function Stream:close()
  if getmetatable(self) ~= META then error("bad argument #1 to 'close' (bad zlib stream)", 0) end
  if self.kind == "deflate" and not self.closed then return deflate(self, "", "finish") end
  self.closed = true
  host.zlib_free(self.id)
  return true
end
function Stream:adler()
  check(self)
  return host.zlib_stream_sum(self.id) + 0.0
end
return M
`;

type NodeZlib = typeof import("node:zlib");

/** zlib's own codes for what node:zlib reports as errors (zlib.h). */
const Z_DATA_ERROR = -3, Z_STREAM_ERROR = -2;

interface InflateState {
  kind: "inflate";
  windowBits: number;
  dictionary?: Uint8Array;
  /** All compressed input so far; inflated again from its start as more arrives. */
  input: Uint8Array;
  /** How many bytes of output were handed out already. */
  given: number;
  sum: number;
}

interface DeflateState {
  kind: "deflate";
  level: number;
  windowBits: number;
  memLevel: number;
  strategy: number;
  dictionary?: Uint8Array;
  /** Input written since the last flush. */
  pending: Uint8Array[];
  started: boolean;
  /** adler32 (zlib) or crc32 (gzip) of all input, and its length. */
  sum: number;
  size: number;
}

/** zlib's adler32 (RFC 1950, 8.2), continuing from `adler`. */
export function adler32(adler: number, data: Uint8Array): number {
  let a = adler & 0xffff, b = (adler >>> 16) & 0xffff;
  for (let i = 0; i < data.length;) {
    const end = Math.min(i + 3800, data.length); // sums stay below 2^32 between reductions
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** The JavaScript half: one-shot calls, and the streams' state by id. */
export function zlibHost(
  zlib: NodeZlib,
  version: string,
  wire: (b: Uint8Array) => string,
  unwire: (w: string) => Uint8Array,
) {
  const { constants: Z } = zlib;
  const streams = new Map<number, InflateState | DeflateState>();
  let nextId = 1;
  const crc32 = (crc: number, data: Uint8Array) => zlib.crc32(data, crc >>> 0) >>> 0;
  /** windowBits as zlib reads them: 8..15 zlib, +16 gzip, +32 either, negative raw. */
  const format = (wb: number) => {
    if (wb < 0) return { kind: "raw", bits: -wb };
    if (wb >= 32) return { kind: "auto", bits: wb - 32 || 15 };
    if (wb >= 16) return { kind: "gzip", bits: wb - 16 };
    return { kind: "zlib", bits: wb };
  };
  const inflateFn = (kind: string) =>
    kind === "raw"
      ? zlib.inflateRawSync
      : kind === "gzip"
      ? zlib.gunzipSync
      : kind === "auto"
      ? zlib.unzipSync
      : zlib.inflateSync;
  const deflateOptions = (s: Pick<DeflateState, "level" | "memLevel" | "strategy">) => ({
    level: s.level,
    memLevel: s.memLevel,
    strategy: s.strategy,
  });
  const errCode = (e: unknown) => {
    const n = (e as { errno?: number }).errno;
    return typeof n === "number" ? n : Z_DATA_ERROR;
  };

  /** The zlib or gzip header zlib's deflate writes first (RFC 1950 2.2, RFC 1952 2.3). */
  const header = (s: DeflateState): Uint8Array => {
    const f = format(s.windowBits);
    const level = s.level === -1 ? 6 : s.level;
    if (f.kind === "raw") return new Uint8Array();
    if (f.kind === "gzip") {
      const xfl = level === 9 ? 2 : level === 1 ? 4 : 0;
      return new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]);
    }
    const cmf = ((f.bits - 8) << 4) | 8;
    const flevel = s.strategy >= 2 || level < 2 ? 0 : level < 6 ? 1 : level === 6 ? 2 : 3;
    let flg = (flevel << 6) | (s.dictionary ? 0x20 : 0);
    flg += 31 - ((cmf * 256 + flg) % 31);
    return new Uint8Array([cmf, flg & 0xff]);
  };
  const trailer = (s: DeflateState): Uint8Array => {
    const kind = format(s.windowBits).kind;
    if (kind === "raw") return new Uint8Array();
    const b = new Uint8Array(kind === "gzip" ? 8 : 4);
    const v = new DataView(b.buffer);
    if (kind === "gzip") {
      v.setUint32(0, s.sum >>> 0, true);
      v.setUint32(4, s.size >>> 0, true);
    } else v.setUint32(0, s.sum >>> 0);
    return b;
  };

  return {
    zlib_version: () => version,
    zlib_sum: (kind: string, start: number, data: string) =>
      kind === "crc32" ? crc32(start, unwire(data)) : adler32(start >>> 0, unwire(data)),
    /** compress(): { out } or { code } when deflateInit2 refuses the parameters. */
    zlib_compress: (
      data: string,
      level: number,
      method: number,
      windowBits: number,
      memLevel: number,
      strategy: number,
    ) => {
      const f = format(windowBits);
      if (method !== 8 || f.kind === "auto") return { code: Z_STREAM_ERROR };
      const opts = { level, memLevel, strategy, windowBits: f.bits };
      try {
        const fn = f.kind === "raw"
          ? zlib.deflateRawSync
          : f.kind === "gzip"
          ? zlib.gzipSync
          : zlib.deflateSync;
        return { out: wire(fn(unwire(data), opts)) };
      } catch {
        return { code: Z_STREAM_ERROR };
      }
    },
    zlib_decompress: (data: string, windowBits: number) => {
      const f = format(windowBits);
      try {
        return { out: wire(inflateFn(f.kind)(unwire(data), { windowBits: f.bits })) };
      } catch {
        return { err: "failed to process zlib stream" };
      }
    },
    /** An inflate stream's id, or { err } when zlib's inflateInit2 refuses the windowBits. */
    zlib_open_inflate: (windowBits: number, dictionary?: string) => {
      const bits = format(windowBits).bits;
      if (windowBits !== 0 && (bits < 8 || bits > 15)) {
        return { err: "call to inflateInit2 failed" };
      }
      const id = nextId++;
      streams.set(id, {
        kind: "inflate",
        windowBits,
        dictionary: dictionary ? unwire(dictionary) : undefined,
        input: new Uint8Array(),
        given: 0,
        sum: 0,
      });
      return { id };
    },
    /**
     * More input for an inflate stream (none when `data` is absent): { out } the output that is
     * new, and `ended` once the compressed stream is complete; { err } for corrupt data. Input
     * that ends early gives what it holds, as zlib's Z_SYNC_FLUSH does.
     */
    zlib_inflate: (id: number, data: string | undefined) => {
      const s = streams.get(id);
      if (s?.kind !== "inflate") return { err: "attempt to use invalid zlib stream" };
      if (data) s.input = concatBytes(s.input, unwire(data));
      const f = format(s.windowBits);
      const opts = { windowBits: f.bits || undefined, dictionary: s.dictionary };
      let out: Uint8Array;
      let ended = true;
      try {
        out = inflateFn(f.kind)(s.input, opts);
      } catch (e) {
        if ((e as { code?: string }).code !== "Z_BUF_ERROR") {
          return { err: `failed to decompress [${errCode(e)}]` };
        }
        ended = false;
        try {
          out = s.input.length
            ? inflateFn(f.kind)(s.input, { ...opts, finishFlush: Z.Z_SYNC_FLUSH })
            : new Uint8Array();
        } catch (e2) {
          return { err: `failed to decompress [${errCode(e2)}]` };
        }
      }
      const fresh = out.subarray(s.given);
      s.given = out.length;
      s.sum = f.kind === "gzip" ? crc32(0, out) : adler32(1, out);
      return { out: wire(fresh), ended };
    },
    zlib_open_deflate: (
      level: number,
      method: number,
      windowBits: number,
      memLevel: number,
      strategy: number,
      dictionary?: string,
    ) => {
      const f = format(windowBits);
      if (
        method !== 8 || f.kind === "auto" || f.bits < 8 || f.bits > 15 || level < -1 ||
        level > 9 || memLevel < 1 || memLevel > 9 || strategy < 0 || strategy > 4
      ) return { err: "call to deflateInit2 failed" };
      const id = nextId++;
      const gzip = f.kind === "gzip";
      streams.set(id, {
        kind: "deflate",
        level,
        windowBits,
        memLevel,
        strategy,
        dictionary: dictionary ? unwire(dictionary) : undefined,
        pending: [],
        started: false,
        sum: gzip ? 0 : 1,
        size: 0,
      });
      return { id };
    },
    /**
     * Input for a deflate stream, and the flush ("none", "sync", "full", "finish"): { out } the
     * compressed bytes now due. Without a flush nothing is due yet; a flush compresses what was
     * written since the last one as raw deflate blocks (ending in zlib's empty stored block for
     * "sync"/"full", in the final block for "finish").
     */
    zlib_deflate: (id: number, data: string, flush: string) => {
      const s = streams.get(id);
      if (s?.kind !== "deflate") return { err: "attempt to use invalid zlib stream" };
      const bytes = unwire(data);
      if (bytes.length) {
        s.pending.push(bytes);
        const gzip = format(s.windowBits).kind === "gzip";
        s.sum = gzip ? crc32(s.sum, bytes) : adler32(s.sum, bytes);
        s.size += bytes.length;
      }
      if (flush === "none") return { out: "t" };
      const parts: Uint8Array[] = [];
      // The dictionary is the window of the first blocks only: later blocks start afresh.
      const first = !s.started;
      if (first) parts.push(header(s));
      s.started = true;
      parts.push(
        zlib.deflateRawSync(concatBytes(...s.pending), {
          ...deflateOptions(s),
          dictionary: first ? s.dictionary : undefined,
          finishFlush: flush === "finish" ? Z.Z_FINISH : Z.Z_SYNC_FLUSH,
        }),
      );
      s.pending = [];
      if (flush === "finish") {
        parts.push(trailer(s));
        streams.delete(id);
      }
      return { out: wire(concatBytes(...parts)) };
    },
    zlib_stream_sum: (id: number) => streams.get(id)?.sum ?? 0,
    zlib_free: (id: number) => {
      streams.delete(id);
    },
  };
}
