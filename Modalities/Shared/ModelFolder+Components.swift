import Foundation
import Networks

extension ModelFolder {
    /// The component `name` of `model_index.json`, present on disk; throws
    /// `PipelineError.missingComponent` naming what the pipeline `expected` otherwise.
    public func requiredComponent(_ name: String, expected: String) throws -> ModelComponent {
        guard let found = component(name), found.isPresent else {
            throw PipelineError.missingComponent(folder: url.path, name: name, expected: expected)
        }
        return found
    }

    /// The `scheduler` component's config.
    public func schedulerConfig() throws -> SchedulerConfig {
        let component = try requiredComponent("scheduler", expected: "a diffusers scheduler")
        guard case let .scheduler(config) = component.config else {
            throw PipelineError.missingComponent(folder: url.path, name: "scheduler", expected: "a diffusers scheduler")
        }
        return config
    }
}
