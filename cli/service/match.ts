/**
 * Testing one probe response against a probe's match lines and those of its
 * fallbacks (nmap's ServiceProbe::testMatch over probe->fallbacks[]), and
 * turning the first matching line into filled version fields.
 */

import { MatchRule, type Probe } from "./probe_db.ts";
import { type Captures, makeSubject, MatchLimitError, type Subject } from "./regex.ts";
import { cpePart, EXTRA_LEN, FIELD_LEN, fillTemplate, transformCpe, TYPE_LEN } from "./template.ts";

/** Responses are matched on their first MAX_MATCH_BYTES bytes only. */
export const MAX_MATCH_BYTES = 8192;

/** Interpreter steps allowed for one rule on one response (PCRE's match_limit analogue). */
export const RULE_STEP_BUDGET = 1_000_000;

/** Interpreter steps allowed for one response across all its rules. */
export const RESPONSE_STEP_BUDGET = 20_000_000;

/** A successful match line with its fields filled (nmap's MatchDetails). */
export interface MatchDetails {
  soft: boolean;
  service: string;
  rule: MatchRule;
  /** The probe whose match lines matched (the probe itself or a fallback). */
  fallbackName: string;
  /** The line is the second file's of a merged DB (Porthole's own beside nmap's). */
  secondary?: boolean;
  product?: string;
  version?: string;
  info?: string;
  hostname?: string;
  ostype?: string;
  devicetype?: string;
  cpeA?: string;
  cpeH?: string;
  cpeO?: string;
}

/** Per-response bookkeeping shared by all rules tried on it. */
export interface MatchContext {
  /** Remaining interpreter steps for this response. */
  steps: number;
  /** Called with warnings nmap would print (failed templates, match limits). */
  warn?: (line: string) => void;
}

/** Fills a match line's templates (nmap's getVersionStr). */
export function fillDetails(
  rule: MatchRule,
  subject: Uint8Array,
  caps: Captures,
  fallbackName: string,
  warn?: (line: string) => void,
): MatchDetails {
  const md: MatchDetails = { soft: rule.soft, service: rule.service, rule, fallbackName };
  const t = rule.templates;
  const fields: Array<[keyof MatchDetails, string | undefined, number, string]> = [
    ["product", t.p, FIELD_LEN, "product"],
    ["version", t.v, FIELD_LEN, "version"],
    ["info", t.i, EXTRA_LEN, "info"],
    ["hostname", t.h, FIELD_LEN, "hostname"],
    ["ostype", t.o, TYPE_LEN, "ostype"],
    ["devicetype", t.d, TYPE_LEN, "devicetype"],
  ];
  for (const [key, tmpl, size, label] of fields) {
    if (tmpl === undefined) continue;
    const v = fillTemplate(tmpl, subject, caps, size);
    if (v === null) {
      warn?.(
        `Warning: Servicescan failed to fill ${label}_template (subjectlen: ${subject.length}, ${label}len: ${size}). Capture exceeds length? Match string was line ${rule.line}: ${tmpl}`,
      );
    } else if (v !== "") (md as unknown as Record<string, string>)[key] = v;
  }
  for (const tmpl of t.cpe) {
    const part = cpePart(tmpl);
    const key = part === "a" ? "cpeA" : part === "h" ? "cpeH" : part === "o" ? "cpeO" : null;
    if (!key) {
      warn?.(`Warning: ignoring cpe:// template with unknown part '${part}'`);
      continue;
    }
    const v = fillTemplate(tmpl, subject, caps, FIELD_LEN, transformCpe);
    if (v === null) {
      warn?.(
        `Warning: Servicescan failed to fill cpe_${part} (subjectlen: ${subject.length}, cpelen: ${FIELD_LEN}). Too long? Match string was line ${rule.line}: ${tmpl}`,
      );
      delete md[key];
    } else if (v !== "") md[key] = v; // a later cpe of the same part replaces the earlier
  }
  return md;
}

