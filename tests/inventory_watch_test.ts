/**
 * `porthole inventory watch` as the porthole task runs it: changes since the scan before,
 * an authorized baseline, up/down monitoring, and a webhook POST to a real HTTP server on
 * 127.0.0.1 that the test runs. No scanning (imported fixtures).
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { porthole, portholeCommand } from "./testing/porthole_cli.ts";

const REPO = new URL("../", import.meta.url).pathname;
const DATA = `${REPO}tests/data/inventory/`;

const BASELINE = `# what may run here
host 10.215.1.1
allow * tcp/22 ssh
allow 10.215.1.0/24 tcp/80
require 10.215.1.1 tcp/9929
require 10.215.1.1 tcp/21   # closed: down
require 10.215.1.9          # not there: down
`;

Deno.test({
  name: "porthole inventory watch: changes, baseline breaches, up/down, and the webhook gets them",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "ph-watch-" });
    const got: { type: string | null; body: string }[] = [];
    let status = 200;
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      got.push({ type: req.headers.get("content-type"), body: await req.text() });
      return new Response("", { status });
    });
    const hook = `http://127.0.0.1:${server.addr.port}/hook`;
    try {
      await Deno.writeTextFile(`${dir}/base.txt`, BASELINE);
      assertEquals(
        (await porthole(["inventory", "import", `${DATA}nmap-a.xml`, `${DATA}nmap-c.xml`], dir))
          .code,
        0,
      );
      const w = await porthole(
        ["inventory", "watch", "--baseline", "base.txt", "--webhook", hook],
        dir,
      );
      assertEquals(w.stderr, "");
      assertEquals(w.code, 1);
      const events = w.stdout.trim().split("\n").map((l) => JSON.parse(l));
      assertEquals(events.map((e) => [e.event, e.address, e.port]), [
        ["version-changed", "10.215.1.1", 80],
        ["port-opened", "10.215.1.1", 443],
        ["host-appeared", "10.215.1.2", undefined],
        ["unauthorized-port", "10.215.1.1", 443],
        ["unauthorized-port", "10.215.1.1", 31337],
        ["unauthorized-host", "10.215.1.2", undefined],
        ["required-down", "10.215.1.1", 21],
        ["required-down", "10.215.1.9", undefined],
      ]);
      assertEquals(got, [{ type: "application/x-ndjson", body: w.stdout }]);

      // Nothing to say: exit 0, no POST.
      await Deno.writeTextFile(`${dir}/all.txt`, "host *\nallow * tcp/22\n");
      const same = await porthole(
        ["inventory", "import", `${DATA}nmap-c.xml`],
        dir,
      );
      assertEquals(same.code, 0);
      await Deno.writeTextFile(
        `${dir}/all.txt`,
        "host *\n" +
          [22, 80, 443, 9929, 31337].map((p) => `allow * tcp/${p}`).join("\n") + "\n",
      );
      const quiet = await porthole(
        ["inventory", "watch", "--baseline", "all.txt", "--webhook", hook],
        dir,
      );
      assertEquals([quiet.code, quiet.stdout, quiet.stderr], [0, "", ""]);
      assertEquals(got.length, 1);

      // A hook that refuses: one line, exit 2.
      status = 500;
      const refused = await porthole([
        "inventory",
        "watch",
        "--baseline",
        "base.txt",
        "--webhook",
        hook,
      ], dir);
      assertEquals(refused.code, 2);
      assertEquals(refused.stderr, `porthole inventory: webhook ${hook}: HTTP 500\n`);
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("porthole inventory watch: a baseline with errors — the line named, exit 2, nothing sent", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ph-watch-" });
  try {
    const cases: [string, RegExp][] = [
      [
        "host 10.0.0.0/24\nallow 10.0.0.1 tcp/99999\n",
        /^porthole inventory: b\.txt line 2: not a port \(tcp\/22\): allow 10\.0\.0\.1 tcp\/99999\n$/,
      ],
      [
        "permit 10.0.0.1\n",
        /^porthole inventory: b\.txt line 1: unknown rule permit \(host, allow, require\): permit 10\.0\.0\.1\n$/,
      ],
      [
        "host 10.0.0.300\n",
        /^porthole inventory: b\.txt line 1: not an address, IPv4 prefix or \*: host 10\.0\.0\.300\n$/,
      ],
    ];
    for (const [text, re] of cases) {
      await Deno.writeTextFile(`${dir}/b.txt`, text);
      // No store exists: the baseline is refused before the store is even opened.
      const r = await porthole(["inventory", "watch", "--baseline", "b.txt"], dir);
      assertEquals(r.code, 2);
      assert(re.test(r.stderr), JSON.stringify(r.stderr));
    }
    await Deno.stat(`${dir}/porthole-inventory.db`).then(
      () => assert(false, "a store was created"),
      () => {},
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("porthole inventory watch: bad input and a missing run permission — one message, exit 2, nothing scanned or stored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ph-watch-" });
  try {
    const w = ["inventory", "watch"];
    const scan = ["--", "-sT", "-Pn", "-p", "80", "127.0.0.1"];
    const cases: [string[], string][] = [
      [
        [...w, "--store", "inv.db", "--every", "5x", ...scan],
        "--every 5x: not a duration from 1s to 24d (a whole number and s, m, h or d: 30s, 15m, 1h, 1d)\nSee porthole inventory --help.\n",
      ],
      [
        [...w, "--store", "inv.db", "--every", "25d", ...scan],
        "--every 25d: not a duration from 1s to 24d (a whole number and s, m, h or d: 30s, 15m, 1h, 1d)\nSee porthole inventory --help.\n",
      ],
      [
        [...w, "--store", "inv.db", "--every", "1h"],
        "--every needs a scan to repeat: -- SCAN ARGUMENTS\nSee porthole inventory --help.\n",
      ],
      [
        [...w, ...scan],
        "a watch that scans needs --store (where its scans are kept)\nSee porthole inventory --help.\n",
      ],
      [
        [...w, "--store", "inv.db", "127.0.0.1"],
        "unexpected argument 127.0.0.1 (a scan's arguments go after --)\nSee porthole inventory --help.\n",
      ],
      [
        [...w, "--store", "inv.db", "--"],
        "-- needs the scan's arguments after it (targets at least)\nSee porthole inventory --help.\n",
      ],
      // Deno grants no run permission to Porthole: --exec needs the user to add it.
      [
        [...w, "--store", "inv.db", "--exec", "cat", ...scan],
        "Porthole needs Deno's run permission for --exec (it runs /bin/sh): run Deno with --allow-run=/bin/sh, or leave --exec out and pipe the watch's output to the command\n",
      ],
      [
        [...w, "--store", "inv.db", "--exec", "cat"],
        "Porthole needs Deno's run permission for --exec (it runs /bin/sh): run Deno with --allow-run=/bin/sh, or leave --exec out and pipe the watch's output to the command\n",
      ],
      // What the scan itself refuses is refused before anything runs.
      [
        [...w, "--store", "inv.db", "--", "--store", "x.db", "127.0.0.1"],
        "give --store before --, not among the scan's arguments\n",
      ],
      [
        [...w, "--store", "inv.db", "--", "-oX", "-", "127.0.0.1"],
        "the arguments after -- must describe a scan to repeat: the watch's stdout carries its events; write the scan's output to a file\n",
      ],
      [
        [...w, "--store", "inv.db", "--", "-p", "99999", "127.0.0.1"],
        "Ports specified must be between 0 and 65535 inclusive\n",
      ],
    ];
    for (const [args, stderr] of cases) {
      const r = await porthole(args, dir);
      assertEquals(
        [r.code, r.stdout, r.stderr],
        [2, "", `porthole inventory: ${stderr}`],
        args.join(" "),
      );
    }
    // Granted, but Deno still refuses the shell (a loader variable in the environment): said
    // before anything runs, not when there is first something to report.
    const ld = await portholeCommand(
      ["inventory", "watch", "--store", "inv.db", "--exec", "cat", ...scan],
      dir,
      ["--allow-run=/bin/sh"],
      { LD_LIBRARY_PATH: "/nonexistent" },
    ).output();
    const dec = new TextDecoder();
    assertEquals([ld.code, dec.decode(ld.stdout)], [2, ""]);
    assert(
      /^porthole inventory: --exec cannot start \/bin\/sh: Requires --allow-run permissions to spawn subprocess with LD_LIBRARY_PATH environment variable\.[^\n]*\n$/
        .test(dec.decode(ld.stderr)),
      dec.decode(ld.stderr),
    );
    assertEquals([...Deno.readDirSync(dir)], [], "nothing was created");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
