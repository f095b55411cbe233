/**
 * The output room's face: opens every writer the command line asks for.
 *
 *     const out = await openWriters(options, (s) => stdout.writeSync(enc.encode(s)));
 *     for (const w of out.writers) await w.begin(run);
 *     ...  for each finished host: for (const w of out.writers) await w.host(host);
 *     ...  on Ctrl-C: w.progress?.(partial) for hosts in flight, then end({interrupted: true})
 *     for (const w of out.writers) await w.end(summary);
 *     await out.close();
 *
 * Rules (nmap's log_open): the interactive normal output always goes to
 * stdout, unless some format is written to stdout with "-" — then that format
 * owns stdout and the interactive output is dropped. Any format may use
 * "-" (several may: their text interleaves there, as nmap's does). Files are created or truncated, or appended to with --append-output
 * and when resuming (--resume), where an XML file is continued in place so it
 * stays one well-formed document.
 */

import type { OutputWriter } from "../model/mod.ts";
import type { Options } from "../options_types.ts";
import { fatal } from "../errors.ts";
import { defaultServicesDb, type ServicesDb, servicesDbFor } from "../services_db.ts";
import { type FormatKind, OUTPUT_FORMATS } from "./formats.ts";
import { type NormalTarget, NormalWriter } from "./normal.ts";
import { FileSink, FunctionSink, type Sink } from "./sink.ts";
import { truncateXmlForResume } from "./xml.ts";

export { type PartialHost, readResumeState, type ResumeState } from "./resume.ts";
export type { NormalTarget } from "./normal.ts";
export { Progress, type ProgressOptions } from "./progress.ts";

type Kind = FormatKind;
const KINDS = Object.keys(OUTPUT_FORMATS) as Kind[];

/** Builds a normal-output writer; the default is cli/output/normal.ts's.
 * `stderr` is given to one normal writer only, so remarks print once. */
export type NormalWriterFactory = (
  sink: Sink,
  options: Options,
  target: NormalTarget,
  stderr?: (text: string) => void,
  servicesDb?: ServicesDb,
) => OutputWriter;

/** The open writers and how to close their files. */
export interface OpenWriters {
  writers: OutputWriter[];
  /** Closes every file (idempotent). Call after the writers' end(). */
  close(): Promise<void>;
}

/** Injection points (tests, embedding). */
export interface OpenWritersHooks {
  /** Builds the normal writers (default: NormalWriter). */
  normal?: NormalWriterFactory;
  /** Where nmap's stderr-only remarks go (default: stderr, synchronously). */
  stderr?: (text: string) => void;
  /** --resume: hosts the interrupted run cut short; their part-way <host>
   * blocks are dropped from a continued XML file (the resumed run writes
   * them whole). */
  resumePartial?: ReadonlySet<string>;
}

const defaultNormal: NormalWriterFactory = (sink, options, target, stderr, servicesDb) =>
  new NormalWriter(sink, options, target, { stderr, servicesDb });

function writeStderr(text: string): void {
  const b = new TextEncoder().encode(text);
  for (let off = 0; off < b.length;) off += Deno.stderr.writeSync(b.subarray(off));
}

/** The stylesheet href for -oX: --stylesheet, none with --no-stylesheet,
 * else the local nmap.xsl when installed (as nmap points at its own copy),
 * else nmap.org's copy (nmap's --webxml). */
export function stylesheetHref(options: Options): string | null {
  if (options.output.noStylesheet) return null;
  if (options.output.stylesheet !== undefined) return options.output.stylesheet;
  try {
    Deno.statSync("/usr/share/nmap/nmap.xsl");
    return "file:///usr/share/nmap/nmap.xsl";
  } catch {
    return "https://svn.nmap.org/nmap/docs/nmap.xsl";
  }
}

function requestedFiles(options: Options): [Kind, string][] {
  const out: [Kind, string][] = [];
  for (const k of KINDS) {
    const path = options.output[k];
    if (path !== undefined) out.push([k, path]);
  }
  return out;
}

