import { parseArgs } from 'node:util';
import { initBackend } from '../tf/backend.js';
import { E2E_SCENARIOS } from '../verify/e2e-scenarios.js';
import { FIXTURES_ENV, fixturesRoot } from '../verify/fixture-root.js';
import { componentHeadline, formatComponent, formatHeader, formatSummary } from '../verify/report.js';
import { runVerify } from '../verify/run-verify.js';
import { COMPONENT_CHECKS } from '../verify/tiny-suite.js';

const HELP = `usage: kandinsky verify [--full] [--json] [--only names] [--backend node-gpu|node|wasm|cpu] [--prior-rows 1|2]

Proves on this machine's backend that the port computes Kandinsky 2.1 as the reference (diffusers 0.27.2 /
transformers 4.38 on PyTorch) does, from the reference fixtures shipped with the runner:
  (default)  the tiny suite: the seven components (tiny random-weight models through converter, loader and the
             pipelines' adapters) and the seven whole-pipeline traces. Seconds; the runner runs it at start-up.
  --full     adds the seven FULL-SIZE components with weights regenerated from seeded manifests: each is written as
             a diffusers checkpoint, converted, loaded and run. Minutes on a GPU; about 15 min on the pure-JS cpu
             backend (wasm cannot hold the U-Nets or the prior: those run on cpu). Run it once per new GPU type.

Every check prints its error relative to the tensor's scale (max|ours - ref| / max(1, max|ref|)), its tolerance and
the rule behind it (1e-4, or 10x the output's own float32 sensitivity where that is larger), pass or fail, plus the
backend, memory and times per component. Exits 1 if any check fails.

options:
  --json               print the report as JSON (progress goes to stderr)
  --only a,b           only these components or traces (movq, unet, unet_inpaint, prior, text_encoder,
                       image_encoder, prior_text_encoder, e2e_text2img, ...)
  --backend X          force a backend (default: the fastest available; wasm uses one thread per core unless
                       KANDINSKY_WASM_THREADS says otherwise)
  --prior-rows 1|2     rows of the full-size prior to run (default 1 on wasm/cpu: ~270 s per row there)
  --scratch DIR        scratch folder (default the OS temp folder; a full-size U-Net needs ~10 GB)
  --no-tiny            with --full: skip the tiny suite

${FIXTURES_ENV}=DIR points at another fixture root (with kandinsky21-tiny/ and kandinsky21-full-seeded/).`;

/** `kandinsky verify`. */
export async function verifyCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      full: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      only: { type: 'string' },
      backend: { type: 'string' },
      'prior-rows': { type: 'string' },
      scratch: { type: 'string' },
      'no-tiny': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const rows = values['prior-rows'];
  if (rows !== undefined && rows !== '1' && rows !== '2') {
    console.error(`--prior-rows must be 1 or 2, got "${rows}"`);
    return 2;
  }
  if (values['no-tiny'] && !values.full) {
    console.error('--no-tiny leaves nothing to run without --full');
    return 2;
  }
  const only = values.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const known = [...COMPONENT_CHECKS.map((c) => c.name), ...E2E_SCENARIOS.map((e) => e.name)];
  const unknown = only?.filter((n) => !known.includes(n)) ?? [];
  if (unknown.length) {
    console.error(`--only: no such component or trace: ${unknown.join(', ')} (known: ${known.join(', ')})`);
    return 2;
  }
  const backend = await initBackend({ prefer: values.backend, wasmThreads: 'auto', log: (m) => console.error(m) });
  const sets: ('tiny' | 'full')[] = [
    ...(values['no-tiny'] ? [] : ['tiny' as const]),
    ...(values.full ? ['full' as const] : []),
  ];
  if (!values.json) {
    console.log(
      formatHeader({
        backend: { choice: backend.choice, tfBackend: backend.tfBackend, threads: backend.threads },
        fixtures: fixturesRoot(),
        sets,
      }),
    );
  }
  const report = await runVerify({
    tiny: !values['no-tiny'],
    full: values.full,
    only,
    priorRows: rows === undefined ? undefined : (Number(rows) as 1 | 2),
    scratch: values.scratch,
    log: (line) => console.error(line),
    // Text: each component as it finishes (a full run takes minutes); JSON: headlines on stderr, the report at the end.
    onReport: (c) => (values.json ? console.error(componentHeadline(c)) : console.log(formatComponent(c))),
  });
  console.log(values.json ? JSON.stringify(report, null, 1) : formatSummary(report));
  return report.pass ? 0 : 1;
}
