import Foundation

extension InspectReport {
    /// The report as aligned, human-readable lines.
    var text: String {
        var lines: [String] = []
        switch kind {
        case "pipeline", "component":
            if let pipelineClass {
                lines.append(row("pipeline", pipelineClass + (diffusersVersion.map { " (diffusers \($0))" } ?? ""), width: 12))
            }
            lines.append(row("folder", path, width: 12))
            let files = components?.reduce(0) { $0 + ($1.weights?.files.count ?? 0) } ?? 0
            let location = files == 0 ? "no weight files" : "\(byteSize(bytes)) in \(files) weight file\(files == 1 ? "" : "s")"
            lines.append(row("parameters", "\(grouped(parameters)) (\(location))", width: 12))
            lines.append("")
            lines += componentLines()
        default:
            lines.append(row(kind == "safetensors-index" ? "index" : "file", path, width: 12))
            if let weights {
                if kind == "safetensors-index" { lines.append(row("shards", weights.files.joined(separator: ", "), width: 12)) }
                lines += weightLines(weights, width: 12, indent: "")
            }
        }
        return lines.joined(separator: "\n")
    }

    private func componentLines() -> [String] {
        guard let components else { return [] }
        let nameWidth = components.map(\.name.count).max() ?? 0
        let keyWidth = components.flatMap { c in (c.config?.fields.map(\.key.count) ?? []) + [10] }.max() ?? 10
        var lines: [String] = []
        // Components with a class first, a blank line between them, then the ones saved as None.
        for c in components where c.className != nil {
            guard let className = c.className else { continue }
            if !lines.isEmpty { lines.append("") }
            lines.append(row(c.name, className + (c.library.map { " (\($0))" } ?? ""), width: nameWidth))
            if let file = c.configFile { lines.append(row("  config", file, width: keyWidth + 2)) }
            for (key, value) in c.config?.fields ?? [] { lines.append(row("  " + key, value.description, width: keyWidth + 2)) }
            if let weights = c.weights {
                lines += weightLines(weights, width: keyWidth + 2, indent: "  ", estimate: c.estimatedParameters)
            }
        }
        let absent = components.filter { $0.className == nil }
        if !absent.isEmpty {
            lines.append("")
            for c in absent { lines.append(row(c.name, "none (saved without it)", width: nameWidth)) }
        }
        return lines
    }

    private func weightLines(_ w: WeightsReport, width: Int, indent: String, estimate: Int? = nil) -> [String] {
        let dtypes = w.dtypes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        var lines: [String] = []
        if !indent.isEmpty { lines.append(row(indent + "weights", w.files.joined(separator: ", "), width: width)) }
        lines.append(row(indent + "tensors", "\(grouped(w.tensorCount)) (\(dtypes))", width: width))
        var parameters = grouped(w.parameters)
        if let estimate {
            parameters += estimate == w.parameters ? " (as the config implies)" : " (the config implies \(grouped(estimate)))"
        }
        if w.buffers > 0 { parameters += ", and \(grouped(w.buffers)) in saved buffers" }
        lines.append(row(indent + "parameters", parameters, width: width))
        lines.append(row(indent + "bytes", "\(grouped(w.bytes)) (\(byteSize(w.bytes)))", width: width))
        for (i, (key, value)) in w.metadata.sorted(by: { $0.key < $1.key }).enumerated() {
            lines.append(row(i == 0 ? indent + "metadata" : "", "\(printable(key)) = \(printable(value))", width: width))
        }
        guard let tensors = w.tensors, !tensors.isEmpty else { return lines }
        let names = tensors.map { printable($0.name) }
        let nameWidth = names.map(\.count).max() ?? 0
        let dtypeWidth = tensors.map(\.dtype.count).max() ?? 0
        let more = w.tensorsOmitted > 0 ? ", first \(tensors.count) of \(grouped(w.tensorCount))" : ""
        lines.append("\(indent)tensor list (name, dtype, shape\(more)):")
        for (t, name) in zip(tensors, names) {
            let shape = "[\(t.shape.map(String.init).joined(separator: ", "))]"
            lines.append("\(indent)  \(pad(name, nameWidth))  \(pad(t.dtype, dtypeWidth))  \(shape)")
        }
        if w.tensorsOmitted > 0 { lines.append("\(indent)  … \(grouped(w.tensorsOmitted)) more (--all lists every tensor)") }
        return lines
    }
}

/// `s` with control characters escaped, so a name or metadata value read from a file stays on its line.
private func printable(_ s: String) -> String {
    guard s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return s }
    return s.unicodeScalars.map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0) }.joined()
}

/// `key` padded to `width`, two spaces, then `value`.
private func row(_ key: String, _ value: String, width: Int) -> String { "\(pad(key, width))  \(value)" }

private func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

/// `1,234,567`.
func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return n < 0 ? "-" + out : out
}

/// `225.1 KiB`.
func byteSize(_ bytes: Int) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) bytes" : "\(String(format: "%.1f", value)) \(units[unit])"
}
