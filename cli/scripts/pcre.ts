/**
 * nmap's `pcre` NSE module (nse_pcrelib.cc of nmap 7.93, after lrexlib): `pcre.new(pattern,
 * flags, locale)`, a regex's `match`, `exec` and `gmatch`, `pcre.flags()` and `pcre.version()`.
 * The patterns run on -sV's PCRE engine (../service/regex.ts: the JavaScript engine for patterns
 * that cannot backtrack badly, the budgeted interpreter for the rest), in PCRE's byte mode. The
 * Lua half keeps nmap's argument handling and result tables; offsets cross as text.
 */
import { CompiledRegex, makeSubject, type Subject } from "../service/regex.ts";
import { type Node, parsePcre, type Pattern, PcreError } from "../service/pcre.ts";

/** The Lua module; loaded with the host table, the runtime's wire/unwire and argument checks. */
export const PCRE_LUA = String.raw`
local host, wire, _, cargs = ...
local M = {}
local Regex = {}
-- tostring gives "pcre_regex_handle: 0x...", as nmap's (its __tostring sits in the methods).
local META = { __index = Regex, __name = "pcre_regex_handle" }
function META:__gc() host.pcre_free(self.id) end

local int, str = cargs.int, cargs.str
local function check(self, fname)
  if getmetatable(self) ~= META then
    error("bad argument #1 to '" .. fname .. "' (pcre_regex_handle expected, got " .. type(self) .. ")", 0)
  end
end

-- pcre.new(pattern, flags, locale): the locale names character tables; Porthole's are C's.
-- nmap 7.93 refuses a call without a locale ("PCRE compilation failed") although its
-- documentation calls it optional; Porthole follows the documentation.
function M.new(pattern, flags, locale)
  pattern = str(pattern, 1, "new")
  -- pcre_compile reads the pattern as a C string: it ends at the first NUL.
  pattern = pattern:match("^[^%z]*")
  local r = host.pcre_new(wire(pattern), int(flags, 0, 2, "new"))
  if r.err then error(r.err, 0) end
  local names = {}
  for name, n in (r.names or ""):gmatch("([%w_]+)=(%d+)") do names[name] = math.tointeger(n) end
  return setmetatable({ id = r.id, ncapt = math.tointeger(r.groups), names = names }, META)
end

-- One pcre_exec from byte offset 'off' of the wired subject: the offsets (PCRE's ovector:
-- start, end per group, -1 unset), or nil.
local function run(self, w, off, eflags)
  local r = host.pcre_exec(self.id, w, off, eflags)
  if r == "" then return nil end
  if r:sub(1, 1) == "!" then error(r:sub(2), 0) end
  local ov = {}
  for n in r:gmatch("%-?%d+") do ov[#ov + 1] = math.tointeger(n) end
  return ov
end

-- lrexlib's start argument: 1-based, negative from the end.
local function start_offset(start, len)
  if start > 0 then return start - 1 end
  if start < 0 then return math.max(len + start, 0) end
  return 0
end

-- Substrings by number (false when the group did not take part), and by name.
local function substrings(self, s, ov)
  local t = {}
  for i = 1, self.ncapt do
    local a, b = ov[2 * i + 1], ov[2 * i + 2]
    t[i] = a >= 0 and s:sub(a + 1, b) or false
  end
  for name, i in pairs(self.names) do t[name] = t[i] end
  return t
end

local function offsets(self, ov)
  local t = {}
  for i = 1, self.ncapt do
    local a, b = ov[2 * i + 1], ov[2 * i + 2]
    if a >= 0 then t[#t + 1], t[#t + 2] = a + 1, b else t[#t + 1], t[#t + 2] = false, false end
  end
  return t
end

local function match_generic(self, s, start, eflags, fname, push)
  check(self, fname)
  s = str(s, 2, fname)
  local off = start_offset(int(start, 1, 3, fname), #s)
  eflags = int(eflags, 0, 4, fname)
  if off > #s then return end
  local ov = run(self, wire(s), off, eflags)
  if not ov then return end
  return ov[1] + 1, ov[2], push(self, s, ov)
end

function Regex:match(s, start, eflags) return match_generic(self, s, start, eflags, "match", substrings) end
function Regex:exec(s, start, eflags)
  return match_generic(self, s, start, eflags, "exec", function(r, _, ov) return offsets(r, ov) end)
end

-- gmatch(subject, func, n, eflags): func(match, substrings) per match until it returns true or
-- n matches were made. nmap's loops forever on an empty match; this one steps past it.
function Regex:gmatch(s, func, maxmatch, eflags)
  check(self, "gmatch")
  s = str(s, 2, "gmatch")
  if type(func) ~= "function" then
    error("bad argument #3 to 'gmatch' (function expected, got " .. type(func) .. ")", 0)
  end
  maxmatch = int(maxmatch, 0, 4, "gmatch")
  eflags = int(eflags, 0, 5, "gmatch")
  local w, off, n = wire(s), 0, 0
  while (maxmatch <= 0 or n < maxmatch) and off <= #s do
    local ov = run(self, w, off, eflags)
    if not ov then break end
    n = n + 1
    if func(s:sub(ov[1] + 1, ov[2]), substrings(self, s, ov)) then break end
    off = ov[2] > ov[1] and ov[2] or ov[2] + 1
  end
  return n
end

-- PCRE 8's option bits, as nmap 7.93's pcre.flags() lists them.
local FLAGS = {
  CASELESS = 0x1, MULTILINE = 0x2, DOTALL = 0x4, EXTENDED = 0x8, ANCHORED = 0x10,
  DOLLAR_ENDONLY = 0x20, EXTRA = 0x40, NOTBOL = 0x80, NOTEOL = 0x100, UNGREEDY = 0x200,
  NOTEMPTY = 0x400, UTF8 = 0x800, NO_AUTO_CAPTURE = 0x1000, NO_UTF8_CHECK = 0x2000,
  AUTO_CALLOUT = 0x4000, PARTIAL = 0x8000, DFA_SHORTEST = 0x10000, DFA_RESTART = 0x20000,
  FIRSTLINE = 0x40000, DUPNAMES = 0x80000, NEWLINE_CR = 0x100000, NEWLINE_LF = 0x200000,
  NEWLINE_CRLF = 0x300000, NEWLINE_ANY = 0x400000, NEWLINE_ANYCRLF = 0x500000,
  BSR_ANYCRLF = 0x800000, BSR_UNICODE = 0x1000000,
}
function M.flags()
  local t = {}
  for k, v in pairs(FLAGS) do t[k] = v end
  return t
end
function M.version() return host.pcre_version() end
return M
`;

