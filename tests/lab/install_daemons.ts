/**
 * Installs the real-daemons lab's Debian packages that are missing (`tools/setup.sh` runs it as
 * root): the suite runs offline in a network namespace of its own, so the daemons its lab tests
 * start must be on the machine before it begins. apt starts none of them (policy-rc.d exits 101).
 *
 *     deno run --allow-all tests/lab/install_daemons.ts
 */

import { installMissing } from "./real_daemons.ts";

if (import.meta.main) {
  try {
    await installMissing(undefined, (s) => console.error(`setup: ${s}`));
  } catch (e) {
    console.error(`setup: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
