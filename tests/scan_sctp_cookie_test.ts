/**
 * -sZ (SCTP COOKIE-ECHO scan) and --adler32 on the "sctp" scenario, against the scenario's rules
 * and against nmap 7.93 in the same lab. The lab's SCTP responder drops a COOKIE ECHO on a
 * listening port and ABORTs it elsewhere, and it checks checksums as a receiver does (CRC32c, or
 * RFC 2960's Adler-32, answered in kind; anything else dropped): so an --adler32 scan answered
 * as a CRC32c one shows that the Adler-32 the target received was right, and --badsum shows the
 * check is real.
 */

import { assertEquals } from "./testing/assert.ts";
import { labTest, ok, oracleStep, withLab } from "./scan_lab.ts";

function rows(text: string): string[] {
  return text.split("\n").filter((l) => /^\d+\/sctp/.test(l)).map((l) => l.replace(/\s+/g, " "));
}

const PORTS = ["-p", "80,81,1000,1002,1003,2905"];

Deno.test(
  labTest("scan: -sZ states and reasons, and --adler32, equal nmap's", async (t) => {
    await withLab({ tag: "sctpz", scenario: "sctp" }, async (lab) => {
      const v4 = lab.target.v4;
      const base = ["-n", "--reason", "-Pn", ...PORTS];

      await t.step("-sZ against the rules themselves", async () => {
        const out = ok(await lab.porthole([...base, "-sZ", v4]), "porthole");
        assertEquals(rows(out), [
          "80/sctp open|filtered http no-response",
          "81/sctp closed unknown abort ttl 64",
          "1000/sctp open|filtered unknown no-response",
          "1002/sctp filtered unknown port-unreach ttl 64",
          "1003/sctp filtered unknown admin-prohibited ttl 64",
          "2905/sctp open|filtered m3ua no-response",
        ]);
      });

      await t.step("--adler32 -sY: the responder took the Adler-32 and answered", async () => {
        const out = ok(await lab.porthole([...base, "-sY", "--adler32", v4]), "porthole");
        assertEquals(rows(out).slice(0, 2), [
          "80/sctp open http init-ack ttl 64",
          "81/sctp closed unknown abort ttl 64",
        ]);
        // A wrong checksum is dropped: the check is real.
        const bad = ok(
          await lab.porthole([...base, "-sY", "--adler32", "--badsum", "--max-retries", "0", v4]),
          "porthole",
        );
        assertEquals(rows(bad).slice(0, 2), [
          "80/sctp filtered http no-response",
          "81/sctp filtered unknown no-response",
        ]);
      });

      const cases = [
        ["-sZ"],
        ["-sZ", "-T4"],
        ["-sZ", "--adler32"],
        ["-sY", "--adler32"],
        ["-sZ", "-v"],
        ["-sZ", "--ip-options", "R"],
        // Both: one port list, updated by the second scan as nmap's is.
        ["-sY", "-sZ"],
      ];
      for (const args of cases) {
        await oracleStep(t, "nmap", async () => {
          const all = [...base, ...args, v4];
          const p = ok(await lab.porthole(all), "porthole");
          const n = ok(await lab.nmap(all), "nmap");
          assertEquals(rows(p), rows(n));
        }, `${args.join(" ")} equals nmap's`);
      }

      await oracleStep(t, "nmap", async () => {
        // The phase line and nmap's XML scaninfo.
        const args = ["-n", "-Pn", "-sZ", "-v", "-p", "80,81", v4, "-oX", "-"];
        const lines = (s: string) =>
          s.split("\n").filter((l) => /<scaninfo|<port |COOKIE-ECHO Scan/.test(l)).map((l) =>
            l.replace(/ at \d\d:\d\d.*$/, "").replace(/(time|starttime|endtime)="\d+"/g, "$1=T")
          );
        const p = ok(await lab.porthole(args), "porthole");
        const n = ok(await lab.nmap(args), "nmap");
        assertEquals(lines(p), lines(n));
      }, "-sZ -v -oX - (phase, scaninfo, ports) equals nmap's");
    });
  }),
);
