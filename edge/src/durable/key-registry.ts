import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';

/** Registry row: maps a public key id to the Durable Object holding the key. */
export interface RegistryEntry {
  id: string;
  key_hash: string;
  tenant: string;
  created_at: number;
}

/**
 * A single object (name `global`) that maps key ids to key hashes, for admin look-ups and revocation by id.
 * Only admin calls touch it; the request path goes straight to the key's own object.
 */
export class KeyRegistry extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS keys (
      id TEXT PRIMARY KEY, key_hash TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL, created_at INTEGER NOT NULL)`);
  }

  /** Records a new key. */
  async register(entry: RegistryEntry): Promise<void> {
    this.ctx.storage.sql.exec(
      'INSERT INTO keys (id, key_hash, tenant, created_at) VALUES (?, ?, ?, ?)',
      entry.id,
      entry.key_hash,
      entry.tenant,
      entry.created_at,
    );
  }

  /** Looks a key up by its public id. */
  async find(id: string): Promise<RegistryEntry | null> {
    return (
      this.ctx.storage.sql
        .exec<Record<string, SqlStorageValue> & RegistryEntry>('SELECT * FROM keys WHERE id = ?', id)
        .toArray()[0] ?? null
    );
  }
}
