import Foundation
import MediaIO
import Testing

extension AllMediaIOTests {
    /// Bad input to `VideoClip`, `VideoFrameRate` and `VideoWriter`: each a one-line
    /// `MediaIOError` of the right kind, and no file left behind.
    @Suite struct VideoErrorTests {
        /// `body` throws a `MediaIOError` of `kind` whose one-line text contains `text`.
        func expectError(_ kind: MediaIOError.Kind, _ text: String, _ body: () throws -> Void,
                         sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                try body()
                Issue.record("no error; expected \(kind) containing \"\(text)\"", sourceLocation: sourceLocation)
            } catch let error as MediaIOError {
                #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
                #expect("\(error)".contains(text), "\(error)", sourceLocation: sourceLocation)
                #expect(!"\(error)".contains("\n"), sourceLocation: sourceLocation)
            } catch {
                Issue.record("not a MediaIOError: \(error)", sourceLocation: sourceLocation)
            }
        }

        @Test func badClipsAndFrameRates() throws {
            let frame = try RGBImage(width: 4, height: 2, pixels: [UInt8](repeating: 9, count: 24))
            let other = try RGBImage(width: 2, height: 4, pixels: [UInt8](repeating: 9, count: 24))
            expectError(.invalidInput, "0 frames") { _ = try VideoClip(frames: [], fps: 8) }
            expectError(.invalidInput, "at most 100000") {
                _ = try VideoClip(frames: [RGBImage](repeating: frame, count: VideoClip.maximumFrames + 1), fps: 8)
            }
            expectError(.invalidInput, "frame 1 is 2x4 but frame 0 is 4x2") { _ = try VideoClip(frames: [frame, other], fps: 8) }
            for fps in [0, -8, Double.nan, Double.infinity, 1e6] {
                expectError(.invalidInput, "fps is invalid") { _ = try VideoClip(frames: [frame], fps: fps) }
            }
            expectError(.invalidInput, "0/1 fps") { _ = try VideoFrameRate(0, 1) }
            expectError(.invalidInput, "8/0 fps") { _ = try VideoFrameRate(8, 0) }
            #expect(try VideoFrameRate(fps: 29.97002997) == VideoFrameRate(30000, 1001))
            #expect(try VideoFrameRate(fps: 12.5) == VideoFrameRate(25, 2))
            #expect(try VideoFrameRate(16, 2).description == "8")
        }

        @Test func unknownContainerLeavesNoFile() throws {
            let folder = try TestFolder()
            let clip = try VideoWriterTests.clip(width: 8, height: 8, count: 2)
            for name in ["clip.avi", "clip", "clip.png"] {
                expectError(.unsupportedFormat, name) {
                    try VideoWriter.write(clip, to: folder.file(name), metadata: VideoWriterTests.metadata())
                }
            }
            #expect(try folder.names().isEmpty)
        }

        @Test func formatFromName() throws {
            #expect(try VideoFormat(path: "/a/b.MP4") == .mp4)
            #expect(try VideoFormat(path: "b.m4v") == .mp4)
            #expect(try VideoFormat(path: "b.webm") == .webm)
            #expect(try VideoFormat(path: "b.gif") == .gif(dither: true))
            #expect(try VideoFormat(path: "out/f_%d.png") == .pngSequence)
            #expect(try VideoFormat(path: "out/f_%05d.png") == .pngSequence)
            for bad in ["f_%5d.png", "f_%00d.png", "f_%d_%d.png", "f.png", "f.mkv", "a.b/f"] {
                expectError(.unsupportedFormat, bad) { _ = try VideoFormat(path: bad) }
            }
        }

        @Test func missingFolderLeavesNoFile() throws {
            let folder = try TestFolder()
            let clip = try VideoWriterTests.clip(width: 8, height: 8, count: 2)
            for name in ["none/clip.mp4", "none/clip.webm", "none/clip.gif", "none/f_%02d.png"] {
                expectError(.folderMissing, folder.file("none").path) {
                    try VideoWriter.write(clip, to: folder.file(name), metadata: VideoWriterTests.metadata())
                }
            }
            #expect(try folder.names().isEmpty)
        }

        /// Errors found after the temporary file exists (a NaN soundtrack sample) or before
        /// (a soundtrack on a GIF, a CRF out of range) leave the folder empty.
        @Test func failedWritesLeaveNoFile() throws {
            let folder = try TestFolder()
            let clip = try VideoWriterTests.clip(width: 8, height: 8, count: 2)
            let metadata = VideoWriterTests.metadata()
            let bad = try PCMAudio(sampleRate: 8000, mono: [0, .nan, 0])
            expectError(.invalidInput, "frame 1, channel 0 is not finite") {
                try VideoWriter.write(clip, to: folder.file("nan.mp4"), metadata: metadata, soundtrack: bad)
            }
            expectError(.invalidInput, "cannot carry a soundtrack") {
                try VideoWriter.write(clip, to: folder.file("a.gif"), metadata: metadata, soundtrack: try VideoWriterTests.sine(seconds: 0.1))
            }
            expectError(.invalidInput, "CRF 52 is outside 0…51") {
                try VideoWriter.write(clip, to: folder.file("a.mp4"), quality: .crf(52), metadata: metadata)
            }
            expectError(.invalidInput, "no samples") {
                try VideoWriter.write(clip, to: folder.file("a.webm"), metadata: metadata,
                                      soundtrack: try PCMAudio(sampleRate: 8000, mono: []))
            }
            #expect(try folder.names().isEmpty)
        }
    }
}
