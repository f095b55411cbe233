/**
 * Porthole's XML and grepable files against nmap's own, through nmap's own
 * consumers. nmap 7.93 scans a few TCP listeners on 127.0.0.1 and ::1 (-sT, loopback
 * only); the facts of its XML become a HostResult; our writers render them;
 * then ndiff must see no difference, xmllint must validate against nmap.dtd,
 * xsltproc+nmap.xsl must render the ports, and both files must equal nmap's
 * byte for byte (less the lines nmap writes about its progress).
 */

import { assert, assertEquals, assertMatch, assertNotMatch } from "./testing/output_samples.ts";
import type {
  HostResult,
  PortResult,
  PortState,
  RunInfo,
  RunSummary,
  ScanInfo,
} from "../cli/model/mod.ts";
import { XmlWriter } from "../cli/output/xml.ts";
import { GrepableWriter } from "../cli/output/grepable.ts";
import { FileSink } from "../cli/output/sink.ts";
import { readResumeState } from "../cli/output/resume.ts";
import { missingTools } from "./_oracle.ts";

async function run(
  cmd: string,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
}

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#\d+);/g, (_, e: string) => {
    switch (e) {
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "amp":
        return "&";
      case "quot":
        return '"';
      case "apos":
        return "'";
    }
    return String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

function attrsOf(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:-]+)="([^"]*)"/g)) out[m[1]!] = unescapeXml(m[2]!);
  return out;
}

/** The facts of an nmap XML file, as the shared model holds them. */
interface Facts {
  run: RunInfo;
  hosts: HostResult[];
  summary: RunSummary;
  stylesheet?: string;
}

/** Reads an nmap XML file (one written by nmap for a port scan) into the model. */
function factsFromNmapXml(xml: string): Facts {
  const nmaprun = attrsOf(/<nmaprun [^>]*>/.exec(xml)![0]);
  const scanInfo: ScanInfo[] = [...xml.matchAll(/<scaninfo [^>]*>/g)].map((m) => {
    const a = attrsOf(m[0]);
    return {
      type: a.type!,
      protocol: a.protocol as "tcp" | "udp",
      services: a.services!,
      numServices: Number(a.numservices),
    };
  });
  const run: RunInfo = {
    // nmap's args attribute is its join_quoted(argv); none of ours has spaces.
    args: nmaprun.args!.split(" "),
    startTime: Number(nmaprun.start) * 1000,
    version: nmaprun.version!,
    scanInfo,
    verbose: Number(attrsOf(/<verbose [^>]*>/.exec(xml)![0]).level),
    debugging: Number(attrsOf(/<debugging [^>]*>/.exec(xml)![0]).level),
  };
  const hosts: HostResult[] = [];
  for (const hm of xml.matchAll(/<host[ >][\s\S]*?<\/host>/g)) {
    const h = hm[0];
    const hostAttrs = attrsOf(/<host[^>]*>/.exec(h)![0]);
    const status = attrsOf(/<status [^>]*>/.exec(h)![0]);
    const addr = attrsOf(/<address [^>]*addrtype="ipv[46]"[^>]*>/.exec(h)![0]);
    const ports: PortResult[] = [];
    for (const pm of h.matchAll(/<port [^>]*>([\s\S]*?)<\/port>/g)) {
      const pa = attrsOf(/<port [^>]*>/.exec(pm[0])![0]);
      const st = attrsOf(/<state [^>]*>/.exec(pm[1]!)![0]);
      const port: PortResult = {
        protocol: pa.protocol as "tcp" | "udp",
        port: Number(pa.portid),
        state: st.state as PortState,
        reason: st.reason!,
        reasonTtl: Number(st.reason_ttl),
      };
      const sv = /<service [^>]*>/.exec(pm[1]!);
      if (sv) {
        const s = attrsOf(sv[0]);
        port.service = {
          name: s.name!,
          method: s.method as "table" | "probed",
          confidence: Number(s.conf),
        };
      }
      ports.push(port);
    }
    // Folded ports: expand each <extrareasons> back into individual results.
    for (const em of h.matchAll(/<extraports ([^>]*)>([\s\S]*?)<\/extraports>/g)) {
      const state = attrsOf(em[1]!).state as PortState;
      for (const rm of em[2]!.matchAll(/<extrareasons [^>]*>/g)) {
        const r = attrsOf(rm[0]);
        for (const part of r.ports!.split(",")) {
          const [lo, hi] = part.split("-").map(Number);
          for (let p = lo!; p <= (hi ?? lo!); p++) {
            ports.push({
              protocol: r.proto as "tcp",
              port: p,
              state,
              reason: r.reason!,
              reasonTtl: 0,
            });
          }
        }
      }
    }
    const host: HostResult = {
      address: addr.addr!,
      family: addr.addrtype === "ipv6" ? 6 : 4,
      otherAddresses: [],
      status: status.state as "up" | "down",
      statusReason: status.reason!,
      statusReasonTtl: Number(status.reason_ttl),
      ports: ports.reverse(), // any order: the writers sort
      startTime: Number(hostAttrs.starttime) * 1000,
      endTime: Number(hostAttrs.endtime) * 1000,
    };
    const ptr = /<hostname name="([^"]*)" type="PTR"/.exec(h);
    if (ptr) host.ptrHostname = unescapeXml(ptr[1]!);
    const user = /<hostname name="([^"]*)" type="user"/.exec(h);
    if (user) host.userHostname = unescapeXml(user[1]!);
    const t = /<times [^>]*>/.exec(h);
    if (t) {
      const ta = attrsOf(t[0]);
      host.times = { srtt: Number(ta.srtt), rttvar: Number(ta.rttvar), timeout: Number(ta.to) };
    }
    hosts.push(host);
  }
  const fin = attrsOf(/<finished [^>]*>/.exec(xml)![0]);
  const hs = attrsOf(/<hosts [^>]*>/.exec(xml)![0]);
  const summary: RunSummary = {
    endTime: Number(fin.time) * 1000,
    elapsedSeconds: Number(fin.elapsed),
    hostsUp: Number(hs.up),
    hostsDown: Number(hs.down),
    hostsTotal: Number(hs.total),
    exit: fin.exit as "success" | "error",
  };
  const ss = /<\?xml-stylesheet href="([^"]*)"/.exec(xml);
  return { run, hosts, summary, stylesheet: ss ? unescapeXml(ss[1]!) : undefined };
}

