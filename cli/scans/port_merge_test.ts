import assert from "node:assert/strict";
import type { PortResult } from "../model/mod.ts";
import { mergeScanResults } from "./port_merge.ts";

const sctp = (port: number, state: PortResult["state"], reason: string): PortResult => ({
  protocol: "sctp",
  port,
  state,
  reason,
});

Deno.test("-sY then -sZ: nmap's one port list (as nmap 7.93 showed them in the sctp lab)", () => {
  const ports = [
    sctp(80, "open", "init-ack"),
    sctp(81, "closed", "abort"),
    sctp(1000, "filtered", "no-response"),
    sctp(1002, "filtered", "port-unreach"),
  ];
  mergeScanResults(ports, [
    sctp(80, "open|filtered", "no-response"),
    sctp(81, "closed", "abort"),
    sctp(1000, "open|filtered", "no-response"),
    sctp(1002, "filtered", "port-unreach"),
  ], "sctpcookieecho");
  assert.deepEqual(ports.map((p) => `${p.port} ${p.state} ${p.reason}`), [
    "80 open init-ack",
    "81 closed abort",
    "1000 open|filtered no-response",
    "1002 filtered port-unreach",
  ]);
});

Deno.test("the second scan's answers replace by nmap's rules; a first scan alone is filed as is", () => {
  const ports: PortResult[] = [];
  mergeScanResults(
    ports,
    [sctp(1, "open", "init-ack"), sctp(2, "filtered", "port-unreach")],
    "sctpinit",
  );
  assert.equal(ports.length, 2);
  // COOKIE-ECHO (silence means open|filtered): an ABORT closes an open port, as nmap allows.
  mergeScanResults(
    ports,
    [sctp(1, "closed", "abort"), sctp(2, "closed", "abort")],
    "sctpcookieecho",
  );
  assert.deepEqual(ports.map((p) => p.state), ["closed", "closed"]);
  // A closed port stays closed.
  mergeScanResults(ports, [sctp(1, "filtered", "port-unreach")], "sctpinit");
  assert.equal(ports[0]!.state, "closed");
});

Deno.test("the same port number of another protocol is a port of its own", () => {
  const ports: PortResult[] = [{ protocol: "tcp", port: 80, state: "open", reason: "syn-ack" }];
  mergeScanResults(ports, [sctp(80, "closed", "abort"), sctp(81, "open", "init-ack")], "sctpinit");
  assert.deepEqual(ports.map((p) => `${p.protocol}/${p.port} ${p.state}`), [
    "tcp/80 open",
    "sctp/80 closed",
    "sctp/81 open",
  ]);
});
