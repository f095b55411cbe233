/**
 * Script selection as nmap's --script does it: each comma-separated rule is a boolean expression
 * over categories and script-name globs, matched against script.db; a rule that matches no entry
 * is a file or a directory of .nse files.
 *
 * nmap's grammar (nse_main.lua) gives "and" and "or" the same precedence and groups to the right:
 * "a and b or c" is "a and (b or c)". Keywords and categories are case-insensitive.
 */

/** One line of script.db: `Entry { filename = "x.nse", categories = { "a", "b", } }`. */
export interface DbEntry {
  filename: string;
  categories: string[];
}

/** Parses script.db; throws on a line that is not an Entry. */
export function parseScriptDb(text: string): DbEntry[] {
  const out: DbEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const m = line.match(
      /^Entry\s*\{\s*filename\s*=\s*"([^"]+)"\s*,\s*categories\s*=\s*\{([^}]*)\}/,
    );
    if (!m) throw new Error("script database appears corrupt, try `--script-updatedb`");
    const cats = [...m[2]!.matchAll(/"([^"]*)"/g)].map((c) => c[1]!);
    out.push({ filename: m[1]!, categories: cats });
  }
  return out;
}

type Token = { kind: "word" | "(" | ")"; text: string };

function tokenize(rule: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:([()])|([\x21-\x27\x2a-\x7e]+))/y;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < rule.length && (m = re.exec(rule)) !== null) {
    if (m[1]) out.push({ kind: m[1] as "(" | ")", text: m[1] });
    else out.push({ kind: "word", text: m[2]! });
    at = re.lastIndex;
  }
  if (rule.slice(at).trim() !== "") throw new SyntaxError(rule);
  return out;
}

type Expr =
  | { op: "and" | "or"; a: Expr; b: Expr }
  | { op: "not"; a: Expr }
  | { op: "word"; text: string };

function parse(rule: string): Expr | undefined {
  let toks: Token[];
  try {
    toks = tokenize(rule);
  } catch {
    return undefined;
  }
  let i = 0;
  const isKw = (t: Token | undefined, kw: string) =>
    t?.kind === "word" && t.text.toLowerCase() === kw;
  const value = (): Expr | undefined => {
    const t = toks[i];
    if (!t) return undefined;
    if (isKw(t, "not")) {
      i++;
      const a = value();
      return a && { op: "not", a };
    }
    if (t.kind === "(") {
      i++;
      const e = expression();
      if (!e || toks[i]?.kind !== ")") return undefined;
      i++;
      return e;
    }
    if (t.kind === "word") {
      i++;
      return { op: "word", text: t.text };
    }
    return undefined;
  };
  const expression = (): Expr | undefined => {
    const a = value();
    if (!a) return undefined;
    const t = toks[i];
    if (isKw(t, "and") || isKw(t, "or")) {
      i++;
      const b = expression();
      return b && { op: t!.text.toLowerCase() as "and" | "or", a, b };
    }
    return a;
  };
  const e = expression();
  return e && i === toks.length ? e : undefined;
}

/** nmap's glob for script names: `*` is any run, the `.nse` suffix optional. */
function globMatches(pattern: string, basename: string): boolean {
  const p = pattern.replace(/\.nse$/, "").replace(/[.+?^$()[\]{}|\\]/g, "\\$&").replace(
    /\*/g,
    ".*",
  );
  return new RegExp(`^${p}$`).test(basename);
}

function evaluate(e: Expr, entry: DbEntry, basename: string, byName: { hit: boolean }): boolean {
  switch (e.op) {
    case "and":
      return evaluate(e.a, entry, basename, byName) && evaluate(e.b, entry, basename, byName);
    case "or":
      return evaluate(e.a, entry, basename, byName) || evaluate(e.b, entry, basename, byName);
    case "not":
      return !evaluate(e.a, entry, basename, byName);
    case "word": {
      const w = e.text.toLowerCase();
      if (w === "all" || w === "true") return true;
      if (w === "false") return false;
      if (entry.categories.some((c) => c.toLowerCase() === w)) return true;
      const hit = globMatches(e.text, basename);
      byName.hit ||= hit;
      return hit;
    }
  }
}

