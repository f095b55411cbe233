/**
 * `--resume` end to end on the lab's many-hosts LAN (root only): a real SYN
 * scan written to -oG and -oX is interrupted with SIGINT while its second
 * host group is being scanned, then resumed from the grepable file. The
 * files of the two runs together must give every host the table an
 * uninterrupted scan gives (states and reasons, XML included), the hosts the
 * first run finished must not be scanned again, and a host cut short must be
 * scanned only on the ports it still lacked.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { labTest, ok, parseNmapNormal, withLab } from "./scan_lab.ts";
import type { Lab } from "./lab/mod.ts";

const PORTS = "1-1000,3306,5432,6000-6009,8080,9100";
const PORT_COUNT = 1000 + 2 + 10 + 2;
// Two hosts a group, 1000 probes/s: each group scans for about two seconds,
// long enough to be interrupted part-way.
const ARGS = ["-sS", "-n", "-v", "--max-hostgroup", "2", "--max-rate", "1000", "-p", PORTS];

/** A map as a plain object with sorted keys (for assertEquals). */
const plain = (m: Map<string, string>) => Object.fromEntries([...m].sort());

/** The last grepable "Ports:" line of each host, by address (later runs win). */
function grepablePorts(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^Host: (\S+) \([^)]*\)\tPorts: (.*)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/** The last <ports> block of each host in an XML file (states, reasons, TTLs). */
function xmlPorts(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/<host[\s>][\s\S]*?<\/host>/g)) {
    const a = /<address addr="([^"]*)" addrtype="ipv4"/.exec(m[0]);
    const p = /<ports>[\s\S]*<\/ports>/.exec(m[0]);
    if (a && p) out.set(a[1]!, p[0]);
  }
  return out;
}

async function txPackets(lab: Lab): Promise<number> {
  const r = ok(
    await lab.runInScanner(["cat", "/sys/class/net/eth0/statistics/tx_packets"]),
    "tx_packets",
  );
  return Number(r.trim());
}

async function xmllint(path: string): Promise<void> {
  const r = await new Deno.Command("xmllint", { args: ["--noout", path], stderr: "piped" })
    .output();
  assert(r.success, `xmllint ${path}: ${new TextDecoder().decode(r.stderr)}`);
}

Deno.test(
  labTest("output: --resume after SIGINT continues inside the host it cut short", async () => {
    await withLab({ tag: "rsresume", scenario: "many-hosts" }, async (lab) => {
      const dir = await Deno.makeTempDir({ prefix: "ph-rsresume-" });
      try {
        const targets = lab.targets.map((t) => t.v4);
        const dark = lab.targets.find((t) => t.spec.dark)!.v4;
        const lit = targets.filter((a) => a !== dark);

        // The uninterrupted scan: the expected tables.
        const clean = { g: `${dir}/clean.gnmap`, x: `${dir}/clean.xml` };
        const full = ok(
          await lab.porthole([...ARGS, "-oG", clean.g, "-oX", clean.x, ...targets], {
            timeoutMs: 60_000,
          }),
          "clean scan",
        );
        assertEquals(full.match(/^Host is up/gm)?.length, lit.length, full);
        const want = grepablePorts(await Deno.readTextFile(clean.g));
        const wantXml = xmlPorts(await Deno.readTextFile(clean.x));
        assertEquals([...want.keys()].sort(), [...lit].sort());

        // The interrupted scan: SIGINT a little after the second group's SYN
        // scan began (the first group is written by then).
        const g = `${dir}/run.gnmap`, x = `${dir}/run.xml`;
        const [cmd, ...args] = await lab.portholeArgv([...ARGS, "-oG", g, "-oX", x, ...targets]);
        const child = new Deno.Command(cmd!, {
          args,
          cwd: new URL("..", import.meta.url).pathname,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        let stdout = "";
        const reading = (async () => {
          const dec = new TextDecoder();
          for await (const chunk of child.stdout) stdout += dec.decode(chunk, { stream: true });
        })();
        const stderr = new Response(child.stderr).text();
        let sent = false;
        try {
          for (let i = 0; i < 300 && !sent; i++) {
            await new Promise((r) => setTimeout(r, 50));
            const scans = stdout.match(/^Initiating SYN Stealth Scan/gm)?.length ?? 0;
            if (scans >= 2 && grepablePorts(await Deno.readTextFile(g)).size >= 1) {
              await new Promise((r) => setTimeout(r, 700));
              child.kill("SIGINT");
              sent = true;
            }
          }
        } finally {
          if (!sent) child.kill("SIGKILL");
        }
        const status = await child.status;
        await reading;
        assert(sent, `the scan never reached its second group:\n${stdout}`);
        assertEquals(status.code, 130, await stderr);

        const partText = await Deno.readTextFile(g);
        assert(!/^# Nmap done/m.test(partText), partText);
        await xmllint(x);
        // Finished hosts: reported with no progress record after the report.
        const reported = grepablePorts(partText);
        const cutShort = [...partText.matchAll(/^# Progress for (\S+) at \d+: /gm)].map((m) =>
          m[1]!
        );
        const done = [...reported.keys()].filter((a) => !cutShort.includes(a));
        assert(done.length >= 1 && done.length < lit.length, partText);
        assert(cutShort.length >= 1, `no host was cut short:\n${partText}`);
        for (const a of done) assertEquals(reported.get(a), want.get(a), `finished host ${a}`);

        // Resume from the grepable file.
        const tx0 = await txPackets(lab);
        const r = await lab.porthole(["--resume", g], { timeoutMs: 60_000 });
        const resumed = ok(r, "resume");
        const tx = (await txPackets(lab)) - tx0;

        // Finished hosts are not scanned (nor reported) again.
        const again = parseNmapNormal(resumed).map((h) => h.address);
        for (const a of done) assert(!again.includes(a), `${a} rescanned:\n${resumed}`);
        for (const a of cutShort) assert(again.includes(a), `${a} not resumed:\n${resumed}`);
        // The cut-short hosts (one group, scanned first) lacked only part of the ports.
        const first = /^Initiating SYN Stealth Scan.*\nScanning .* \[(\d+) ports?/m.exec(resumed);
        assert(first, resumed);
        const left = Number(first[1]);
        assert(left < PORT_COUNT, resumed);
        // Probes: a full scan of each host not reached before, the missing
        // ports of those cut short, discovery and a few retransmissions; a
        // rescanned host would add hundreds more.
        const fresh = lit.filter((a) => !done.includes(a) && !cutShort.includes(a)).length;
        const budget = fresh * PORT_COUNT + cutShort.length * left + 200;
        assert(tx < budget, `sent ${tx} frames, expected under ${budget}`);

        // Both runs' files together hold the uninterrupted scan's tables.
        const after = await Deno.readTextFile(g);
        assert(/^# Nmap done/m.test(after), after);
        assertEquals(plain(grepablePorts(after)), plain(want));
        await xmllint(x);
        const xml = await Deno.readTextFile(x);
        assertEquals(plain(xmlPorts(xml)), plain(wantXml));
        // One <host> per host: the cut-short hosts' part-way blocks were dropped.
        // (<hosthint> elements, written after discovery, name the hosts too.)
        const hostsOnly = xml.replace(/<hosthint>[\s\S]*?<\/hosthint>\n?/g, "");
        const blocks = [...hostsOnly.matchAll(/<address addr="([^"]*)" addrtype="ipv4"/g)].map((
          m,
        ) => m[1]!);
        assertEquals(blocks.length, new Set(blocks).size, xml);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }),
);
