import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { defaultProbePort, parseZombieSpec } from "./idle_link.ts";

Deno.test("idle link: -sI ZOMBIE[:PORT] split as nmap splits it", () => {
  assertEquals(parseZombieSpec("10.0.0.5"), { name: "10.0.0.5" });
  assertEquals(parseZombieSpec("zombie.lab:443"), { name: "zombie.lab", port: 443 });
  for (const bad of ["z:", "z:0", "z:0x50", "z:80a"]) {
    throws(
      () => parseZombieSpec(bad),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message === `Invalid port number given in IP ID zombie specification: ${bad}`,
    );
  }
});

Deno.test("idle link: the probe port nmap picks when -sI names none", () => {
  const d = { synPorts: [], ackPorts: [], skip: false, explicit: false };
  assertEquals(defaultProbePort(d), 443); // nmap's default pings: a SYN to 443
  assertEquals(defaultProbePort({ ...d, skip: true }), 80); // -Pn
  assertEquals(defaultProbePort({ ...d, explicit: true }), 80); // -PE only
  assertEquals(defaultProbePort({ ...d, explicit: true, synPorts: [22, 25] }), 22);
  assertEquals(defaultProbePort({ ...d, explicit: true, ackPorts: [8080] }), 8080);
});
