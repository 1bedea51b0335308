import { parseArgs } from 'node:util';
import { createS3Client } from '../service/s3-client.js';
import { parseS3Url, uploadModelFolder } from './model-store-upload.js';

const HELP = `usage: kandinsky weights upload <converted model folder> s3://<bucket>/<prefix>

Uploads a converted model folder (the --out of \`kandinsky weights pull\`) to the model store. Objects already
stored with the same SHA-256 are skipped; model-store.json (every key, size and SHA-256) is written last. Runners
then start with KANDINSKY_WEIGHTS=s3://<bucket>/<prefix>.

environment: S3_ENDPOINT, S3_REGION (default us-east-1), S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY`;

/** `kandinsky weights upload`. Returns the exit code. */
export async function weightsUploadCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const missing = ['S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'].filter((n) => !env[n]);
  if (positionals.length !== 2 || missing.length) {
    console.error(`${missing.length ? `missing environment: ${missing.join(', ')}\n\n` : ''}${HELP}`);
    return 2;
  }
  const [folder, url] = positionals;
  const { bucket, prefix } = parseS3Url(url);
  const s3 = createS3Client(
    {
      endpoint: env.S3_ENDPOINT!,
      region: env.S3_REGION || 'us-east-1',
      accessKeyId: env.S3_ACCESS_KEY_ID!,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY!,
    },
    { requestTimeoutMs: 600_000 },
  );
  const manifest = await uploadModelFolder(folder, { s3, bucket, prefix }, { log: (line) => console.log(line) });
  console.log(
    `${Object.keys(manifest.files).length} files in s3://${bucket}/${prefix}; start runners with KANDINSKY_WEIGHTS=${url}`,
  );
  return 0;
}
