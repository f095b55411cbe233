/**
 * Installs the Debian packages of the real-daemons lab and the relays lab (relays.ts: tinyproxy,
 * Dante, vsftpd) that are missing (`tools/setup.sh` runs it as root): the suite runs offline in a
 * network namespace of its own, so the daemons its lab tests start must be on the machine before
 * it begins. apt starts none of them (policy-rc.d exits 101).
 *
 *     deno run --allow-all tests/lab/install_daemons.ts
 */

import { DAEMONS, installMissing } from "./real_daemons.ts";
import { RELAY_PACKAGES } from "./relays.ts";

if (import.meta.main) {
  try {
    const relays = RELAY_PACKAGES.map((pkg) => ({ name: pkg, pkg, ports: [], argv: () => [] }));
    await installMissing([...DAEMONS, ...relays], (s) => console.error(`setup: ${s}`));
  } catch (e) {
    console.error(`setup: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
