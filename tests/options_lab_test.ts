/**
 * Issue 20's list scan and DNS control against nmap in the lab's scanner namespace: -sL (with
 * reverse DNS through the namespace's hosts file, none with -n) in the normal, XML and grepable
 * formats; --dns-servers (the many-hosts lab's mail.lab answers PTR queries), --system-dns,
 * --resolve-all, --unique and --randomize-hosts. nmap's output for the same command is the
 * oracle. Lab tag: `opsl`.
 */

import assert from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";
import { run } from "./lab/_exec.ts";

const unavailable = await labUnavailable();
const nmapMissing = (await run(["nmap", "--version"])).code !== 0;

/** One tool's output with what differs by nature (names, versions, times, paths) made equal. */
function normalise(text: string): string {
  return text
    .replaceAll("Porthole", "Nmap")
    .replace(/^Starting Nmap .*$/m, "Starting Nmap")
    .replace(/ scanned in [\d.]+ seconds/g, " scanned in T seconds")
    .replace(/^# Nmap .*$/gm, "# Nmap")
    .replace(/<\?xml-stylesheet[^>]*>/, "<?xml-stylesheet?>")
    .replace(/<!-- Nmap .* -->/, "<!-- Nmap -->")
    .replace(/<nmaprun [^>]*>/, "<nmaprun>")
    .replace(/<finished [^>]*\/>/, "<finished/>")
    // nmap lists a name's other addresses in getaddrinfo's AF_UNSPEC order, Porthole IPv4
    // first: the same set.
    .replace(
      /^(Other addresses for \S+ \(not scanned\): )(.*)$/gm,
      (_, head: string, list: string) => head + list.split(" ").sort().join(" "),
    );
}

const reports = (stdout: string) =>
  [...stdout.matchAll(/scan report for (.+)$/gm)].map((m) => m[1]!);

Deno.test({
  name: "lab: -sL, --dns-servers, --system-dns, --resolve-all, --unique as nmap 7.93 prints them",
  ignore: unavailable !== null || nmapMissing,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "opsl", scenario: "many-hosts" });
    const [web, ftp, app, mail] = lab.targets.map((t) => t.v4) as [string, string, string, string];
    const net = web.replace(/\.\d+$/, "");
    // A second IPv4 address for web.lab, for --resolve-all and --unique.
    await Deno.writeTextFile(`/etc/netns/${lab.scanner.ns}/hosts`, `${app}\tweb.lab\n`, {
      append: true,
    });
    const cases: string[][] = [
      ["-sL", `${web}-12`, "web.lab"],
      ["-sL", "-n", `${net}.8-12`],
      ["-sL", "-R", "-oX", "-", `${web}-12`, "web.lab"],
      ["-sL", "-oG", "-", `${web}-12`],
      ["-sL", "-v", ftp],
      ["-sL", "--dns-servers", mail, `${net}.7-11`],
      ["-sL", "--dns-servers", `${mail},${lab.scanner.v4}`, "-oX", "-", `${net}.8-9`],
      ["-sL", "--system-dns", `${web}-11`],
      ["-sL", "-n", "web.lab"],
      ["-sL", "-n", "--resolve-all", "web.lab"],
      ["-sL", "-n", "--unique", "web.lab", `${web}-12`, ftp],
      ["-sL", "-n", "--unique", "--resolve-all", "web.lab", `${web}-12`],
    ];
    for (const args of cases) {
      const [n, p] = await Promise.all([
        lab.nmap(args, { timeoutMs: 60_000 }),
        lab.porthole(args, { timeoutMs: 60_000 }),
      ]);
      const what = args.join(" ");
      assert.equal(p.code, n.code, `${what}: ${p.stderr}`);
      assert.equal(normalise(p.stdout), normalise(n.stdout), what);
      assert.equal(p.stderr, n.stderr, what);
    }
    // The PTR answers came from the lab's DNS server, so --dns-servers was used.
    const r = await lab.porthole(["-sL", "--dns-servers", mail, `${net}.7`]);
    assert.deepEqual(reports(r.stdout), [`${net.replaceAll(".", "-")}-7.rdns.lab (${net}.7)`]);
  },
});

Deno.test({
  name: "lab: --randomize-hosts and -rH list every target once, in another order",
  ignore: unavailable !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "opsl", scenario: "many-hosts" });
    const net = lab.target.v4.replace(/\.\d+$/, "");
    const inOrder = Array.from({ length: 40 }, (_, i) => `${net}.${100 + i}`);
    for (const flag of ["--randomize-hosts", "-rH"]) {
      const r = await lab.porthole(["-sL", "-n", flag, `${net}.100-139`]);
      assert.equal(r.code, 0, r.stderr);
      const got = reports(r.stdout);
      assert.deepEqual([...got].sort(), [...inOrder].sort(), flag);
      // 40! orders: the sorted one comes back once in 8e47 runs.
      assert.notDeepEqual(got, inOrder, flag);
    }
    const plain = await lab.porthole(["-sL", "-n", `${net}.100-139`]);
    assert.deepEqual(reports(plain.stdout), inOrder);
  },
});

/** Could `skid` be nmap's -oS rendering of `plain`? Letter for letter: the same, the other
 * case, or one of its look-alikes (output.cc's skid_output). */
function couldBeSkid(plain: string, skid: string): string | undefined {
  const alike: Record<string, string> = {
    A: "4",
    e: "3",
    E: "3",
    i: "!|1",
    I: "!|1",
    o: "0",
    O: "0",
    s: "z$",
    S: "z$",
    z: "s",
    Z: "S",
  };
  if (plain.length !== skid.length) return `lengths ${plain.length} and ${skid.length}`;
  for (let i = 0; i < plain.length; i++) {
    const p = plain[i]!, k = skid[i]!;
    if (p === k || p.toLowerCase() === k || p.toUpperCase() === k) continue;
    if ((alike[p] ?? "").includes(k)) continue;
    return `offset ${i}: ${JSON.stringify(p)} became ${JSON.stringify(k)}`;
  }
  return undefined;
}

