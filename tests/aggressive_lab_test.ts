/**
 * -A on the scanme replica against nmap's -A (issue 19), section by section, in normal output and
 * XML: the port table with versions, each port's script output, the OS section (both against
 * nmap's own nmap-os-db, so that one fingerprint gets one answer), Network Distance, Service Info,
 * TRACEROUTE and the order of the sections. Then on a bare host (nmap's data directory hidden):
 * the built-in scripts, the same sections in the same order.
 *
 * Left out of the comparison, as what differs between two runs of nmap itself:
 * - the order of the scripts under one port: nmap keeps a port's script results in a
 *   std::multiset of pointers (nse_main.h), so it prints them in the order of their addresses;
 * - the port of the TRACEROUTE probe: nmap traces with the best probe its port scan saw, and a
 *   closed TCP port scores highest (scan_engine.cc, pingprobe_score), so its port is the first
 *   closed one to answer in its random port order; both must be closed ports;
 * - timing: latency, RTTs, TCP sequence and timestamp values, uptime, <times>;
 * - the fingerprint's values of the run (SCAN's V, D, TM, P and the random closed UDP port CU;
 *   SEQ's SP, GCD, ISR and TS) and the guesses they move (<osmatch>: Porthole's best guess must be
 *   one of nmap's);
 * - the product's name, version and URLs ("Nmap" / "Porthole").
 */

import assert from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";
import { missingTools } from "./_oracle.ts";
import { haveNmapScripts, portholeWithoutNmap } from "./testing/nmap_hidden.ts";

const NMAP_OS_DB = "/usr/share/nmap/nmap-os-db";
const haveNmapData = haveNmapScripts && (() => {
  try {
    return Deno.statSync(NMAP_OS_DB).isFile;
  } catch {
    return false;
  }
})();

/** The fingerprint's tests, one per line, with the values of the run blanked. */
export function fingerprintTests(osLines: string[]): string[] {
  const run: Record<string, string[]> = {
    SCAN: ["V", "D", "TM", "P", "CU"],
    SEQ: ["SP", "GCD", "ISR", "TS"],
  };
  const text = osLines.map((l) => l.replace(/^OS:/, "")).join("");
  // Each OS try that found no match adds its own SEQ line (nmap's does too), and how many tries a
  // run takes follows the probes' timing: the first try's SEQ stands for them.
  const tests = [...text.matchAll(/([A-Z0-9]+)\(([^)]*)\)/g)]
    .filter(([, name], i, all) => name !== "SEQ" || all.findIndex(([, n]) => n === "SEQ") === i);
  return tests.map(([, name, attrs]) =>
    `${name}(${
      attrs!.split("%").map((a) => {
        const k = a.split("=")[0]!;
        return run[name!]?.includes(k) ? `${k}=*` : a;
      }).join("%")
    })`
  );
}

/**
 * A normal report as a list of sections [kind, lines], each normalised (see the module doc);
 * `os: false` keeps only the OS section's place (a bare host matches against another database).
 */
export function sections(report: string, os = true): [string, string[]][] {
  const out: [string, string[]][] = [];
  const push = (kind: string, line: string) => {
    const last = out.at(-1);
    if (last && last[0] === kind) last[1].push(line);
    else out.push([kind, [line]]);
  };
  let osLines: string[] = [];
  for (const l of report.split("\n")) {
    if (/^(Starting (Nmap|Porthole)|(Nmap|Porthole) done:)/.test(l) || l === "") continue;
    if (/^(Nmap|Porthole) scan report for /.test(l)) push("report", l.replace(/^\w+ /, ""));
    else if (l.startsWith("Host is up")) push("up", l.replace(/\([\d.]+s latency\)/, "(latency)"));
    else if (/^(Other addresses|Not shown:)/.test(l)) push("host", l);
    else if (/^(PORT|\d+\/(tcp|udp)|\|)/.test(l)) push("ports", l);
    else if (l.startsWith("Aggressive OS guesses:")) push("os", "Aggressive OS guesses");
    else if (/^(Device type|Running|OS CPE|OS details|No exact OS)/.test(l)) {
      push("os", l.replace(/ \((If you know what OS|test conditions non-ideal).*\)\.$/, ""));
    } else if (/^(TCP\/IP fingerprint:|OS:)/.test(l)) {
      if (l.startsWith("OS:")) osLines.push(l);
      else push("os", l);
    } else if (l.startsWith("Network Distance:")) push("distance", l);
    else if (l.startsWith("Service Info:")) push("service info", l);
    else if (/^(TRACEROUTE|HOP|\d+ +[\d.]+ ms|\d+ +\.\.\.)/.test(l)) {
      push(
        "traceroute",
        l.replace(/using port \d+\/tcp/, "using port N/tcp").replace(/[\d.]+ ms/, "X ms")
          .replace(/ +/g, " "),
      );
    } else if (l.startsWith("OS and Service detection performed.")) {
      push("closing", "OS and Service");
    } else push("other", l);
    if (osLines.length && !l.startsWith("OS:")) {
      out.find((s) => s[0] === "os")?.[1].push(...fingerprintTests(osLines));
      osLines = [];
    }
  }
  if (osLines.length) out.find((s) => s[0] === "os")?.[1].push(...fingerprintTests(osLines));
  for (const s of out) {
    if (s[0] === "ports") s[1] = sortScriptsPerPort(s[1]);
    if (s[0] === "os" && !os) s[1] = ["(another database)"];
  }
  return out;
}

