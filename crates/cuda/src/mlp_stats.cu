// Fused Monte-Carlo statistics of ReLU MLPs (whest-cuda). Compiled at run time by NVRTC with
// the shape constants below defined on the command line (see kernel.rs):
//   WP  padded width (a multiple of TN; weights and activations are WP wide, pad columns 0)
//   W   true width (inputs of columns >= W are 0)
//   G   row groups per block (a block holds S = G*TM samples)
//   KT  weight rows staged in shared memory per step (divides WP)
//
// One block owns a tile of S samples at a time (tiles blk, blk + blocks_per_mlp, ... of its
// MLP). The tile's inputs are drawn into shared memory from Philox4x32-10 keyed by the MLP and
// counted by (sample, column / 4), so every sample's inputs are the same whichever block draws
// them. Each layer multiplies the tile by W_l (fp32 FMAs, k summed in order 0..WP-1 for every
// output), applies ReLU and writes the result back in place; activations never leave the SM.
// Thread (g, c) owns rows g*TM.. and columns c*TN..; it adds its rows of every layer (and
// their squares on the last layer), widened to f64, to its own slots of `partial`, which the
// host adds up in a fixed order. No atomics: results depend on the launch only through the
// f64 summation order.

#define TM 8
#define TN 8
#define CG (WP / TN)
#define NTHREADS (G * CG)
#define S (G * TM)

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

extern "C" __global__ void __launch_bounds__(NTHREADS)
mlp_stats(const float* __restrict__ weights,      // n_mlps x depth x WP x WP
          const unsigned* __restrict__ keys,      // n_mlps x 2
          unsigned long long n_samples,
          int depth,
          int blocks_per_mlp,
          double* __restrict__ partial)           // n_mlps x blocks_per_mlp x G x (depth+1) x WP
{
    extern __shared__ float4 smem4[];
    float* act = reinterpret_cast<float*>(smem4);  // S x WP
    float* wt = act + S * WP;                      // KT x WP

    const int mlp = blockIdx.x / blocks_per_mlp;
    const int blk = blockIdx.x % blocks_per_mlp;
    const int tid = threadIdx.x;
    const int g = tid / CG;
    const int c = tid % CG;
    const unsigned key0 = keys[2 * mlp];
    const unsigned key1 = keys[2 * mlp + 1];
    const float* wm = weights + (size_t)mlp * depth * WP * WP;
    double* part = partial
        + (((size_t)mlp * blocks_per_mlp + blk) * G + g) * (size_t)(depth + 1) * WP
        + c * TN;

    const unsigned long long n_tiles = (n_samples + S - 1) / S;
    for (unsigned long long tile = blk; tile < n_tiles; tile += blocks_per_mlp) {
        const unsigned long long first = tile * S;
        const unsigned long long left = n_samples - first;
        const int valid = left < (unsigned long long)S ? (int)left : S;

        __syncthreads();  // the previous tile is done with act
        for (int i = tid; i < S * (WP / 4); i += NTHREADS) {
            const int r = i / (WP / 4);
            const int q = i % (WP / 4);
            const unsigned long long s = first + r;
            unsigned ctr[4] = {(unsigned)q, (unsigned)s, (unsigned)(s >> 32), 0u};
            philox4x32_10(ctr, key0, key1);
            float z[4];
            box_muller(ctr[0], ctr[1], &z[0], &z[1]);
            box_muller(ctr[2], ctr[3], &z[2], &z[3]);
#pragma unroll
            for (int t = 0; t < 4; ++t) {
                const int j = 4 * q + t;
                z[t] = j < W ? z[t] : 0.0f;
            }
            reinterpret_cast<float4*>(act + r * WP)[q] = make_float4(z[0], z[1], z[2], z[3]);
        }

        for (int l = 0; l < depth; ++l) {
            const float* wl = wm + (size_t)l * WP * WP;
            float acc[TM][TN];
#pragma unroll
            for (int i = 0; i < TM; ++i)
#pragma unroll
                for (int t = 0; t < TN; ++t) acc[i][t] = 0.0f;

            for (int k0 = 0; k0 < WP; k0 += KT) {
                __syncthreads();  // act written / wt free
                const float4* src = reinterpret_cast<const float4*>(wl + (size_t)k0 * WP);
                for (int i = tid; i < KT * WP / 4; i += NTHREADS) {
                    reinterpret_cast<float4*>(wt)[i] = __ldg(src + i);
                }
                __syncthreads();
#pragma unroll
                for (int kk = 0; kk < KT; ++kk) {
                    float a[TM];
#pragma unroll
                    for (int i = 0; i < TM; ++i) a[i] = act[(g * TM + i) * WP + k0 + kk];
                    const float4 b0 = reinterpret_cast<const float4*>(wt + kk * WP + c * TN)[0];
                    const float4 b1 = reinterpret_cast<const float4*>(wt + kk * WP + c * TN)[1];
                    const float b[TN] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
                    for (int i = 0; i < TM; ++i)
#pragma unroll
                        for (int t = 0; t < TN; ++t) acc[i][t] = fmaf(a[i], b[t], acc[i][t]);
                }
            }
            __syncthreads();  // every thread has read this layer's input

            const bool last = l + 1 == depth;
            double sum[TN];
            double sq[TN];
#pragma unroll
            for (int t = 0; t < TN; ++t) {
                sum[t] = 0.0;
                sq[t] = 0.0;
            }
#pragma unroll
            for (int i = 0; i < TM; ++i) {
                const int row = g * TM + i;
                float v[TN];
#pragma unroll
                for (int t = 0; t < TN; ++t) v[t] = relu(acc[i][t]);
                float4* out = reinterpret_cast<float4*>(act + row * WP + c * TN);
                out[0] = make_float4(v[0], v[1], v[2], v[3]);
                out[1] = make_float4(v[4], v[5], v[6], v[7]);
                if (row < valid) {
#pragma unroll
                    for (int t = 0; t < TN; ++t) {
                        const double x = (double)v[t];
                        sum[t] += x;
                        if (last) sq[t] = __dadd_rn(sq[t], __dmul_rn(x, x));  // no FMA, as the CPU
                    }
                }
            }
#pragma unroll
            for (int t = 0; t < TN; ++t) part[l * WP + t] += sum[t];
            if (last) {
#pragma unroll
                for (int t = 0; t < TN; ++t) part[depth * WP + t] += sq[t];
            }
        }
    }
}
