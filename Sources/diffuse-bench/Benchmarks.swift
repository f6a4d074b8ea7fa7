import Foundation
import Tensors

/// One operation measured by `diffuse-bench`. `key` names the same operation in
/// tools/bench/bench_torch.py, whose JSON answer is matched by it.
struct Benchmark {
    enum Kind { case gemm, convolution, attention, normalization }

    let key: String
    let title: String
    let kind: Kind
    /// Floating-point operations of one run (multiply and add counted separately); 0 if not meaningful.
    let flops: Double
    /// Runs the operation once; inputs are made beforehand.
    let run: () -> Void
}

/// The suite: Stable Diffusion 1.5 shapes at 512×512 with batch 2 (classifier-free guidance).
enum Suite {
    /// All benchmarks, in table order. Keys must match tools/bench/bench_torch.py.
    static func all() -> [Benchmark] {
        var list: [Benchmark] = []
        for (m, n, k) in [(1024, 1024, 1024), (4096, 320, 2880)] {
            list.append(gemm(m: m, n: n, k: k))
        }
        for (channels, size) in [(320, 64), (640, 32), (1280, 16), (1280, 8)] {
            list.append(conv3x3(batch: 2, channels: channels, size: size))
        }
        list.append(attention(key: "attention_cross", title: "attention 4096×77, 8×40, B=2",
                              batch: 2, heads: 8, queries: 4096, keys: 77, headDim: 40))
        list.append(attention(key: "attention_self", title: "attention 4096×4096, 8×40, B=2",
                              batch: 2, heads: 8, queries: 4096, keys: 4096, headDim: 40))
        // The tiny AudioLDM's self-attention: 16 channels in 2 heads over 5 s of latent (issue 5).
        list.append(attention(key: "attention_long", title: "attention 10000×10000, 2×8, B=2",
                              batch: 2, heads: 2, queries: 10000, keys: 10000, headDim: 8))
        list.append(normalization(silu: false))
        list.append(normalization(silu: true))
        return list
    }

    /// `C[m, n] = A[m, k] · B[k, n]` through `sgemm`.
    static func gemm(m: Int, n: Int, k: Int) -> Benchmark {
        let a = random([m, k], seed: 1), b = random([k, n], seed: 2)
        let c = OutputBuffer(count: m * n)
        return Benchmark(key: "sgemm_\(m)x\(n)x\(k)", title: "sgemm \(m)×\(n)×\(k)", kind: .gemm,
                         flops: 2 * Double(m) * Double(n) * Double(k)) {
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    sgemm(transposeA: false, transposeB: false, m: m, n: n, k: k, alpha: 1,
                          a: pa.baseAddress!, b: pb.baseAddress!, beta: 0, c: c.pointer)
                }
            }
        }
    }

    /// 3×3 convolution with padding 1 and `channels` in and out, with bias.
    static func conv3x3(batch: Int, channels: Int, size: Int) -> Benchmark {
        let x = random([batch, channels, size, size], seed: 3)
        let w = random([channels, channels, 3, 3], seed: 4, scale: 0.05)
        let b = random([channels], seed: 5)
        let flops = 2 * Double(batch * channels * size * size) * Double(channels * 9)
        return Benchmark(key: "conv2d_\(channels)x\(size)", title: "conv2d 3×3 \(channels)ch @\(size)×\(size), B=\(batch)",
                         kind: .convolution, flops: flops) {
            _ = conv2d(x, weight: w, bias: b, padding: [1, 1])
        }
    }

    /// Multi-head scaled-dot-product attention without a mask.
    static func attention(key: String, title: String, batch: Int, heads: Int, queries: Int, keys: Int,
                          headDim: Int) -> Benchmark {
        let q = random([batch, heads, queries, headDim], seed: 6)
        let k = random([batch, heads, keys, headDim], seed: 7)
        let v = random([batch, heads, keys, headDim], seed: 8)
        let flops = 4 * Double(batch * heads) * Double(queries) * Double(keys) * Double(headDim)
        return Benchmark(key: key, title: title, kind: .attention, flops: flops) {
            _ = scaledDotProductAttention(query: q, key: k, value: v)
        }
    }

    /// GroupNorm with 32 groups on `[2, 320, 64, 64]`, optionally followed by SiLU.
    static func normalization(silu: Bool) -> Benchmark {
        let x = random([2, 320, 64, 64], seed: 9)
        let w = random([320], seed: 10), b = random([320], seed: 11)
        return Benchmark(key: silu ? "group_norm_silu" : "group_norm",
                         title: silu ? "group_norm+silu 32g [2,320,64,64]" : "group_norm 32g [2,320,64,64]",
                         kind: .normalization, flops: 0) {
            _ = groupNorm(x, groups: 32, weight: w, bias: b, eps: 1e-5, applyingSiLU: silu)
        }
    }

    /// Uniform values in [-scale, scale) from a fixed-seed generator.
    static func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return Tensor(shape: shape) { out in
            for i in 0..<out.count {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                out[i] = (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
            }
        }
    }
}

/// An output matrix owned by a benchmark closure, freed with it.
final class OutputBuffer {
    let pointer: UnsafeMutablePointer<Float>
    init(count: Int) { pointer = .allocate(capacity: count) }
    deinit { pointer.deallocate() }
}

/// Median wall time in seconds of `runs` calls after `warmup` unmeasured ones.
func medianTime(warmup: Int, runs: Int, _ body: () -> Void) -> Double {
    for _ in 0..<warmup { body() }
    var times: [Double] = []
    for _ in 0..<max(1, runs) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    times.sort()
    return times[times.count / 2]
}
