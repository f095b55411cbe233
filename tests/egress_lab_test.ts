/**
 * Nothing leaves the scanner but the scan (issue 15). A capture on the wire while Porthole scans
 * the lab's scanme from each entry point — the porthole task's argv, `deno task porthole`, and
 * dist/porthole.js run through its shebang — must hold only packets to the target, plus the
 * reverse lookup of the target when the user did not say -n. Deno's update check (a lookup of
 * dl.deno.land half a second after start) must not show.
 *
 * So that a lookup cannot hide, the scanner namespace gets a resolver on its link (10.B.0.53, a
 * permanent neighbour entry, nobody answers) and no /etc/hosts line for the target, and each run
 * gets an empty DENO_DIR (Deno skips its check for a day after one that succeeded) and none of
 * this process's DENO_NO_UPDATE_CHECK. The capture runs on the target's end of the link, where
 * the raw frames Porthole sends through libpcap show too. Lab tags here start with "eg".
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { Lab, labUnavailable, REPO_ROOT } from "./lab/mod.ts";
import { run } from "./lab/_exec.ts";
import { captureIn } from "./lab/tcpdump.ts";

const DENO_BIN = `${REPO_ROOT}/node_modules/.bin`;

/** One packet as `tcpdump -n` prints it. */
export interface Packet {
  line: string;
  family: "IP" | "IP6";
  src: string;
  dst: string;
  /** What follows "src > dst: ". */
  rest: string;
}

/** The address of a tcpdump endpoint ("10.1.2.3.443" → "10.1.2.3", "fd00::1.53" → "fd00::1"). */
function hostOf(endpoint: string, family: "IP" | "IP6"): string {
  const m = family === "IP"
    ? /^(\d+\.\d+\.\d+\.\d+)(?:\.\d+)?$/.exec(endpoint)
    : /^([0-9a-f:]+)(?:\.\d+)?$/i.exec(endpoint);
  return m ? m[1]! : endpoint;
}

/** The packets of `tcpdump -n -l` output; a line it cannot read comes back with empty addresses. */
export function parseTcpdump(text: string): Packet[] {
  const out: Packet[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const m = /^\S+ (IP6?) (\S+) > (\S+): (.*)$/.exec(line);
    if (!m) {
      out.push({ line, family: "IP", src: "", dst: "", rest: line });
      continue;
    }
    const family = m[1] as "IP" | "IP6";
    out.push({
      line,
      family,
      src: hostOf(m[2]!, family),
      dst: hostOf(m[3]!, family),
      rest: m[4]!,
    });
  }
  return out;
}

/** The DNS question of a query tcpdump printed ("38619+ PTR? 1.1.229.10.in-addr.arpa. (41)"). */
export function dnsQuestion(p: Packet): { type: string; name: string } | null {
  const m = /^\d+\+?%? (?:\[[^\]]*\] )?([A-Z0-9]+)\? (\S+) /.exec(p.rest);
  return m ? { type: m[1]!, name: m[2]! } : null;
}

/** The reverse-lookup name of an IPv4 address. */
function ptrName(v4: string): string {
  return `${v4.split(".").reverse().join(".")}.in-addr.arpa.`;
}

/**
 * Packets that are not the scan: anything not addressed to the target, except the kernel's own
 * link housekeeping (IPv6 neighbour and router discovery, multicast listener reports) and, when
 * `allowPtr` names it, a reverse lookup of the target sent to the lab's resolver.
 */
export function strays(
  packets: Packet[],
  target: { v4: string; v6: string },
  allowPtr?: { resolver: string },
): Packet[] {
  return packets.filter((p) => {
    if (p.dst === target.v4 || p.dst === target.v6) return false;
    if (
      p.family === "IP6" &&
      /ICMP6, (?:neighbor|router) (?:solicitation|advertisement)|multicast listener/.test(p.rest)
    ) {
      return false;
    }
    if (allowPtr && p.dst === allowPtr.resolver) {
      const q = dnsQuestion(p);
      if (q && q.type === "PTR" && q.name === ptrName(target.v4)) return false;
    }
    return true;
  });
}

