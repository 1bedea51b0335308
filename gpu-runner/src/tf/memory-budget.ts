/** Thrown before allocation when a model set cannot fit the backend's memory. */
export class MemoryBudgetError extends Error {
  override readonly name = 'MemoryBudgetError';
}

const MiB = 1024 ** 2;
const fmt = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

/**
 * Keeps a ledger of what the process has loaded onto a memory-capped backend. The wasm heap corrupts silently when
 * it runs out (a failed allocation gets offset 0), so every model load reserves its bytes here first and a load that
 * cannot fit is refused with the sizes named.
 */
export class MemoryBudget {
  private readonly reservations = new Map<string, number>();

  /**
   * @param limitBytes what the backend can hold (`Infinity` for unbounded backends)
   * @param headroomBytes kept free for activations and temporaries during a generation
   */
  constructor(
    readonly limitBytes: number,
    readonly headroomBytes = 0,
  ) {}

  /** Bytes reserved so far. */
  get usedBytes(): number {
    let sum = 0;
    for (const v of this.reservations.values()) sum += v;
    return sum;
  }

  /** Reserves `bytes` under `label`, or throws {@link MemoryBudgetError} listing what is already loaded. */
  reserve(label: string, bytes: number): void {
    const available = this.limitBytes - this.headroomBytes - this.usedBytes;
    if (bytes > available) {
      const held = [...this.reservations].map(([k, v]) => `${k} ${fmt(v)}`).join(', ') || 'nothing';
      throw new MemoryBudgetError(
        `cannot load ${label} (${fmt(bytes)}): the backend holds at most ${fmt(this.limitBytes)}, ` +
          `${fmt(this.headroomBytes)} is kept for activations, and ${held} is already loaded ` +
          `(${fmt(Math.max(0, available))} free). Use a smaller model or the tfjs-node(-gpu) backend.`,
      );
    }
    this.reservations.set(label, (this.reservations.get(label) ?? 0) + bytes);
  }

  /** Releases what `label` reserved. */
  release(label: string): void {
    this.reservations.delete(label);
  }
}

/** What a generation needs beyond the weights on wasm: activations of a 64×64-latent U-Net step and temporaries. */
export const DEFAULT_WASM_HEADROOM_BYTES = 1024 ** 3;

/** A budget for the backend {@link initBackend} chose: capped for wasm, unbounded for tfjs-node(-gpu) and cpu. */
export function budgetForBackend(memoryLimitBytes: number, headroomBytes = DEFAULT_WASM_HEADROOM_BYTES): MemoryBudget {
  return Number.isFinite(memoryLimitBytes)
    ? new MemoryBudget(memoryLimitBytes, headroomBytes)
    : new MemoryBudget(Number.POSITIVE_INFINITY, 0);
}