/** Listens on a few loopback ports inside a 40-port window; returns the window. */
function listenWindow(
  hostname: string,
): { base: number; listeners: Deno.Listener[]; open: number[] } {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const open = [base + 1, base + 2, base + 7];
    const listeners: Deno.Listener[] = [];
    try {
      for (const port of open) listeners.push(Deno.listen({ hostname, port }));
      return { base, listeners, open };
    } catch {
      for (const l of listeners) l.close();
    }
  }
  throw new Error("no free loopback ports");
}

function writeOurs(dir: string, facts: Facts) {
  const xmlPath = `${dir}/ours.xml`, gnmapPath = `${dir}/ours.gnmap`;
  const xmlSink = FileSink.open(xmlPath, false), gSink = FileSink.open(gnmapPath, false);
  const writers = [
    new XmlWriter(xmlSink, { stylesheet: facts.stylesheet ?? null, openOnly: false }),
    new GrepableWriter(gSink, { openOnly: false, versionDetection: false }),
  ];
  for (const w of writers) w.begin(facts.run);
  for (const h of facts.hosts) for (const w of writers) w.host(h);
  for (const w of writers) w.end(facts.summary);
  xmlSink.close();
  gSink.close();
  return { xmlPath, gnmapPath };
}

/** nmap's XML without the elements its progress meter adds. */
const withoutTasks = (s: string) =>
  s.split("\n").filter((l) => !/^<(taskbegin|taskend|taskprogress|hosthint)\b/.test(l)).join(
    "\n",
  );

