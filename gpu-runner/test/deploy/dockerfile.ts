/** One instruction of a Dockerfile, continuation lines joined. */
export interface DockerInstruction {
  keyword: string;
  /** Everything after the keyword, as written (flags included). */
  args: string;
  /** The JSON (exec) form, when the arguments are a JSON array of strings. */
  exec?: string[];
  line: number;
  /** Index of the build stage (FROM) the instruction belongs to; -1 before the first FROM (global ARGs). */
  stage: number;
}

const KEYWORDS = new Set([
  'FROM',
  'RUN',
  'CMD',
  'LABEL',
  'MAINTAINER',
  'EXPOSE',
  'ENV',
  'ADD',
  'COPY',
  'ENTRYPOINT',
  'VOLUME',
  'USER',
  'WORKDIR',
  'ARG',
  'ONBUILD',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
]);

/**
 * Parses a Dockerfile into instructions, the way the builder reads it: parser directives and comments dropped,
 * backslash continuations joined, every keyword checked. Throws with the line number on anything unknown.
 * Heredocs are not supported (the project's Dockerfiles do not use them).
 */
export function parseDockerfile(text: string): DockerInstruction[] {
  const lines = text.split('\n');
  const out: DockerInstruction[] = [];
  let stage = -1;
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i].trim();
    if (!first || first.startsWith('#')) continue;
    const startLine = i + 1;
    let joined = first;
    let continued = joined.endsWith('\\');
    if (continued) joined = joined.slice(0, -1);
    while (continued) {
      i++;
      if (i >= lines.length) throw new Error(`line ${startLine}: continuation runs past the end of the file`);
      const next = lines[i].trim();
      if (next.startsWith('#')) continue; // comment lines inside a continuation are dropped
      continued = next.endsWith('\\');
      joined += ` ${continued ? next.slice(0, -1) : next}`;
    }
    const m = /^([A-Za-z]+)\s+([\s\S]*)$/.exec(joined);
    if (!m) throw new Error(`line ${startLine}: not an instruction: ${joined}`);
    const keyword = m[1].toUpperCase();
    if (!KEYWORDS.has(keyword)) throw new Error(`line ${startLine}: unknown instruction ${m[1]}`);
    if (keyword === 'FROM') stage++;
    const args = m[2].trim();
    let exec: string[] | undefined;
    const jsonPart = keyword === 'HEALTHCHECK' ? args.replace(/^(--\S+\s+)*CMD\s+/, '') : args;
    if (jsonPart.startsWith('[')) {
      try {
        const parsed = JSON.parse(jsonPart);
        if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) exec = parsed;
      } catch {
        throw new Error(`line ${startLine}: ${keyword} looks like JSON but does not parse: ${jsonPart}`);
      }
    }
    out.push({ keyword, args, exec, line: startLine, stage });
  }
  return out;
}

/** The `ENV` pairs of instructions (`ENV A=1 B="x y"`; the legacy `ENV A 1` form too). */
export function envPairs(instructions: DockerInstruction[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const ins of instructions.filter((i) => i.keyword === 'ENV')) {
    if (!ins.args.includes('=')) {
      const [name, ...rest] = ins.args.split(/\s+/);
      out[name] = rest.join(' ');
      continue;
    }
    for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
      out[m[1]] = m[2].startsWith('"') ? JSON.parse(m[2]) : m[2];
    }
  }
  return out;
}
