/** The storage calls the worker makes: inputs read, images and previews written (the real one is `ObjectStore`). */
export interface StoreApi {
  put(
    key: string,
    body: Uint8Array,
    contentType: string,
    metadata: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<void>;
  get(key: string, signal?: AbortSignal): Promise<Uint8Array>;
}
