/**
 * NSE script output as nmap writes it: `| id: …` / `|_…` lines (output.cc formatScriptOutput); xml.ts writes the
 * <script> element and json.ts the same fields.
 */
import type { ScriptOutput } from "../model/mod.ts";
import { escapeTerminal } from "./escape.ts";

/** The lines nmap prints for one script: "| " before each but the last, "|_" before the last. */
export function scriptLines(s: ScriptOutput): string[] {
  const text = `${s.id}: ${s.output}`;
  const lines = text.split("\n");
  if (lines.length > 1 && lines.at(-1) === "") lines.pop(); // nmap stops at the last newline
  return lines.map((l, i) => (i < lines.length - 1 ? "| " : "|_") + escapeTerminal(l, true));
}
