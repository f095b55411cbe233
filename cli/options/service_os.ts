/**
 * --help's SERVICE/VERSION DETECTION and OS DETECTION: -sV and its knobs, -O and its knobs,
 * and the databases they read (--versiondb, --osdb; checked for reading in file_checks.ts).
 *
 * @module
 */

import { fatal } from "../errors.ts";
import { deprecated, type OptionFamily, type OptionTable } from "./state.ts";
import { intArg } from "./values.ts";

const options: OptionTable = {
  // SERVICE/VERSION DETECTION (-sV: below)
  "version-intensity": (s, arg) => {
    const level = intArg(arg, "--version-intensity");
    if (level < 0 || level > 9) fatal("version-intensity must be between 0 and 9");
    s.o.versionIntensity = level;
  },
  "version-light": (s) => {
    s.o.versionIntensity = 2;
  },
  allports: (s) => {
    s.o.allports = true;
  },
  "deprecated-xml-osclass": (s) => {
    s.o.deprecatedXmlOsclass = true;
  },
  "version-all": (s) => {
    s.o.versionIntensity = 9;
  },
  "version-trace": (s) => {
    s.o.versionTrace = true;
    s.o.debug++;
  },
  versiondb: (s, file) => {
    s.o.versionDb = file;
  },
  // Porthole's own: probes in flight per port (1: nmap's one at a time, each waited out).
  "version-parallelism": (s, arg) => {
    const n = intArg(arg, "--version-parallelism");
    if (n < 1 || n > 64) fatal("version-parallelism must be between 1 and 64");
    s.o.versionParallelism = n;
  },
  // OS DETECTION
  O: (s, _arg, { arg }) => {
    if (arg === undefined || arg[0] === "2") s.o.osDetection = true;
    else if (arg[0] === "1") {
      fatal("First-generation OS detection (-O1) is no longer supported. Use -O instead.");
    } else fatal("Unknown argument to -O.");
  },
  "osscan-limit": (s) => {
    s.o.osscanLimit = true;
  },
  "osscan-guess": (s) => {
    s.o.osscanGuess = true;
  },
  fuzzy: (s) => {
    s.o.osscanGuess = true;
  },
  "max-os-tries": (s, arg) => {
    const tries = intArg(arg, "--max-os-tries");
    if (tries < 1 || tries > 50) {
      fatal("Bogus --max-os-tries argument specified, must be between 1 and 50 (inclusive)");
    }
    s.o.maxOsTries = tries;
  },
  osdb: (s, file) => {
    s.o.osdb = file;
  },
};

const scanTypes: OptionTable = {
  V: (s) => {
    s.o.versionDetection = true;
  },
  R: (s) => {
    deprecated(s, "sR", "sV");
    s.warnings.push(
      "WARNING: -sR is now an alias for -sV and activates version detection as well as RPC scan.",
    );
    s.o.versionDetection = true;
  },
};

/** Service/version and OS detection. */
export const serviceAndOs: OptionFamily = { options, scanTypes };
