// Fused Monte-Carlo statistics of ReLU MLPs (whest-cuda). Compiled at run time by NVRTC with
// the shape constants below defined on the command line (see kernel.rs):
//   WP  padded width (a multiple of TN; weights and activations are WP wide, pad columns 0)
//   W   true width (inputs of columns >= W are 0)
//   G   row groups per block (a block holds S = G*TM samples; a multiple of WR)
//   KT  weight rows staged in shared memory per step (divides WP)
//   WR, WC  a warp's threads as WR row groups by WC column groups (WR*WC = 32, WC divides CG)
//
// One block owns a tile of S samples at a time (tiles blk, blk + blocks_per_mlp, ... of its
// MLP). The tile's inputs are drawn into shared memory from Philox4x32-10 keyed by the MLP and
// counted by (sample, column / 4), so every sample's inputs are the same whichever block draws
// them. Activations are held k-major (act[k * S + sample]) so a thread reads its 8 rows of one
// k as two float4s. Each layer multiplies the tile by W_l (fp32 FMAs, k summed in order
// 0..WP-1 for every output) with the weights streamed through a double-buffered shared tile of
// KT rows (the next tile's copies, cp.async on sm_80+, are in flight while the current one is
// used), applies ReLU
// and writes the result back in place; activations never leave the SM. Thread (g, c) owns rows
// g*TM.. and the columns 4c..4c+3 and WP/2+4c..WP/2+4c+3 (so a warp's float4 weight reads are
// contiguous); it adds its rows of every layer (and their squares on the last layer), widened
// to f64, to its own slots of `partial`, which the host adds up in a fixed order. No atomics:
// results depend on the launch only through the f64 summation order.

#define TM 8
#define TN 8
#define CG (WP / TN)
#define HALF (WP / 2)
#define NTHREADS (G * CG)
#define S (G * TM)
#define WARPS_C (CG / WC)
#define WT_VEC (KT * WP / 4)
#define WT_LOADS ((WT_VEC + NTHREADS - 1) / NTHREADS)
// Blocks per SM the registers must allow: at most 128 registers a thread (the 8x8 tile and
// its operands fit; more only lowers occupancy).
#define MIN_BLOCKS (NTHREADS * 128 >= 65536 ? 1 : 65536 / (NTHREADS * 128))

// Random123's Philox4x32 constants.
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

__device__ __forceinline__ void philox4x32_10(unsigned c[4], unsigned k0, unsigned k1) {
#pragma unroll
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        const unsigned hi0 = __umulhi(PHILOX_M0, c[0]);
        const unsigned lo0 = PHILOX_M0 * c[0];
        const unsigned hi1 = __umulhi(PHILOX_M1, c[2]);
        const unsigned lo1 = PHILOX_M1 * c[2];
        const unsigned n0 = hi1 ^ c[1] ^ k0;
        const unsigned n2 = hi0 ^ c[3] ^ k1;
        c[0] = n0;
        c[1] = lo1;
        c[2] = n2;
        c[3] = lo0;
    }
}

// The Box-Muller pair of two words, in f64, rounded to f32 (the CPU's philox.rs evaluates the
// same expressions; none of them has a multiply feeding an add, so FMA contraction cannot
// change them).
__device__ __forceinline__ void box_muller(unsigned a, unsigned b, float* za, float* zb) {
    const double inv_2_32 = 2.3283064365386962890625e-10;  // 2^-32, exact
    const double va = ((double)a + 0.5) * inv_2_32;
    const double vb = ((double)b + 0.5) * inv_2_32;
    const double r = sqrt(-2.0 * log(va));
    const double t = 6.283185307179586 * vb;
    *za = (float)(r * cos(t));
    *zb = (float)(r * sin(t));
}

// numpy's maximum(v, 0): v when v >= 0 or v is NaN, else +0.
__device__ __forceinline__ float relu(float v) {
    return (v >= 0.0f || v != v) ? v : 0.0f;
}

// Column of a thread's output t (0..TN-1): 4c+t for the first half, WP/2+4c+t-4 after.
__device__ __forceinline__ int out_col(int c, int t) {
    return t < 4 ? 4 * c + t : HALF + 4 * c + (t - 4);
}

// Copies one weight tile (WT_VEC float4s) from global to shared memory: asynchronously
// (cp.async, no registers held) on sm_80 and later, so the copy overlaps the FMAs on the other
// buffer; `copies_done` waits for this thread's copies (a barrier must follow before others
// read them).
__device__ __forceinline__ void stage_weights(float4* dst, const float4* src, int tid) {
#pragma unroll
    for (int j = 0; j < WT_LOADS; ++j) {
        const int i = tid + j * NTHREADS;
        if (WT_VEC % NTHREADS == 0 || i < WT_VEC) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
            const unsigned to = (unsigned)__cvta_generic_to_shared(dst + i);
            asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(to), "l"(src + i));
#else
            dst[i] = __ldg(src + i);
#endif
        }
    }
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.commit_group;\n" ::);
#endif
}

__device__ __forceinline__ void copies_done() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.wait_group 0;\n" ::: "memory");
#endif
}

