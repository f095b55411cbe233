// nmap 7.93's own text for these option bytes (its --packet-trace and -d start-up lines).

import assert from "node:assert/strict";
import { formatIpOptions, ipOptionsAnnouncement } from "./ip_options_text.ts";
import { describeFrame } from "./packet_trace.ts";

const unhex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
const zeros = (n: number) => "00".repeat(n);

Deno.test("format_ip_options: what nmap's trace shows, sent and echoed by Linux", () => {
  const cases: [string, string][] = [
    [
      "01072704" + zeros(36),
      " NOP RR{#0.0.0.0 0.0.0.0 0.0.0.0 0.0.0.0 0.0.0.0 0.0.0.0 0.0.0.0 0.0.0.0 0.0.0.0}",
    ],
    ["44280500" + zeros(36), " TM{[0 hosts not recorded]#0 0 0 0 0 0 0 0 0 }"],
    [
      "44240501" + zeros(32),
      " TM{[0 hosts not recorded]#0.0.0.0@0 0.0.0.0@0 0.0.0.0@0 0.0.0.0@0 }",
    ],
    ["01830b047f0000017f000001", " NOP LSRR{#127.0.0.1 127.0.0.1}"],
    ["01890b0401020304" + zeros(4), " NOP SSRR{#1.2.3.4 0.0.0.0}"],
    ["07031000", " RR{ [bad ptr=16]} EOL"],
    ["88041234", " SI{id=4660}"],
    ["01020a10", " NOP ??{\\x02\\x0a\\x10}"],
    // Linux's RST answers, options echoed with its entries.
    [
      "44280d0001306ddc01306ddc" + zeros(28),
      " TM{[0 hosts not recorded] 19951068 19951068#0 0 0 0 0 0 0 }",
    ],
    [
      "442415017f000001013089307f00000101308930" + zeros(16),
      " TM{[0 hosts not recorded] 127.0.0.1@19958064 127.0.0.1@19958064#0.0.0.0@0 0.0.0.0@0 }",
    ],
    [
      "07270c7f0000017f000001" + zeros(28) + "00",
      " RR{ 127.0.0.1 127.0.0.1#0.0.0.0 0.0.0.0 0.0.0.0 0.0.0.0 0.0.0.0 0.0.0.0 0.0.0.0} EOL",
    ],
  ];
  for (const [bytes, text] of cases) assert.equal(formatIpOptions(unhex(bytes)), text, bytes);
});

Deno.test("the start-up lines of -d / --packet-trace: hex by 8 and 16, then the text", () => {
  assert.equal(
    ipOptionsAnnouncement(unhex("01830f040a0000010a000002" + zeros(4))),
    "Binary ip options to be send:\n" +
      "\\x01\\x83\\x0f\\x04\\x0a\\x00\\x00\\x01 \\x0a\\x00\\x00\\x02\\x00\\x00\\x00\\x00\n" +
      "Parsed ip options to be send:\n NOP LSRR{#10.0.0.1 10.0.0.2 0.0.0.0}\n",
  );
  assert.equal(
    ipOptionsAnnouncement(unhex("44240501" + zeros(32))),
    "Binary ip options to be send:\n" +
      `${"\\x44\\x24\\x05\\x01\\x00\\x00\\x00\\x00 " + "\\x00".repeat(8) + "\n"}` +
      `${"\\x00".repeat(8) + " " + "\\x00".repeat(8) + "\n"}` +
      `${"\\x00".repeat(4)}\n` +
      "Parsed ip options to be send:\n TM{[0 hosts not recorded]#0.0.0.0@0 0.0.0.0@0 0.0.0.0@0 0.0.0.0@0 }\n",
  );
  // Under 8 bytes nmap prints only the parsed line.
  assert.equal(
    ipOptionsAnnouncement(unhex("88041234")),
    "Parsed ip options to be send:\n SI{id=4660}\n",
  );
});

Deno.test("--packet-trace: nmap's SENT line of an LSRR SYN (its frame, captured on lo)", () => {
  const frame = unhex(
    "48000038892200003206de027f0000010a000009" + "01830b040a0000097f000001" +
      "cb5900079d76e7e3000000006002040045690000020405b4",
  );
  assert.equal(
    describeFrame(frame, 12),
    "TCP 127.0.0.1:52057 > 10.0.0.9:7 S ttl=50 id=35106 iplen=56 ipopts={ NOP LSRR{#10.0.0.9 127.0.0.1}} seq=2641815523 win=1024 <mss 1460>",
  );
});
