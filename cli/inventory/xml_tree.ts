/**
 * A small XML reader for nmap's output files: elements, attributes and text, entities
 * decoded. Enough for nmap's DTD (no namespaces, no external entities: a DOCTYPE is skipped,
 * never fetched). Malformed input throws {@link XmlError} with the byte offset.
 *
 * @module
 */

/** An element with its attributes, child elements and text. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  /** Read-only: an element without children shares one frozen empty array. */
  children: XmlElement[];
  text: string;
}

/** The input is not well-formed XML. */
export class XmlError extends Error {}

/** The children of every element that has none: one frozen array, not one per element (a
 * 65,536-host file has a million elements, most of them empty). */
const NO_CHILDREN: XmlElement[] = Object.freeze([]) as unknown as XmlElement[];

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** Replaces XML's predefined and numeric character references. */
export function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref[0] === "#") {
      const cp = ref[1] === "x" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
    }
    return ENTITIES[ref] ?? whole;
  });
}

/** Strings cut from a text through a direct-mapped cache checked in place: a string seen
 * before is neither copied out of the text nor hashed, and unique ones (addresses) only
 * replace each other in a bounded table. */
class SliceCache {
  static readonly SIZE = 4096;
  #raw: (string | undefined)[] = new Array(SliceCache.SIZE);
  #made: string[] = new Array(SliceCache.SIZE);

  constructor(private readonly text: string, private readonly make: (raw: string) => string) {}

  /** make(text.slice(from, to)), shared with earlier calls for the same slice. */
  get(from: number, to: number): string {
    const text = this.text, len = to - from;
    if (len > 40 || len === 0) return this.make(text.slice(from, to));
    const slot = (len * 977 + text.charCodeAt(from) * 31 + text.charCodeAt(to - 1) * 7 +
      text.charCodeAt(from + (len >> 1))) & (SliceCache.SIZE - 1);
    const raw = this.#raw[slot];
    if (raw !== undefined && raw.length === len && text.startsWith(raw, from)) {
      return this.#made[slot]!;
    }
    const fresh = text.slice(from, to);
    const made = this.make(fresh);
    this.#raw[slot] = fresh;
    this.#made[slot] = made;
    return made;
  }
}

/** Options of {@link parseXml}. */
export interface ParseOptions {
  /** Called when a child of the root element closes; returning true drops it from the tree,
   * so a large document (65,536 hosts) is read one child at a time. */
  onRootChild?: (el: XmlElement) => boolean;
}