function describeOpenError(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "No such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "Permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "Is a directory";
  return e instanceof Error ? e.message : String(e);
}

/**
 * Checks, before any packet is sent, that every output file can be opened for
 * writing (several formats may share stdout, as in nmap 7.93). Creates missing files
 * (as nmap does when it opens them) but never truncates. Throws UsageError
 * ("Failed to open XML output file x.xml for writing: Permission denied").
 */
export function preflightOutputFiles(options: Options): void {
  const files = requestedFiles(options);
  for (const [kind, path] of files) {
    if (path === "-") continue;
    try {
      Deno.openSync(path, { write: true, create: true, append: true }).close();
    } catch (e) {
      fatal(
        `Failed to open ${OUTPUT_FORMATS[kind].label} output file ${path} for writing: ${
          describeOpenError(e)
        }`,
      );
    }
  }
}

/** --resume appends: a last line cut short by kill -9 is removed first, so
 * the appended text starts on a line of its own (and the file stays one that
 * --resume reads). */
function dropCutLine(path: string): void {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch {
    return; // opening it for writing reports the problem
  }
  if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return;
  Deno.truncateSync(path, bytes.lastIndexOf(0x0a) + 1);
}

/**
 * Opens the normal writer for stdout (unless a format owns stdout) plus one
 * writer per requested file format. Runs {@link preflightOutputFiles} first,
 * so a bad path fails with one clear message before anything is written.
 */
export function openWriters(
  options: Options,
  stdout: (s: string) => void,
  hooks: OpenWritersHooks = {},
): Promise<OpenWriters> {
  try {
    return Promise.resolve(openWritersNow(options, stdout, hooks));
  } catch (e) {
    return Promise.reject(e);
  }
}

function openWritersNow(
  options: Options,
  stdout: (s: string) => void,
  hooks: OpenWritersHooks,
): OpenWriters {
  preflightOutputFiles(options);
  const files = requestedFiles(options);
  const resuming = options.output.resume !== undefined;
  const append = options.output.appendOutput || resuming;
  const sinks: Sink[] = [];
  const writers: OutputWriter[] = [];
  // Service names for ports without -sV results come from the same table the
  // ports were chosen from (--servicedb, else nmap-services as found, else built in).
  // -sn lists no ports, and reads no table (nmap reads none either).
  const servicesDb = options.discovery.pingOnly
    ? defaultServicesDb()
    : servicesDbFor(options.serviceDb, options.datadir);
  const makeNormal = hooks.normal ?? defaultNormal;
  let stderr: ((text: string) => void) | undefined = hooks.stderr ?? writeStderr;
  const normal = (sink: Sink, target: NormalTarget) => {
    const w = makeNormal(sink, options, target, stderr, servicesDb);
    stderr = undefined;
    return w;
  };

  try {
    if (!files.some(([, p]) => p === "-")) writers.push(normal(new FunctionSink(stdout), "stdout"));
    for (const [kind, path] of files) {
      let continueXml = false;
      if (kind === "xml" && resuming && path !== "-") {
        continueXml = truncateXmlForResume(path, hooks.resumePartial);
      } else if (resuming && path !== "-") {
        dropCutLine(path);
      }
      const sink = path === "-" ? new FunctionSink(stdout) : FileSink.open(path, append);
      sinks.push(sink);
      writers.push(OUTPUT_FORMATS[kind].open(sink, {
        options,
        servicesDb,
        continueXml,
        stylesheet: () => stylesheetHref(options),
        normal,
        quietNormal: (s, target) => makeNormal(s, options, target, undefined, servicesDb),
      }));
    }
  } catch (e) {
    for (const s of sinks) s.close();
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotFound) {
      fatal(`Failed to open output file for writing: ${describeOpenError(e)}`);
    }
    throw e;
  }

  let closed = false;
  return {
    writers,
    close() {
      if (!closed) { for (const s of sinks) s.close(); }
      closed = true;
      return Promise.resolve();
    },
  };
}
