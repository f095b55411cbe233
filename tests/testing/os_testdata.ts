/** Data shared by the OS detection unit tests. @module */

import type { OsSequence } from "../../cli/model/os.ts";

/** A database written for these tests (not nmap's). */
export const SMALL_DB = `# a comment
MatchPoints
SEQ(SP=25%GCD=75%ISR=25%TI=100%CI=50%II=100%SS=80%TS=100)
OPS(O1=20%O2=20%O3=20%O4=20%O5=20%O6=20)
WIN(W1=15%W2=15%W3=15%W4=15%W5=15%W6=15)
ECN(R=100%DF=20%T=15%TG=15%W=15%O=15%CC=100%Q=20)
T1(R=100%DF=20%T=15%TG=15%S=20%A=20%F=30%RD=20%Q=20)
T2(R=80%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)
U1(R=50%DF=20%T=15%TG=15%IPL=100%UN=100%RIPL=100%RID=100%RIPCK=100%RUCK=100%RUD=100)
IE(R=50%DFI=40%T=15%TG=15%CD=100)

# first
Fingerprint Example OS 1.0 # trailing comment
Class Example | ExampleOS | 1.X | general purpose
CPE cpe:/o:example:exampleos:1 auto
CPE cpe:/o:example:exampleos
Class Example | ExampleOS || router
SEQ(TI=Z%TS=A)
OPS(O1=M5B4ST11NW7)
T1(R=Y%DF=Y%T=40%S=O%A=S+%F=AS%RD=0%Q=)
T2(R=N)
U1(DF=N%T=40%IPL=164%UN=0%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G)
# a comment inside a record
IE(DFI=N%T=40%CD=S)
Fingerprint Example OS 2.0
Class Example | ExampleOS | 2.X | general purpose
T2(R=N)
T1(R=Y%DF=Y%T=40%S=O%A=S+%F=AS%RD=0%Q=)

Fingerprint Other Thing
Class Other | embedded || printer
T1(R=Y%DF=N%T=FF%S=Z%A=Z%F=R%RD=0%Q=)
`;

/**
 * What nmap 7.93 printed for the scanme lab target (a Linux 6.18 network namespace) with
 * `nmap -O --osscan-guess -p 1,22,80`, and the guess list it gave against its own
 * /usr/share/nmap/nmap-os-db (names, floor(accuracy), database line).
 */
export const NMAP_LAB_FINGERPRINT =
  `OS:SCAN(V=7.93%E=4%D=11/25%OT=22%CT=1%CU=41230%PV=Y%DS=1%DC=I%G=Y%TM=6B0707
OS:A0%P=x86_64-pc-linux-gnu)SEQ(SP=108%GCD=2%ISR=10C%TI=Z%CI=Z%II=I%TS=21)O
OS:PS(O1=M5B4ST11NWA%O2=M5B4ST11NWA%O3=M5B4NNT11NWA%O4=M5B4ST11NWA%O5=M5B4S
OS:T11NWA%O6=M5B4ST11)WIN(W1=FE88%W2=FE88%W3=FE88%W4=FE88%W5=FE88%W6=FE88)E
OS:CN(R=Y%DF=Y%T=40%W=FAF0%O=M5B4NNSNWA%CC=Y%Q=)T1(R=Y%DF=Y%T=40%S=O%A=S+%F
OS:=AS%RD=0%Q=)T2(R=N)T3(R=N)T4(R=Y%DF=Y%T=40%W=0%S=A%A=Z%F=R%O=%RD=0%Q=)T5
OS:(R=Y%DF=Y%T=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)T6(R=Y%DF=Y%T=40%W=0%S=A%A=Z
OS:%F=R%O=%RD=0%Q=)T7(R=Y%DF=Y%T=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)U1(R=Y%DF=
OS:N%T=40%IPL=164%UN=0%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G)IE(R=Y%DFI=N%T=40%
OS:CD=S)
`;

/** The SEQ replies behind NMAP_LAB_FINGERPRINT (six ISNs, zero IP IDs, TSvals), booted at `lastBoot`. */
export function labSequence(lastBoot: number): OsSequence {
  return {
    responses: 6,
    index: 264,
    seqs: [0x3BA37828, 0xE6494193, 0x58A43F0B, 0x5698C6B2, 0x3248CFD4, 0xAD817952],
    ipIds: [0, 0, 0, 0, 0, 0],
    timestamps: [0xDAD09EB, 0x18FD05A9, 0xE85AAED6, 0x83E129A1, 0xAAB9D051, 0x5B0128DD],
    ipIdClass: "zero",
    tsClass: "other",
    lastBoot,
  };
}
