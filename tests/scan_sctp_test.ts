/**
 * -sY (SCTP INIT scan) and -PY (SCTP INIT ping) on the "sctp" scenario — listeners answered by
 * the lab's userspace SCTP responder (INIT ACK / ABORT), nftables policies (drop, port and
 * admin unreachable) — against the scenario's own rules and against nmap in the same lab.
 */

import { assertEquals } from "../cli/engine/_assert.ts";
import { labTest, ok, oracleStep, withLab } from "./scan_lab.ts";

function rows(text: string): string[] {
  return text.split("\n").filter((l) => /^\d+\/sctp/.test(l)).map((l) => l.replace(/\s+/g, " "));
}

function status(text: string): string[] {
  return text.split("\n").filter((l) => /^Host is|^Nmap scan report/.test(l));
}

const PORTS = ["-p", "80,81,1000,1002,1003,2905"];

Deno.test(
  labTest("scan: -sY states and reasons, and -PY discovery, equal nmap's", async (t) => {
    await withLab({ tag: "sctp", scenario: "sctp" }, async (lab) => {
      const v4 = lab.target.v4;
      const base = ["-n", "--reason", ...PORTS];

      await t.step("-sY against the rules themselves", async () => {
        const out = ok(await lab.porthole([...base, "-sY", "-Pn", v4]), "porthole");
        assertEquals(rows(out), [
          "80/sctp open http init-ack ttl 64",
          "81/sctp closed unknown abort ttl 64",
          "1000/sctp filtered unknown no-response",
          "1002/sctp filtered unknown port-unreach ttl 64",
          "1003/sctp filtered unknown admin-prohibited ttl 64",
          "2905/sctp open m3ua init-ack ttl 64",
        ]);
      });

      for (const args of [["-sY", "-Pn"], ["-sY", "-T4"], ["-sY", "-sS", "-p", "S:80,T:22"]]) {
        await oracleStep(t, "nmap", async () => {
          const all = [...base, ...args, v4];
          const p = ok(await lab.porthole(all), "porthole");
          const n = ok(await lab.nmap(all), "nmap");
          assertEquals(rows(p), rows(n));
        }, `${args.join(" ")} equals nmap's`);
      }

      for (const ping of ["-PY", "-PY81", "-PY1000"]) {
        await oracleStep(t, "nmap", async () => {
          const all = ["-n", "--reason", "-sn", ping, v4];
          const p = ok(await lab.porthole(all), "porthole");
          const n = ok(await lab.nmap(all), "nmap");
          assertEquals(status(p), status(n));
        }, `-sn ${ping} equals nmap's`);
      }
    });
  }),
);
