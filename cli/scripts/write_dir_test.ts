import assert from "node:assert/strict";
import { NseEngine } from "./engine.ts";
import { placeUnder, resolveUnder, writesFile } from "./write_dir.ts";
import { haveNmapFile, NMAP } from "../../tests/testing/nmap_files.ts";

const haveNmap = haveNmapFile("nselib/stdnse.lua");

/** A write directory with a symlink out of it, and a directory beside it to escape to. */
function layout(): { base: string; dir: string; outside: string } {
  const base = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "ph-writedir-" }));
  const dir = `${base}/out`;
  const outside = `${base}/elsewhere`;
  Deno.mkdirSync(`${dir}/sub`, { recursive: true });
  Deno.mkdirSync(outside);
  Deno.symlinkSync(outside, `${dir}/escape`);
  Deno.symlinkSync(`${outside}/new.txt`, `${dir}/dangling`);
  Deno.symlinkSync(`${dir}/sub`, `${dir}/inner`);
  return { base, dir, outside };
}

/** Runs `fn` on a fresh layout(), removed afterwards. */
async function inLayout(fn: (l: ReturnType<typeof layout>) => Promise<void> | void): Promise<void> {
  const l = layout();
  try {
    await fn(l);
  } finally {
    Deno.removeSync(l.base, { recursive: true });
  }
}

Deno.test("write dir: paths resolve under the directory, symlinks and .. included", async () => {
  await inLayout(({ base, dir, outside }) => {
    assert.equal(resolveUnder(dir, `${dir}/a.txt`), `${dir}/a.txt`);
    assert.equal(resolveUnder(dir, `${dir}/sub/../b.txt`), `${dir}/b.txt`);
    assert.equal(resolveUnder(dir, `${dir}/inner/c.txt`), `${dir}/sub/c.txt`);
    assert.equal(resolveUnder(dir, dir), dir);
    assert.equal(resolveUnder(dir, `${dir}/../elsewhere/x`), undefined);
    assert.equal(resolveUnder(dir, `${dir}/../out-sibling`), undefined);
    assert.equal(resolveUnder(dir, `${outside}/x`), undefined);
    assert.equal(resolveUnder(dir, `${dir}/escape/x`), undefined);
    // ".." after a symlink is the symlink target's parent, as open(2) sees it.
    assert.equal(resolveUnder(dir, `${dir}/escape/../out/y`), `${dir}/y`);
    assert.equal(resolveUnder(dir, `${dir}/escape/../z`), undefined);
    assert.deepEqual(placeUnder(dir, `${dir}/new/deeper/x`), { errno: 2 });
    assert.deepEqual(placeUnder(dir, `${outside}/new/deeper/x`), { errno: 13 });
    assert.equal(resolveUnder(dir, `${dir}/sub/`), `${dir}/sub`);
    assert.equal(resolveUnder(dir, `${dir}/dangling`), undefined);
    assert.equal(resolveUnder(dir, `${dir}/nodir/x`), undefined);
    assert.equal(resolveUnder(`${base}/missing`, `${base}/missing/x`), undefined);
  });
});

Deno.test("write dir: only plain r is a read", () => {
  assert.deepEqual(
    ["r", "rb", "r+", "w", "wb", "a", "a+b", "x"].map(writesFile),
    [false, false, true, true, true, true, true, true],
  );
});

const HEAD = `description = [[test]]
categories = {"safe"}
portrule = function(host, port) return port.number == 7 end
`;

/** Runs a script's action with --script-write-dir `writeDir`; its output. */
async function runScript(action: string, writeDir?: string): Promise<string | undefined> {
  const log: string[] = [];
  const e = await NseEngine.create({
    dataDirs: [NMAP],
    targets: new Set(["127.0.0.1"]),
    writeDir,
    debugging: 1,
    log: (l) => log.push(l),
  });
  try {
    e.loadScript("write.nse", HEAD + `action = function(host)\n${action}\nend`);
    e.addTarget("127.0.0.1", "", [{ number: 7, protocol: "tcp", state: "open" }]);
    const r = await e.run("host");
    assert.ok(r[0], `the script gave no output:\n${log.join("\n")}`);
    return r[0].output;
  } finally {
    e.close();
  }
}

