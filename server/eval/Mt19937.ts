// The Mersenne Twister MT19937 (Matsumoto & Nishimura 1998), seeded and drawn from the way numpy's legacy global
// generator (`np.random.seed(s)`, `np.random.randint`, `np.random.choice`) does it, so that a bootstrap run here can
// draw exactly the same resamples as rouge_score's BootstrapAggregator after `np.random.seed(s)`.

const N = 624;
const M = 397;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const MATRIX_A = 0x9908b0df;

export class Mt19937 {
    private readonly state = new Uint32Array(N);
    private position = N;

    /** `seed` is an integer in [0, 2^32), as `np.random.seed` requires. */
    constructor(seed: number) {
        if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer between 0 and 2^32 - 1 (got ${seed})`);
        this.state[0] = seed >>> 0;
        for (let i = 1; i < N; i++) {
            const previous = this.state[i - 1];
            this.state[i] = (Math.imul(1812433253, previous ^ (previous >>> 30)) + i) >>> 0;
        }
    }

    /** The next 32-bit output, uniform in [0, 2^32). */
    nextUint32(): number {
        if (this.position >= N) this.twist();
        let y = this.state[this.position++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y >>> 0;
    }

    /**
     * A uniform integer in [0, bound), by numpy's legacy masked rejection: draw 32 bits, keep the lowest bits that can
     * hold bound - 1, retry while the result is too large. Draws nothing when bound is 1.
     */
    nextBelow(bound: number): number {
        if (!Number.isInteger(bound) || bound < 1 || bound > 0x100000000) throw new RangeError(`bound must be an integer in [1, 2^32] (got ${bound})`);
        const max = bound - 1;
        if (max === 0) return 0;
        if (max === 0xffffffff) return this.nextUint32();
        let mask = max;
        mask |= mask >>> 1;
        mask |= mask >>> 2;
        mask |= mask >>> 4;
        mask |= mask >>> 8;
        mask |= mask >>> 16;
        mask >>>= 0;
        for (;;) {
            const value = (this.nextUint32() & mask) >>> 0;
            if (value <= max) return value;
        }
    }

    private twist(): void {
        const mt = this.state;
        for (let i = 0; i < N; i++) {
            const y = (mt[i] & UPPER_MASK) | (mt[(i + 1) % N] & LOWER_MASK);
            mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
        }
        this.position = 0;
    }
}
