/**
 * --help's TIMING AND PERFORMANCE: -T templates (applied at once), and the explicit timing
 * options, kept as nmap's "pre_" values so they win over -T whatever the order (delayed.ts).
 *
 * @module
 */

import { fatal } from "../errors.ts";
import type { OptionFamily, OptionHandler, OptionTable } from "./state.ts";
import { fmtG, hasUnit, intArg, refuseUnitlessSeconds, timeArgMs } from "./values.ts";

/** -M / --max-parallelism (`what` names the spelling in the integer message). */
function maxParallelism(what: string): OptionHandler {
  return (s, arg) => {
    const n = intArg(arg, what);
    if (n < 1) fatal("Argument to -M must be at least 1!");
    if (n > 900) {
      s.warnings.push(
        "Warning: Your max-parallelism (-M) option is extraordinarily high, which can hurt reliability",
      );
    }
    s.pre.maxParallelism = n;
  };
}

/** --min-rate / --max-rate: packets per second. */
function rate(which: "minRate" | "maxRate"): OptionHandler {
  return (s, arg, opt) => {
    const v = Number(arg.trim());
    if (arg.trim() === "" || !Number.isFinite(v) || v <= 0) {
      fatal(`Argument to --${opt.name} must be a positive floating-point number`);
    }
    s.timing[which] = v;
  };
}

const options: OptionTable = {
  T: (s, template) => s.timing.applyTemplate(template),
  timing: (s, template) => s.timing.applyTemplate(template),
  "min-hostgroup": (s, arg) => {
    const size = intArg(arg, "--min-hostgroup");
    if (size < 0) fatal("Argument to --min-hostgroup must be at least 0");
    if (size > s.timing.maxHostgroup) {
      fatal(
        `Minimum host group size may not be set to greater than maximum size (currently ${s.timing.maxHostgroup})`,
      );
    }
    if (size > 100) s.warnings.push("Warning: You specified a highly aggressive --min-hostgroup.");
    s.timing.minHostgroup = size;
    s.o.timing.minHostgroup = size;
  },
  "max-hostgroup": (s, arg) => {
    const size = intArg(arg, "--max-hostgroup");
    if (size < s.timing.minHostgroup) {
      fatal(
        `Maximum host group size may not be set to less than the minimum size (currently ${s.timing.minHostgroup})`,
      );
    }
    if (size <= 0) fatal("Max host size must be at least 1");
    s.timing.maxHostgroup = size;
    s.o.timing.maxHostgroup = size;
  },
  "min-parallelism": (s, arg) => {
    const n = intArg(arg, "--min-parallelism");
    if (n < 1) fatal("Argument to --min-parallelism must be at least 1!");
    if (n > 100) {
      s.warnings.push(
        "Warning: Your --min-parallelism option is pretty high!  This can hurt reliability.",
      );
    }
    s.timing.minParallelism = n;
  },
  "max-parallelism": maxParallelism("--max-parallelism"),
  M: maxParallelism("-M"),
  "min-rtt-timeout": (s, arg, opt) => {
    const ms = timeArgMs(arg);
    if (ms < 0) fatal("Bogus --min-rtt-timeout argument specified");
    refuseUnitlessSeconds(opt.spelled, arg, ms);
    s.pre.minRtt = ms;
  },
  "max-rtt-timeout": (s, arg, opt) => {
    const ms = timeArgMs(arg);
    if (ms < 5) fatal("Bogus --max-rtt-timeout argument specified, must be at least 5ms");
    refuseUnitlessSeconds(opt.spelled, arg, ms);
    if (ms < 20) {
      s.warnings.push(
        `WARNING: You specified a round-trip time timeout (${ms} ms) that is EXTRAORDINARILY SMALL.  Accuracy may suffer.`,
      );
    }
    s.pre.maxRtt = ms;
  },
  "initial-rtt-timeout": (s, arg, opt) => {
    const ms = timeArgMs(arg);
    if (ms <= 0) fatal("Bogus --initial-rtt-timeout argument specified.  Must be positive");
    refuseUnitlessSeconds(opt.spelled, arg, ms);
    s.pre.initRtt = ms;
  },
  "max-retries": (s, arg) => {
    const n = intArg(arg, "--max-retries");
    if (n < 0) fatal("max-retries must be positive");
    s.pre.maxRetries = n;
  },
  "host-timeout": (s, arg) => {
    const ms = timeArgMs(arg);
    if (ms < 0) fatal("Bogus --host-timeout argument specified");
    if (ms >= 10000 * 1000 && !hasUnit(arg)) {
      fatal(
        `Since April 2010, the default unit for --host-timeout is seconds, so your time of "${arg}" is ${
          (ms / 1000 / 60 / 60).toFixed(1)
        } hours. If this is what you want, use "${arg}s".`,
      );
    }
    s.pre.hostTimeout = ms;
  },
  "scan-delay": (s, arg) => {
    const ms = timeArgMs(arg);
    if (ms < 0) fatal("Bogus --scan-delay argument specified.");
    if (ms >= 100 * 1000 && !hasUnit(arg)) {
      fatal(
        `Since April 2010, the default unit for --scan-delay is seconds, so your time of "${arg}" is ${
          (ms / 1000 / 60).toFixed(1)
        } minutes. Use "${arg}ms" for ${fmtG(ms / 1000)} milliseconds.`,
      );
    }
    s.pre.scanDelay = ms;
  },
  "max-scan-delay": (s, arg) => {
    const ms = timeArgMs(arg);
    if (ms < 0) fatal("Bogus --max-scan-delay argument specified.");
    if (ms >= 100 * 1000 && !hasUnit(arg)) {
      fatal(
        `Since April 2010, the default unit for --max-scan-delay is seconds, so your time of "${arg}" is ${
          (ms / 1000 / 60).toFixed(1)
        } minutes. If this is what you want, use "${arg}s".`,
      );
    }
    s.pre.maxScanDelay = ms;
  },
  "min-rate": rate("minRate"),
  "max-rate": rate("maxRate"),
  "defeat-icmp-ratelimit": (s) => {
    s.o.defeatIcmpRatelimit = true;
  },
  "defeat-rst-ratelimit": (s) => {
    s.o.defeatRstRatelimit = true;
  },
  nogcc: (s) => {
    s.o.timing.noGroupCongestion = true; // kept by the delayed options' timing copy
  },
};

/** Timing and performance. */
export const timing: OptionFamily = { options };
