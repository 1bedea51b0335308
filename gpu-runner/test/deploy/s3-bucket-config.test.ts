import { describe, expect, it } from 'vitest';
import { readRepoFile } from './deploy-files.js';

// The JSON documents docs/deploy.md applies with `aws s3api put-bucket-cors|put-bucket-lifecycle-configuration`.
describe('results bucket configuration', () => {
  it('CORS lets browsers read signed result URLs and nothing more', () => {
    const cors = JSON.parse(readRepoFile('infra/s3/results-cors.json'));
    expect(cors.CORSRules).toHaveLength(1);
    expect(cors.CORSRules[0].AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(cors.CORSRules[0].AllowedOrigins.every((o: string) => o !== '*' && /^https:\/\//.test(o))).toBe(true);
  });

  it('lifecycle expires results and inputs (the prefixes of docs/runner-protocol.md) and never the whole bucket', () => {
    const protocol = readRepoFile('docs/runner-protocol.md');
    const rules = JSON.parse(readRepoFile('infra/s3/results-lifecycle.json')).Rules as {
      Status: string;
      Filter: { Prefix: string };
      Expiration?: { Days: number };
    }[];
    const expiring = rules.filter((r) => r.Expiration);
    expect(expiring.map((r) => r.Filter.Prefix).sort()).toEqual(['inputs/', 'results/']);
    for (const r of expiring) {
      expect(protocol).toContain(`"${r.Filter.Prefix}`);
      expect(r.Status).toBe('Enabled');
      expect(r.Expiration!.Days).toBeGreaterThanOrEqual(1);
    }
  });
});
