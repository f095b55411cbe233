import { assert, assertEquals, assertThrows } from "../tests/testing/assert.ts";
import {
  defaultServicesDb,
  parseServicesFile,
  servicesDbFor,
  wildcardRegExp,
} from "./services_db.ts";
import { UsageError } from "./errors.ts";

Deno.test("built-in table: names, counts and ratios from nmap-services 7.93", () => {
  const db = defaultServicesDb();
  assertEquals(db.name("tcp", 22), "ssh");
  assertEquals(db.name("udp", 53), "domain");
  assertEquals(db.name("tcp", 31337), "Elite");
  assertEquals(db.name("tcp", 9929), "nping-echo");
  assertEquals(db.name("tcp", 4), "unknown");
  assertEquals(db.name("tcp", 65432), undefined);
  assertEquals(db.count("tcp"), 8366);
  assertEquals(db.count("udp"), 19022);
  assert(db.hasRatios);
  // The most common TCP port in nmap's table is 80, then 23 and 443.
  assertEquals(db.byRatio("tcp").slice(0, 3).map((e) => e.port), [80, 23, 443]);
  assertEquals(db.byRatio("udp")[0]!.port, 631);
  // 0.484143 exactly as strtod reads it.
  assertEquals(db.byRatio("tcp")[0]!.ratio, 0.484143);
});

Deno.test("built-in table matches /usr/share/nmap/nmap-services when installed", () => {
  let text: string;
  try {
    text = Deno.readTextFileSync("/usr/share/nmap/nmap-services");
  } catch {
    return; // nmap-common not installed
  }
  const file = parseServicesFile(text, "nmap-services");
  const db = defaultServicesDb();
  for (const proto of ["tcp", "udp"] as const) {
    assertEquals(db.rows(proto), file.rows(proto));
    // The precomputed --top-ports order is nmap's stable sort of the file's rows.
    assertEquals(db.portsByFrequency(proto), file.byRatio(proto).map((e) => e.port));
    assertEquals(file.portsByFrequency(proto), file.byRatio(proto).map((e) => e.port));
  }
});

Deno.test("a data directory's nmap-services: the built-in table when it is nmap's own file, else the file", () => {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync("/usr/share/nmap/nmap-services");
  } catch {
    return; // nmap-common not installed
  }
  const same = Deno.makeTempDirSync({ prefix: "ph-services-" });
  const edited = Deno.makeTempDirSync({ prefix: "ph-services-" });
  try {
    Deno.writeFileSync(`${same}/nmap-services`, bytes);
    assert(servicesDbFor(undefined, same) === defaultServicesDb());
    // One byte changed past the first chunk read (64 KiB), the size unchanged: the file's own rows.
    const text = new TextDecoder().decode(bytes);
    const at = text.indexOf("\nElite\t31337/tcp");
    assert(at > 1 << 16, "nmap-services 7.93 names 31337/tcp Elite");
    Deno.writeTextFileSync(`${edited}/nmap-services`, text.replace("\nElite\t", "\nElitE\t"));
    const db = servicesDbFor(undefined, edited);
    assert(db !== defaultServicesDb());
    assertEquals(db.name("tcp", 31337), "ElitE");
  } finally {
    Deno.removeSync(same, { recursive: true });
    Deno.removeSync(edited, { recursive: true });
  }
});

Deno.test("built-in table: frequency order agrees with byRatio, zero-ratio rows last", () => {
  const db = defaultServicesDb();
  for (const proto of ["tcp", "udp"] as const) {
    const order = db.portsByFrequency(proto);
    assertEquals(order, db.byRatio(proto).map((e) => e.port));
    assertEquals(new Set(order).size, db.count(proto));
  }
  assertEquals(db.portsByFrequency("tcp").slice(0, 3), [80, 23, 443]);
});

Deno.test("parseServicesFile: ratio forms, duplicates, comments, old format", () => {
  const db = parseServicesFile(
    "# c\nfoo\t10/tcp\t0.5\t# x\nbar\t10/tcp\t0.9\nbaz 11/tcp 1/4\nqux 12/udp\n",
    "f",
  );
  assertEquals(db.name("tcp", 10), "foo"); // first row wins
  assertEquals(db.byRatio("tcp").map((e) => e.ratio), [0.5, 0.25]);
  assertEquals(db.name("udp", 12), "qux");
  assert(db.hasRatios);
  assertEquals(parseServicesFile("a 1/tcp\nb 2/tcp\n", "old").hasRatios, false);
  assertThrows(() => parseServicesFile("a 1/tcp 3/2\n", "f"), UsageError, "All ratios must be < 1");
  assertThrows(() => parseServicesFile("a 1/tcp 1/0\n", "f"), UsageError, "denominator of 0");
});

Deno.test("byRatio keeps file order among equal ratios (nmap's stable list sort)", () => {
  const db = parseServicesFile("a 5/tcp 0.1\nb 1/tcp 0.2\nc 3/tcp 0.1\nd 2/tcp 0.1\n", "f");
  assertEquals(db.byRatio("tcp").map((e) => e.name), ["b", "a", "c", "d"]);
  assertEquals(db.portsByFrequency("tcp"), [1, 5, 3, 2]);
});

Deno.test("wildcard masks behave like nmap's wildtest()", () => {
  assert(wildcardRegExp("http*").test("http-proxy"));
  assert(wildcardRegExp("http*").test("HTTP"));
  assert(!wildcardRegExp("http?").test("http"));
  assert(wildcardRegExp("?com-*").test("3com-tsmux"));
  assert(wildcardRegExp("x11:?").test("X11:1"));
  assert(!wildcardRegExp("ssh").test("sshell"));
});
