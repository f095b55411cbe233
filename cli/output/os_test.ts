import { assertEquals } from "../../tests/testing/assert.ts";
import type { HostResult } from "../model/mod.ts";
import { parseFingerprint } from "../model/os_fingerprint.ts";
import { labSequence, NMAP_LAB_FINGERPRINT } from "../../tests/testing/os_testdata.ts";
import { osGrepable, osLines, osXml } from "./os.ts";
import type { OsClass, OsMatch, OsResult } from "../model/os.ts";

/** A match as nmap listed it: `pct` is what it printed (floor of the accuracy). */
function m(name: string, pct: number, line: number, classes: OsClass[]): OsMatch {
  return { name, accuracy: (pct + 0.5) / 100, line, classes };
}

/** nmap 7.93's guesses for the lab target (its XML, -O --osscan-guess -p 1,22,80). */
const NMAP_MATCHES: OsMatch[] = [
  m("Linux 5.3 - 5.4", 96, 68140, [{
    vendor: "Linux",
    family: "Linux",
    generation: "5.X",
    deviceType: "general purpose",
    cpe: ["cpe:/o:linux:linux_kernel:5"],
  }]),
  m("Linux 3.2", 95, 64664, [{
    vendor: "Linux",
    family: "Linux",
    generation: "3.X",
    deviceType: "general purpose",
    cpe: ["cpe:/o:linux:linux_kernel:3.2"],
  }]),
  m("Linux 3.1", 95, 62917, [{
    vendor: "Linux",
    family: "Linux",
    generation: "3.X",
    deviceType: "general purpose",
    cpe: ["cpe:/o:linux:linux_kernel:3.1"],
  }]),
  m("AXIS 210A or 211 Network Camera (Linux 2.6.17)", 94, 61815, [{
    vendor: "Linux",
    family: "Linux",
    generation: "2.6.X",
    deviceType: "webcam",
    cpe: ["cpe:/o:linux:linux_kernel:2.6.17"],
  }, {
    vendor: "AXIS",
    family: "embedded",
    deviceType: "webcam",
    cpe: ["cpe:/h:axis:210a_network_camera", "cpe:/h:axis:211_network_camera"],
  }]),
  m("Linux 3.2 - 4.9", 93, 65314, [{
    vendor: "Linux",
    family: "Linux",
    generation: "3.X",
    deviceType: "general purpose",
    cpe: ["cpe:/o:linux:linux_kernel:3"],
  }, {
    vendor: "Linux",
    family: "Linux",
    generation: "4.X",
    deviceType: "general purpose",
    cpe: ["cpe:/o:linux:linux_kernel:4"],
  }]),
  m("Linux 3.8", 93, 66159, [{
    vendor: "Linux",
    family: "Linux",
    generation: "3.X",
    deviceType: "general purpose",
    cpe: ["cpe:/o:linux:linux_kernel:3.8"],
  }]),
  m("Linux 4.15 - 5.6", 93, 67238, [{
    vendor: "Linux",
    family: "Linux",
    generation: "4.X",
    deviceType: "general purpose",
    cpe: ["cpe:/o:linux:linux_kernel:4"],
  }, {
    vendor: "Linux",
    family: "Linux",
    generation: "5.X",
    deviceType: "general purpose",
    cpe: ["cpe:/o:linux:linux_kernel:5"],
  }]),
  m("Linux 2.6.32 - 3.10", 93, 56571, [{
    vendor: "Linux",
    family: "Linux",
    generation: "2.6.X",
    deviceType: "general purpose",
    cpe: ["cpe:/o:linux:linux_kernel:2.6"],
  }, {
    vendor: "Linux",
    family: "Linux",
    generation: "3.X",
    deviceType: "general purpose",
    cpe: ["cpe:/o:linux:linux_kernel:3"],
  }]),
  m("ASUS RT-N56U WAP (Linux 3.4)", 93, 8398, [{
    vendor: "Asus",
    family: "embedded",
    deviceType: "WAP",
    cpe: ["cpe:/h:asus:rt-n56u"],
  }, {
    vendor: "Linux",
    family: "Linux",
    generation: "3.X",
    deviceType: "WAP",
    cpe: ["cpe:/o:linux:linux_kernel:3.4"],
  }]),
  m("Linux 3.16", 93, 64171, [{
    vendor: "Linux",
    family: "Linux",
    generation: "3.X",
    deviceType: "general purpose",
    cpe: ["cpe:/o:linux:linux_kernel:3.16"],
  }]),
];

