/**
 * Every TCP scan type on the "policies" scenario (one port per firewall
 * policy: drop, reset, port-unreachable, admin-prohibited, accept), with
 * --reason, against nmap in the same lab; -sS also against the rules alone.
 */

import { assertEquals } from "./testing/assert.ts";
import { labTest, ok, oracleStep, withLab } from "./scan_lab.ts";

function rows(text: string): string[] {
  return text.split("\n").filter((l) => /^\d+\/tcp/.test(l)).map((l) => l.replace(/\s+/g, " "));
}

Deno.test(
  labTest(
    "scan: -sS/-sF/-sN/-sX/-sA/-sW/-sM/--scanflags states and reasons equal nmap's",
    async (t) => {
      await withLab({ tag: "stypes", scenario: "policies" }, async (lab) => {
        const v4 = lab.target.v4, v6 = lab.target.v6;
        const base = ["-T4", "-n", "--reason", "-p", "1000-1006"];

        await t.step("-sS against the policies themselves", async () => {
          const out = ok(await lab.porthole([...base, "-sS", v4]), "porthole");
          assertEquals(rows(out), [
            "1000/tcp filtered cadlock no-response",
            "1001/tcp closed webpush reset ttl 64",
            "1002/tcp filtered windows-icfw port-unreach ttl 64",
            "1003/tcp filtered unknown admin-prohibited ttl 64",
            "1004/tcp open unknown syn-ack ttl 64",
            "1005/tcp closed unknown reset ttl 64",
            "1006/tcp closed unknown reset ttl 64",
          ]);
        });

        const cases: [string, string[]][] = [
          ["-sF", [v4]],
          ["-sN", [v4]],
          ["-sX", [v4]],
          ["-sA", [v4]],
          ["-sW", [v4]],
          ["-sM", [v4]],
          ["--scanflags=SYNFIN", [v4]],
          ["-sS", ["-6", v6]],
          ["-sA", ["-6", v6]],
        ];
        for (const [flag, rest] of cases) {
          await oracleStep(t, "nmap", async () => {
            const args = [...base, flag, ...rest];
            const p = ok(await lab.porthole(args), "porthole");
            const n = ok(await lab.nmap(args), "nmap");
            assertEquals(rows(p), rows(n));
          }, `${flag} ${rest.join(" ")} equals nmap's`);
        }
      });
    },
  ),
);
