/// The engine's version, printed by `diffuse --version` and written into generation metadata.
let diffuseVersion = "0.1.0"
