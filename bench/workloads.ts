/**
 * The bench's workloads: each names a lab scenario and the command line each tool runs
 * against it. TARGET in an argument list stands for the scenario's target address.
 */

import { ADVERSE_PORTS, ANYIP_OPEN_TCP, FAR_PORTS } from "../tests/lab/mod.ts";

export type ToolName = "porthole" | "nmap" | "masscan";

export interface Workload {
  name: string;
  /** What the row measures, for the table. */
  title: string;
  scenario: string;
  lossPercent?: number;
  icmpRatelimit?: boolean;
  /** Arguments per tool; a tool missing here does not run this workload. */
  args: Partial<Record<ToolName, string[]>>;
  /**
   * What counts as the right answer: nmap's table from the same round, nmap's table on a clean
   * lab of the same scenario (no loss, no ICMP rate limits: nmap is exact there), or the count
   * of open host-ports of the AnyIP range, or the loss-free table the scenario's rules give its
   * first host (where nmap's own answer varies run to run).
   */
  reference: "nmap" | "nmap-clean" | "anyip-count" | "rules" | "none";
  /** Sysctls set in the target after the lab is up (e.g. one of the kernel's two ICMP limits). */
  targetSysctls?: string[];
  /** Report the physical floor of a UDP scan under ICMP rate limits: closed ports past the
   * burst of 6, one per second. */
  icmpFloor?: boolean;
  /** Runs per tool (interleaved); quick mode runs each once. */
  runs: number;
  /** Tools that run once even in a full bench, because one run takes minutes. */
  slowTools?: ToolName[];
  /** Porthole only: run it as this many shards at once (`--shards N --shard I --seed 1`), each
   * in a scanner namespace of its own; wall time is the last shard's end, per-shard times are
   * noted. */
  shards?: number;
  /** Porthole only: note when its first probe left (PORTHOLE_DEBUG_TIMING's mark, in ms since
   * the runtime started), median of the runs. */
  firstProbe?: boolean;
  /** Part of --quick (which must finish in under two minutes). */
  quick: boolean;
  timeoutMs: number;
}

const ANYIP_PORTS = ANYIP_OPEN_TCP.join(",");

/**
 * An adverse network (issue 24): Porthole's default timing three times beside nmap's default
 * timing once (it takes minutes), on the same ports; the answer is the loss-free table.
 */
function adverse(scenario: string, title: string, ports = ADVERSE_PORTS): Workload {
  const args = ["-sS", "-n", "-p", ports, "TARGET"];
  return {
    name: `adverse-${scenario}`,
    title: `-sS -p ${ports}, ${title}`,
    scenario,
    args: { porthole: args, nmap: args },
    reference: "rules",
    runs: 3,
    slowTools: ["nmap"],
    quick: false,
    timeoutMs: 1_200_000,
  };
}

