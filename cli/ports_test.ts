import { assert, assertEquals, assertThrows } from "../tests/testing/assert.ts";
import {
  parsePortExpression,
  parseSimplePortList,
  POPULAR_TCP_PORTS,
  scanOrder,
  selectPorts,
} from "./ports.ts";
import { defaultServicesDb, parseServicesFile } from "./services_db.ts";
import { UsageError } from "./errors.ts";
import { compactPortList } from "./output/format.ts";
import { missingTools } from "../tests/_oracle.ts";

const db = defaultServicesDb();
const TCP = { tcp: true, udp: false };
const BOTH = { tcp: true, udp: true };
const ports = (e: string, want = TCP) => parsePortExpression(e, want, db);

Deno.test("port expressions: ranges, lists, open ends, prefixes", () => {
  assertEquals(ports("22").tcp, [22]);
  assertEquals(ports("22,80-82, 443").tcp, [22, 80, 81, 82, 443]);
  assertEquals(ports("-3").tcp, [1, 2, 3]);
  assertEquals(ports("65533-").tcp, [65533, 65534, 65535]);
  assertEquals(ports("-").tcp.length, 65535); // 1-65535: port 0 only when named
  assertEquals(ports("0").tcp, [0]);
  const r = ports("T:21-22,U:53,161", BOTH);
  assertEquals(r.tcp, [21, 22]);
  assertEquals(r.udp, [53, 161]);
  // An unprefixed item applies to every protocol being scanned.
  assertEquals(ports("22", BOTH), { tcp: [22], udp: [22], sctp: [], ip: [], warnings: [] });
  assertEquals(ports("1,1").warnings.length, 1); // duplicate warning, nmap's wording
  assertEquals(ports("1,2,").tcp, [1, 2]); // one trailing comma is fine
});

Deno.test("port expressions: every port of a four-port stretch is found, each in its protocol", () => {
  // ports.ts reads the table four entries at a time and skips empty stretches.
  assertEquals(ports("0-1,3-5,7,8,11,65532,65535").tcp, [0, 1, 3, 4, 5, 7, 8, 11, 65532, 65535]);
  const r = ports("T:4,6,U:5,7,65534", BOTH);
  assertEquals(r.tcp, [4, 6]);
  assertEquals(r.udp, [5, 7, 65534]);
  assertEquals(parseSimplePortList("3,4,65535", "udp", db), [3, 4, 65535]);
});

Deno.test("port expressions: service names, wildcards and [] (table ports only)", () => {
  assertEquals(ports("ssh,http").tcp, [22, 80, 8008]); // 8008/tcp is also named "http"
  const web = ports("http*").tcp;
  assert(web.includes(80) && web.includes(443) && web.includes(8080) && web.includes(280));
  assertEquals(ports("[34-38]").tcp, [34, 35, 37, 38]); // 36/tcp is not in the table
  assertEquals(ports("domain", BOTH), { tcp: [53], udp: [53], sctp: [], ip: [], warnings: [] });
  assertEquals(ports("U:domain", BOTH).tcp, []);
});

Deno.test("port expressions: nmap's error messages", () => {
  const bad: [string, string][] = [
    ["1-0", "Your port range 1-0 is backwards. Did you mean 0-1?"],
    ["65536", "Ports specified must be between 0 and 65535 inclusive"],
    ["1-70000", "Ports specified must be between 0 and 65535 inclusive"],
    ["X:1", "Error parsing port list: Unknown protocol specifier 'X'."],
    [
      "Foo",
      'Error #485: Your port specifications are illegal.  Example of proper form: "-100,200-1024,T:3000-4000,U:60000-"',
    ],
    ["1-x", "Error #486"],
    ["22x", "Error #487"],
    ["22 23", "Error #487"],
    ["1-2 3", "Error #488"],
    [
      "nosuchservice",
      "Found no matches for the service mask 'nosuchservice' and your specified protocols",
    ],
    ["[1-5,[6]]", "Can't nest [] brackets in port/protocol specification"],
    ["1]", "Unexpected ] character in port/protocol specification"],
    ["[36]", "No ports specified -- If you really don't want to scan any ports use ping scan..."],
  ];
  for (const [expr, msg] of bad) {
    const e = assertThrows(() => ports(expr), UsageError, msg);
    assertEquals(e.render().endsWith("\nQUITTING!\n"), true);
  }
});

Deno.test("ping port lists take no T:/U: prefixes (getpts_simple)", () => {
  assertEquals(parseSimplePortList("22,80-81", "tcp", db), [22, 80, 81]);
  assertThrows(
    () => parseSimplePortList("T:22", "tcp", db),
    UsageError,
    'Example of proper form: "-100,200-1024,3000-4000,60000-"',
  );
});

Deno.test("selection: default top 1000 TCP, -F top 100, UDP, exclusions", () => {
  const sel = (o: Partial<Parameters<typeof selectPorts>[0]>) =>
    selectPorts({ fast: false, tcp: true, udp: false, ...o }, db);
  const d = sel({});
  assertEquals(d.tcp.length, 1000);
  assertEquals(d.udp, []);
  assert(d.tcp.includes(31337) && d.tcp.includes(9929) && d.tcp.includes(22));
  assertEquals(d.tcp, [...d.tcp].sort((a, b) => a - b));
  assertEquals(sel({ fast: true }).tcp.length, 100);
  assertEquals(sel({ udp: true, tcp: false }).udp.length, 1000);
  assertEquals(sel({ topPorts: 3 }).tcp, [23, 80, 443]);
  // --exclude-ports with the default still yields 1000 ports: top 1000 of what remains.
  const ex = sel({ exclude: "80" });
  assertEquals(ex.tcp.length, 1000);
  assert(!ex.tcp.includes(80));
  // -p with --top-ports: the most common ports within the -p set.
  assertEquals(sel({ expression: "1-100", topPorts: 2 }).tcp, [23, 80]);
  assertEquals(sel({ expression: "22,80", exclude: "22" }).tcp, [80]);
  assertEquals(sel({ portRatio: 0.2 }).tcp, [23, 80, 443]);
  const warn = sel({ expression: "U:53" });
  assertEquals(warn.tcp, []);
  assert(warn.warnings.some((w) => w.includes('"U:" but you haven\'t specified UDP scan')));
});

