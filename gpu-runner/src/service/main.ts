import { StartupVerificationError } from '../verify/startup-check.js';
import { RunnerConfigError } from './config.js';
import { startRunnerService } from './runner-service.js';

/**
 * Process entry of the runner: `tsx gpu-runner/src/service/main.ts` (or `npm run serve -w gpu-runner`). Exits 1 with a
 * plain message when it cannot start (bad configuration, bad model folder); on SIGTERM/SIGINT it drains and exits 0.
 */
async function main(): Promise<number> {
  let service: Awaited<ReturnType<typeof startRunnerService>>;
  try {
    service = await startRunnerService();
  } catch (err) {
    const plain = err instanceof RunnerConfigError || err instanceof StartupVerificationError;
    const message = plain ? (err as Error).message : `${(err as Error).name}: ${(err as Error).message}`;
    process.stderr.write(`kandinsky runner: cannot start: ${message}\n`);
    return 1;
  }
  // One plain line whatever LOG_LEVEL says: with PORT=0 it is how a supervisor (the local stack) learns the port.
  process.stdout.write(`kandinsky runner: ready, health server on port ${service.healthPort}\n`);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      process.stderr.write(`kandinsky runner: ${signal} received, draining\n`);
      void service.stop().then(resolve);
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`kandinsky runner: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