// PCRE 8's option bits (pcre.h).
const CASELESS = 0x1, MULTILINE = 0x2, DOTALL = 0x4, EXTENDED = 0x8, ANCHORED = 0x10;
const EXTRA = 0x40, UNGREEDY = 0x200, NO_UTF8_CHECK = 0x2000, NEWLINE_LF = 0x200000;
/** Compile options Porthole's engine honours; EXTRA and NO_UTF8_CHECK change nothing it does. */
const COMPILE_OK = CASELESS | MULTILINE | DOTALL | EXTENDED | ANCHORED | EXTRA | UNGREEDY |
  NO_UTF8_CHECK | NEWLINE_LF;
const EXEC_OK = ANCHORED | NO_UTF8_CHECK;

/** Any byte: the prefix that moves a search's start (see `fromOffset`). */
const ANY: Node = { t: "set", set: new Uint32Array(8).fill(0xffffffff) };

/** One regex of a script: the pattern, its engine, and its variants for later start offsets. */
interface NseRegex {
  pattern: Pattern;
  anchored: boolean;
  base: CompiledRegex;
  /** "offset anchored" → the variant (a few: gmatch walks forward). */
  variants: Map<string, CompiledRegex>;
}

/**
 * The search from byte `offset` on (PCRE's start offset), as a pattern of its own: the subject's
 * start, `offset` bytes, any more (lazily, unless anchored), then an empty marker group whose
 * offset is where the match begins. The marker takes the number after the pattern's last group,
 * so the pattern's own groups and back references keep their numbers, and assertions still see
 * the bytes before the offset (lookbehind, \b), as PCRE's do.
 */
function fromOffset(p: Pattern, offset: number, anchored: boolean): Pattern {
  const marker = p.groups + 1;
  const items: Node[] = [
    { t: "assert", kind: "start" },
    { t: "repeat", body: ANY, min: offset, max: offset, greedy: true, possessive: false },
  ];
  if (!anchored) {
    items.push({ t: "repeat", body: ANY, min: 0, max: Infinity, greedy: false, possessive: false });
  }
  items.push({ t: "group", cap: marker, body: { t: "seq", items: [] } }, p.root);
  return { root: { t: "seq", items }, groups: marker };
}