/**
 * Leaves out of both OS sections what only one of them has because of the machine's load: when
 * the OS probes' timing strays (nmap's maxTimingRatio over 1.4, "test conditions non-ideal"),
 * nmap and Porthole print their guesses instead of the fingerprint.
 */
export function alignOs(a: [string, string[]][], b: [string, string[]][]): void {
  const os = (x: [string, string[]][]) => x.find(([k]) => k === "os")?.[1] ?? [];
  const [oa, ob] = [os(a), os(b)];
  for (const marker of ["TCP/IP fingerprint:", "Aggressive OS guesses"]) {
    if (oa.includes(marker) === ob.includes(marker)) continue;
    for (const o of [oa, ob]) {
      const at = o.indexOf(marker);
      if (at < 0) continue;
      // The fingerprint's tests follow its line; the guesses are one line.
      o.splice(at, marker === "TCP/IP fingerprint:" ? o.length - at : 1);
    }
  }
}

/** The port table with each port's script blocks sorted (nmap's order is its memory's). */
function sortScriptsPerPort(lines: string[]): string[] {
  const out: string[] = [];
  let blocks: string[] = [];
  const flush = () => {
    out.push(...blocks.sort());
    blocks = [];
  };
  for (const l of lines) {
    if (!l.startsWith("|")) {
      flush();
      out.push(l);
    } else if (/^\|[ _][\w.-]+:/.test(l)) blocks.push(l.replace(/^\|_/, "| "));
    else blocks[blocks.length - 1] += "\n" + l.replace(/^\|_/, "| ");
  }
  flush();
  return out;
}

/** The trace port of a report: it must be one of the closed ports (not in the port table). */
function tracePort(report: string): number {
  const m = report.match(/^TRACEROUTE \(using port (\d+)\/tcp\)$/m);
  assert.ok(m, report);
  return Number(m[1]);
}

