import { copyFile, mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The weights file name the reference libraries give a component: diffusers models (`_class_name` in config.json)
 * save `diffusion_pytorch_model.safetensors`, transformers models `model.safetensors`.
 */
export function weightsFileName(config: Record<string, unknown>): string {
  return typeof config._class_name === 'string' ? 'diffusion_pytorch_model.safetensors' : 'model.safetensors';
}

/**
 * Lays a tiny harness component (`<set>/<name>/config.json` + `weights.safetensors`, next to its inputs and outputs)
 * out as the diffusers/transformers checkpoint folder the converter reads: `outDir/config.json` and the weights under
 * their library's file name (a symlink; a copy where links are not allowed). Returns `outDir`.
 */
export async function checkpointFromHarness(componentDir: string, outDir: string): Promise<string> {
  const config = JSON.parse(await readFile(join(componentDir, 'config.json'), 'utf8'));
  await mkdir(outDir, { recursive: true });
  await copyFile(join(componentDir, 'config.json'), join(outDir, 'config.json'));
  const source = join(componentDir, 'weights.safetensors');
  const target = join(outDir, weightsFileName(config));
  await symlink(source, target).catch(() => copyFile(source, target));
  return outDir;
}
