import assert from "node:assert/strict";
import { chooseScripts, parseScriptDb, type SelectEnv } from "./select.ts";

const DB = `Entry { filename = "http-title.nse", categories = { "default", "discovery", "safe", } }
Entry { filename = "http-brute.nse", categories = { "brute", "intrusive", } }
Entry { filename = "ssh-hostkey.nse", categories = { "default", "discovery", "safe", } }
Entry { filename = "smb-vuln-ms10-054.nse", categories = { "intrusive", "vuln", } }
`;

function env(
  files: Record<string, "file" | "directory"> = {},
  dirs: Record<string, string[]> = {},
): SelectEnv {
  return {
    scriptsDir: "/s",
    db: parseScriptDb(DB),
    stat: (p) => files[p],
    listDir: (p) => dirs[p] ?? [],
  };
}
const names = (rules: string[], e = env()) =>
  chooseScripts(rules, e).map((c) => c.path.replace(/^.*\//, "").replace(/\.nse$/, ""));

Deno.test("nse select: categories, globs, not, and the right-grouping of and/or as nmap's grammar", () => {
  assert.deepEqual(names(["default"]), ["http-title", "ssh-hostkey"]);
  assert.deepEqual(names(["DEFAULT"]), ["http-title", "ssh-hostkey"]);
  assert.deepEqual(names(["http-*"]), ["http-title", "http-brute"]);
  assert.deepEqual(names(["not intrusive"]), ["http-title", "ssh-hostkey"]);
  assert.deepEqual(names(["default or vuln"]), ["http-title", "ssh-hostkey", "smb-vuln-ms10-054"]);
  // nmap groups to the right: "brute and intrusive or safe" is brute and (intrusive or safe).
  assert.deepEqual(names(["brute and intrusive or safe"]), ["http-brute"]);
  assert.deepEqual(names(["(brute and intrusive) or safe"]), [
    "http-title",
    "http-brute",
    "ssh-hostkey",
  ]);
  assert.deepEqual(names(["http-* and not (brute)"]), ["http-title"]);
  assert.deepEqual(names(["ssh-hostkey.nse", "all and vuln"]), [
    "ssh-hostkey",
    "smb-vuln-ms10-054",
  ]);
  assert.deepEqual(chooseScripts(["http-title"], env())[0]?.selection, "name");
  assert.deepEqual(chooseScripts(["safe"], env())[0]?.selection, "category");
});

Deno.test("nse select: files and directories outside script.db, and nmap's error for no match", () => {
  const e = env({ "./mine.nse": "file", "mine/": "directory", "mine": "directory" }, {
    "mine/": ["a.nse", "notes.txt", "b.nse"],
  });
  assert.deepEqual(chooseScripts(["./mine.nse"], e), [{
    path: "./mine.nse",
    selection: "file path",
  }]);
  assert.deepEqual(chooseScripts(["./mine"], e), [{ path: "./mine.nse", selection: "file path" }]);
  assert.deepEqual(chooseScripts(["mine/"], e).map((c) => c.path), ["mine/a.nse", "mine/b.nse"]);
  assert.throws(
    () => chooseScripts(["mine"], e),
    /directory 'mine' found, but will not match without '\/'/,
  );
  assert.throws(
    () => chooseScripts(["nosuch"], e),
    /'nosuch' did not match a category, filename, or directory/,
  );
});

Deno.test("nse select: the version category nmap adds for -sV may match nothing without an error", () => {
  const withVersion = parseScriptDb(
    DB + `Entry { filename = "http-server-header.nse", categories = { "version", } }\n`,
  );
  const e = { ...env(), db: withVersion };
  const chosen = chooseScripts(["default", "version"], e, new Set(["version"]));
  assert.deepEqual(chosen.map((c) => c.path), [
    "/s/http-title.nse",
    "/s/ssh-hostkey.nse",
    "/s/http-server-header.nse",
  ]);
  assert.deepEqual(names(["default"]), ["http-title", "ssh-hostkey"]);
  assert.equal(chooseScripts(["default", "version"], env(), new Set(["version"])).length, 2);
  assert.throws(() => chooseScripts(["default", "version"], env()), /'version' did not match/);
});
