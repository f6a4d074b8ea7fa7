import Foundation
import Tensors

/// A `.safetensors` file, memory-mapped and fully validated on open.
///
/// Format (https://github.com/huggingface/safetensors): an 8-byte little-endian header length
/// N, N bytes of JSON header (`{"name": {"dtype", "shape", "data_offsets"}, "__metadata__": {…}}`,
/// padded with spaces), then the tensor bytes. Opening matches the reference reader
/// (`SafeTensors::deserialize` in `safetensors/src/tensor.rs`) and is stricter; see
/// `SafeTensorsHeader` for the list of checks. Every problem throws a `SafeTensorsError` naming
/// the file; no input traps, and nothing is allocated from a size the file claims before the
/// size is checked.
///
/// The mapping is read-only and private. Tensors are converted from it on demand, so opening a
/// multi-gigabyte checkpoint costs only the header. (Like any mapping, truncating the file
/// while it is open would fault on access; `SafeTensorsWriter` replaces files by rename, which
/// leaves open mappings intact.)
public struct SafeTensorsFile: Sendable {
    /// The largest header accepted, in bytes (the reference's `MAX_HEADER_SIZE`).
    public static let maximumHeaderLength = 100_000_000

    /// Where the file was read from.
    public let url: URL
    /// The `__metadata__` string map (empty when absent).
    public let metadata: [String: String]
    /// Tensor descriptions in file order (by data offset).
    public let entries: [SafeTensorsEntry]
    private let index: [String: Int]
    private let data: Data       // the whole file, memory-mapped
    private let dataStart: Int   // 8 + header length

    /// Opens, maps and validates `url`. Throws `SafeTensorsError` naming the file and the problem.
    public init(contentsOf url: URL) throws {
        self.url = url
        let data = try Self.map(url)
        let fileSize = data.count
        let headerLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(Self.maximumHeaderLength) else {
            throw SafeTensorsError(url, "header length \(headerLength) exceeds the \(Self.maximumHeaderLength)-byte limit")
        }
        let (dataStart, overflow) = Int(headerLength).addingReportingOverflow(8)
        guard !overflow, dataStart <= fileSize else {
            throw SafeTensorsError(url, "header length \(headerLength) runs past the end of the \(fileSize)-byte file")
        }
        let header = try data.withUnsafeBytes { raw in
            try SafeTensorsHeader.parse(UnsafeRawBufferPointer(rebasing: raw[8..<dataStart]),
                                        dataSize: fileSize - dataStart, url: url)
        }
        self.data = data
        self.dataStart = dataStart
        self.metadata = header.metadata
        self.entries = header.entries
        var index = [String: Int](minimumCapacity: header.entries.count)
        for (i, entry) in header.entries.enumerated() { index[entry.name] = i }
        self.index = index
    }

    /// Tensor names in file order.
    public var names: [String] { entries.map(\.name) }

    /// The description of tensor `name`, if present.
    public func entry(_ name: String) -> SafeTensorsEntry? { index[name].map { entries[$0] } }

    /// The raw little-endian bytes of tensor `name` (a slice of the mapping, not a copy).
    public func bytes(_ name: String) throws -> Data {
        let e = try requireEntry(name)
        return data[(dataStart + e.dataOffsets.lowerBound)..<(dataStart + e.dataOffsets.upperBound)]
    }

    /// Tensor `name` widened to Float32 (exact for F16, BF16 and FP8; integers become the
    /// nearest Float; BOOL becomes 0 or 1), like `safetensors.torch.load_file(...)[name].float()`.
    ///
    /// The mapped pages the copy was read from are then released (`MADV_DONTNEED`; they are
    /// clean file pages and fault in again if read), so that loading a checkpoint does not hold
    /// the file and its Float32 copy in memory at once: SD 1.5's or text-to-video-ms's UNet
    /// would otherwise peak at twice its size while it loads.
    public func tensor(_ name: String) throws -> Tensor {
        let e = try requireEntry(name)
        let count = e.dataOffsets.count / e.dtype.byteSize
        return data.withUnsafeBytes { raw in
            let tensor = Tensor(shape: e.shape) { out in
                guard count > 0, let base = raw.baseAddress, let destination = out.baseAddress else { return }
                e.dtype.widen(base + dataStart + e.dataOffsets.lowerBound, count: count, into: destination)
            }
            if let base = raw.baseAddress, e.dataOffsets.count >= Self.releaseThreshold {
                Self.releasePages(base + dataStart + e.dataOffsets.lowerBound, count: e.dataOffsets.count)
            }
            return tensor
        }
    }

    /// Tensors from this many bytes on have their pages released after the copy.
    static let releaseThreshold = 1 << 20

    /// Drops the whole pages inside `[start, start + count)` from the mapping (pages shared
    /// with a neighbouring tensor are kept: a zero-copy half-precision weight may live there).
    static func releasePages(_ start: UnsafeRawPointer, count: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let last = (Int(bitPattern: start) + count) / page * page
        guard last > first, let address = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(address, last - first, Int32(MADV_DONTNEED))
    }

    private func requireEntry(_ name: String) throws -> SafeTensorsEntry {
        guard let e = entry(name) else { throw SafeTensorsError(url, "no tensor named \(quoted(name))") }
        return e
    }

    /// Maps the whole file read-only; the mapping lives as long as the returned `Data` and its slices.
    private static func map(_ url: URL) throws -> Data {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SafeTensorsError(url, "cannot open the file (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SafeTensorsError(url, "cannot stat the file (\(String(cString: strerror(errno))))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw SafeTensorsError(url, "is not a regular file") }
        guard info.st_size >= 8, let size = Int(exactly: info.st_size) else {
            throw SafeTensorsError(url, "file is \(info.st_size) bytes, too short for the 8-byte header length")
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0),
              address != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw SafeTensorsError(url, "cannot map the file (\(String(cString: strerror(errno))))")
        }
        return Data(bytesNoCopy: address, count: size, deallocator: .custom { pointer, count in
            munmap(pointer, count)
        })
    }
}

/// One tensor's header entry (`safetensors::tensor::TensorInfo`).
public struct SafeTensorsEntry: Sendable, Equatable {
    /// The tensor's name (its checkpoint key).
    public let name: String
    /// The element type as stored.
    public let dtype: DType
    /// Sizes of each dimension, outermost first (empty for a scalar).
    public let shape: [Int]
    /// Byte range relative to the start of the data section.
    public let dataOffsets: Range<Int>
}
