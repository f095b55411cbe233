import { deepEqual as assertEquals } from "node:assert/strict";
import { masscanOpenRows, portTable, tableDiff } from "./port_table.ts";

const NMAP = `Starting Nmap 7.93 ( https://nmap.org ) at 2026-11-25 15:00 UTC
Nmap scan report for scanme.lab (10.200.1.1)
Host is up (0.000050s latency).
Not shown: 993 closed tcp ports (reset)
PORT      STATE    SERVICE
22/tcp    open     ssh
25/tcp    filtered smtp
80/tcp    open     http
68/udp    open|filtered dhcpc

Nmap done: 1 IP address (1 host up) scanned in 1.30 seconds
`;

Deno.test("portTable reads rows and the folded summary", () => {
  const t = portTable(NMAP);
  assertEquals(t.rows, ["22/tcp open", "25/tcp filtered", "68/udp open|filtered", "80/tcp open"]);
  assertEquals(t.folded, "Not shown: 993 closed tcp ports (reset)");
});

Deno.test("tableDiff compares port by port, folded ports taking the folded state", () => {
  const e = portTable(NMAP);
  assertEquals(tableDiff(e, e), []);
  const changed = portTable(NMAP.replace("25/tcp    filtered", "25/tcp    closed"));
  assertEquals(tableDiff(e, changed), ["25/tcp closed, expected filtered"]);
  // Listing a port the reference folded as closed, with the same state, is no difference.
  const listed = portTable(NMAP.replace("PORT      STATE", "PORT      STATE\n113/tcp   closed"));
  assertEquals(tableDiff(e, listed), []);
  const wrongListed = portTable(
    NMAP.replace("PORT      STATE", "PORT      STATE\n113/tcp   open|filtered"),
  );
  assertEquals(tableDiff(e, wrongListed), ["113/tcp open|filtered, expected closed"]);
});

Deno.test("masscanOpenRows groups open ports per host", () => {
  const out = "Discovered open port 22/tcp on 10.1.0.1\nDiscovered open port 80/tcp on 10.1.0.1\n" +
    "Discovered open port 80/tcp on 10.1.0.2\n";
  const m = masscanOpenRows(out);
  assertEquals([...m.get("10.1.0.1")!].sort(), ["22/tcp open", "80/tcp open"]);
  assertEquals(m.size, 2);
});
