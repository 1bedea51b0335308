import { MissingObjectError, StorageError } from '../../src/service/object-store.js';
import type { StoreApi } from '../../src/service/store-api.js';

/** A stored object with what the runner sent along. */
export interface StoredObject {
  body: Uint8Array;
  contentType: string;
  metadata: Record<string, string>;
}

/** An in-memory bucket for worker tests; `failPuts` makes the next N writes fail as storage outages would. */
export class MemoryStore implements StoreApi {
  readonly objects = new Map<string, StoredObject>();
  putAttempts = 0;
  failPuts = 0;

  async put(key: string, body: Uint8Array, contentType: string, metadata: Record<string, string>): Promise<void> {
    this.putAttempts++;
    if (this.failPuts > 0) {
      this.failPuts--;
      throw new StorageError(`could not store ${key}: simulated outage`);
    }
    this.objects.set(key, { body, contentType, metadata });
  }

  async get(key: string): Promise<Uint8Array> {
    const o = this.objects.get(key);
    if (!o) throw new MissingObjectError(`input object ${key} does not exist`);
    return o.body;
  }
}
