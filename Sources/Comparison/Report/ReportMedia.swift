import Foundation
import MediaIO

/// The cells' files as the page refers to them.
///
/// - Thumbnails are always embedded (`data:image/png;base64,…`), so the contact sheets show
///   without the `cells/` folder. When all thumbnails together exceed `thumbnailBudget`, each
///   is shrunk by the smallest factor of 2, 4 or 8 (box filter) that brings the estimate
///   (total / factor²) under it, so a matrix of hundreds of filmstrips still makes a page a
///   browser opens quickly.
/// - Audio and video outputs are embedded (`data:audio/wav;base64,…`) when they and the
///   thumbnails together are at most `pageBudget` bytes: the page is then one self-contained
///   file of at most about 33 MB (base64 adds a third). Above it, every `<audio>`/`<video>`
///   refers to its file by relative path (`cells/x.wav`), so the page plays them only next to
///   its `cells/` folder; the contact sheets say which.
struct ReportMedia {
    /// Largest total of thumbnails embedded as they are, bytes (12 MB).
    static let thumbnailBudget = 12_000_000
    /// Largest total of thumbnails and audio and video outputs embedded together, bytes (25 MB).
    static let pageBudget = 25_000_000

    let folder: URL
    /// Whether audio and video are embedded (else linked).
    let embedsMedia: Bool
    /// Total bytes of the audio and video outputs.
    let mediaBytes: Int
    /// Thumbnails are shrunk by this factor (1: embedded as they are).
    let thumbnailScale: Int

    /// Measures the cells' files under `folder`; throws naming the first missing one. The
    /// budgets are parameters for tests.
    init(_ results: ComparisonResults, folder: URL, thumbnailBudget: Int = thumbnailBudget,
         pageBudget: Int = pageBudget) throws {
        self.folder = folder
        var media = 0
        var thumbnails = 0
        for cell in results.cells {
            thumbnails += try Self.size(of: cell.thumbnail, in: folder, what: "thumbnail", cell: cell)
            if cell.modality != .image {
                media += try Self.size(of: cell.output, in: folder, what: "output", cell: cell)
            }
        }
        let scale = [1, 2, 4].first { thumbnails / ($0 * $0) <= thumbnailBudget } ?? 8
        thumbnailScale = scale
        mediaBytes = media
        embedsMedia = thumbnails / (scale * scale) + media <= pageBudget
    }

    /// The thumbnail of `cell` as a `data:` URI (already safe in an attribute).
    func thumbnailSource(_ cell: CellResult) throws -> String {
        var bytes = try Self.read(cell.thumbnail, in: folder, what: "thumbnail", cell: cell)
        if thumbnailScale > 1 {
            do {
                let image = try PNGReader.decode(bytes, path: cell.thumbnail).image
                bytes = try PNGWriter.encode(Self.shrunk(image, by: thumbnailScale), path: cell.thumbnail)
            } catch {
                throw ReportError("cell \(cell.id)'s thumbnail \(cell.thumbnail) cannot be shrunk: \(error)")
            }
        }
        return "data:image/png;base64," + Data(bytes).base64EncodedString()
    }

    /// The `src` of `cell`'s audio or video output: a `data:` URI or its relative URL.
    func mediaSource(_ cell: CellResult) throws -> String {
        guard embedsMedia else { return HTMLText.relativeURL(cell.output) }
        let bytes = try Self.read(cell.output, in: folder, what: "output", cell: cell)
        return "data:\(Self.mimeType(of: cell.output));base64," + Data(bytes).base64EncodedString()
    }

    /// The MIME type for a media file's extension.
    static func mimeType(of path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "wav": "audio/wav"
        case "flac": "audio/flac"
        case "ogg", "oga": "audio/ogg"
        case "mp3": "audio/mpeg"
        case "mp4", "m4v": "video/mp4"
        case "webm": "video/webm"
        case "gif": "image/gif"
        case "png": "image/png"
        default: "application/octet-stream"
        }
    }

    /// `image` reduced `factor` times in each direction, each pixel the mean of its block
    /// (edge blocks partial); at least 1 × 1.
    static func shrunk(_ image: RGBImage, by factor: Int) throws -> RGBImage {
        let width = max(1, image.width / factor), height = max(1, image.height / factor)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        image.pixels.withUnsafeBufferPointer { source in
            for row in 0..<height {
                let rows = (row * factor)..<min(image.height, (row + 1) * factor)
                for column in 0..<width {
                    let columns = (column * factor)..<min(image.width, (column + 1) * factor)
                    var sum = (0, 0, 0)
                    for y in rows {
                        for x in columns {
                            let at = (y * image.width + x) * 3
                            sum.0 += Int(source[at])
                            sum.1 += Int(source[at + 1])
                            sum.2 += Int(source[at + 2])
                        }
                    }
                    let count = rows.count * columns.count
                    let out = (row * width + column) * 3
                    pixels[out] = UInt8((sum.0 + count / 2) / count)
                    pixels[out + 1] = UInt8((sum.1 + count / 2) / count)
                    pixels[out + 2] = UInt8((sum.2 + count / 2) / count)
                }
            }
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }

    private static func url(_ path: String, in folder: URL) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
    }

    private static func size(of path: String, in folder: URL, what: String, cell: CellResult) throws -> Int {
        let file = url(path, in: folder).path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isFolder), !isFolder.boolValue else {
            throw ReportError("cell \(cell.id)'s \(what) \(path) is missing from \(folder.path)")
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: file)
        return (attributes?[.size] as? NSNumber)?.intValue ?? 0
    }

    private static func read(_ path: String, in folder: URL, what: String, cell: CellResult) throws -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: url(path, in: folder)))
        } catch {
            throw ReportError("cell \(cell.id)'s \(what) \(path) cannot be read from \(folder.path)")
        }
    }
}