/** A chosen script: its path and how it was chosen (nmap shows name-chosen scripts' output more). */
export interface Chosen {
  path: string;
  selection: "name" | "category" | "file path" | "directory";
}

export interface SelectEnv {
  /** nmap's scripts directory (holds script.db). */
  scriptsDir: string;
  db: DbEntry[];
  /** What a rule names on disk: "file", "directory", "bare_directory" or undefined. */
  stat(path: string): "file" | "directory" | undefined;
  listDir(path: string): string[];
}

/**
 * The scripts the rules choose, in nmap's order (script.db order, then rules naming files).
 * Throws Error with nmap's message for a rule that matches nothing.
 */
export function chooseScripts(
  rules: string[],
  env: SelectEnv,
  /** Rules added by nmap itself ("version" for -sV), which may match nothing without an error. */
  implicit: ReadonlySet<string> = new Set(),
): Chosen[] {
  const chosen: Chosen[] = [];
  const loaded = new Set<string>();
  const cleaned = rules.map((r) => r.trim().replace(/^\+/, "")).filter((r) => r !== "");
  const used = new Map(cleaned.map((r) => [r, false]));
  const parsed = cleaned.map((r) => [r, parse(r)] as const);
  for (const entry of env.db) {
    const basename = entry.filename.replace(/^.*[/\\]/, "").replace(/\.nse$/, "");
    for (const [rule, expr] of parsed) {
      if (!expr) continue;
      const byName = { hit: false };
      if (!evaluate(expr, entry, basename, byName)) continue;
      used.set(rule, true);
      const path = `${env.scriptsDir}/${entry.filename}`;
      if (!loaded.has(path)) {
        loaded.add(path);
        chosen.push({ path, selection: byName.hit ? "name" : "category" });
      }
    }
  }
  for (const [rule, wasUsed] of used) {
    if (wasUsed) continue;
    const candidates = [
      rule,
      `${rule}.nse`,
      `${env.scriptsDir}/${rule}`,
      `${env.scriptsDir}/${rule}.nse`,
    ];
    const found = candidates.map((p) => [p, env.stat(p)] as const).find(([, t]) => t);
    if (!found && implicit.has(rule)) continue;
    if (!found) throw new Error(`'${rule}' did not match a category, filename, or directory`);
    const [path, kind] = found;
    if (kind === "file" && !loaded.has(path)) {
      loaded.add(path);
      chosen.push({ path, selection: "file path" });
    } else if (kind === "directory") {
      if (!rule.endsWith("/")) {
        throw new Error(`directory '${path}' found, but will not match without '/'`);
      }
      for (const f of env.listDir(path).sort()) {
        const p = `${path.replace(/\/$/, "")}/${f}`;
        if (f.endsWith(".nse") && !loaded.has(p)) {
          loaded.add(p);
          chosen.push({ path: p, selection: "directory" });
        }
      }
    }
  }
  return chosen;
}

/** The real file system for chooseScripts; `db` defaults to the directory's script.db. */
export function diskEnv(scriptsDir: string, db?: DbEntry[]): SelectEnv {
  return {
    scriptsDir,
    db: db ?? parseScriptDb(Deno.readTextFileSync(`${scriptsDir}/script.db`)),
    stat(path) {
      try {
        const s = Deno.statSync(path);
        return s.isFile ? "file" : s.isDirectory ? "directory" : undefined;
      } catch {
        return undefined;
      }
    },
    listDir: (path) => [...Deno.readDirSync(path)].map((e) => e.name),
  };
}

/** nmap splits --script on commas; -sC is the rule "default". */
export function splitRules(arg: string): string[] {
  return arg.split(",");
}