/** The <host> element's parts, normalised (see the module doc), by name in document order. */
export function xmlParts(xml: string): [string, string][] {
  const host = xml.match(/<host [^]*?<\/host>/)?.[0] ?? "";
  const body = host.replace(/^<host [^>]*>/, "").replace(/<\/host>$/, "");
  const parts: [string, string][] = [];
  for (const m of body.matchAll(/<(\w+)\b[^>]*?(?:\/>|>[^]*?<\/\1>)/g)) {
    const name = m[1]!;
    let text = m[0];
    switch (name) {
      case "ports":
        text = text.replace(
          /(<port [^>]*>[^]*?)((?:<script [^]*?<\/script>)+)(<\/port>)/g,
          (_, head, scripts: string, tail) =>
            head + (scripts.match(/<script [^]*?<\/script>/g) ?? []).sort().join("") + tail,
        );
        break;
      case "os": {
        // The fingerprint is there only when the OS probes' timing was ideal (see alignOs).
        const fp = text.match(/<osfingerprint fingerprint="([^"]*)"/)?.[1];
        const matches = [...text.matchAll(/<osmatch name="([^"]*)"/g)].map((x) => x[1]);
        text = text.replace(/<osmatch [^]*?<\/osmatch>\n?/g, "")
          .replace(/(<portused state="closed" proto="udp" portid=")\d+/, "$1N")
          .replace(/<osfingerprint [^>]*\/>\n?/, "");
        parts.push(["osmatch", matches.join("\n")]);
        if (fp) parts.push(["osfingerprint", fingerprintTests(fp.split("&#xa;")).join("\n")]);
        break;
      }
      case "trace":
        text = text.replace(/port="\d+"/, 'port="N"').replace(/rtt="[\d.]+"/g, 'rtt="X"');
        break;
      case "uptime":
      case "times":
      case "tcpsequence":
      case "tcptssequence":
        text = text.replace(/(\w+)="[^"]*"/g, (a, k) => (k === "class" ? a : `${k}="*"`));
        break;
      case "status":
        break;
    }
    parts.push([name, text]);
  }
  return parts;
}

Deno.test({
  name: "-A on the scanme lab: every section of nmap's -A, in nmap's order (normal and XML)",
  ignore: !haveNmapData || missingTools("nmap", "unshare", "mount").length > 0 ||
    (await labUnavailable()) !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using lab = await Lab.up({ tag: "aggr", scenario: "scanme" });
    const dir = await Deno.makeTempDir({ prefix: "ph-aggr-" });
    try {
      const target = "scanme.lab";
      const theirs = await lab.nmap(["-A", "-oX", `${dir}/n.xml`, target], { timeoutMs: 600_000 });
      assert.equal(theirs.code, 0, theirs.stderr);
      const nxml = await Deno.readTextFile(`${dir}/n.xml`);
      const closed = (report: string) => {
        const port = tracePort(report);
        assert.ok(!new RegExp(`^${port}/tcp `, "m").test(report), `${port} is in the table`);
        assert.match(report, /^Not shown: \d+ closed tcp ports/m);
      };
      closed(theirs.stdout);
      // Every section of -A is there to compare, in nmap's order.
      assert.deepEqual(sections(theirs.stdout).map(([kind]) => kind), [
        "report",
        "up",
        "host",
        "ports",
        "os",
        "distance",
        "service info",
        "traceroute",
        "closing",
      ], theirs.stdout);
      assert.match(theirs.stdout, /^\|_?http-title: Go ahead and ScanMe!$/m);

      await t.step("with nmap's data: nmap's scripts, nmap's OS database", async () => {
        const ours = await lab.porthole(
          ["-A", "--osdb", NMAP_OS_DB, "-oX", `${dir}/p.xml`, target],
          { timeoutMs: 600_000 },
        );
        assert.equal(ours.code, 0, ours.stdout + ours.stderr);
        closed(ours.stdout);
        const [a, b] = [sections(ours.stdout), sections(theirs.stdout)];
        alignOs(a, b);
        assert.deepEqual(a, b, ours.stdout);
        const mine = xmlParts(await Deno.readTextFile(`${dir}/p.xml`));
        const nmaps = xmlParts(nxml);
        // Porthole's best guess is one of nmap's (a tie's order moves with SEQ's values).
        const guesses = (p: [string, string][]) =>
          p.find(([k]) => k === "osmatch")![1].split("\n").filter((x) => x !== "");
        const best = guesses(mine)[0];
        if (guesses(nmaps).length) assert.ok(guesses(nmaps).includes(best!), `${best}`);
        const fp = (p: [string, string][]) => p.some(([k]) => k === "osfingerprint");
        const skip = fp(mine) === fp(nmaps) ? ["osmatch"] : ["osmatch", "osfingerprint"];
        const without = (p: [string, string][]) => p.filter(([k]) => !skip.includes(k));
        assert.deepEqual(without(mine), without(nmaps));
      });

      await t.step("bare host: the built-in scripts, Porthole's own databases", async () => {
        const ours = await portholeWithoutNmap(lab, ["-A", "-oX", `${dir}/b.xml`, target], {
          timeoutMs: 600_000,
        });
        assert.equal(ours.code, 0, ours.stdout + ours.stderr);
        closed(ours.stdout);
        assert.deepEqual(sections(ours.stdout, false), sections(theirs.stdout, false), ours.stdout);
        // Porthole's own database knows the lab's kernel, which nmap 7.93's predates.
        assert.match(ours.stdout, /^OS details: Linux \d+\.\d+/m);
        const parts = (p: [string, string][]) =>
          p.filter(([k]) => !["os", "osmatch", "osfingerprint"].includes(k));
        assert.deepEqual(
          parts(xmlParts(await Deno.readTextFile(`${dir}/b.xml`))),
          parts(xmlParts(nxml)),
        );
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