/** Captures what reaches `ns`'s eth0 from its peer while `body` runs; returns tcpdump's lines. */
async function capture(ns: string, body: () => Promise<void>): Promise<string> {
  return (await captureIn(ns, "ip or ip6", body, false, false)).join("\n");
}

async function hasTcpdump(): Promise<boolean> {
  return (await run(["tcpdump", "--version"])).code === 0;
}

const why = (await labUnavailable()) ??
  ((await hasTcpdump()) ? null : "tcpdump is missing (apt-get install tcpdump)");

Deno.test({
  name: "egress: a scan sends nothing but probes to its target, from every entry point",
  ignore: why !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const built = await run([`${DENO_BIN}/deno`, "task", "--quiet", "bundle"], {
      cwd: REPO_ROOT,
      timeoutMs: 300_000,
    });
    equal(built.code, 0, built.stderr);
    const dir = await Deno.makeTempDir({ prefix: "ph-egress-" });
    const bundle = `${dir}/porthole.js`;
    await Deno.copyFile(`${REPO_ROOT}/dist/porthole.js`, bundle);
    await Deno.chmod(bundle, 0o755);
    const denoDir = await Deno.makeTempDir({ prefix: "ph-egress-denodir-" });
    await using lab = await Lab.up({ tag: "eg1", scenario: "scanme" });
    try {
      const s = lab.scanner;
      const target = lab.target;
      const resolver = s.v4.replace(/\.\d+$/, ".53");
      // A resolver on the link that nobody answers, and no hosts line for the target: every
      // lookup leaves eth0 as a DNS query.
      await Deno.writeTextFile(
        `/etc/netns/${s.ns}/resolv.conf`,
        `nameserver ${resolver}\noptions timeout:1 attempts:1\n`,
      );
      await Deno.writeTextFile(`/etc/netns/${s.ns}/hosts`, "127.0.0.1\tlocalhost\n");
      const neigh = await lab.runInScanner([
        "ip",
        "neigh",
        "replace",
        resolver,
        "lladdr",
        "02:00:00:00:00:53",
        "dev",
        s.iface,
        "nud",
        "permanent",
      ]);
      equal(neigh.code, 0, neigh.stderr);

      /** Runs argv (which starts with `ip netns exec <scanner>`) without our update-check opt-out. */
      const inScanner = async (argv: string[], cwd = REPO_ROOT) => {
        deepEqual(argv.slice(0, 4), ["ip", "netns", "exec", s.ns]);
        const env = [
          "env",
          "-u",
          "DENO_NO_UPDATE_CHECK",
          `DENO_DIR=${denoDir}`,
          `PATH=${DENO_BIN}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
        ];
        let r;
        const wire = await capture(target.ns, async () => {
          r = await run([...argv.slice(0, 4), ...env, ...argv.slice(4)], {
            cwd,
            timeoutMs: 300_000,
          });
        });
        return { r: r! as Awaited<ReturnType<typeof run>>, packets: parseTcpdump(wire) };
      };
      // Three ports, one dropped, half a second apart: Porthole runs well past the half second
      // after which Deno would look for its update. -sV: the service probes' connections too.
      const scan = ["-sS", "-sV", "-p", "22,25,80", "--scan-delay", "500ms", target.v4];
      const show = (ps: { line: string }[]) => ps.map((p) => p.line).join("\n");
      const scanned = (r: { code: number; stdout: string; stderr: string }) => {
        equal(r.code, 0, r.stderr);
        match(r.stdout, /22\/tcp\s+open\s+ssh/);
        match(r.stdout, /25\/tcp\s+filtered\s+smtp/);
      };

      await t.step("control: the capture sees a plain deno run's update lookup", async () => {
        const idle = `${dir}/idle.js`;
        await Deno.writeTextFile(idle, "await new Promise((r) => setTimeout(r, 1500));\n");
        const { r, packets } = await inScanner([
          "ip",
          "netns",
          "exec",
          s.ns,
          `${DENO_BIN}/deno`,
          "run",
          idle,
        ]);
        equal(r.code, 0, r.stderr);
        ok(
          packets.some((p) => dnsQuestion(p)?.name === "dl.deno.land."),
          `no lookup of dl.deno.land seen:\n${show(packets)}`,
        );
      });

      await t.step("from source, the porthole task's argv, -n: no DNS at all", async () => {
        const { r, packets } = await inScanner(await lab.portholeArgv(["-n", ...scan]));
        scanned(r);
        ok(packets.some((p) => p.dst === target.v4), `no probe seen:\n${show(packets)}`);
        deepEqual(show(strays(packets, target)), "");
      });

      await t.step("deno task porthole -n: no DNS at all", async () => {
        const { r, packets } = await inScanner([
          "ip",
          "netns",
          "exec",
          s.ns,
          `${DENO_BIN}/deno`,
          "task",
          "--quiet",
          "porthole",
          "-n",
          ...scan,
        ]);
        scanned(r);
        ok(packets.some((p) => p.dst === target.v4), `no probe seen:\n${show(packets)}`);
        deepEqual(show(strays(packets, target)), "");
      });

      await t.step("dist/porthole.js through its shebang, -n: no DNS at all", async () => {
        const { r, packets } = await inScanner(
          ["ip", "netns", "exec", s.ns, "./porthole.js", "-n", ...scan],
          dir,
        );
        scanned(r);
        ok(packets.some((p) => p.dst === target.v4), `no probe seen:\n${show(packets)}`);
        deepEqual(show(strays(packets, target)), "");
      });

      await t.step("without -n: the target's reverse lookup, and nothing else", async () => {
        const { r, packets } = await inScanner(await lab.portholeArgv(scan));
        scanned(r);
        ok(
          packets.some((p) => p.dst === resolver && dnsQuestion(p)?.type === "PTR"),
          `the reverse lookup the user asked for did not show:\n${show(packets)}`,
        );
        deepEqual(show(strays(packets, target, { resolver })), "");
      });
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await Deno.remove(denoDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test("egress: tcpdump lines are read into addresses and DNS questions", () => {
  const text = [
    "22:48:51.762015 IP 10.229.0.1.52525 > 10.229.0.53.53: 38619+ PTR? 1.1.229.10.in-addr.arpa. (41)",
    "22:47:18.607389 IP 10.229.0.1.40040 > 10.229.0.53.53: 40184+ AAAA? dl.deno.land. (30)",
    "22:47:18.719191 IP 10.229.0.1 > 10.229.1.1: ICMP echo request, id 3959, seq 0, length 8",
    "22:47:18.722776 IP6 fd00:229::1.45872 > fd00:229:1::1.80: Flags [S], seq 1, length 0",
    "22:47:18.722776 IP6 fe80::1 > ff02::2: ICMP6, router solicitation, length 16",
    "garbage",
  ].join("\n");
  const ps = parseTcpdump(text);
  deepEqual(ps.map((p) => [p.family, p.src, p.dst]), [
    ["IP", "10.229.0.1", "10.229.0.53"],
    ["IP", "10.229.0.1", "10.229.0.53"],
    ["IP", "10.229.0.1", "10.229.1.1"],
    ["IP6", "fd00:229::1", "fd00:229:1::1"],
    ["IP6", "fe80::1", "ff02::2"],
    ["IP", "", ""],
  ]);
  deepEqual(dnsQuestion(ps[0]!), { type: "PTR", name: "1.1.229.10.in-addr.arpa." });
  deepEqual(dnsQuestion(ps[1]!), { type: "AAAA", name: "dl.deno.land." });
  equal(dnsQuestion(ps[2]!), null);
  const target = { v4: "10.229.1.1", v6: "fd00:229:1::1" };
  deepEqual(strays(ps, target).map((p) => p.line.slice(-12)), [
    ps[0]!.line.slice(-12),
    ps[1]!.line.slice(-12),
    "garbage",
  ]);
  deepEqual(strays(ps, target, { resolver: "10.229.0.53" }).map((p) => p.rest), [
    ps[1]!.rest,
    "garbage",
  ]);
});
