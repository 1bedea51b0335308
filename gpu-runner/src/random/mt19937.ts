/** MT19937 state size and middle word offset. */
const N = 624;
const M = 397;

/**
 * The 32-bit Mersenne Twister MT19937 (Matsumoto & Nishimura, 1998), seeded like `std::mt19937(seed)` and like
 * PyTorch's CPU generator (`torch.Generator().manual_seed(seed)` for seeds below 2^32). Pure integer arithmetic, so
 * its stream is identical on every platform and backend.
 */
export class Mt19937 {
  private readonly state = new Uint32Array(N);
  private index = N;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`MT19937 seed must be an integer in [0, 2^32), got ${seed}`);
    }
    const s = this.state;
    s[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = s[i - 1] ^ (s[i - 1] >>> 30);
      // 1812433253 * prev + i modulo 2^32, split into 16-bit halves to stay exact in float64.
      s[i] = ((((prev >>> 16) * 1812433253) << 16) + (prev & 0xffff) * 1812433253 + i) >>> 0;
    }
  }

  /** The next 32-bit output, as an unsigned integer. */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.state[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const s = this.state;
    for (let i = 0; i < N; i++) {
      const y = (s[i] & 0x80000000) | (s[(i + 1) % N] & 0x7fffffff);
      let next = s[(i + M) % N] ^ (y >>> 1);
      if (y & 1) next ^= 0x9908b0df;
      s[i] = next >>> 0;
    }
    this.index = 0;
  }
}