/** Tests one probe's match lines in order; the first that matches wins. */
export function testProbe(
  probe: Probe,
  subject: Subject,
  ctx: MatchContext,
): { rule: MatchRule; caps: Captures } | null {
  for (const rule of probe.matches) {
    if (!rule.mayMatch(subject)) continue;
    const re = rule.regex();
    if (!re) {
      if (!rule.reported) {
        rule.reported = true;
        ctx.warn?.(`Warning: match line ${rule.line} ignored: ${rule.error}`);
      }
      continue;
    }
    let caps: Captures | null;
    try {
      if (re.engine === "vm" && ctx.steps <= 0) continue;
      caps = re.exec(subject, Math.min(ctx.steps, RULE_STEP_BUDGET));
      ctx.steps -= re.lastSteps;
    } catch (e) {
      if (!(e instanceof MatchLimitError)) throw e;
      ctx.steps -= re.lastSteps;
      ctx.warn?.(
        `Warning: match limit exceeded when probing for service ${rule.service} with the regex on line ${rule.line}`,
      );
      continue;
    }
    if (caps) return { rule, caps };
  }
  return null;
}

/**
 * Matches a response against `probe`'s fallback chain (itself, its fallback
 * probes, then NULL for TCP) and fills the winning line's fields.
 */
export function matchResponse(
  probe: Probe,
  data: Uint8Array,
  warn?: (line: string) => void,
): MatchDetails | null {
  const bytes = data.length > MAX_MATCH_BYTES ? data.subarray(0, MAX_MATCH_BYTES) : data;
  const subject = makeSubject(bytes);
  const ctx: MatchContext = { steps: RESPONSE_STEP_BUDGET, warn };
  for (const fb of probe.fallbacks) {
    const hit = testProbe(fb, subject, ctx);
    if (!hit) continue;
    const md = fillDetails(hit.rule, bytes, hit.caps, fb.name, warn);
    if (fb.secondary) md.secondary = true;
    return md;
  }
  return null;
}

/** The version fields a match line fills. */
const WORDS = [
  "product",
  "version",
  "info",
  "hostname",
  "ostype",
  "devicetype",
  "cpeA",
  "cpeH",
  "cpeO",
] as const;

const bareService = (s: string) => s.startsWith("ssl/") ? s.slice(4) : s;

/**
 * The port's answer when `hard` decides after `soft` softmatched. nmap's rule
 * is that the hard match replaces the softmatch. In a merged DB, though, a hard
 * line of Porthole's own (secondary) for the service nmap's softmatch named
 * adds to nmap's words rather than replacing them: nmap's softmatch "PostgreSQL
 * DB 9.6.0 or later" and Porthole's "PostgreSQL DB" make "PostgreSQL DB 9.6.0 or
 * later". Every field the softmatch filled stays; the others come from `hard`
 * when it names the same product (a different product's version would be a
 * wrong answer, so then nothing of `hard`'s but its verdict is kept).
 */
export function keepFirstWords(soft: MatchDetails | undefined, hard: MatchDetails): MatchDetails {
  if (!soft || !soft.soft || soft.secondary || hard.soft || !hard.secondary) return hard;
  if (bareService(soft.service) !== bareService(hard.service)) return hard;
  const sameProduct = !soft.product || !hard.product || soft.product === hard.product;
  const md: MatchDetails = { ...hard };
  for (const k of WORDS) {
    if (soft[k] !== undefined) md[k] = soft[k];
    else if (!sameProduct) delete md[k];
  }
  return md;
}

/** The rule behind an "echo" verdict: no line of any file, the reply is the probe itself. */
export const ECHO_RULE = new MatchRule(false, "echo", "", "", { cpe: [] }, 0);

/** A strict prefix of a probe counts as its echo once it holds this many bytes (or all of a shorter probe). */
export const ECHO_MIN_PREFIX = 8;

/**
 * Whether `data`, a non-NULL probe's reply so far, is that probe sent back:
 * "full" when it equals the payload, "prefix" when it is a shorter start of it
 * (more may come), null otherwise. An echoed probe is no reply of the probed
 * protocol, so an echo is judged before any match line.
 */
export function echoOf(payload: Uint8Array, data: Uint8Array): "full" | "prefix" | null {
  if (payload.length === 0 || data.length === 0 || data.length > payload.length) return null;
  for (let i = 0; i < data.length; i++) if (data[i] !== payload[i]) return null;
  return data.length === payload.length ? "full" : "prefix";
}

/** The hard match an echo gets: service "echo", nothing else. */
export function echoMatch(probe: Probe): MatchDetails {
  return { soft: false, service: "echo", rule: ECHO_RULE, fallbackName: probe.name };
}