/** One io.open attempt, as the script sees it: "ok" or its (msg, errno). */
const TRY_OPEN = `local function try(path, mode)
  local f, msg, errno = io.open(path, mode)
  if f then f:close(); return "ok" end
  return msg .. " " .. tostring(errno)
end`;

Deno.test({
  name: "write dir: a script writes, appends, seeks and reads back under --script-write-dir",
  ignore: !haveNmap,
  async fn() {
    await inLayout(async ({ dir }) => {
      const out = await runScript(
        `local f = assert(io.open("${dir}/sub/../data.bin", "wb"))
  assert(f:write("ab", 12, "\\0\\255\\n") == f)
  f:flush()
  f:close()
  local a = assert(io.open("${dir}/inner/log.txt", "a"))
  a:write("one\\n"); a:close()
  a = assert(io.open("${dir}/inner/log.txt", "a"))
  a:write("two\\n"); a:close()
  local rw = assert(io.open("${dir}/data.bin", "r+"))
  rw:seek("set", 1)
  rw:write("B")
  local pos = rw:seek("cur")
  rw:seek("set", 0)
  local head = rw:read(3)
  rw:close()
  local closed = pcall(rw.write, rw, "x")
  assert(not pcall(io.open, "${dir}/x", "wx"))
  local lines = {}
  for l in io.lines("${dir}/sub/log.txt") do lines[#lines + 1] = l end
  return table.concat({ head, pos, io.type(rw), tostring(closed), table.concat(lines, "+") }, ",")`,
        dir,
      );
      assert.equal(out, "aB1,2,closed file,false,one+two");
      assert.deepEqual(
        Deno.readFileSync(`${dir}/data.bin`),
        new Uint8Array([0x61, 0x42, 0x31, 0x32, 0, 0xff, 0x0a]),
      );
      assert.equal(Deno.readTextFileSync(`${dir}/sub/log.txt`), "one\ntwo\n");
    });
  },
});

Deno.test({
  name: "write dir: escapes and writes without --script-write-dir are refused, the script goes on",
  ignore: !haveNmap,
  async fn() {
    await inLayout(async ({ dir, outside }) => {
      const out = await runScript(
        `${TRY_OPEN}
  return table.concat({
    try("${dir}/../elsewhere/a.txt", "w"),
    try("${outside}/b.txt", "a"),
    try("${dir}/escape/c.txt", "w"),
    try("${dir}/dangling", "w"),
    try("${dir}/ok.txt", "w"),
  }, "|")`,
        dir,
      );
      const refused = (p: string) =>
        `${p}: Permission denied (outside --script-write-dir ${dir}) 13`;
      assert.equal(
        out,
        [
          refused(`${dir}/../elsewhere/a.txt`),
          refused(`${outside}/b.txt`),
          refused(`${dir}/escape/c.txt`),
          refused(`${dir}/dangling`),
          "ok",
        ].join("|"),
      );
      assert.deepEqual([...Deno.readDirSync(outside)], []);

      const none = await runScript(`${TRY_OPEN}\n  return try("${dir}/d.txt", "w")`);
      assert.equal(
        none,
        `${dir}/d.txt: Permission denied (scripts write only under --script-write-dir) 13`,
      );
      assert.throws(() => Deno.statSync(`${dir}/d.txt`), Deno.errors.NotFound);
    });
  },
});

