import { assertEquals } from "../../tests/testing/assert.ts";
import { parseProbeDb } from "./probe_db.ts";
import { INTENSITY_ALL, INTENSITY_LIGHT, probeOrder } from "./plan.ts";

const db = parseProbeDb(
  [
    "Probe TCP NULL q||",
    "match ssh m|^SSH|",
    "Probe TCP Common q|a|",
    "rarity 1",
    "match x m|^a|",
    "Probe TCP ForPort80 q|b|",
    "rarity 9",
    "ports 80",
    "sslports 443",
    "match http m|^HTTP|",
    "Probe TCP Mid q|c|",
    "rarity 5",
    "match ftp m|^220|",
    "Probe TCP Rare q|d|",
    "rarity 8",
    "match http m|^HTTP|",
    "Probe UDP U1 q|e|",
    "rarity 1",
    "ports 53",
    "match domain m|^x|",
    "Probe UDP U2 q|f|",
    "rarity 6",
    "match snmp m|^y|",
  ].join("\n"),
  "t",
);
const names = (ps: { name: string }[]) => ps.map((p) => p.name);

Deno.test("plan: probes listing the port first, whatever their rarity, then by rarity", () => {
  assertEquals(names(probeOrder(db, "tcp", 80, 7)), ["ForPort80", "Common", "Mid"]);
  assertEquals(names(probeOrder(db, "tcp", 22, 7)), ["Common", "Mid"]);
});

Deno.test("plan: intensity bounds the rarity of other probes (--version-light, --version-all)", () => {
  assertEquals(names(probeOrder(db, "tcp", 22, INTENSITY_LIGHT)), ["Common"]);
  assertEquals(names(probeOrder(db, "tcp", 22, 0)), []);
  assertEquals(names(probeOrder(db, "tcp", 22, INTENSITY_ALL)), [
    "Common",
    "ForPort80",
    "Mid",
    "Rare",
  ]);
  assertEquals(names(probeOrder(db, "tcp", 80, 0)), ["ForPort80"]);
});

Deno.test("plan: inside TLS, sslports replaces ports", () => {
  assertEquals(names(probeOrder(db, "tcp", 443, 7, true)), ["ForPort80", "Common", "Mid"]);
  assertEquals(names(probeOrder(db, "tcp", 80, 7, true)), ["Common", "Mid"]);
});

Deno.test("plan: after a softmatch only probes that can name the service, rarity aside", () => {
  assertEquals(names(probeOrder(db, "tcp", 22, 2, false, "http")), ["ForPort80", "Rare"]);
  assertEquals(names(probeOrder(db, "tcp", 80, 2, false, "http")), ["ForPort80", "Rare"]);
  assertEquals(names(probeOrder(db, "tcp", 22, INTENSITY_ALL, false, "http")).length, 4);
});

Deno.test("plan: UDP probes have no NULL probe and their own list", () => {
  assertEquals(names(probeOrder(db, "udp", 53, 7)), ["U1", "U2"]);
  assertEquals(names(probeOrder(db, "udp", 161, 5)), ["U1"]);
});
