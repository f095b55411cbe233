/**
 * End to end through cli/main.ts on loopback only: the connect scan against
 * Deno listeners on random ports (unprivileged path), exit statuses for bad
 * input, and Ctrl-C writing what is known then ending by SIGINT.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { parseNmapNormal } from "./lab/nmap_table.ts";
import { portholeFlags } from "../tools/artifact.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const DENO = Deno.execPath();
const FLAGS = ["run", "--quiet", ...portholeFlags()];

async function porthole(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await new Deno.Command(DENO, {
    args: [...FLAGS, MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

function listen(): { port: number; close(): void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    try {
      for await (const c of l) c.close();
    } catch {
      // closed
    }
  })();
  return { port: (l.addr as Deno.NetAddr).port, close: () => l.close() };
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const p = (l.addr as Deno.NetAddr).port;
  l.close();
  return p;
}

Deno.test({
  name: "local: unprivileged connect scan of 127.0.0.1 finds the listeners",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const a = listen(), b = listen();
    const closed = [freePort(), freePort(), freePort()];
    try {
      const ports = [a.port, b.port, ...closed].sort((x, y) => x - y);
      const r = await porthole([
        "--unprivileged",
        "-n",
        "--reason",
        "-p",
        ports.join(","),
        "127.0.0.1",
      ]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stderr, "");
      const [host] = parseNmapNormal(r.stdout);
      assert(host, r.stdout);
      assertEquals(host.address, "127.0.0.1");
      const states = new Map(host.ports.map((p) => [p.port, p.state]));
      for (const p of [a.port, b.port]) assertEquals(states.get(p), "open", `port ${p}`);
      for (const p of closed) assertEquals(states.get(p), "closed", `port ${p}`);
      // Unprivileged discovery connects; a refusal proves the host up.
      assert(/Host is up, received (conn-refused|syn-ack)/.test(r.stdout), r.stdout);
      assert(/conn-refused$/m.test(r.stdout), "closed ports say conn-refused");
      assert(
        /^Porthole done: 1 IP address \(1 host up\) scanned in [\d.]+ seconds$/m.test(r.stdout),
      );
    } finally {
      a.close();
      b.close();
    }
  },
});

Deno.test("local: bad input is one message and nmap's exit status", async () => {
  const r = await porthole(["-p", "70000", "127.0.0.1"]);
  assertEquals(r.code, 1);
  assert(!/\bat \S+:\d+:\d+/.test(r.stderr), `no stack trace: ${r.stderr}`);
  assert(r.stderr.trim().endsWith("QUITTING!"), r.stderr);
  const g = await porthole(["--no-such-option"]);
  assertEquals(g.code, 255);
  assert(/See the output of/.test(g.stderr), g.stderr);
});

Deno.test("local: explicit raw scan without privileges says so and quits", async () => {
  const r = await porthole(["--unprivileged", "-sS", "-p", "80", "127.0.0.1"]);
  assertEquals(r.code, 1);
  assertEquals(r.stderr, "You requested a scan type which requires root privileges.\nQUITTING!\n");
  assertEquals(r.stdout, "");
});

Deno.test({
  name: "local: Ctrl-C writes what is known and ends by SIGINT",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const a = listen();
    const dir = await Deno.makeTempDir();
    const xml = `${dir}/out.xml`;
    try {
      // A slow scan: one probe per 200 ms, the open port first (-r: ascending order).
      const ports = Array.from({ length: 60 }, (_, i) => a.port + i).filter((p) => p < 65536);
      const child = new Deno.Command(DENO, {
        args: [
          ...FLAGS,
          MAIN,
          "--unprivileged",
          "-n",
          "-Pn",
          "-r",
          "--scan-delay",
          "200ms",
          "-p",
          ports.join(","),
          "-oX",
          xml,
          "127.0.0.1",
        ],
        stdout: "piped",
        stderr: "piped",
        env: { DENO_NO_UPDATE_CHECK: "1" },
      }).spawn();
      // Wait for the start line (startup can be slow on a busy machine), then
      // long enough for the first probes, then interrupt.
      const reader = child.stdout.getReader();
      let stdout = "";
      const dec = new TextDecoder();
      while (!stdout.includes("Starting Porthole")) {
        const { value, done } = await reader.read();
        if (done) break;
        stdout += dec.decode(value, { stream: true });
      }
      await new Promise((r) => setTimeout(r, 1500));
      child.kill("SIGINT");
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        stdout += dec.decode(value, { stream: true });
      }
      const status = await child.status;
      const stderr = dec.decode(await new Response(child.stderr).arrayBuffer());
      assertEquals([status.code, status.signal], [130, "SIGINT"], stderr);
      // The host is not finished: no report, a line saying so.
      assert(!/scan report for 127\.0\.0\.1/.test(stdout), stdout);
      assert(
        /^Scan of 127\.0\.0\.1 interrupted: \d+ ports? scanned \(1 open\)/m.test(stdout),
        stdout,
      );
      const x = await Deno.readTextFile(xml);
      assert(x.trimEnd().endsWith("</nmaprun>"), "the XML file is complete");
      assert(!/<host[\s>]/.test(x), x);
      assert(
        new RegExp(`<!-- Porthole progress for 127\\.0\\.0\\.1 .*tcp/open/syn-ack/:${a.port}\\b`)
          .test(x),
        `the known port is in the XML's progress record:\n${x}`,
      );
    } finally {
      a.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "local: --resume skips the hosts an interrupted run finished",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const gnmap = `${dir}/run.gnmap`;
    try {
      // Four hosts, one probe per 150 ms each (hosts scanned in parallel would
      // finish together), so take one host per group with --max-hostgroup 1.
      const targets = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"];
      const child = new Deno.Command(DENO, {
        args: [
          ...FLAGS,
          MAIN,
          "--unprivileged",
          "-n",
          "-Pn",
          "--max-hostgroup",
          "1",
          "--scan-delay",
          "150ms",
          "-p",
          "1-6",
          "-oG",
          gnmap,
          ...targets,
        ],
        stdout: "null",
        stderr: "piped",
        env: { DENO_NO_UPDATE_CHECK: "1" },
      }).spawn();
      // Interrupt once the first host is in the file.
      for (let i = 0; i < 300; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const text = await Deno.readTextFile(gnmap).catch(() => "");
        if (/Host: 127\.0\.0\.1 .*Ports:/.test(text)) break;
      }
      child.kill("SIGINT");
      const status = await child.status;
      assertEquals(status.signal, "SIGINT");
      const before = await Deno.readTextFile(gnmap);
      // Finished: reported (a host cut short has only a progress record, and
      // is resumed on its missing ports).
      const done = targets.filter((t) =>
        new RegExp(`Host: ${t.replaceAll(".", "\\.")} .*Ports:`).test(before) &&
        !before.includes(`# Progress for ${t} `)
      );
      assert(done.length >= 1 && done.length < targets.length, before);

      const r = await porthole(["--resume", gnmap]);
      assertEquals(r.code, 0, r.stderr);
      const rescanned = parseNmapNormal(r.stdout).map((h) => h.address);
      assertEquals(rescanned, targets.filter((t) => !done.includes(t)));
      const after = await Deno.readTextFile(gnmap);
      for (const t of targets) {
        assert(
          new RegExp(`Host: ${t.replaceAll(".", "\\.")} .*Ports:`).test(after),
          `${t} in the file`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "local: raw scans of 127.0.0.1 (-sS, -sA, -sF) as root",
  ignore: Deno.uid?.() !== 0,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const a = listen();
    const closed = [freePort(), freePort()];
    try {
      const ports = [a.port, ...closed].sort((x, y) => x - y).join(",");
      const states = async (flag: string) => {
        const r = await porthole([flag, "-n", "--reason", "-p", ports, "127.0.0.1"]);
        assertEquals(r.code, 0, r.stderr);
        assert(/Host is up, received localhost-response/.test(r.stdout), r.stdout);
        return new Map(parseNmapNormal(r.stdout)[0]!.ports.map((p) => [p.port, p.state]));
      };
      const syn = await states("-sS");
      assertEquals(syn.get(a.port), "open");
      for (const p of closed) assertEquals(syn.get(p), "closed");
      const ack = await states("-sA");
      for (const p of [a.port, ...closed]) assertEquals(ack.get(p), "unfiltered");
      const fin = await states("-sF");
      assertEquals(fin.get(a.port), "open|filtered");
      for (const p of closed) assertEquals(fin.get(p), "closed");
    } finally {
      a.close();
    }
  },
});
