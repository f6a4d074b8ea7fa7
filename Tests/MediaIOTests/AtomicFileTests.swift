import Foundation
import MediaIO
import Testing

extension AllMediaIOTests {
    /// Atomic writes: errors naming the folder, and never a partial file or a leftover temp.
    @Suite struct AtomicFileTests {
        @Test func writesAndReplacesWithoutLeftovers() throws {
            let folder = try TestFolder()
            let url = folder.file("out.bin")
            try AtomicFile.write([1, 2, 3], to: url)
            try AtomicFile.write([4, 5], to: url)
            #expect(try [UInt8](Data(contentsOf: url)) == [4, 5])
            #expect(try folder.names() == ["out.bin"])
        }

        @Test func temporaryFileIsHiddenInTheTargetFolder() throws {
            let folder = try TestFolder()
            let file = try AtomicFile(destination: folder.file("clip.wav"))
            let name = (file.temporaryPath as NSString).lastPathComponent
            #expect(name.hasPrefix(".clip.wav.\(getpid())."), "\(name)")
            #expect(name.hasSuffix(".tmp"))
            #expect((file.temporaryPath as NSString).deletingLastPathComponent == folder.url.path)
            try file.write([9])
            #expect(!FileManager.default.fileExists(atPath: folder.file("clip.wav").path), "nothing under the final name before commit")
            try file.commit()
            #expect(try folder.names() == ["clip.wav"])
        }

        @Test func missingFolderIsAnErrorNamingIt() throws {
            let folder = try TestFolder()
            let missing = folder.file("missing")
            #expect {
                try AtomicFile.write([1], to: missing.appendingPathComponent("out.png"))
            } throws: { error in
                let e = error as? MediaIOError
                return e?.kind == .folderMissing && "\(error)".contains("folder \(missing.path) does not exist")
                    && "\(error)".contains("out.png")
            }
            #expect(try folder.names().isEmpty)
        }