Deno.test({
  name: "lab: -oS is the screen with nmap's letter swaps; -oN - -oX - share stdout as in nmap",
  ignore: unavailable !== null || nmapMissing,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "opsk", scenario: "scanme" });
    const dir = await Deno.makeTempDir({ prefix: "ph-opsk-" });
    try {
      for (const tool of ["nmap", "porthole"] as const) {
        const file = `${dir}/${tool}.skid`;
        const args = ["-sT", "-p", "22,25,80", "-oS", file, lab.target.v4];
        const r = tool === "nmap" ? await lab.nmap(args) : await lab.porthole(args);
        assert.equal(r.code, 0, r.stderr);
        const skid = await Deno.readTextFile(file);
        // The file is the screen's text, letters swapped: the checker holds for nmap too.
        assert.equal(couldBeSkid(r.stdout, skid), undefined, `${tool}:\n${r.stdout}\n${skid}`);
        assert.notEqual(skid, r.stdout, `${tool}: nothing swapped`);
        // -oS - owns stdout like any other format.
        const own = tool === "nmap"
          ? await lab.nmap(["-sT", "-p", "22", "-oS", "-", lab.target.v4])
          : await lab.porthole(["-sT", "-p", "22", "-oS", "-", lab.target.v4]);
        assert.equal(own.code, 0, own.stderr);
        assert.match(own.stdout, /^22\/tcp [o0]p[e3]n /im, tool);
      }
      for (const tool of ["nmap", "porthole"] as const) {
        const args = ["-sT", "-p", "22", "-oN", "-", "-oX", "-", "-oG", "-", lab.target.v4];
        const r = tool === "nmap" ? await lab.nmap(args) : await lab.porthole(args);
        assert.equal(r.code, 0, `${tool}: ${r.stderr}`);
        for (
          const part of [
            /<nmaprun /,
            /<\/nmaprun>/,
            /scan initiated .* as: /,
            /^22\/tcp open {2}ssh$/m,
            /Ports: 22\/open\/tcp\/\/ssh\/\/\//,
          ]
        ) {
          assert.match(r.stdout, part, `${tool}:\n${r.stdout}`);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** The <task…> and <hosthint> elements of an XML report, times dropped; hints (whose order
 * follows the replies' arrival in nmap) sorted within each run of them. */
function taskRecords(xml: string): string[] {
  const out: string[] = [];
  let hints: string[] = [];
  const flush = () => {
    out.push(...hints.sort());
    hints = [];
  };
  for (
    const m of xml.matchAll(
      /<(taskbegin|taskend|taskprogress)[^>]*\/>|<hosthint>[^]*?<\/hosthint>/g,
    )
  ) {
    const el = m[0].replace(/ (time|etc|percent|remaining)="[^"]*"/g, "");
    if (el.startsWith("<hosthint>")) hints.push(el);
    else {
      flush();
      out.push(el);
    }
  }
  flush();
  return out;
}

Deno.test({
  name: "lab: <taskbegin>, <taskend>, <taskprogress> and <hosthint> as nmap 7.93 writes them",
  ignore: unavailable !== null || nmapMissing,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "optk", scenario: "many-hosts" });
    const cases: string[][] = [
      ["-v", "-sS", "-p", "22,80", "-oX", "-", "web.lab"],
      ["-v", "-sT", "-sV", "-p", "22", "-oX", "-", "web.lab"],
      ["-v", "-sU", "-p", "53,54", "-oX", "-", "mail.lab"],
      ["-sT", "-p", "22", "-oX", "-", "web.lab", "ftp.lab", "dark.lab"],
      ["-v", "-sn", "-oX", "-", "web.lab"],
      ["-v", "-Pn", "-sT", "-p", "22", "-oX", "-", "web.lab"],
    ];
    for (const args of cases) {
      // One after the other: two scanners ARPing at once on one link would meet.
      const n = await lab.nmap(args);
      const p = await lab.porthole(args);
      const what = args.join(" ");
      assert.equal(p.code, 0, `${what}: ${p.stderr}`);
      // nmap's -sV also runs NSE's version scripts (tasks "NSE"): Porthole's -sV has no NSE.
      const nmapRecords = taskRecords(n.stdout).filter((r) => !/task="NSE"/.test(r));
      assert.deepEqual(taskRecords(p.stdout), nmapRecords, what);
    }
    // Progress as the estimates are printed (--stats-every): what python-libnmap reads.
    const slow = ["-sT", "-p", "1-40", "--scan-delay", "100ms", "--stats-every", "1s", "-oX", "-"];
    for (const tool of ["nmap", "porthole"] as const) {
      const args = [...slow, "web.lab"];
      const r = tool === "nmap" ? await lab.nmap(args) : await lab.porthole(args);
      assert.equal(r.code, 0, `${tool}: ${r.stderr}`);
      const progress = [
        ...r.stdout.matchAll(
          /<taskprogress task="Connect Scan" time="(\d+)" percent="(\d+\.\d\d)" remaining="(\d+)" etc="(\d+)"\/>/g,
        ),
      ];
      assert(progress.length >= 1, `${tool}: no <taskprogress>:\n${r.stdout}`);
      for (const [, time, percent, remaining, etc] of progress) {
        assert(Number(percent) > 0 && Number(percent) < 100, `${tool}: percent ${percent}`);
        assert(Math.abs(Number(etc) - Number(time) - Number(remaining)) <= 1, `${tool}: etc`);
      }
    }
  },
});