/** Parses a document; returns its root element. Whitespace-only text is not kept. */
export function parseXml(text: string, opts: ParseOptions = {}): XmlElement {
  const stack: XmlElement[] = [];
  // Names and short attribute values repeat (states, reasons, service names): one copy each
  // keeps a large file's hosts small in memory and spares the collector a million copies.
  const names = new SliceCache(text, (s) => s);
  const values = new SliceCache(text, decodeEntities);
  let root: XmlElement | undefined;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const lt = text.indexOf("<", i);
    const end = lt < 0 ? n : lt;
    if (end > i && !isBlank(text, i, end)) {
      if (stack.length === 0) throw new XmlError(`text outside the root element at offset ${i}`);
      stack[stack.length - 1]!.text += decodeEntities(text.slice(i, end));
    }
    if (lt < 0) break;
    if (text.startsWith("<?", lt)) {
      i = closeOf(text, lt, "?>");
    } else if (text.startsWith("<!--", lt)) {
      i = closeOf(text, lt, "-->");
    } else if (text.startsWith("<![CDATA[", lt)) {
      const close = closeOf(text, lt, "]]>");
      if (stack.length > 0) stack[stack.length - 1]!.text += text.slice(lt + 9, close - 3);
      i = close;
    } else if (text.startsWith("<!", lt)) {
      i = skipDeclaration(text, lt);
    } else if (text[lt + 1] === "/") {
      const gt = closeOf(text, lt, ">");
      const top = stack.pop();
      // Compared in place: no copy of the name per closing tag.
      if (!top || !closes(text, lt + 2, gt - 1, top.name)) {
        throw new XmlError(`unexpected </${text.slice(lt + 2, gt - 1).trim()}> at offset ${lt}`);
      }
      if (stack.length === 1 && opts.onRootChild?.(top)) stack[0]!.children.pop();
      i = gt;
    } else {
      const gt = tagEnd(text, lt);
      const selfClosing = text.charCodeAt(gt - 2) === 0x2f;
      const end = selfClosing ? gt - 2 : gt - 1;
      // Name and attributes read in place (no copy of the tag, no match arrays): a 65,536-host
      // file has a million tags.
      let j = lt + 1;
      while (j < end && !isSpace(text.charCodeAt(j))) j++;
      if (j === lt + 1) throw new XmlError(`bad tag at offset ${lt}`);
      const el: XmlElement = {
        name: names.get(lt + 1, j),
        attrs: {},
        children: NO_CHILDREN,
        text: "",
      };
      while (j < end) {
        while (j < end && isSpace(text.charCodeAt(j))) j++;
        if (j >= end) break;
        const eq = text.indexOf("=", j);
        if (eq < 0 || eq >= end) throw new XmlError(`bad attribute at offset ${j}`);
        let q = eq + 1;
        while (q < end && isSpace(text.charCodeAt(q))) q++;
        const quote = text[q];
        if (quote !== '"' && quote !== "'") throw new XmlError(`unquoted attribute at offset ${j}`);
        const close = text.indexOf(quote, q + 1);
        if (close < 0 || close >= end) throw new XmlError(`bad attribute at offset ${j}`);
        let nameEnd = eq;
        while (nameEnd > j && isSpace(text.charCodeAt(nameEnd - 1))) nameEnd--;
        el.attrs[names.get(j, nameEnd)] = values.get(q + 1, close);
        j = close + 1;
      }
      if (stack.length > 0) {
        const parent = stack[stack.length - 1]!;
        if (parent.children === NO_CHILDREN) parent.children = [el];
        else parent.children.push(el);
      } else if (root) throw new XmlError(`a second root element at offset ${lt}`);
      else root = el;
      if (!selfClosing) stack.push(el);
      else if (stack.length === 1 && opts.onRootChild?.(el)) stack[0]!.children.pop();
      i = gt;
    }
  }
  if (!root) throw new XmlError("no root element");
  if (stack.length > 0) throw new XmlError(`<${stack[stack.length - 1]!.name}> is never closed`);
  return root;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Whether text[from, to) is `name`, blanks around it allowed. */
function closes(text: string, from: number, to: number, name: string): boolean {
  while (from < to && isSpace(text.charCodeAt(from))) from++;
  while (to > from && isSpace(text.charCodeAt(to - 1))) to--;
  return to - from === name.length && text.startsWith(name, from);
}

function isBlank(text: string, from: number, to: number): boolean {
  for (let j = from; j < to; j++) {
    const c = text.charCodeAt(j);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return true;
}

function closeOf(text: string, from: number, close: string): number {
  const at = text.indexOf(close, from);
  if (at < 0) throw new XmlError(`unterminated markup at offset ${from}`);
  return at + close.length;
}

/** The offset after a tag's '>', skipping '>' inside quoted attribute values. */
function tagEnd(text: string, from: number): number {
  let quote = "";
  for (let j = from + 1; j < text.length; j++) {
    const c = text[j]!;
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ">") return j + 1;
  }
  throw new XmlError(`unterminated tag at offset ${from}`);
}

/** Skips <!DOCTYPE …> including an internal subset in brackets. */
function skipDeclaration(text: string, from: number): number {
  let depth = 0;
  for (let j = from + 2; j < text.length; j++) {
    const c = text[j];
    if (c === "[") depth++;
    else if (c === "]") depth--;
    else if (c === ">" && depth <= 0) return j + 1;
  }
  throw new XmlError(`unterminated declaration at offset ${from}`);
}

/** The first child element named `name`. */
export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** Every child element named `name`. */
export function children(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}
