// CUDA built-ins for running mlp_stats.cu on the CPU (see harness.cpp): one std::thread per
// CUDA thread, __syncthreads as a std::barrier, shared memory as a host buffer.
#include <cmath>
#include <cstdint>
#include <cstddef>
#include <barrier>
#include <thread>
#include <vector>
#include <cstring>
#include <cstdio>
#include <cstdlib>
struct dim3e { unsigned x; };
thread_local dim3e threadIdx, blockIdx;
static std::barrier<>* g_bar;
struct alignas(16) float4 { float x, y, z, w; };
static float4* g_smem;
#define __syncthreads() g_bar->arrive_and_wait()
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__
#define __launch_bounds__(...)
inline float4 make_float4(float a, float b, float c, float d) { return float4{a, b, c, d}; }
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
template <class T> T __ldg(const T* p) { return *p; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