        /// Tests run as root, so a read-only folder would not stop them: a parent that is a
        /// regular file cannot be written by anyone.
        @Test func parentThatIsAFileIsAnError() throws {
            let folder = try TestFolder()
            let blocker = folder.file("plain.txt")
            try Data("x".utf8).write(to: blocker)
            #expect {
                try PNGWriter.write(try RGBImage(width: 1, height: 1, pixels: [0, 0, 0]),
                                    to: blocker.appendingPathComponent("out.png"), metadata: nil)
            } throws: { error in
                (error as? MediaIOError)?.kind == .notAFolder && "\(error)".contains(blocker.path)
            }
            #expect {
                try AtomicFile.write([1], to: blocker.appendingPathComponent("deeper/out.png"))
            } throws: { error in
                (error as? MediaIOError)?.kind == .notAFolder
            }
            #expect(try folder.names() == ["plain.txt"])
        }

        /// A writer that fails half-way (here: the body throws after writing) leaves neither the
        /// final name nor the temporary file.
        @Test func failedWriteLeavesNothing() throws {
            struct Interrupted: Error {}
            let folder = try TestFolder()
            let url = folder.file("half.wav")
            #expect(throws: Interrupted.self) {
                try AtomicFile.withFile(for: url) { file in
                    try file.write([UInt8](repeating: 7, count: 10_000))
                    throw Interrupted()
                }
            }
            #expect(try folder.names().isEmpty)
            do {
                let dropped = try AtomicFile(destination: url)
                try dropped.write([1])
            }
            #expect(try folder.names().isEmpty, "a file dropped without commit is removed")
        }

        /// A folder under the final name: an error, and no temporary file left.
        @Test func existingFolderUnderTheNameIsAnError() throws {
            let folder = try TestFolder()
            try FileManager.default.createDirectory(at: folder.file("out.flac"), withIntermediateDirectories: false)
            #expect {
                try AudioWriter.write(try PCMAudio(sampleRate: 8000, mono: [0, 0.1]), to: folder.file("out.flac"))
            } throws: { error in
                "\(error)".contains("out.flac") && "\(error)".contains("folder")
            }
            #expect(try folder.names() == ["out.flac"])
        }

        /// Stale temporary files of the same name are removed when their process is gone and they
        /// are older than `staleAge`; a fresh one, a live process's one and other files stay.
        @Test func staleTemporaryFilesAreCleanedWhenSafe() throws {
            let folder = try TestFolder()
            var dead: Int32 = 4_000_000
            while kill(dead, 0) == 0 || errno != ESRCH { dead -= 1 }
            let old = Date().addingTimeInterval(-(AtomicFile.staleAge + 60))
            func make(_ name: String, modified: Date?) throws {
                let url = folder.file(name)
                try Data("partial".utf8).write(to: url)
                if let modified { try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: url.path) }
            }
            try make(".out.png.\(dead).abc123.tmp", modified: old)      // stale: removed
            try make(".out.png.\(dead).fresh1.tmp", modified: nil)      // recent: kept
            try make(".out.png.\(getppid()).live12.tmp", modified: old) // live process: kept
            try make(".other.png.\(dead).abc123.tmp", modified: old)    // another name: kept
            try make(".out.png.\(dead).toolongname.tmp", modified: old) // not our pattern: kept
            try AtomicFile.write([1], to: folder.file("out.png"))
            #expect(try folder.names() == [
                ".other.png.\(dead).abc123.tmp", ".out.png.\(dead).fresh1.tmp", ".out.png.\(dead).toolongname.tmp",
                ".out.png.\(getppid()).live12.tmp", "out.png",
            ].sorted())
        }

        /// `removeTemporaryFiles()` (what a signal handler calls) removes a write in progress;
        /// its commit then fails and nothing appears under the final name.
        @Test func removeTemporaryFilesRemovesWritesInProgress() throws {
            let folder = try TestFolder()
            let file = try AtomicFile(destination: folder.file("x.png"))
            try file.write([1, 2, 3])
            #expect(try folder.names().count == 1)
            AtomicFile.removeTemporaryFiles()
            #expect(try folder.names().isEmpty)
            #expect(throws: MediaIOError.self) { try file.commit() }
            #expect(try folder.names().isEmpty)
        }

        /// A signal with the cleanup installed removes the temporary file from disk, then
        /// re-raises with the default action. Tested in-process with SIGURG, whose default
        /// action is to ignore it, so the test process survives the re-raise; SIGINT, SIGTERM
        /// and SIGHUP take the same handler. (A forked child would be the direct test for
        /// SIGTERM, but fork() in a multithreaded test process can deadlock in other
        /// libraries' atfork handlers, e.g. OpenBLAS's thread shutdown.)
        @Test func signalRemovesTemporaryFilesAndReraises() throws {
            let folder = try TestFolder()
            try AtomicFile.installSignalCleanup(signals: [SIGURG])
            let file = try AtomicFile(destination: folder.file("clip.wav"))
            try file.write([1])
            #expect(try folder.names().count == 1)
            // Test threads are Dispatch workers, which block signals: unblock SIGURG here so
            // raise() runs the handler on this thread before it returns.
            var set = sigset_t(), previous = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGURG)
            #expect(pthread_sigmask(SIG_UNBLOCK, &set, &previous) == 0)
            #expect(raise(SIGURG) == 0)
            _ = pthread_sigmask(SIG_SETMASK, &previous, nil)
            #expect(try folder.names().isEmpty)
            #expect(throws: MediaIOError.self) { try file.commit() }
            #expect(try folder.names().isEmpty)
        }

        @Test func errorsAreOneLine() {
            let error = MediaIOError(.io, "cannot write", path: "/a/b.png", "line one\nline two")
            #expect(error.description == "cannot write /a/b.png: line one\\nline two")
            #expect(!error.localizedDescription.contains("\n"))
        }
    }
}