const TM = 0x6B0707A0 * 1000;

function labHost(over: Partial<OsResult> = {}): HostResult {
  const os: OsResult = {
    portsUsed: { openTcp: 22, closedTcp: 1, closedUdp: 41230 },
    unreliable: false,
    outcome: "success",
    matches: NMAP_MATCHES,
    perfect: 0,
    rounds: [parseFingerprint(NMAP_LAB_FINGERPRINT)],
    db: "/usr/share/nmap/nmap-os-db",
    distance: 1,
    distanceMethod: "icmp",
    scan: { version: "7.93", platform: "x86_64-pc-linux-gnu", time: TM },
    sequence: labSequence(Math.floor(TM / 1000) - 1),
    tries: 5,
    ...over,
  };
  return {
    address: "10.216.1.1",
    family: 4,
    otherAddresses: [],
    status: "up",
    statusReason: "echo-reply",
    ports: [],
    startTime: 0,
    endTime: 0,
    os,
  };
}

/** What nmap printed (its submission URL is Porthole's here). */
const NMAP_NORMAL =
  `Aggressive OS guesses: Linux 5.3 - 5.4 (96%), Linux 3.2 (95%), Linux 3.1 (95%), AXIS 210A or 211 Network Camera (Linux 2.6.17) (94%), Linux 3.2 - 4.9 (93%), Linux 3.8 (93%), Linux 4.15 - 5.6 (93%), Linux 2.6.32 - 3.10 (93%), ASUS RT-N56U WAP (Linux 3.4) (93%), Linux 3.16 (93%)
No exact OS matches for host (If you know what OS is running on it, see https://nmap.org/submit/ ).
TCP/IP fingerprint:
${NMAP_LAB_FINGERPRINT}
Network Distance: 1 hop`;

