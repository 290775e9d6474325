// Runs the mlp_stats kernel on the CPU (shim.h) and checks its partial sums bit for bit against
// a plain reference: the same Philox inputs, every output's fp32 FMAs in k order 0..WP-1, ReLU,
// and each (block, row group) slot's f64 sums added tile by tile as the kernel adds them.
// Built by tests/emulated_kernel.rs with the shape's -D options; shared memory starts as NaN so
// a read of anything not written shows. Usage: harness DEPTH N_SAMPLES N_MLPS BLOCKS_PER_MLP.
#include "shim.h"
#include "kernel_emu.cu"
int main(int argc, char** argv) {
  const int depth = atoi(argv[1]);
  const unsigned long long n = strtoull(argv[2], 0, 10);
  const int n_mlps = atoi(argv[3]);
  const int bpm = atoi(argv[4]);
  std::vector<float> w((size_t)n_mlps * depth * WP * WP, 0.0f);
  unsigned st = 12345;
  for (int m = 0; m < n_mlps; ++m)
    for (int l = 0; l < depth; ++l)
      for (int i = 0; i < W; ++i)
        for (int j = 0; j < W; ++j) {
          st = st * 1664525u + 1013904223u;
          w[(((size_t)m * depth + l) * WP + i) * WP + j] = ((int)(st >> 9) - (1 << 22)) / (float)(1 << 22) * 2.0f / sqrtf((float)W);
        }
  std::vector<unsigned> keys;
  for (int m = 0; m < n_mlps; ++m) { keys.push_back(0x1234u + m); keys.push_back(0xABCDu * (m + 1)); }
  const size_t plen = (size_t)n_mlps * bpm * G * (depth + 1) * WP;
  std::vector<double> part(plen, 0.0), ref(plen, 0.0);
  const size_t smem_bytes = ((size_t)S * WP + 2 * KT * WP) * 4;
  std::vector<float4> smem(smem_bytes / 16 + 1);
  for (int b = 0; b < n_mlps * bpm; ++b) {
    for (auto& v : smem) v = float4{NAN, NAN, NAN, NAN};
    g_smem = smem.data();
    std::barrier<> bar(NTHREADS);
    g_bar = &bar;
    std::vector<std::thread> ts;
    for (int t = 0; t < NTHREADS; ++t)
      ts.emplace_back([&, t, b] {
        threadIdx.x = t; blockIdx.x = b;
        mlp_stats(w.data(), keys.data(), n, depth, bpm, part.data());
      });
    for (auto& t : ts) t.join();
  }
  // reference
  const unsigned long long n_tiles = (n + S - 1) / S;
  std::vector<float> x(WP), y(WP);
  for (int m = 0; m < n_mlps; ++m)
    for (unsigned long long tile = 0; tile < n_tiles; ++tile) {
      const int blk = tile % bpm;
      for (int gg = 0; gg < G; ++gg) {
        std::vector<double> sum((size_t)(depth + 1) * WP, 0.0);
        std::vector<std::vector<float>> rows;
        for (int i = 0; i < TM; ++i) {
          unsigned long long s = tile * S + gg * TM + i;
          for (int q = 0; q < WP / 4; ++q) {
            unsigned c[4] = {(unsigned)q, (unsigned)s, (unsigned)(s >> 32), 0u};
            philox4x32_10(c, keys[2 * m], keys[2 * m + 1]);
            float z[4];
            box_muller(c[0], c[1], &z[0], &z[1]);
            box_muller(c[2], c[3], &z[2], &z[3]);
            for (int t = 0; t < 4; ++t) x[4 * q + t] = 4 * q + t < W ? z[t] : 0.0f;
          }
          std::vector<float> all;
          for (int l = 0; l < depth; ++l) {
            const float* wl = &w[(((size_t)m * depth + l) * WP) * WP];
            for (int j = 0; j < WP; ++j) {
              float a = 0.0f;
              for (int k = 0; k < WP; ++k) a = fmaf(x[k], wl[(size_t)k * WP + j], a);
              y[j] = (a >= 0.0f || a != a) ? a : 0.0f;
            }
            all.insert(all.end(), y.begin(), y.end());
            x = y;
          }
          rows.push_back(all);
        }
        double* dst = &ref[(((size_t)m * bpm + blk) * G + gg) * (depth + 1) * WP];
        for (int l = 0; l < depth; ++l)
          for (int j = 0; j < WP; ++j) {
            double sm = 0.0, sq = 0.0;
            for (int i = 0; i < TM; ++i)
              if (tile * S + gg * TM + i < n) {
                double v = rows[i][l * WP + j];
                sm += v;
                if (l + 1 == depth) sq += v * v;
              }
            dst[l * WP + j] += sm;
            if (l + 1 == depth) dst[depth * WP + j] += sq;
          }
      }
    }
  size_t bad = 0;
  for (size_t i = 0; i < plen; ++i)
    if (memcmp(&part[i], &ref[i], 8) != 0) { if (bad < 5) printf("mismatch at %zu: %.17g vs %.17g\n", i, part[i], ref[i]); ++bad; }
  double total = 0; for (double v : ref) total += v;
  printf("WP=%d W=%d G=%d KT=%d WR=%d depth=%d n=%llu mlps=%d bpm=%d: %zu/%zu mismatches (checksum %.6g)\n", WP, W, G, KT, WR, depth, n, n_mlps, bpm, bad, plen, total);
  return bad != 0;
}
