/**
 * -sS / -sT / IPv6 on the scanme replica, nmap's answer as the expected one
 * (both run in the same lab, one after the other).
 */

import { assertEquals } from "./testing/assert.ts";
import { labTest, normalise, ok, oracleStep, tables, withLab } from "./scan_lab.ts";

const PORTS = "22,25,80,135,139,443,9929,31337";

Deno.test(
  labTest("scan: scanme tables equal nmap's (-sS top 1000, -sS -6, -sT, --reason)", async (t) => {
    await withLab({ tag: "ssyn", scenario: "scanme" }, async (lab) => {
      const v4 = lab.target.v4, v6 = lab.target.v6;
      const expectScanme = (text: string, addr: string) => {
        const h = tables(text)[addr];
        if (!h) throw new Error(`no report for ${addr}:\n${text}`);
        return h;
      };

      await t.step("-sS, default top 1000 ports", async (t) => {
        const p = ok(await lab.porthole(["-T4", "-n", "-sS", v4]), "porthole");
        const ph = expectScanme(p, v4);
        // The scenario's rules, whatever nmap says.
        assertEquals(ph.ports, [
          "22/tcp open ssh",
          "25/tcp filtered smtp",
          "80/tcp open http",
          "135/tcp filtered msrpc",
          "139/tcp filtered netbios-ssn",
          "9929/tcp open nping-echo",
          "31337/tcp open Elite",
        ]);
        assertEquals(ph.notShown, "993 closed tcp ports (reset)");
        await oracleStep(t, "nmap", async () => {
          const n = ok(await lab.nmap(["-T4", "-n", "-sS", v4]), "nmap");
          assertEquals(ph, expectScanme(n, v4));
          assertEquals(normalise(p), normalise(n));
        });
      });

      await t.step("-sS -6", async (t) => {
        const args = ["-T4", "-n", "-6", "-p", PORTS, v6];
        const p = expectScanme(ok(await lab.porthole(args), "porthole"), v6);
        assertEquals(p.ports.filter((r) => r.includes(" open ")).length, 4);
        await oracleStep(t, "nmap", async () => {
          assertEquals(p, expectScanme(ok(await lab.nmap(args), "nmap"), v6));
        });
      });

      await t.step("-sT", async (t) => {
        const args = ["-T4", "-n", "-sT", "-p", PORTS, v4];
        const out = ok(await lab.porthole(args), "porthole");
        const p = expectScanme(out, v4);
        assertEquals(p.ports.includes("443/tcp closed https"), true);
        await oracleStep(t, "nmap", async () => {
          assertEquals(normalise(out), normalise(ok(await lab.nmap(args), "nmap")));
        });
      });

      await t.step("--reason (reason words and TTLs)", async (t) => {
        const args = ["-T4", "-n", "-sS", "--reason", "-p", PORTS, v4];
        const out = ok(await lab.porthole(args), "porthole");
        const rows = out.split("\n").filter((l) => /^\d+\/tcp/.test(l));
        assertEquals(rows.some((l) => /^22\/tcp\s+open\s+ssh\s+syn-ack ttl 64$/.test(l)), true);
        assertEquals(rows.some((l) => /^25\/tcp\s+filtered\s+smtp\s+no-response$/.test(l)), true);
        assertEquals(rows.some((l) => /^443\/tcp\s+closed\s+https\s+reset ttl 64$/.test(l)), true);
        await oracleStep(t, "nmap", async () => {
          const n = ok(await lab.nmap(args), "nmap");
          assertEquals(rows, n.split("\n").filter((l) => /^\d+\/tcp/.test(l)));
        });
      });
    });
  }),
);
