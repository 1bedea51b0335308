/** What `kandinsky verify` reports, as JSON (`--json`) and as text. */

/** One compared quantity. */
export interface CheckResult {
  /** The reference tensor (or property) checked, e.g. `decode_force_not_quantize.sample`. */
  name: string;
  /** Relative error (see `tolerance.ts`); for exact checks, the number of mismatches. */
  error: number;
  tolerance: number;
  /** How the tolerance was set, e.g. `floor 0.0001` or `10 x sensitivity 3.10e-4`. */
  rule: string;
  pass: boolean;
  maxAbsError?: number;
  /** `max(1, max|ref|)`. */
  scale?: number;
  /** Measured relative change under a 1e-6 relative input perturbation (sensitivity-checked outputs only). */
  sensitivity?: number;
  /** What went wrong, or what the check compared, in words. */
  detail?: string;
}

/** One component (or one whole-run trace) of one fixture set. */
export interface ComponentReport {
  /** `tiny` (the tiny reference models and traces) or `full` (full-size seeded components). */
  set: 'tiny' | 'full';
  /** The fixture folder: `movq`, `unet`, …, `e2e_text2img`, …. */
  name: string;
  kind: 'component' | 'whole-run';
  /** The backend it ran on (a full-size component too large for wasm runs on `cpu`; `note` says so). */
  backend: string;
  note?: string;
  parameters?: number;
  /** Bytes on the backend: the weights as float32, and the peak of all tensors while it ran. */
  memory: { weightBytes?: number; peakBytes?: number };
  /** Seconds per phase: regenerate, write, convert, load, run, sensitivity. */
  seconds: Record<string, number>;
  checks: CheckResult[];
  /** An exception that stopped the component (counts as a failure). */
  error?: string;
  pass: boolean;
}

/** The whole report. */
export interface VerifyReport {
  pass: boolean;
  /** The backend the checks ran on (a full-size component may have run on `cpu` instead: see its own `backend`). */
  backend: { choice: string; tfBackend: string; threads: number | null };
  fixtures: string;
  sets: ('tiny' | 'full')[];
  components: ComponentReport[];
  /** Checks run and failed, over all components. */
  checks: number;
  failed: number;
  seconds: number;
}

const MiB = 1024 ** 2;

/** `1.23e-5`-style numbers, `0` for zero. */
export function sci(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  return x.toExponential(2);
}

function bytes(n: number | undefined): string {
  if (n === undefined) return '-';
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(2)} GiB` : `${(n / MiB).toFixed(1)} MiB`;
}

/** One line per component header. */
export function componentHeadline(c: ComponentReport): string {
  const secs = Object.entries(c.seconds)
    .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
    .join(', ');
  const mem =
    c.kind === 'component' ? `; weights ${bytes(c.memory.weightBytes)}, peak ${bytes(c.memory.peakBytes)}` : '';
  const params = c.parameters !== undefined ? ` ${c.parameters.toLocaleString('en-US')} parameters,` : '';
  return `${c.pass ? 'PASS' : 'FAIL'} ${c.set} ${c.name} [${c.backend}${c.note ? `: ${c.note}` : ''}]${params} ${secs}${mem}`;
}

/** One line per check. */
export function checkLine(r: CheckResult): string {
  const parts = [
    `  ${r.pass ? 'ok  ' : 'FAIL'} ${r.name}`,
    `error ${sci(r.error)}`,
    `tolerance ${sci(r.tolerance)} (${r.rule})`,
  ];
  if (r.maxAbsError !== undefined && r.scale !== undefined) {
    parts.push(`max abs ${sci(r.maxAbsError)} / scale ${r.scale.toPrecision(3)}`);
  }
  if (r.detail) parts.push(r.detail);
  return parts.join('  ');
}

/** The first line of the text report: backend (and wasm threads), fixture root, sets. */
export function formatHeader(report: Pick<VerifyReport, 'backend' | 'fixtures' | 'sets'>): string {
  const b = report.backend;
  const threads = b.choice === 'wasm' ? `, ${b.threads} thread${b.threads === 1 ? '' : 's'}` : '';
  return `kandinsky verify: backend ${b.choice} (tfjs ${b.tfBackend}${threads}); fixtures ${report.fixtures}; sets ${report.sets.join(' + ')}`;
}

/**
 * One component's lines. Component checks get a line each; a whole-run trace compares dozens of tensors, so it
 * prints the one closest to its tolerance and any that fail (`--json` has them all).
 */
export function formatComponent(c: ComponentReport): string {
  const lines = [componentHeadline(c)];
  if (c.error) lines.push(`  FAIL ${c.error}`);
  const tensors = c.checks.filter((r) => r.scale !== undefined);
  if (c.kind === 'whole-run' && tensors.length > 3) {
    for (const r of c.checks.filter((r) => r.scale === undefined)) lines.push(checkLine(r));
    const failed = tensors.filter((r) => !r.pass);
    const worst = [...tensors].sort((p, q) => q.error / q.tolerance - p.error / p.tolerance)[0];
    lines.push(
      `  ${tensors.length} tensors compared, ${failed.length} failed; ${failed.length ? 'failures' : 'closest to its tolerance'}:`,
    );
    const shown = failed.length ? failed : [worst];
    for (const r of shown.slice(0, 10)) lines.push(checkLine(r));
    if (shown.length > 10) lines.push(`  … ${shown.length - 10} more (see --json)`);
  } else {
    for (const r of c.checks) lines.push(checkLine(r));
  }
  return lines.join('\n');
}

/** The verdict line. */
export function formatSummary(report: VerifyReport): string {
  const errors = report.components.filter((c) => c.error).length;
  return report.pass
    ? `verify: PASS, ${report.checks} checks on ${report.components.length} components and traces in ${report.seconds.toFixed(1)} s`
    : `verify: FAIL, ${report.failed} of ${report.checks} checks failed${errors ? `, ${errors} components or traces did not complete` : ''} (${report.seconds.toFixed(1)} s)`;
}

/** The whole text report. */
export function formatReport(report: VerifyReport): string {
  return [formatHeader(report), ...report.components.map(formatComponent), formatSummary(report)].join('\n');
}

/** Fills in the totals and the overall verdict of a report. */
export function summarize(
  base: Omit<VerifyReport, 'pass' | 'checks' | 'failed' | 'seconds'>,
  seconds: number,
): VerifyReport {
  const checks = base.components.reduce((n, c) => n + c.checks.length, 0);
  const failed = base.components.reduce((n, c) => n + c.checks.filter((r) => !r.pass).length, 0);
  const pass = base.components.length > 0 && base.components.every((c) => c.pass);
  return { ...base, pass, checks, failed, seconds };
}