extern "C" __global__ void __launch_bounds__(NTHREADS, MIN_BLOCKS)
mlp_stats(const float* __restrict__ weights,      // n_mlps x depth x WP x WP
          const unsigned* __restrict__ keys,      // n_mlps x 2
          unsigned long long n_samples,
          int depth,
          int blocks_per_mlp,
          double* __restrict__ partial)           // n_mlps x blocks_per_mlp x G x (depth+1) x WP
{
    extern __shared__ float4 smem4[];
    float* act = reinterpret_cast<float*>(smem4);  // WP x S (k-major)
    float* wt = act + WP * S;                      // 2 x KT x WP

    const int mlp = blockIdx.x / blocks_per_mlp;
    const int blk = blockIdx.x % blocks_per_mlp;
    const int tid = threadIdx.x;
    const int lane = tid % 32;
    const int warp = tid / 32;
    const int g = (warp / WARPS_C) * WR + lane / WC;
    const int c = (warp % WARPS_C) * WC + lane % WC;
    const unsigned key0 = keys[2 * mlp];
    const unsigned key1 = keys[2 * mlp + 1];
    const float* wm = weights + (size_t)mlp * depth * WP * WP;
    double* part = partial
        + (((size_t)mlp * blocks_per_mlp + blk) * G + g) * (size_t)(depth + 1) * WP;

    // The weight tiles of all layers form one stream of depth * WP / KT tiles, run through
    // once per sample tile; the copy of the next one (wrapping to the first) is always in
    // flight while the current one is used.
    const int steps = depth * (WP / KT);
    float4* wt4 = reinterpret_cast<float4*>(wt);
    const float4* wstream = reinterpret_cast<const float4*>(wm);
    stage_weights(wt4, wstream, tid);
    copies_done();
    int buf = 0;

    const unsigned long long n_tiles = (n_samples + S - 1) / S;
    for (unsigned long long tile = blk; tile < n_tiles; tile += blocks_per_mlp) {
        const unsigned long long first = tile * S;
        const unsigned long long left = n_samples - first;
        const int valid = left < (unsigned long long)S ? (int)left : S;

        __syncthreads();  // the previous tile is done with act
        for (int i = tid; i < S * (WP / 4); i += NTHREADS) {
            const int r = i % S;
            const int q = i / S;
            const unsigned long long s = first + r;
            unsigned ctr[4] = {(unsigned)q, (unsigned)s, (unsigned)(s >> 32), 0u};
            philox4x32_10(ctr, key0, key1);
            float z[4];
            box_muller(ctr[0], ctr[1], &z[0], &z[1]);
            box_muller(ctr[2], ctr[3], &z[2], &z[3]);
#pragma unroll
            for (int t = 0; t < 4; ++t) {
                const int j = 4 * q + t;
                act[j * S + r] = j < W ? z[t] : 0.0f;
            }
        }

        for (int l = 0; l < depth; ++l) {
            __syncthreads();  // this layer's input written, its first weight tile staged

            float acc[TM][TN];
#pragma unroll
            for (int i = 0; i < TM; ++i)
#pragma unroll
                for (int t = 0; t < TN; ++t) acc[i][t] = 0.0f;

            for (int kt = 0; kt < WP / KT; ++kt) {
                const int next = (l * (WP / KT) + kt + 1) % steps;
                stage_weights(wt4 + (buf ^ 1) * WT_VEC, wstream + (size_t)next * WT_VEC, tid);
                const float* wb = wt + buf * KT * WP;
#pragma unroll
                for (int kk = 0; kk < KT; ++kk) {
                    const float* ak = act + (kt * KT + kk) * S + g * TM;
                    const float4 a0 = reinterpret_cast<const float4*>(ak)[0];
                    const float4 a1 = reinterpret_cast<const float4*>(ak)[1];
                    const float4 b0 = *reinterpret_cast<const float4*>(wb + kk * WP + 4 * c);
                    const float4 b1 = *reinterpret_cast<const float4*>(wb + kk * WP + HALF + 4 * c);
                    const float a[TM] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
                    const float b[TN] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
                    for (int i = 0; i < TM; ++i)
#pragma unroll
                        for (int t = 0; t < TN; ++t) acc[i][t] = fmaf(a[i], b[t], acc[i][t]);
                }
                copies_done();
                __syncthreads();  // this tile read by all, the next one staged
                buf ^= 1;
            }

            const bool last = l + 1 == depth;
            double sum[TN];
            double sq[TN];
#pragma unroll
            for (int t = 0; t < TN; ++t) {
                sum[t] = 0.0;
                sq[t] = 0.0;
            }
#pragma unroll
            for (int t = 0; t < TN; ++t) {
                float v[TM];
#pragma unroll
                for (int i = 0; i < TM; ++i) v[i] = relu(acc[i][t]);
                if (!last) {
                    float4* out = reinterpret_cast<float4*>(act + out_col(c, t) * S + g * TM);
                    out[0] = make_float4(v[0], v[1], v[2], v[3]);
                    out[1] = make_float4(v[4], v[5], v[6], v[7]);
                }
#pragma unroll
                for (int i = 0; i < TM; ++i) {
                    if (g * TM + i < valid) {
                        const double x = (double)v[i];
                        sum[t] += x;
                        if (last) sq[t] = __dadd_rn(sq[t], __dmul_rn(x, x));  // no FMA, as the CPU
                    }
                }
            }
#pragma unroll
            for (int t = 0; t < TN; ++t) part[l * WP + out_col(c, t)] += sum[t];
            if (last) {
#pragma unroll
                for (int t = 0; t < TN; ++t) part[depth * WP + out_col(c, t)] += sq[t];
            }
        }
    }
}
