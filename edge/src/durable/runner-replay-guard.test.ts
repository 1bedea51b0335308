import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { RUNNER_CLOCK_SKEW_SECONDS } from '@kandinsky/protocol';
import { describe, expect, it } from 'vitest';
import type { RunnerReplayGuard } from './runner-replay-guard';

const guard = (name: string) => env.RUNNER_REPLAY_GUARD.get(env.RUNNER_REPLAY_GUARD.idFromName(name));
const nowSeconds = () => Math.floor(Date.now() / 1000);
const nonce = (n: number) => n.toString(16).padStart(32, '0');

describe('RunnerReplayGuard', () => {
  it('answers fresh once per nonce, replayed afterwards, stale outside the window', async () => {
    const stub = guard('unit-claims');
    expect(await stub.claim(nonce(1), nowSeconds())).toBe('fresh');
    expect(await stub.claim(nonce(1), nowSeconds())).toBe('replayed');
    // The nonce alone decides: the same nonce with another timestamp is still a replay.
    expect(await stub.claim(nonce(1), nowSeconds() - 10)).toBe('replayed');
    expect(await stub.claim(nonce(2), nowSeconds())).toBe('fresh');
    expect(await stub.claim(nonce(3), nowSeconds() - RUNNER_CLOCK_SKEW_SECONDS - 2)).toBe('stale');
    expect(await stub.claim(nonce(4), nowSeconds() + RUNNER_CLOCK_SKEW_SECONDS + 2)).toBe('stale');
    // Objects are per runner id: another runner's object knows nothing of these nonces (and never needs to, since the
    // runner id is signed).
    expect(await guard('unit-claims-other').claim(nonce(1), nowSeconds())).toBe('fresh');
  });

  it('keeps each nonce until its timestamp leaves the window, and no longer', async () => {
    const stub = guard('unit-expiry');
    const ts = nowSeconds() - 100;
    expect(await stub.claim(nonce(7), ts)).toBe('fresh');
    const rows = await runInDurableObject(stub, (_instance: RunnerReplayGuard, state) =>
      state.storage.sql
        .exec<{ nonce: string; expires_at: number }>('SELECT nonce, expires_at FROM used_nonces')
        .toArray(),
    );
    expect(rows).toEqual([{ nonce: nonce(7), expires_at: (ts + RUNNER_CLOCK_SKEW_SECONDS) * 1000 }]);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBe(
      (ts + RUNNER_CLOCK_SKEW_SECONDS) * 1000 + 1,
    );
  });

  it('drops expired nonces on the next claim and by alarm, then frees its storage', async () => {
    const stub = guard('unit-cleanup');
    expect(await stub.claim(nonce(1), nowSeconds())).toBe('fresh');
    // Age the row past its window (as if its timestamp were 301 s old).
    const age = (n: string) =>
      runInDurableObject(stub, (_instance: RunnerReplayGuard, state) => {
        state.storage.sql.exec('UPDATE used_nonces SET expires_at = ? WHERE nonce = ?', Date.now() - 1000, n);
      });
    await age(nonce(1));
    expect(await stub.claim(nonce(2), nowSeconds())).toBe('fresh');
    const left = await runInDurableObject(stub, (_instance: RunnerReplayGuard, state) =>
      state.storage.sql.exec<{ nonce: string }>('SELECT nonce FROM used_nonces').toArray(),
    );
    expect(left).toEqual([{ nonce: nonce(2) }]);

    // The alarm keeps live rows (and re-arms for them) ...
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).not.toBeNull();
    // ... and once every row has expired, deletes everything the object stored.
    await age(nonce(2));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const tables = await runInDurableObject(stub, (_instance: RunnerReplayGuard, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'used_nonces'").toArray(),
    );
    expect(tables).toEqual([]);
    // Still fully working afterwards.
    expect(await stub.claim(nonce(3), nowSeconds())).toBe('fresh');
    expect(await stub.claim(nonce(3), nowSeconds())).toBe('replayed');
  });
});