/** The numbers of a pattern's named groups, as "name=n,…" (the parser's own numbering). */
function groupNames(source: string, options: string): string {
  const out: string[] = [];
  for (const m of source.matchAll(/\(\?(?:P?<|')([A-Za-z_]\w*)[>']/g)) {
    const name = m[1]!;
    try {
      // A back reference to the name after the whole pattern is parsed names its group.
      const p = parsePcre(`(?:${source}\n)(?P=${name})`, options);
      const ref = p.root.t === "seq" ? p.root.items.at(-1) : undefined;
      if (ref?.t === "backref") out.push(`${name}=${ref.n}`);
    } catch { /* not a group name after all (inside a class or a comment) */ }
  }
  return out.join(",");
}

const latin1 = (b: Uint8Array) => {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
};

/** The JavaScript half: the compiled regexes by id and the last subject, prepared once. */
export function pcreHost(unwire: (w: string) => Uint8Array) {
  const regexes = new Map<number, NseRegex>();
  let nextId = 1;
  let last: { wire: string; subject: Subject } | undefined;
  const subjectOf = (w: string) => {
    if (last?.wire !== w) last = { wire: w, subject: makeSubject(unwire(w)) };
    return last.subject;
  };
  return {
    /** pcre.new: { id, groups, names } or { err } with the reason. */
    pcre_new: (patternWire: string, flags: number) => {
      if (flags & ~COMPILE_OK) {
        return {
          err: `PCRE compilation failed: option 0x${
            (flags & ~COMPILE_OK).toString(16)
          } is not supported by Porthole's PCRE engine`,
        };
      }
      const source = latin1(unwire(patternWire));
      let options = "";
      if (flags & CASELESS) options += "i";
      if (flags & MULTILINE) options += "m";
      if (flags & DOTALL) options += "s";
      if (flags & EXTENDED) options += "x";
      try {
        // (?U) at the front is PCRE_UNGREEDY for the whole pattern.
        const pattern = parsePcre((flags & UNGREEDY ? "(?U)" : "") + source, options);
        const anchored = (flags & ANCHORED) !== 0;
        const id = nextId++;
        regexes.set(id, {
          pattern,
          anchored,
          base: new CompiledRegex(anchored ? fromOffset(pattern, 0, true) : pattern),
          variants: new Map(),
        });
        return { id, groups: pattern.groups, names: groupNames(source, options) };
      } catch (e) {
        if (e instanceof PcreError) return { err: `${e.message} (pattern: ${source})` };
        throw e;
      }
    },
    /**
     * One match from byte `offset`: "start,end,start1,end1,…" (-1 for a group that did not take
     * part), "" for no match (also when the engine's step budget ran out, as pcre_exec's
     * match limit), "!reason" for an option Porthole does not support.
     */
    pcre_exec: (id: number, subjectWire: string, offset: number, eflags: number) => {
      const r = regexes.get(id);
      if (!r) return "!pcre_regex: unknown regex";
      if (eflags & ~EXEC_OK) {
        return `!PCRE exec option 0x${
          (eflags & ~EXEC_OK).toString(16)
        } is not supported by Porthole's PCRE engine`;
      }
      const anchored = r.anchored || (eflags & ANCHORED) !== 0;
      let regex = r.base;
      let marker = 0;
      if (offset > 0 || anchored !== r.anchored) {
        const key = `${offset} ${anchored}`;
        let v = r.variants.get(key);
        if (!v) {
          if (r.variants.size >= 8) r.variants.clear();
          v = new CompiledRegex(fromOffset(r.pattern, offset, anchored));
          r.variants.set(key, v);
        }
        regex = v;
      }
      if (regex !== r.base || r.anchored) marker = regex.groups;
      let caps;
      try {
        caps = regex.exec(subjectOf(subjectWire));
      } catch (e) {
        if ((e as Error).name === "MatchLimitError") return "";
        throw e;
      }
      if (!caps) return "";
      const out = [marker ? caps[2 * marker]! : caps[0]!, caps[1]!];
      for (let g = 1; g <= r.pattern.groups; g++) out.push(caps[2 * g]!, caps[2 * g + 1]!);
      return out.join(",");
    },
    pcre_free: (id: number) => {
      regexes.delete(id);
    },
    /** What pcre.version() names: the engine, not a libpcre. */
    pcre_version: () => "Porthole PCRE (byte mode, after PCRE 8)",
  };
}