Deno.test({
  name: "write dir: lfs makes, lists, links and removes under --script-write-dir only",
  ignore: !haveNmap,
  async fn() {
    await inLayout(async ({ dir, outside }) => {
      Deno.writeTextFileSync(`${outside}/secret`, "s");
      const out = await runScript(
        `local lfs = require "lfs"
  local r = {}
  local function add(...)
    local t = table.pack(...)
    for i = 1, t.n do t[i] = tostring(t[i]) end
    r[#r + 1] = table.concat(t, " ", 1, t.n)
  end
  add(lfs.get_path_separator())
  -- http-fetch's create_directory: ENOENT first, then the parents.
  add(lfs.mkdir("${dir}/a/b/"))
  add(lfs.mkdir("${dir}/a"))
  add(lfs.mkdir("${dir}/a/b/"))
  add(lfs.mkdir("${dir}/a"))
  add(lfs.mkdir("${outside}/x"))
  add(lfs.mkdir("${dir}/escape/y"))
  local names = {}
  for name in lfs.dir("${dir}/a") do names[#names + 1] = name end
  table.sort(names)
  add(table.concat(names, ":"))
  add(pcall(lfs.dir, "${outside}"))
  add(lfs.link("${outside}/secret", "${dir}/hard"))
  add(lfs.link("${outside}/secret", "${dir}/soft", true))
  add(select(2, io.open("${dir}/soft", "w")))
  add(lfs.rmdir("${dir}/a"))
  add(lfs.rmdir("${dir}/a/b"))
  add(lfs.rmdir("${dir}"))
  add(lfs.rmdir("${outside}"))
  return table.concat(r, "|")`,
        dir,
      );
      const outsideWhy = `Permission denied (outside --script-write-dir ${dir})`;
      assert.equal(
        out,
        [
          "/",
          "nil No such file or directory",
          "true",
          "true",
          "nil File exists",
          `nil ${outsideWhy}`,
          `nil ${outsideWhy}`,
          ".:..:b",
          `false cannot open ${outside}: Permission denied`,
          `nil ${outsideWhy} 13`,
          "true",
          `${dir}/soft: ${outsideWhy} 13`,
          "nil Directory not empty",
          "true",
          "nil Permission denied",
          `nil ${outsideWhy}`,
        ].join("|"),
      );
      assert.equal(Deno.readTextFileSync(`${outside}/secret`), "s");
      assert.deepEqual([...Deno.readDirSync(outside)].map((e) => e.name), ["secret"]);
      assert.ok(Deno.statSync(`${dir}/a`).isDirectory);
    });
  },
});

Deno.test({
  name: "write dir: nmap's http-fetch saves a site under --script-write-dir, nothing outside it",
  ignore: !haveNmap,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const ac = new AbortController();
    const pages: Record<string, string> = {
      "/": `<html><body><a href="/docs/guide.txt">guide</a></body></html>`,
      "/docs/guide.txt": "the guide\n",
    };
    const srv = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
      (req) => {
        const body = pages[new URL(req.url).pathname];
        return new Response(body ?? "not found", {
          status: body === undefined ? 404 : 200,
          headers: { "content-type": body?.startsWith("<") ? "text/html" : "text/plain" },
        });
      },
    );
    const port = srv.addr.port;
    /**
     * http-fetch's output saving to `destination`, with --script-write-dir `writeDir` (at -vv,
     * where it lists each page's result rather than one line).
     */
    const fetchInto = async (destination: string, writeDir: string, verbosity = 0) => {
      const e = await NseEngine.create({
        dataDirs: [NMAP],
        targets: new Set(["127.0.0.1"]),
        writeDir,
        verbosity,
      });
      try {
        const path = `${NMAP}/scripts/http-fetch.nse`;
        assert.equal(e.loadScript(path, Deno.readTextFileSync(path)), undefined);
        e.setArgs(`http-fetch.destination=${destination}`);
        e.addTarget("127.0.0.1", "", [{
          number: port,
          protocol: "tcp",
          state: "open",
          service: "http",
        }]);
        return (await e.run("host"))[0]?.output;
      } finally {
        e.close();
      }
    };
    try {
      await inLayout(async ({ dir, outside }) => {
        const saved = `${dir}/127.0.0.1/${port}`;
        assert.equal(
          await fetchInto(dir, dir),
          `Successfully Downloaded Everything At: ${saved}/`,
        );
        assert.equal(Deno.readTextFileSync(`${saved}/index.html`), pages["/"]);
        assert.equal(Deno.readTextFileSync(`${saved}/docs/guide.txt`), pages["/docs/guide.txt"]);

        const refused = await fetchInto(outside, dir, 2);
        // The ERROR table's keys come in Lua's hash order: one line for each page, any order.
        const lines = (refused ?? "").split("\n").map((l) => l.trim()).sort();
        const at = `${outside}/127.0.0.1/${port}`;
        const why = `Permission denied (outside --script-write-dir ${dir})`;
        assert.deepEqual(lines, [
          "",
          "ERROR:",
          `http://127.0.0.1:${port}/: ${at}/index.html: ${why}`,
          `http://127.0.0.1:${port}/docs/guide.txt: ${at}/docs/guide.txt: ${why}`,
        ]);
        assert.deepEqual([...Deno.readDirSync(outside)], []);
      });
    } finally {
      ac.abort();
      await srv.finished;
    }
  },
});