/** What nmap wrote after </ports>, up to <times>. */
const NMAP_XML = `<os><portused state="open" proto="tcp" portid="22"/>
<portused state="closed" proto="tcp" portid="1"/>
<portused state="closed" proto="udp" portid="41230"/>
<osmatch name="Linux 5.3 - 5.4" accuracy="96" line="68140">
<osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="5.X" accuracy="96"><cpe>cpe:/o:linux:linux_kernel:5</cpe></osclass>
</osmatch>
<osmatch name="Linux 3.2" accuracy="95" line="64664">
<osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="3.X" accuracy="95"><cpe>cpe:/o:linux:linux_kernel:3.2</cpe></osclass>
</osmatch>
<osmatch name="Linux 3.1" accuracy="95" line="62917">
<osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="3.X" accuracy="95"><cpe>cpe:/o:linux:linux_kernel:3.1</cpe></osclass>
</osmatch>
<osmatch name="AXIS 210A or 211 Network Camera (Linux 2.6.17)" accuracy="94" line="61815">
<osclass type="webcam" vendor="Linux" osfamily="Linux" osgen="2.6.X" accuracy="94"><cpe>cpe:/o:linux:linux_kernel:2.6.17</cpe></osclass>
<osclass type="webcam" vendor="AXIS" osfamily="embedded" accuracy="94"><cpe>cpe:/h:axis:210a_network_camera</cpe><cpe>cpe:/h:axis:211_network_camera</cpe></osclass>
</osmatch>
<osmatch name="Linux 3.2 - 4.9" accuracy="93" line="65314">
<osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="3.X" accuracy="93"><cpe>cpe:/o:linux:linux_kernel:3</cpe></osclass>
<osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="4.X" accuracy="93"><cpe>cpe:/o:linux:linux_kernel:4</cpe></osclass>
</osmatch>
<osmatch name="Linux 3.8" accuracy="93" line="66159">
<osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="3.X" accuracy="93"><cpe>cpe:/o:linux:linux_kernel:3.8</cpe></osclass>
</osmatch>
<osmatch name="Linux 4.15 - 5.6" accuracy="93" line="67238">
<osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="4.X" accuracy="93"><cpe>cpe:/o:linux:linux_kernel:4</cpe></osclass>
<osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="5.X" accuracy="93"><cpe>cpe:/o:linux:linux_kernel:5</cpe></osclass>
</osmatch>
<osmatch name="Linux 2.6.32 - 3.10" accuracy="93" line="56571">
<osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="2.6.X" accuracy="93"><cpe>cpe:/o:linux:linux_kernel:2.6</cpe></osclass>
<osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="3.X" accuracy="93"><cpe>cpe:/o:linux:linux_kernel:3</cpe></osclass>
</osmatch>
<osmatch name="ASUS RT-N56U WAP (Linux 3.4)" accuracy="93" line="8398">
<osclass type="WAP" vendor="Asus" osfamily="embedded" accuracy="93"><cpe>cpe:/h:asus:rt-n56u</cpe></osclass>
<osclass type="WAP" vendor="Linux" osfamily="Linux" osgen="3.X" accuracy="93"><cpe>cpe:/o:linux:linux_kernel:3.4</cpe></osclass>
</osmatch>
<osmatch name="Linux 3.16" accuracy="93" line="64171">
<osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="3.X" accuracy="93"><cpe>cpe:/o:linux:linux_kernel:3.16</cpe></osclass>
</osmatch>
<osfingerprint fingerprint="OS:SCAN(V=7.93%E=4%D=11/25%OT=22%CT=1%CU=41230%PV=Y%DS=1%DC=I%G=Y%TM=6B0707&#xa;OS:A0%P=x86_64-pc-linux-gnu)SEQ(SP=108%GCD=2%ISR=10C%TI=Z%CI=Z%II=I%TS=21)O&#xa;OS:PS(O1=M5B4ST11NWA%O2=M5B4ST11NWA%O3=M5B4NNT11NWA%O4=M5B4ST11NWA%O5=M5B4S&#xa;OS:T11NWA%O6=M5B4ST11)WIN(W1=FE88%W2=FE88%W3=FE88%W4=FE88%W5=FE88%W6=FE88)E&#xa;OS:CN(R=Y%DF=Y%T=40%W=FAF0%O=M5B4NNSNWA%CC=Y%Q=)T1(R=Y%DF=Y%T=40%S=O%A=S+%F&#xa;OS:=AS%RD=0%Q=)T2(R=N)T3(R=N)T4(R=Y%DF=Y%T=40%W=0%S=A%A=Z%F=R%O=%RD=0%Q=)T5&#xa;OS:(R=Y%DF=Y%T=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)T6(R=Y%DF=Y%T=40%W=0%S=A%A=Z&#xa;OS:%F=R%O=%RD=0%Q=)T7(R=Y%DF=Y%T=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)U1(R=Y%DF=&#xa;OS:N%T=40%IPL=164%UN=0%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G)IE(R=Y%DFI=N%T=40%&#xa;OS:CD=S)&#xa;"/>
</os>
<uptime seconds="1" lastboot="Wed Nov 25 16:06:55 2026"/>
<distance value="1"/>
<tcpsequence index="264" difficulty="Good luck!" values="3BA37828,E6494193,58A43F0B,5698C6B2,3248CFD4,AD817952"/>
<ipidsequence class="All zeros" values="0,0,0,0,0,0"/>
<tcptssequence class="other" values="DAD09EB,18FD05A9,E85AAED6,83E129A1,AAB9D051,5B0128DD"/>
`;

const TZ_OK = new Date(TM).getTimezoneOffset() === 0;

Deno.test({
  name: "osLines: nmap's normal output for the lab target (guesses, no exact match)",
  ignore: !TZ_OK,
  fn: () => {
    const got = osLines(labHost(), { osscanGuess: true, verbose: 0, debug: 0 }, TM + 1000);
    const want = NMAP_NORMAL.replace(
      "https://nmap.org/submit/",
      "README.md",
    )
      .split("\n");
    assertEquals(got, want);
  },
});

Deno.test({
  name: "osXml: nmap's <os>, <uptime>, <distance> and sequence elements",
  ignore: !TZ_OK,
  fn: () => {
    assertEquals(osXml(labHost(), { verbose: 0, debug: 0 }, TM), NMAP_XML);
  },
});

