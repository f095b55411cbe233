/**
 * `porthole inventory watch --store S … -- SCAN ARGUMENTS`: the watch scans a real target (a TCP
 * listener this test opens and closes on the loopback of the suite's own network namespace),
 * stores the scan, compares it with the previous scan of the same arguments and delivers the
 * events to stdout, a webhook (a real HTTP server here) and a command's stdin (`--exec`, with
 * the run permission a user adds); `--every` repeats until SIGINT, and SIGINT during a scan
 * stores nothing. Scans only 127.0.0.1, and only when this process has a namespace of its own.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { porthole, portholeCommand } from "./testing/porthole_cli.ts";
import { openStore } from "../cli/inventory/store.ts";

const REPO = new URL("../", import.meta.url).pathname;
const DATA = `${REPO}tests/data/inventory/`;

/** Only in a namespace whose one link is its loopback (tests/in_own_netns.sh, as root). */
function ownNamespace(): boolean {
  try {
    const links = Deno.readTextFileSync("/proc/net/dev").split("\n").slice(2)
      .map((l) => l.split(":")[0]!.trim()).filter((n) => n !== "");
    return links.length === 1 && links[0] === "lo";
  } catch {
    return false;
  }
}
const ignore = !ownNamespace();
if (ignore) console.warn("inventory watch scans ignored: not in a network namespace of its own");

/** A TCP service on 127.0.0.1 that can be stopped and started again on the same port. */
class Listener {
  #l: Deno.TcpListener | undefined;
  constructor(readonly port: number) {}
  /** A port nothing listens on now (the kernel's pick, let go). */
  static freePort(): number {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    return port;
  }
  /** Two listeners on two free ports, the lower first (events come in port order). */
  static pair(): [Listener, Listener] {
    const [a, b] = [Listener.freePort(), Listener.freePort()].sort((x, y) => x - y);
    assert(a !== b, `port ${a} twice`);
    return [new Listener(a!), new Listener(b!)];
  }
  start(): void {
    const l = this.#l = Deno.listen({ hostname: "127.0.0.1", port: this.port });
    (async () => {
      for await (const c of l) c.close();
    })().catch(() => {});
  }
  stop(): void {
    this.#l?.close();
    this.#l = undefined;
  }
}

const events = (stdout: string) =>
  stdout.trim() === "" ? [] : stdout.trim().split("\n").map((l) => JSON.parse(l));

