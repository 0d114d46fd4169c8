// CUDA kernels of layca-ops (compiled to PTX by build.rs with the pinned nvcc when the `cuda`
// feature is on; loaded by src/cuda.rs). Same semantics as the CPU kernels of this crate.

#include <stddef.h>

// k x k max pooling, stride k ("valid"), NCHW, one thread per output element. The strict `>`
// keeps the FIRST maximum in row-major window order (pool.rs: argmax_window).
template <typename T>
__device__ __forceinline__ size_t first_max(const T* plane, int w, int k, int oy, int ox) {
    size_t best = (size_t)(oy * k) * w + ox * k;
    T bv = plane[best];
    for (int i = 0; i < k; ++i) {
        size_t row = (size_t)(oy * k + i) * w + ox * k;
        for (int j = 0; j < k; ++j) {
            T v = plane[row + j];
            if (v > bv) {
                bv = v;
                best = row + j;
            }
        }
    }
    return best;
}

template <typename T>
__device__ void max_pool_fwd(const T* x, T* y, size_t n_out, int h, int w, int k) {
    int ho = h / k, wo = w / k;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n_out;
         i += (size_t)blockDim.x * gridDim.x) {
        size_t plane = i / ((size_t)ho * wo);
        int rem = (int)(i - plane * (size_t)ho * wo);
        const T* xp = x + plane * (size_t)h * w;
        y[i] = xp[first_max(xp, w, k, rem / wo, rem % wo)];
    }
}

// dx must be zeroed; windows do not overlap (stride k), so the writes never race.
template <typename T>
__device__ void max_pool_bwd(const T* x, const T* dy, T* dx, size_t n_out, int h, int w, int k) {
    int ho = h / k, wo = w / k;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n_out;
         i += (size_t)blockDim.x * gridDim.x) {
        size_t plane = i / ((size_t)ho * wo);
        int rem = (int)(i - plane * (size_t)ho * wo);
        size_t base = plane * (size_t)h * w;
        dx[base + first_max(x + base, w, k, rem / wo, rem % wo)] = dy[i];
    }
}

#define POOL(T, S)                                                                            \
    extern "C" __global__ void layca_max_pool_fwd_##S(const T* x, T* y, size_t n_out, int h,  \
                                                       int w, int k) {                       \
        max_pool_fwd<T>(x, y, n_out, h, w, k);                                                \
    }                                                                                         \
    extern "C" __global__ void layca_max_pool_bwd_##S(const T* x, const T* dy, T* dx,         \
                                                       size_t n_out, int h, int w, int k) {  \
        max_pool_bwd<T>(x, dy, dx, n_out, h, w, k);                                           \
    }

POOL(float, f32)
POOL(double, f64)
