import Foundation

/// The bundled default models: the `Models/` folder of the Diffuse checkout the running
/// executable was built in.
public enum BundledModels {
    /// Found by walking up from the executable (`/proc/self/exe`) to a folder holding
    /// `Package.swift` and `Models/` (`.build/release/diffuse`, a test bundle, …); else
    /// `./Models`.
    public static func folder() -> URL {
        let fm = FileManager.default
        var folder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<8 {
            let models = folder.appendingPathComponent("Models")
            if fm.fileExists(atPath: folder.appendingPathComponent("Package.swift").path),
               fm.fileExists(atPath: models.path) {
                return models
            }
            folder = folder.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("Models")
    }
}
