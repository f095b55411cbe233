/**
 * Runs a Lua action as the prerule script of a fresh NSE engine (no network, no targets) and
 * returns what it printed: for unit tests of the NSE modules, and for comparing them with nmap's
 * output of the same script.
 *
 * @module
 */
import { NseEngine } from "../../cli/scripts/engine.ts";

/**
 * Lua for printing what calls return: `line(...)` adds one line to `out`, the values shown by
 * `show` (strings quoted, tables as {k=v,…} with sorted keys), space-separated.
 */
export const LUA_SHOW = `local out = {}
local function show(v)
  if type(v) == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local o = {}
    for _, k in ipairs(keys) do o[#o + 1] = tostring(k) .. "=" .. show(v[k]) end
    return "{" .. table.concat(o, ",") .. "}"
  end
  return type(v) == "string" and ("'" .. v .. "'") or tostring(v)
end
local function line(...)
  local t = table.pack(...)
  local o = {}
  for i = 1, t.n do o[i] = show(t[i]) end
  out[#out + 1] = table.concat(o, " ")
end
`;

/** A prerule script whose action is `body` (Lua statements ending in a return). */
export function preruleScript(body: string, requires = ""): string {
  return `${requires}
description = [[A test of Porthole's NSE modules.]]
categories = {"safe"}
prerule = function() return true end
action = function()
${body}
end
`;
}

/** The script's output line, or throws with the engine's debug log when it printed none. */
export async function runPrerule(source: string, dataDirs: string[] = []): Promise<string> {
  const log: string[] = [];
  const e = await NseEngine.create({
    dataDirs,
    targets: new Set(),
    debugging: 1,
    log: (l) => log.push(l),
  });
  try {
    const err = e.loadScript("module-test.nse", source);
    if (err) throw new Error(err);
    const [r] = await e.run("pre");
    if (!r) throw new Error(`no output:\n${log.join("\n")}`);
    return r.output;
  } finally {
    e.close();
  }
}

/** Bytes as a Lua string literal (every byte but letters and digits as \ddd). */
export function luaString(bytes: Uint8Array | string): string {
  const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  let s = '"';
  for (const c of b) {
    s += (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
      ? String.fromCharCode(c)
      : `\\${c.toString().padStart(3, "0")}`;
  }
  return s + '"';
}