Deno.test({
  name: "inventory watch -- SCAN: the scan stored, the previous one of the same arguments " +
    "compared, stdout, the webhook and --exec's stdin get the events",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "ph-watchscan-" });
    const posted: string[] = [];
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      posted.push(await req.text());
      return new Response("");
    });
    const hook = `http://127.0.0.1:${server.addr.port}/hook`;
    const [a, b] = Listener.pair();
    const scan = ["-sT", "-Pn", "-n", "-p", `${a.port},${b.port}`, "127.0.0.1"];
    try {
      await Deno.writeTextFile(
        `${dir}/base.txt`,
        `host 127.0.0.1\nallow 127.0.0.1 tcp/${a.port}\nrequire 127.0.0.1 tcp/${a.port}\n`,
      );
      // A scan of other arguments in the store: never the one a watch compares with.
      const other = await porthole(
        ["inventory", "import", "--store", "inv.db", `${DATA}nmap-a.xml`],
        dir,
      );
      assertEquals(other.code, 0, other.stderr);
      const watch = ["inventory", "watch", "--store", "inv.db", "--baseline", "base.txt"];

      // First round: A open as allowed and required, nothing before it: nothing to say.
      a.start();
      const first = await porthole([...watch, "--webhook", hook, "--", ...scan], dir);
      assertEquals([first.code, first.stdout, first.stderr], [0, "", ""]);
      assertEquals(posted, []);

      // A stopped, B started: the changes and the baseline's findings, everywhere.
      a.stop();
      b.start();
      const second = await porthole(
        [...watch, "--webhook", hook, "--exec", "cat > got.ndjson", "--", ...scan],
        dir,
        ["--allow-run=/bin/sh"],
      );
      assertEquals([second.code, second.stderr], [1, ""]);
      assertEquals(events(second.stdout).map((e) => [e.event, e.port, e.from, e.to]), [
        ["port-closed", a.port, "open", "closed"],
        ["port-opened", b.port, "closed", "open"],
        ["unauthorized-port", b.port, undefined, undefined],
        ["required-down", a.port, undefined, undefined],
      ]);
      assertEquals(posted, [second.stdout]);
      assertEquals(await Deno.readTextFile(`${dir}/got.ndjson`), second.stdout);

      // A command that fails: its status on stderr, the events still delivered, exit 2.
      const third = await porthole(
        [...watch, "--exec", "cat > got3.ndjson; echo said >&2; exit 3", "--", ...scan],
        dir,
        ["--allow-run=/bin/sh"],
      );
      assertEquals(third.code, 2);
      assertEquals(
        third.stderr,
        "said\nporthole inventory: --exec cat > got3.ndjson; echo said >&2; exit 3: exit status 3\n",
      );
      assertEquals(events(third.stdout).map((e) => [e.event, e.port]), [
        ["unauthorized-port", b.port],
        ["required-down", a.port],
      ]);
      assertEquals(await Deno.readTextFile(`${dir}/got3.ndjson`), third.stdout);

      await using store = await openStore(`${dir}/inv.db`);
      const scans = await store.scans();
      assertEquals(scans.length, 4);
      assertEquals(
        scans.slice(1).map((s) => s.args),
        Array(3).fill(["porthole", ...scan, "--store", "inv.db"].join(" ")),
      );
    } finally {
      a.stop();
      b.stop();
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Reads a child's stdout line by line until `done` says so (or the stream ends). */
async function readUntil(
  stream: ReadableStream<Uint8Array>,
  done: (lines: string[]) => boolean,
): Promise<string[]> {
  const lines: string[] = [];
  let buf = "";
  const dec = new TextDecoder();
  const reader = stream.getReader();
  try {
    while (!done(lines)) {
      const { value, done: end } = await reader.read();
      if (end) break;
      buf += dec.decode(value, { stream: true });
      const cut = buf.lastIndexOf("\n");
      if (cut < 0) continue;
      lines.push(...buf.slice(0, cut).split("\n"));
      buf = buf.slice(cut + 1);
    }
  } finally {
    reader.releaseLock();
  }
  return lines;
}

/** Waits until the store holds `n` scans (a minute at most). */
async function storedScans(db: string, n: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const count = await Deno.stat(db).then(async () => {
      await using s = await openStore(db);
      return (await s.scans()).length;
    }, () => 0);
    if (count >= n) return;
    assert(Date.now() < deadline, `the store never held ${n} scans`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test({
  name: "inventory watch --every: a round each period until SIGINT, which ends it by that signal",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "ph-watchevery-" });
    const [a, b] = Listener.pair();
    const scan = ["-sT", "-Pn", "-n", "-p", `${a.port},${b.port}`, "127.0.0.1"];
    a.start();
    const child = portholeCommand(
      ["inventory", "watch", "--store", "inv.db", "--every", "1s", "--", ...scan],
      dir,
    ).spawn();
    const stderr = child.stderr.text();
    try {
      await storedScans(`${dir}/inv.db`, 1);
      a.stop();
      b.start();
      // Later rounds see it (the one running now may have probed one port before the change
      // and the other after: then one round reports each).
      const seen = (l: string[]) =>
        ["port-closed", "port-opened"].every((e) => l.join().includes(e));
      const lines = await readUntil(child.stdout, seen);
      const got = lines.map((l) => JSON.parse(l)).map((e) => `${e.event} ${e.port}`).sort();
      assertEquals(got, [`port-closed ${a.port}`, `port-opened ${b.port}`]);
      child.kill("SIGINT");
      const status = await child.status;
      assertEquals([status.signal, await stderr], ["SIGINT", ""]);
      await using store = await openStore(`${dir}/inv.db`);
      const scans = await store.scans();
      assert(scans.length >= 2, `${scans.length} scans`);
      // Every stored scan is whole: the host with both ports.
      for (const s of scans) {
        const hosts = (await store.loadScan(s.id)).hosts;
        assertEquals(hosts.map((h) => h.ports.map((p) => p.port).sort()), [
          [a.port, b.port].sort(),
        ]);
      }
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* ended */ }
      await child.status;
      await child.stdout.cancel().catch(() => {});
      a.stop();
      b.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "inventory watch: SIGINT during the scan writes its files and stores nothing",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "ph-watchint-" });
    // Ten ports a second apart: the scan is still running when the signal comes.
    const ports = Array.from({ length: 10 }, () => Listener.freePort()).join(",");
    const child = portholeCommand(
      [
        "inventory",
        "watch",
        "--store",
        "inv.db",
        "--",
        "-sT",
        "-Pn",
        "-n",
        "--scan-delay",
        "1s",
        "-p",
        ports,
        "-oX",
        "scan.xml",
        "127.0.0.1",
      ],
      dir,
    ).spawn();
    try {
      const deadline = Date.now() + 60_000;
      while (!(await Deno.readTextFile(`${dir}/scan.xml`).catch(() => "")).includes("<nmaprun")) {
        assert(Date.now() < deadline, "the scan never began");
        await new Promise((r) => setTimeout(r, 50));
      }
      // The file begins just before the run listens for signals; the scan has 9 s more to go.
      await new Promise((r) => setTimeout(r, 500));
      child.kill("SIGINT");
      const o = await child.output();
      assertEquals([o.signal, new TextDecoder().decode(o.stdout)], ["SIGINT", ""]);
      // The scan's file is finished and says it was interrupted; the store holds no scan.
      const xml = await Deno.readTextFile(`${dir}/scan.xml`);
      assert(/<\/nmaprun>\s*$/.test(xml), xml.slice(-300));
      assert(/exit="error" errormsg="Interrupted by SIGINT/.test(xml), xml.slice(-300));
      await using store = await openStore(`${dir}/inv.db`);
      assertEquals(await store.scans(), []);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* ended */ }
      await Deno.remove(dir, { recursive: true });
    }
  },
});
