/**
 * The output formats, one line each: the option's key in `Options.output`, nmap's name for the
 * log (its error messages say "Failed to open XML output file …"), and how its writer is made
 * on a sink. A new format is its writer's file and one line here (and its option).
 *
 * @module
 */

import type { OutputWriter } from "../model/mod.ts";
import type { Options } from "../options/types.ts";
import type { ServicesDb } from "../services_db.ts";
import { GrepableWriter } from "./grepable.ts";
import { JsonWriter } from "./json.ts";
import type { NormalTarget } from "./normal.ts";
import { type Sink, SkidSink } from "./sink.ts";
import { XmlWriter } from "./xml.ts";

/** What a format's writer may need besides its sink. */
export interface FormatContext {
  options: Options;
  servicesDb: ServicesDb;
  /** The run's normal writer (tests inject theirs); the first one made prints nmap's remarks
   * to stderr. */
  normal(sink: Sink, target: NormalTarget): OutputWriter;
  /** … and one that never does. */
  quietNormal(sink: Sink, target: NormalTarget): OutputWriter;
  /** -oX with --resume: the file's document is continued in place. */
  continueXml: boolean;
  /** The stylesheet -oX points at (output/mod.ts stylesheetHref). */
  stylesheet(): string | null;
}

/** One output format. */
export interface OutputFormat {
  /** nmap's name for the log kind, as its messages print it. */
  readonly label: string;
  open(sink: Sink, c: FormatContext): OutputWriter;
}

const format = (label: string, open: OutputFormat["open"]): OutputFormat => ({ label, open });

/** The formats in nmap's opening order (log_open: normal, XML, machine, skid), then JSON. */
export const OUTPUT_FORMATS = {
  normal: format("normal", (sink, c) => c.normal(sink, "file")),
  xml: format("XML", (sink, c) =>
    new XmlWriter(sink, {
      stylesheet: c.stylesheet(),
      openOnly: c.options.openOnly,
      deprecatedXmlOsclass: c.options.deprecatedXmlOsclass,
      continueDocument: c.continueXml,
      servicesDb: c.servicesDb,
    })),
  grepable: format("machine", (sink, c) =>
    new GrepableWriter(sink, {
      openOnly: c.options.openOnly,
      versionDetection: c.options.versionDetection,
      servicesDb: c.servicesDb,
    })),
  // nmap's -oS: what the screen shows, its letters swapped at random (output.cc).
  skid: format("$Cr!pT |<!dd!3", (sink, c) => c.quietNormal(new SkidSink(sink), "stdout")),
  json: format(
    "JSON",
    (sink, c) => new JsonWriter(sink, { openOnly: c.options.openOnly, servicesDb: c.servicesDb }),
  ),
} as const satisfies Record<string, OutputFormat>;

/** A format's key (`Options.output`'s field). */
export type FormatKind = keyof typeof OUTPUT_FORMATS;
