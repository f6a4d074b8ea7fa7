import Testing

/// The MediaIO suites, run one test at a time: `AtomicFile.removeTemporaryFiles()` and the
/// signal handler act on every temporary file of the process, so a test of them must not
/// overlap another test's write. All of them together take well under a second.
@Suite(.serialized) struct AllMediaIOTests {}