// Folded closed ports (40-port window, -n) and listed ones with a PTR name and
// a services-table name (10-port window, "localhost" from /etc/hosts).
const cases = [
  { extra: ["-n", "--reason"], window: 40, target: "127.0.0.1" },
  { extra: ["-n", "-v"], window: 40, target: "127.0.0.1" },
  { extra: ["--reason"], window: 10, target: "127.0.0.1" },
  { extra: ["-6", "-n", "--reason"], window: 30, target: "::1" },
  // Raw scans (root): reply TTLs, resets, UDP's port-unreach and open|filtered.
  { extra: ["-sS", "-n", "--reason"], window: 30, target: "127.0.0.1" },
  { extra: ["-sU", "-n", "--reason"], window: 4, target: "127.0.0.1" },
];

for (const { extra, window, target } of cases) {
  const raw = extra.some((a) => /^-s[SU]$/.test(a));
  const name = `XML and grepable match nmap's own files (nmap ${raw ? "" : "-sT "}${
    extra.join(" ")
  } ${target}, ${window} ports)`;
  // Raw scans need root (the lab's usual condition); connect scans run anywhere.
  Deno.test({
    name,
    ignore: (raw && Deno.uid() !== 0) ||
      missingTools("nmap", "ndiff", "xmllint", "xsltproc").length > 0,
  }, async () => {
    const dir = await Deno.makeTempDir({ prefix: "ph-output-" });
    const { base, listeners, open } = listenWindow(target);
    try {
      // 22 is "ssh" in nmap-services; listeners show as open ports.
      const portSpec = extra.includes("-sU")
        ? `U:${base}-${base + window - 1}`
        : `22,${base}-${base + window - 1}`;
      const nmap = await run("nmap", [
        ...(raw ? [] : ["-sT"]),
        "-p",
        portSpec,
        ...extra,
        "-oX",
        `${dir}/nmap.xml`,
        "-oG",
        `${dir}/nmap.gnmap`,
        "-oN",
        `${dir}/nmap.nmap`,
        target,
      ]);
      assertEquals(nmap.code, 0, nmap.err);
      const nmapXml = await Deno.readTextFile(`${dir}/nmap.xml`);
      const facts = factsFromNmapXml(nmapXml);
      assertEquals(facts.hosts.length, 1);
      if (!extra.includes("-sU")) {
        for (const p of open) {
          assertEquals(facts.hosts[0]!.ports.find((x) => x.port === p)?.state, "open");
        }
      }

      const { xmlPath, gnmapPath } = writeOurs(dir, facts);
      const ours = await Deno.readTextFile(xmlPath);

      // ndiff: exit 0 means "no differences"; output may only repeat banners.
      const nd = await run("ndiff", [`${dir}/nmap.xml`, xmlPath]);
      assertEquals(nd.code, 0, `ndiff reported differences:\n${nd.out}${nd.err}`);
      assertNotMatch(nd.out, /^[-+]\s*\d+\/tcp/m);

      // Same bytes as nmap (its progress-meter elements aside).
      assertEquals(ours, withoutTasks(nmapXml));
      assertEquals(
        await Deno.readTextFile(gnmapPath),
        await Deno.readTextFile(`${dir}/nmap.gnmap`),
      );

      const lint = await run("xmllint", [
        "--noout",
        "--dtdvalid",
        "/usr/share/nmap/nmap.dtd",
        xmlPath,
      ]);
      assertEquals(lint.code, 0, lint.err);

      // --resume reads nmap's own three files (and ours) the same way.
      for (const f of ["nmap.xml", "nmap.gnmap", "nmap.nmap", "ours.xml", "ours.gnmap"]) {
        const st = readResumeState(`${dir}/${f}`);
        assertEquals(st.argv, facts.run.args.slice(1), f);
        assertEquals([...st.doneHosts], [target], f);
      }

      const html = await run("xsltproc", ["/usr/share/nmap/nmap.xsl", xmlPath]);
      assertEquals(html.code, 0, html.err);
      const listed = [...ours.matchAll(/<port protocol="\w+" portid="(\d+)"/g)].map((m) => m[1]);
      assert(listed.length > 0);
      for (const p of listed) assertMatch(html.out, new RegExp(`<td>${p}</td>`));
      assertMatch(html.out, new RegExp(target.replaceAll(".", "\\.")));
    } finally {
      for (const l of listeners) l.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