Deno.test("selection with an old-style services file (no ratios)", () => {
  const old = parseServicesFile("foo 80/tcp\nbar 81/tcp\nbaz 2000/tcp\n", "old");
  const s = (o: Partial<Parameters<typeof selectPorts>[0]>) =>
    selectPorts({ fast: false, tcp: true, udp: false, ...o }, old);
  assertEquals(s({ fast: true }).tcp, [80, 81, 2000]);
  assertEquals(s({}).tcp.length, 1024 + 1); // 1-1024 plus the named ports above
  assertThrows(() => s({ topPorts: 5 }), UsageError, "old style (no-ratio) services file");
});

Deno.test("scan order: -r keeps ascending; shuffling is a permutation with popular ports first", () => {
  const d = selectPorts({ fast: false, tcp: true, udp: false }, db).tcp;
  assertEquals(scanOrder(d, "tcp", false), d);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const s = scanOrder(d, "tcp", true, rnd);
  assertEquals([...s].sort((a, b) => a - b), d);
  const popular = POPULAR_TCP_PORTS.filter((p) => d.includes(p));
  assertEquals(new Set(s.slice(0, popular.length)), new Set(popular));
});

async function nmapScaninfo(args: string[]): Promise<Record<string, string> | undefined> {
  // Loopback only; --host-timeout ends the scan at once: we only want the header.
  let out;
  try {
    out = await new Deno.Command("nmap", {
      args: [
        "-oX",
        "-",
        "-Pn",
        "-n",
        "--max-retries",
        "0",
        "--host-timeout",
        "1ms",
        ...args,
        "127.0.0.1",
      ],
      stdout: "piped",
      stderr: "null",
    }).output();
  } catch {
    return undefined; // nmap not installed
  }
  const xml = new TextDecoder().decode(out.stdout);
  const res: Record<string, string> = {};
  for (
    const m of xml.matchAll(
      /<scaninfo type="\w+" protocol="(\w+)" numservices="\d+" services="([^"]*)"/g,
    )
  ) {
    res[m[1]!] = m[2]!;
  }
  return res;
}

function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

Deno.test({
  name: "port selection equals nmap 7.93's scaninfo (loopback)",
  ignore: missingTools("nmap").length > 0,
  fn: async () => {
    // -sT needs no privileges; -sS/-sU (for UDP lists) need root.
    const raw = isRoot();
    const cases: [string[], Parameters<typeof selectPorts>[0]][] = [
      [["-sS"], { fast: false, tcp: true, udp: false }],
      [["-sS", "--top-ports", "1000"], { fast: false, tcp: true, udp: false, topPorts: 1000 }],
      [["-sS", "-sU", "-F"], { fast: true, tcp: true, udp: true }],
      [["-sU"], { fast: false, tcp: false, udp: true }],
      [["-sS", "--port-ratio", "0.01", "--exclude-ports", "80"], {
        fast: false,
        tcp: true,
        udp: false,
        portRatio: 0.01,
        exclude: "80",
      }],
      [["-sS", "--exclude-ports", "1-100"], {
        fast: false,
        tcp: true,
        udp: false,
        exclude: "1-100",
      }],
      [["-sS", "-p", "1-2000", "--top-ports", "50"], {
        fast: false,
        tcp: true,
        udp: false,
        expression: "1-2000",
        topPorts: 50,
      }],
      [["-sS", "--top-ports", "5000"], { fast: false, tcp: true, udp: false, topPorts: 5000 }],
      [["-sS", "-p", "ssh,http"], { fast: false, tcp: true, udp: false, expression: "ssh,http" }],
      [["-sS", "-sU", "-p", "domain,U:snmp,T:1-3"], {
        fast: false,
        tcp: true,
        udp: true,
        expression: "domain,U:snmp,T:1-3",
      }],
      [["-sS", "-p", "http*,[1-30]"], {
        fast: false,
        tcp: true,
        udp: false,
        expression: "http*,[1-30]",
      }],
    ];
    for (const [args0, sel] of cases) {
      if (!raw && args0.includes("-sU")) continue;
      const args = raw ? args0 : args0.map((a) => (a === "-sS" ? "-sT" : a));
      const nmap = await nmapScaninfo(args);
      if (nmap === undefined) return;
      const mine = selectPorts(sel, db);
      if (sel.tcp) assertEquals(compactPortList(mine.tcp), nmap.tcp, args.join(" "));
      if (sel.udp) assertEquals(compactPortList(mine.udp), nmap.udp, args.join(" "));
    }
  },
});

Deno.test("port expressions: whole ranges over fresh and already-taken ports", () => {
  // A fresh range is filled at once; one overlapping an earlier item still warns.
  assertEquals(ports("-", BOTH).udp.length, 65535);
  const r = ports("1-10,5-20");
  assertEquals(r.tcp, Array.from({ length: 20 }, (_, i) => i + 1));
  assertEquals(r.warnings.length, 1);
  const all = ports("[1-10],-");
  assertEquals(all.tcp.length, 65535);
  assertEquals(all.warnings.length, 1);
  assertEquals(ports("100-200,1-50").warnings, []);
  assertEquals(ports("100-200,1-50").tcp.length, 151);
});
