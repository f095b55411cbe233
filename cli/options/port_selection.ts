/**
 * --help's PORT SPECIFICATION AND SCAN ORDER: -p, --exclude-ports, -F, -r, --top-ports,
 * --port-ratio, --servicedb. They are kept as given here; port_lists.ts reads them against the
 * services table once the whole command line is known.
 *
 * @module
 */

import { fatal } from "../errors.ts";
import type { OptionFamily, OptionTable } from "./state.ts";

const options: OptionTable = {
  p: (s, expression) => {
    if (s.o.portExpression !== undefined) {
      fatal("Only 1 -p option allowed, separate multiple ranges with commas.");
    }
    s.o.portExpression = expression;
  },
  "exclude-ports": (s, expression) => {
    if (s.excludePorts !== undefined) {
      fatal("Only 1 --exclude-ports option allowed, separate multiple ranges with commas.");
    }
    s.excludePorts = expression;
  },
  F: (s) => {
    s.fast = true;
  },
  r: (s) => {
    s.o.randomizePorts = false;
  },
  "top-ports": (s, arg) => {
    const n = Number(arg.trim());
    if (arg.trim() === "" || !Number.isInteger(n) || n < 1) {
      fatal("--top-ports should be an integer 1 or greater");
    }
    if (n > 65536) fatal(`Level argument to gettoppts (${n}) is too large`);
    s.topPorts = n;
    s.portRatio = undefined;
  },
  "port-ratio": (s, arg) => {
    const ratio = Number(arg.trim());
    if (arg.trim() === "" || !Number.isFinite(ratio) || ratio < 0 || ratio >= 1) {
      fatal("--port-ratio should be between [0 and 1)");
    }
    s.portRatio = ratio;
    s.topPorts = undefined;
  },
  servicedb: (s, file) => {
    s.servicedb = file;
    s.fast = true; // nmap: "Using this option also causes a fast scan (-F) to be used."
  },
};

/** Port selection and order. */
export const portSelection: OptionFamily = { options };
