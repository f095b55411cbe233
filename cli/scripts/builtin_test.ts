import assert from "node:assert/strict";
import { BUILTIN_LIBS, BUILTIN_SCRIPTS } from "./_builtin_scripts.ts";
import { NseEngine, type ScriptResult } from "./engine.ts";

Deno.test("the built-in scripts carried in Porthole are cli/scripts/builtin/ (else run tools/gen_builtin_scripts.ts)", () => {
  const dir = new URL("builtin/", import.meta.url);
  const files: Record<string, string> = {};
  for (const e of Deno.readDirSync(dir)) {
    files[e.name] = Deno.readTextFileSync(new URL(e.name, dir));
  }
  const carried: Record<string, string> = {};
  for (const [id, src] of Object.entries(BUILTIN_SCRIPTS)) carried[`${id}.nse`] = src;
  for (const [name, src] of Object.entries(BUILTIN_LIBS)) carried[`${name}.lua`] = src;
  assert.deepEqual(carried, files);
  assert.ok("http-title" in BUILTIN_SCRIPTS && "ph_nse" in BUILTIN_LIBS);
});

/** A loopback TCP server answering each connection with `answer(request)`; "" reads nothing. */
function serve(answer: (req: string) => string, readFirst = true) {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  (async () => {
    for await (const c of l) {
      conns.add(c);
      (async () => {
        try {
          let req = "";
          if (readFirst) {
            const buf = new Uint8Array(4096);
            while (!req.includes("\r\n\r\n")) {
              const n = await c.read(buf);
              if (n === null) break;
              req += new TextDecoder().decode(buf.subarray(0, n));
            }
          }
          await c.write(new TextEncoder().encode(answer(req)));
        } catch { /* the client went away */ }
        try {
          c.close();
        } catch { /* closed */ }
        conns.delete(c);
      })();
    }
  })();
  return {
    port: (l.addr as Deno.NetAddr).port,
    close() {
      l.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

/** Runs built-in scripts against 127.0.0.1's given port (as service `service`) on a bare host. */
async function run(ids: string[], port: number, service: string): Promise<ScriptResult[]> {
  const e = await NseEngine.create({ dataDirs: [], targets: new Set(["127.0.0.1"]) });
  try {
    for (const id of ids) {
      assert.equal(e.loadScript(`porthole:builtin/${id}.nse`, BUILTIN_SCRIPTS[id]!), undefined);
    }
    e.addTarget("127.0.0.1", "", [{ number: port, protocol: "tcp", state: "open", service }]);
    return (await e.run("host")).sort((a, b) => a.id < b.id ? -1 : 1);
  } finally {
    e.close();
  }
}

const html = (status: string, headers: string, body: string) =>
  `HTTP/1.1 ${status}\r\n${headers}Content-Length: ${
    new TextEncoder().encode(body).length
  }\r\n\r\n${body}`;

Deno.test({
  name: "built-in http-title and http-server-header: nmap's output on a loopback web server",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = serve((req) =>
      req.startsWith("GET / ")
        ? html("302 Found", "Server: Apache/2.4.7 (Ubuntu)\r\nLocation: /home\r\n", "")
        : html(
          "200 OK",
          "Server: Apache/2.4.7 (Ubuntu)\r\nContent-Type: text/html\r\n",
          "<html><head><TITLE>\n  Go ahead &amp; ScanMe!\n</title></head></html>",
        )
    );
    try {
      const r = await run(["http-title", "http-server-header"], s.port, "http");
      assert.deepEqual(r.map((x) => [x.id, x.output, x.elems]), [
        ["http-server-header", "Apache/2.4.7 (Ubuntu)", [{ value: "Apache/2.4.7 (Ubuntu)" }]],
        ["http-title", "Go ahead &amp; ScanMe!\nRequested resource was /home", [
          { key: "title", value: "Go ahead &amp; ScanMe!" },
          { key: "redirect_url", value: "/home" },
        ]],
      ]);
    } finally {
      s.close();
    }
  },
});

Deno.test({
  name:
    "built-in http-title: a page without a title names its content type, chunked bodies are read",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = serve(() =>
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "5\r\nhello\r\n0\r\n\r\n"
    );
    try {
      const r = await run(["http-title"], s.port, "http");
      assert.deepEqual(r.map((x) => [x.id, x.output]), [
        ["http-title", "Site doesn't have a title (text/plain)."],
      ]);
    } finally {
      s.close();
    }
  },
});

Deno.test({
  name: "built-in banner: what the service says first, trailing newline removed, controls escaped",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = serve(() => "SSH-2.0-OpenSSH_6.6.1p1 Ubuntu-2ubuntu2.13\r\n", false);
    const t = serve(() => "220 hi\x01there\r\n", false);
    try {
      assert.deepEqual((await run(["banner"], s.port, "ssh")).map((x) => [x.id, x.output]), [
        ["banner", "SSH-2.0-OpenSSH_6.6.1p1 Ubuntu-2ubuntu2.13"],
      ]);
      assert.deepEqual((await run(["banner"], t.port, "ftp")).map((x) => x.output), [
        "220 hi\\x01there",
      ]);
    } finally {
      s.close();
      t.close();
    }
  },
});