export const WORKLOADS: Workload[] = [
  {
    name: "syn-top1000",
    title: "-sS top-1000, scanme",
    scenario: "scanme",
    args: { porthole: ["-sS", "TARGET"], nmap: ["-sS", "-T4", "TARGET"] },
    reference: "nmap",
    runs: 5,
    firstProbe: true,
    quick: true,
    timeoutMs: 120_000,
  },
  {
    name: "syn-allports",
    title: "-sS -p-, scanme",
    scenario: "scanme",
    args: { porthole: ["-sS", "-p-", "TARGET"], nmap: ["-sS", "-T4", "-p-", "TARGET"] },
    reference: "nmap",
    runs: 3,
    quick: true,
    timeoutMs: 300_000,
  },
  {
    name: "connect",
    title: "-sT top-1000, scanme",
    scenario: "scanme",
    args: { porthole: ["-sT", "TARGET"], nmap: ["-sT", "-T4", "TARGET"] },
    reference: "nmap",
    runs: 3,
    quick: true,
    timeoutMs: 120_000,
  },
  {
    // The "rate limits off": the per-peer limit off, the kernel's global ICMP budget
    // (1000/s, burst 50) as it comes — where nmap 7.93 takes about 96 s.
    name: "udp",
    title: "-sU top-1000, scanme, per-peer ICMP limit off",
    scenario: "scanme",
    icmpRatelimit: false,
    targetSysctls: ["net.ipv4.icmp_msgs_per_sec=1000", "net.ipv4.icmp_msgs_burst=50"],
    args: { porthole: ["-sU", "TARGET"], nmap: ["-sU", "-T4", "TARGET"] },
    reference: "nmap-clean",
    runs: 3,
    slowTools: ["nmap"],
    quick: false,
    timeoutMs: 600_000,
  },
  {
    name: "udp-nolimits",
    title: "-sU top-1000, scanme, no ICMP limits at all",
    scenario: "scanme",
    icmpRatelimit: false,
    args: { porthole: ["-sU", "TARGET"], nmap: ["-sU", "-T4", "TARGET"] },
    reference: "nmap",
    runs: 3,
    quick: true,
    timeoutMs: 300_000,
  },
  {
    name: "udp-ratelimited",
    title: "-sU -p 1-150, kernel's default ICMP rate limits",
    scenario: "ratelimited-udp",
    icmpRatelimit: true,
    args: {
      porthole: ["-sU", "-p", "1-150", "TARGET"],
      nmap: ["-sU", "-T4", "-p", "1-150", "TARGET"],
    },
    reference: "nmap-clean",
    icmpFloor: true,
    runs: 2,
    slowTools: ["nmap"],
    quick: false,
    timeoutMs: 600_000,
  },
  {
    name: "version",
    title: "-sV -p22,80,9929,31337, scanme",
    scenario: "scanme",
    args: {
      porthole: ["-sV", "-p", "22,80,9929,31337", "TARGET"],
      nmap: ["-sV", "-T4", "-p", "22,80,9929,31337", "TARGET"],
    },
    reference: "nmap",
    runs: 3,
    quick: true,
    timeoutMs: 120_000,
  },
  {
    // -A (issue 19): -sS top-1000, -sV, -sC, -O and --traceroute in one run.
    name: "aggressive",
    title: "-A top-1000, scanme",
    scenario: "scanme",
    args: { porthole: ["-A", "TARGET"], nmap: ["-A", "-T4", "TARGET"] },
    reference: "nmap",
    runs: 3,
    quick: false,
    timeoutMs: 300_000,
  },
  {
    name: "loss20",
    title: "-sS top-1000, 20% loss each way",
    scenario: "scanme",
    lossPercent: 20,
    // nmap needs about 20 minutes here (measured): it runs only in the full bench, once.
    args: { porthole: ["-sS", "TARGET"], nmap: ["-sS", "-T4", "TARGET"] },
    reference: "nmap-clean",
    runs: 5,
    slowTools: ["nmap"],
    quick: true,
    timeoutMs: 1_800_000,
  },
  {
    name: "anyip16",
    title: "/16 × 100 ports through AnyIP",
    scenario: "anyip16",
    args: {
      porthole: ["-sS", "-n", "-Pn", "--open", "-p", ANYIP_PORTS, "ANYIP", "-oG", "RESULTFILE"],
      // masscan's defaults are a rate of 100 and a 10 s wait; it cannot find the lab's route
      // itself, so it is told the interface, source and next hop.
      masscan: [
        "ANYIP",
        "-p",
        ANYIP_PORTS,
        "--rate",
        "2000000",
        "--wait",
        "1",
        "-e",
        "eth0",
        "--adapter-ip",
        "SCANNERIP",
        "--router-mac",
        "ROUTERMAC",
      ],
    },
    reference: "anyip-count",
    runs: 2,
    quick: false,
    timeoutMs: 600_000,
  },
  // The sharding figures: the same /16 × 100 ports split over 1, 2 and 4 shards running
  // at once on this one machine (one scanner namespace each, as pods would be). They share its
  // cores and the one target namespace, so they show the split's overhead, not a cluster's gain.
  ...[1, 2, 4].map((n): Workload => ({
    name: `anyip16-shards${n}`,
    title: `/16 × 100 ports, ${n} shard${n === 1 ? "" : "s"} in parallel`,
    scenario: "anyip16",
    args: {
      porthole: ["-sS", "-n", "-Pn", "--open", "-p", ANYIP_PORTS, "ANYIP", "-oG", "RESULTFILE"],
    },
    shards: n,
    reference: "anyip-count",
    runs: 1,
    quick: false,
    timeoutMs: 900_000,
  })),
  // The overloaded target and the adverse networks of issue 24: nmap's answer varies run to run
  // there, so the reference is the loss-free table of the scenario's rules.
  adverse("busy", "overloaded target (busy neighbour)", "1-1500"),
  adverse("syn-limit", "firewall passing 100 SYNs/s"),
  adverse("rst-limit", "host sending 100 RSTs/s"),
  adverse("jitter", "50-250 ms random delay each way"),
  adverse("bursty", "bursty loss each way (50 ms bursts)"),
  adverse("asymmetric", "30% loss of replies only"),
  {
    name: "adverse-far",
    title: `-sS -p ${FAR_PORTS}, 256 hosts at RTT >= 300 ms`,
    scenario: "far",
    args: {
      porthole: ["-sS", "-n", "-p", FAR_PORTS, "ANYIP", "-oG", "RESULTFILE"],
      nmap: ["-sS", "-n", "-p", FAR_PORTS, "ANYIP", "-oG", "RESULTFILE"],
    },
    reference: "anyip-count",
    runs: 3,
    slowTools: ["nmap"],
    quick: false,
    timeoutMs: 1_200_000,
  },
];