Deno.test("osLines: perfect matches, -v lines, too many, unfit and unreliable", () => {
  const perfect = labHost({
    perfect: 2,
    matches: [m("Linux 6.18", 100, 10, NMAP_MATCHES[0]!.classes), m("Linux 6.X", 100, 20, [])],
  });
  perfect.os!.matches.forEach((x) => x.accuracy = 1);
  const lines = osLines(perfect, { verbose: 1, debug: 0 }, TM + 86400_000 * 2);
  assertEquals(lines.slice(0, 4), [
    "Device type: general purpose",
    "Running: Linux 5.X",
    "OS CPE: cpe:/o:linux:linux_kernel:5",
    "OS details: Linux 6.18, Linux 6.X",
  ]);
  assertEquals(lines[4]!.startsWith("Uptime guess: 2.000 days (since "), true);
  assertEquals(lines.slice(5), [
    "Network Distance: 1 hop",
    "TCP Sequence Prediction: Difficulty=264 (Good luck!)",
    "IP ID Sequence Generation: All zeros",
  ]);
  assertEquals(
    osGrepable(perfect),
    "\tOS: Linux 6.18|Linux 6.X\tSeq Index: 264\tIP ID Seq: All zeros",
  );
  // Guesses are not printed without --osscan-guess when the print is fit for submission.
  const plain = osLines(labHost(), { verbose: 0, debug: 0 });
  assertEquals(plain[0]!.startsWith("No exact OS matches for host"), true);
  // Unfit: guesses anyway, and no fingerprint unless -vv.
  const unfit = osLines(
    labHost({ omitReason: "Missing a closed TCP port so results incomplete" }),
    {
      verbose: 0,
      debug: 0,
    },
  );
  assertEquals(unfit.length, 3);
  assertEquals(unfit[0]!.startsWith("Aggressive OS guesses: Linux 5.3 - 5.4 (96%)"), true);
  assertEquals(unfit.slice(1), [
    "No exact OS matches for host (test conditions non-ideal).",
    "Network Distance: 1 hop",
  ]);
  const vv = osLines(labHost({ omitReason: "x" }), { verbose: 2, debug: 0 });
  assertEquals(vv.includes("OS fingerprint not ideal because: x"), true);
  assertEquals(vv.some((l) => l.startsWith("SCAN(V=7.93") && l.includes("%G=N%")), true);
  const many = osLines(labHost({ outcome: "toomanymatches", matches: [] }), {
    verbose: 0,
    debug: 0,
  });
  assertEquals(many[0], "Too many fingerprints match this host to give specific OS details");
  const none = osLines(labHost({ outcome: "nomatches", matches: [], unreliable: true }), {
    verbose: 0,
    debug: 0,
  });
  assertEquals(
    none[0],
    "Warning: OSScan results may be unreliable because we could not find at least 1 open and 1 closed port",
  );
  assertEquals(none[1]!.startsWith("No OS matches for host (If you know"), true);
  assertEquals(none[2], "TCP/IP fingerprint:");
  assertEquals(osLines({ ...labHost(), os: undefined }, { verbose: 1, debug: 0 }), []);
});

Deno.test({
  name: "osXml --deprecated-xml-osclass: each distinct class once, before empty osmatch elements",
  ignore: !TZ_OK,
  fn: () => {
    const got = osXml(labHost(), { verbose: 0, debug: 0, deprecatedXmlOsclass: true }, TM);
    // nmap's output.cc: printosclassificationoutput writes the classification's classes (the
    // first of each type/vendor/family/generation, with that match's accuracy), then
    // write_xml_osmatch closes each osmatch at once.
    const lines = NMAP_XML.split("\n");
    const classKey = (l: string) => l.replace(/ accuracy="\d+".*/, "");
    const seen = new Set<string>();
    const classes = lines.filter((l) =>
      l.startsWith("<osclass") && !seen.has(classKey(l)) && seen.add(classKey(l))
    );
    const matches = lines.filter((l) => l.startsWith("<osmatch")).map((l) => l.replace(/>$/, "/>"));
    const firstMatch = lines.findIndex((l) => l.startsWith("<osmatch"));
    const afterMatches = lines.findIndex((l) => l.startsWith("<osfingerprint"));
    const want = [
      ...lines.slice(0, firstMatch),
      ...classes,
      ...matches,
      ...lines.slice(afterMatches),
    ].join("\n");
    assertEquals(got, want);
  },
});
