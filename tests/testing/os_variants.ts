/**
 * The Linux settings Porthole's own OS database holds a fingerprint for (cli/data/porthole-os-db):
 * each a set of per-namespace sysctls on the lab's target, measured by tools/gen_os_db.ts and
 * checked by tests/os_variants_lab_test.ts.
 *
 * @module
 */

import type { Lab } from "../lab/mod.ts";

/** A target configuration of the lab's Linux. */
export interface OsVariant {
  /** Added to "Linux X.Y" in the Fingerprint line. */
  suffix: string;
  /** What the comment above the entry says. */
  note: string;
  /** `key=value` for `sysctl -w` in the target's namespace. */
  sysctls: string[];
}

/** Every measured configuration, in the database's order. */
export const OS_VARIANTS: readonly OsVariant[] = [
  { suffix: "", note: "default settings", sysctls: [] },
  {
    suffix: " (TCP timestamps disabled)",
    note: "net.ipv4.tcp_timestamps=0",
    sysctls: ["net.ipv4.tcp_timestamps=0"],
  },
  {
    suffix: " (SACK and window scaling disabled)",
    note: "net.ipv4.tcp_sack=0, net.ipv4.tcp_window_scaling=0",
    sysctls: ["net.ipv4.tcp_sack=0", "net.ipv4.tcp_window_scaling=0"],
  },
  {
    suffix: " (window scaling disabled)",
    note: "net.ipv4.tcp_window_scaling=0",
    sysctls: ["net.ipv4.tcp_window_scaling=0"],
  },
  {
    suffix: " (SACK disabled)",
    note: "net.ipv4.tcp_sack=0",
    sysctls: ["net.ipv4.tcp_sack=0"],
  },
  {
    suffix: " (ECN disabled)",
    note: "net.ipv4.tcp_ecn=0",
    sysctls: ["net.ipv4.tcp_ecn=0"],
  },
  {
    suffix: " (initial TTL 128)",
    note: "net.ipv4.ip_default_ttl=128",
    sysctls: ["net.ipv4.ip_default_ttl=128"],
  },
  {
    suffix: " (initial TTL 255)",
    note: "net.ipv4.ip_default_ttl=255",
    sysctls: ["net.ipv4.ip_default_ttl=255"],
  },
];

/** Runs `fn` with the variant's sysctls set on target 0, and always sets them back. */
export async function withVariant<T>(
  lab: Lab,
  variant: OsVariant,
  fn: () => Promise<T>,
): Promise<T> {
  const restore: string[] = [];
  const sysctl = async (setting: string) => {
    const r = await lab.runInTarget(0, ["sysctl", "-w", setting]);
    if (r.code !== 0) throw new Error(`sysctl -w ${setting} failed: ${r.stderr}`);
  };
  try {
    for (const s of variant.sysctls) {
      const key = s.split("=")[0]!;
      const r = await lab.runInTarget(0, ["sysctl", "-n", key]);
      if (r.code !== 0) throw new Error(`sysctl -n ${key} failed: ${r.stderr}`);
      restore.push(`${key}=${r.stdout.trim()}`);
      await sysctl(s);
    }
    return await fn();
  } finally {
    for (const s of restore) await sysctl(s);
  }
}
