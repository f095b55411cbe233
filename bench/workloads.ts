/**
 * The bench's workloads: each names a lab scenario and the command line each tool runs
 * against it. TARGET in an argument list stands for the scenario's target address.
 */

import { ANYIP_OPEN_TCP } from "../tests/lab/mod.ts";

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
  /** What counts as the right answer: nmap's table from this run, or from a loss-free lab. */
  reference: "nmap" | "nmap-lossfree" | "anyip-count" | "none";
  /** Runs per tool (interleaved); quick mode runs each once. */
  runs: number;
  /** Tools that run once even in a full bench, because one run takes minutes. */
  slowTools?: ToolName[];
  /** Part of --quick (which must finish in under two minutes). */
  quick: boolean;
  timeoutMs: number;
}

const ANYIP_PORTS = ANYIP_OPEN_TCP.join(",");

export const WORKLOADS: Workload[] = [
  {
    name: "syn-top1000",
    title: "-sS top-1000, scanme",
    scenario: "scanme",
    args: { porthole: ["-sS", "TARGET"], nmap: ["-sS", "-T4", "TARGET"] },
    reference: "nmap",
    runs: 5,
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
    name: "udp",
    title: "-sU top-1000, scanme, ICMP limit off",
    scenario: "scanme",
    icmpRatelimit: false,
    args: { porthole: ["-sU", "TARGET"], nmap: ["-sU", "-T4", "TARGET"] },
    reference: "nmap",
    runs: 3,
    slowTools: ["nmap"],
    quick: false,
    timeoutMs: 600_000,
  },
  {
    name: "udp-ratelimited",
    title: "-sU, kernel ICMP rate limit on",
    scenario: "ratelimited-udp",
    icmpRatelimit: true,
    args: {
      porthole: ["-sU", "-p", "1-60", "TARGET"],
      nmap: ["-sU", "-T4", "-p", "1-60", "TARGET"],
    },
    reference: "none",
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
    name: "loss20",
    title: "-sS top-1000, 20% loss each way",
    scenario: "scanme",
    lossPercent: 20,
    // nmap needs about 20 minutes here (measured): it runs only in the full bench, once.
    args: { porthole: ["-sS", "TARGET"], nmap: ["-sS", "-T4", "TARGET"] },
    reference: "nmap-lossfree",
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
      masscan: ["ANYIP", "-p", ANYIP_PORTS, "--rate", "2000000", "--wait", "1"],
    },
    reference: "anyip-count",
    runs: 2,
    quick: false,
    timeoutMs: 600_000,
  },
];
