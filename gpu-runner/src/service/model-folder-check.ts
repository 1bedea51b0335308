import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { COMPONENT_MANIFEST, type ComponentManifest } from '../convert/convert-component.js';
import { ModelFileError } from '../io/errors.js';
import { digestMatches, fileDigest } from '../io/file-hash.js';

/** What a verified model folder holds. */
export interface ModelFolderSummary {
  /** Component folder name -> its manifest. */
  components: Record<string, ComponentManifest>;
  /** Total bytes checked. */
  bytes: number;
}

/**
 * Checks a converted model folder before anything is loaded: it must hold the `required` component folders, each with
 * a readable `component.json`, and every file listed there must exist with its recorded size and SHA-256. A bad folder
 * is refused with one message naming every problem, so the runner never reports ready on damaged weights.
 */
export async function verifyModelFolder(dir: string, required: readonly string[]): Promise<ModelFolderSummary> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => {
    throw new ModelFileError('model folder does not exist or cannot be read', dir);
  });
  const problems: string[] = [];
  const components: Record<string, ComponentManifest> = {};
  let bytes = 0;
  for (const entry of entries.filter((e) => e.isDirectory())) {
    const manifestPath = join(dir, entry.name, COMPONENT_MANIFEST);
    const text = await readFile(manifestPath, 'utf8').catch(() => null);
    if (text === null) continue; // tokenizers, schedulers: not converted components
    let manifest: ComponentManifest;
    try {
      manifest = JSON.parse(text);
    } catch {
      problems.push(`${entry.name}/${COMPONENT_MANIFEST} is not valid JSON`);
      continue;
    }
    if (manifest.format !== 'kandinsky-tfjs-component' || typeof manifest.files !== 'object') {
      problems.push(`${entry.name}/${COMPONENT_MANIFEST} is not a converted component manifest`);
      continue;
    }
    components[entry.name] = manifest;
    for (const [rel, want] of Object.entries(manifest.files)) {
      const got = await fileDigest(join(dir, entry.name, rel)).catch(() => null);
      if (!got) problems.push(`${entry.name}/${rel} is missing`);
      else if (!digestMatches(got, want)) {
        problems.push(
          `${entry.name}/${rel} is corrupt (checksum mismatch: ${got.bytes} bytes, expected ${want.bytes})`,
        );
      } else bytes += got.bytes;
    }
  }
  const missing = required.filter((name) => !components[name]);
  if (missing.length) {
    const found = Object.keys(components);
    problems.unshift(
      `missing component folder(s) ${missing.join(', ')} (found: ${found.length ? found.join(', ') : 'none'}); convert the model with \`kandinsky convert\` first`,
    );
  }
  if (problems.length) throw new ModelFileError(`not a usable converted model:\n  - ${problems.join('\n  - ')}`, dir);
  return { components, bytes };
}
