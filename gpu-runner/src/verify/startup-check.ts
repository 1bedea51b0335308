/**
 * The runner's start-up check: before `/readyz` turns true, the tiny suite of `kandinsky verify` runs on the backend
 * the runner will serve with (seconds on a GPU; ~30 s on two wasm threads). A backend that does not compute
 * Kandinsky 2.1 (a broken kernel, driver or library upgrade) keeps the runner from ever becoming ready, with one
 * clear message, instead of serving wrong images.
 *
 * On wasm the check also decides the thread count: the backend starts with one XNNPACK thread per core (the runtime
 * shim in `tf/wasm-threads.ts`), and if the check fails there it is restarted on the stock single-threaded build and
 * checked again; one log line says which it kept and why.
 */
import { type BackendInfo, currentBackend, noteWasmThreads } from '../tf/backend.js';
import { reinitialiseWasmBackend } from '../tf/wasm-threads.js';
import type { CheckResult, VerifyReport } from './report.js';
import { runVerify } from './run-verify.js';

/** Thrown when the start-up check fails: the runner must not serve. */
export class StartupVerificationError extends Error {
  override readonly name = 'StartupVerificationError';
}

/** The logging the check needs (the runner's structured logger fits). */
export interface StartupLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/** What the check settled on. */
export interface StartupCheckResult {
  backend: BackendInfo;
  report: VerifyReport;
}

/** The first failing check (or component error) of a report, in words. */
export function firstFailure(report: VerifyReport): string {
  for (const c of report.components) {
    if (c.error) return `${c.set} ${c.name}: ${c.error}`;
    const bad: CheckResult | undefined = c.checks.find((r) => !r.pass);
    if (bad) {
      const numbers = `error ${bad.error.toExponential(2)} > tolerance ${bad.tolerance.toExponential(2)}`;
      return `${c.set} ${c.name} ${bad.name}: ${bad.detail && !Number.isFinite(bad.error) ? bad.detail : numbers}`;
    }
  }
  return 'no checks ran';
}

const describe = (b: BackendInfo) =>
  `${b.choice}${b.choice === 'wasm' ? ` (${b.threads} thread${b.threads === 1 ? '' : 's'})` : ''}`;

/**
 * Runs the tiny suite on the current backend; on wasm with several threads, falls back to one thread when that is
 * what fails. Resolves with the backend kept, or throws {@link StartupVerificationError}.
 */
export async function verifyOnStart(
  log: StartupLog,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StartupCheckResult> {
  const backend = currentBackend();
  if (!backend) throw new Error('verifyOnStart: no backend initialised');
  let report = await runVerify({ env, stopOnFailure: true });
  if (!report.pass && backend.choice === 'wasm' && (backend.threads ?? 1) > 1) {
    const threaded = backend.threads;
    const failure = firstFailure(report);
    if (!(await reinitialiseWasmBackend(1))) throw new StartupVerificationError('the wasm backend did not restart');
    noteWasmThreads(1);
    report = await runVerify({ env, stopOnFailure: true });
    if (report.pass) {
      log.warn(`wasm threads off: the ${threaded}-thread backend failed the start-up parity check; running 1 thread`, {
        failure,
        checks: report.checks,
        seconds: round(report.seconds),
      });
      return { backend, report };
    }
  }
  if (!report.pass) {
    throw new StartupVerificationError(
      `start-up verification failed on backend ${describe(backend)}: ${firstFailure(report)}` +
        `${report.failed > 1 ? ` (and ${report.failed - 1} more failed checks)` : ''}. This backend does not compute ` +
        'Kandinsky 2.1 like the reference; refusing to serve. `kandinsky verify` prints the full report; ' +
        'VERIFY_ON_START=false skips this check.',
    );
  }
  log.info(
    backend.choice === 'wasm'
      ? `start-up parity check passed: wasm threads ${backend.threads === 1 ? 'off (1 thread)' : `on (${backend.threads})`}`
      : `start-up parity check passed on ${backend.choice}`,
    { backend: backend.choice, threads: backend.threads, checks: report.checks, seconds: round(report.seconds) },
  );
  return { backend, report };
}

const round = (s: number) => Math.round(s * 10) / 10;
