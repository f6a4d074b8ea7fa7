import Foundation

/// What the processor runs beyond the AVX2 baseline the package is compiled for (Package.swift).
public enum CPUFeatures {
    /// AVX-512 F, DQ, BW and VL (what `-target-cpu skylake-avx512` may emit), as the kernel
    /// reports them in `/proc/cpuinfo`: it lists a feature only when it also saves its registers,
    /// so a listed flag is safe to use. `DIFFUSE_NO_AVX512=1` turns the AVX-512 kernels off (to
    /// compare both paths on one machine).
    public static let avx512: Bool = {
        if ProcessInfo.processInfo.environment["DIFFUSE_NO_AVX512"] == "1" { return false }
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let flags = Set(line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }))
        return ["avx512f", "avx512dq", "avx512bw", "avx512vl"].allSatisfy { flags.contains(Substring($0)) }
    }()
}
