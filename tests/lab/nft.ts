/**
 * The nftables ruleset of one target namespace, as text for `nft -f -`.
 *
 * One table `inet ph_lab` (plus `arp ph_lab` for a dark host). The input chain first applies the
 * random loss, then each port policy; the output chain applies the loss to everything the target
 * sends (its RSTs and ICMP errors included, since the kernel emits them through LOCAL_OUT).
 * Loss uses `numgen random mod 100 < N drop`: this kernel has no `tc netem`. A host's input budget
 * is one `limit rate over` rule after the loss: a single token bucket for all its senders; a SYN
 * budget (a rate-limiting firewall) and an RST budget are such rules too, on connection attempts
 * in and resets out. The path's one-way loss is a `numgen` rule on its side only.
 */

import {
  type Budget,
  type HostSpec,
  type PathConditions,
  type Policy,
  portRange,
  type ProtocolPolicy,
} from "./scenarios.ts";
import { ZOMBIE_MARK } from "./idle_zombie.ts";

/** The nft statement each policy becomes. */
const VERDICT: Record<Policy, string> = {
  "drop": "drop",
  "reset": "reject with tcp reset",
  "port-unreachable": "reject with icmpx type port-unreachable",
  "admin-prohibited": "reject with icmpx type admin-prohibited",
};

/** The nft statement each IP protocol policy becomes. */
const PROTOCOL_VERDICT: Record<ProtocolPolicy, string> = {
  "drop": "drop",
  "admin-prohibited": "reject with icmpx type admin-prohibited",
  "host-unreachable": "reject with icmpx type host-unreachable",
};

/** Conditions applied to one target. */
export interface Conditions {
  /** Percent of packets dropped each way, 0–100. */
  lossPercent?: number;
  /** The path's random loss per direction (its delay and bursts are path.ts's). */
  path?: PathConditions;
}

/** `limit rate over` for a budget: one token bucket, the excess dropped. */
const over = (b: Budget) => `limit rate over ${b.perSecond}/second burst ${b.burst} packets drop`;

/** `numgen` loss of `percent`, or nothing. */
function lossRules(percent: number | undefined): string[] {
  const loss = Math.round(percent ?? 0);
  if (loss < 0 || loss > 100) throw new Error(`loss must be 0-100 percent, not ${loss}`);
  return loss > 0 ? [`numgen random mod 100 < ${loss} drop`] : [];
}

/** Renders the ruleset for `host` (policies, dark mode) under `cond` (loss). */
export function rulesetFor(host: HostSpec, cond: Conditions = {}): string {
  const lossRule = lossRules(cond.lossPercent);
  const input: string[] = [
    'iif "lo" accept',
    ...lossRule,
    ...lossRules(cond.path?.toTarget?.lossPercent),
  ];
  // One rule, one token bucket: every sender on the link shares the host's budget.
  if (host.inputBudget) input.push(over(host.inputBudget));
  // A rate-limiting firewall counts connection attempts only: SYN without ACK.
  if (host.synBudget) input.push(`tcp flags & (syn | ack) == syn ${over(host.synBudget)}`);
  if (host.dark) {
    input.push("drop");
  } else {
    for (const r of host.protocolRules ?? []) {
      input.push(`meta l4proto { ${r.protocols.join(", ")} } ${PROTOCOL_VERDICT[r.policy]}`);
    }
    // Group ports per (protocol, policy) so each becomes one set lookup.
    const groups = new Map<string, string[]>();
    for (const r of host.rules) {
      if (!r.policy) continue;
      if (r.proto === "udp" && (r.policy as Policy) === "reset") {
        throw new Error(`host ${host.name}: "reset" is a TCP policy`);
      }
      const [lo, hi] = portRange(r.ports);
      const key = `${r.proto} ${r.policy}`;
      const list = groups.get(key) ?? [];
      list.push(lo === hi ? `${lo}` : `${lo}-${hi}`);
      groups.set(key, list);
    }
    for (const [key, ports] of groups) {
      const [proto, policy] = key.split(" ") as [string, Policy];
      input.push(`${proto} dport { ${ports.join(", ")} } ${VERDICT[policy]}`);
    }
  }
  const output = [
    'oif "lo" accept',
    ...lossRule,
    ...lossRules(cond.path?.fromTarget?.lossPercent),
    ...(host.rstBudget ? [`tcp flags & rst == rst ${over(host.rstBudget)}`] : []),
    // An idle zombie's resets are its responder's (idle_zombie.ts): the kernel's own, numbered
    // per destination, would hide the global counter.
    ...(host.zombie ? [`tcp flags & rst == rst meta mark != ${ZOMBIE_MARK} drop`] : []),
  ];
  const chain = (name: string, hook: string, rules: string[]) =>
    [
      `  chain ${name} {`,
      `    type filter hook ${hook} priority filter; policy accept;`,
      ...rules.map((r) => `    ${r}`),
      "  }",
    ].join("\n");
  let text = [
    "table inet ph_lab {",
    chain("input", "input", input),
    chain("output", "output", output),
    "}",
    "",
  ].join("\n");
  if (host.dark) {
    text += [
      "table arp ph_lab {",
      "  chain input {",
      "    type filter hook input priority filter; policy drop;",
      "  }",
      "}",
      "",
    ].join("\n");
  }
  return text;
}
