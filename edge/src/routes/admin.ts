import { type Context, Hono } from 'hono';
import { readConfig } from '../config';
import type { KeyRecord } from '../durable/api-key-object';
import { ApiError } from '../errors/api-error';
import { shardStub } from '../jobs/shards';
import { sha256Hex } from '../lib/crypto';
import { randomToken } from '../lib/random';
import { parseJson } from '../lib/validate';
import { adminAuth } from '../middleware/admin-auth';
import { readBody } from '../middleware/read-body';
import { createKeySchema } from '../schemas/admin';
import type { AppEnv } from '../types';
import { makeWebhookSecret } from '../webhooks/sign';

/** Admin API (bearer ADMIN_TOKEN): create, read and revoke API keys. */
export const adminRoutes = new Hono<AppEnv>();

adminRoutes.use('*', adminAuth(), readBody({ maxBytes: 16 * 1024 }));

const registry = (env: AppEnv['Bindings']) => env.KEY_REGISTRY.get(env.KEY_REGISTRY.idFromName('global'));

function presentKey(record: KeyRecord) {
  return {
    id: record.id,
    object: 'api_key',
    name: record.name,
    tenant: record.tenant,
    limits: record.limits,
    created_at: Math.floor(record.created_at / 1000),
    revoked_at: record.revoked_at === null ? null : Math.floor(record.revoked_at / 1000),
  };
}

adminRoutes.post('/keys', async (c) => {
  const body = parseJson(c.get('rawBody'), createKeySchema, { allowEmpty: true });
  const plaintext = `kd_live_${randomToken(40)}`;
  const keyHash = await sha256Hex(plaintext);
  const id = `key_${randomToken(20)}`;
  const record: KeyRecord = {
    id,
    tenant: body.tenant ?? id,
    name: body.name ?? null,
    limits: body.limits,
    webhook_secret: makeWebhookSecret(),
    created_at: Date.now(),
    revoked_at: null,
  };
  const created = await c.env.API_KEYS.get(c.env.API_KEYS.idFromName(keyHash)).create(record);
  if (!created) throw new Error('API key hash collision');
  await registry(c.env).register({ id, key_hash: keyHash, tenant: record.tenant, created_at: record.created_at });
  // The plaintext key and webhook secret are shown once; only the key's SHA-256 is stored.
  return c.json({ ...presentKey(record), key: plaintext, webhook_secret: record.webhook_secret }, 201);
});

async function findKey(env: AppEnv['Bindings'], id: string) {
  const entry = await registry(env).find(id);
  if (!entry)
    throw new ApiError(404, `No API key with id '${id.slice(0, 64)}'.`, { param: 'id', code: 'key_not_found' });
  return env.API_KEYS.get(env.API_KEYS.idFromName(entry.key_hash));
}

adminRoutes.get('/keys/:id', async (c) => {
  const record = await (await findKey(c.env, c.req.param('id'))).describe();
  if (!record) throw new ApiError(404, 'API key record missing.', { code: 'key_not_found' });
  return c.json(presentKey(record));
});

const revoke = async (c: Context<AppEnv>) => {
  const record = await (await findKey(c.env, c.req.param('id') ?? '')).revoke(Date.now());
  if (!record) throw new ApiError(404, 'API key record missing.', { code: 'key_not_found' });
  return c.json(presentKey(record));
};
adminRoutes.post('/keys/:id/revoke', revoke);
adminRoutes.delete('/keys/:id', revoke);

/**
 * Queue depth over all shards, for autoscalers (KEDA metrics-api reads `queued`) and operators.
 * `queued` counts jobs waiting for a runner; `running` jobs hold a lease.
 */
adminRoutes.get('/queue', async (c) => {
  const shards = readConfig(c.env).queueShards;
  const stats = await Promise.all(Array.from({ length: shards }, (_, shard) => shardStub(c.env, shard).stats()));
  const total = (field: string) => stats.reduce((sum, shard) => sum + (shard[field] ?? 0), 0);
  return c.json({
    object: 'queue',
    queued: total('queued'),
    running: total('running'),
    pending_webhooks: total('pending_webhooks'),
    shards: stats.map((shard, index) => ({ index, queued: shard.queued ?? 0, running: shard.running ?? 0 })),
  });
});
