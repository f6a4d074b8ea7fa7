@testable import Comparison
import Evaluators
import Foundation
import MediaIO
import Testing

/// `ComparisonReport.write`: results.json round-trips, results.csv agrees with it cell by cell,
/// index.html has one chart per panel and one embedded picture per thumbnail with every string
/// escaped, summary.md has the tables, and bad folders or missing files give one readable line.
@Suite struct ReportTests {
    /// Writes the fixture's report into a scratch folder.
    func written(_ name: String = #function) throws -> (ReportScratch, ComparisonResults) {
        let scratch = try ReportScratch(name)
        let results = try ReportFixture.results(in: scratch.url)
        try ComparisonReport.write(results, to: scratch.url)
        return (scratch, results)
    }

    @Test func writesTheFourFilesAndNoTemporaryOnes() throws {
        let (scratch, _) = try written()
        let names = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted()
        #expect(names == ["cells", "index.html", "results.csv", "results.json", "summary.md"])
    }

    @Test func resultsJSONDecodesBackEqual() throws {
        let (scratch, results) = try written()
        let data = try Data(contentsOf: scratch.file("results.json"))
        #expect(try JSONDecoder().decode(ComparisonResults.self, from: data) == results)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\n  \"cells\" : [") && text.hasSuffix("}\n"), "pretty-printed, sorted keys")
    }

    @Test func everyCSVRowMatchesTheJSONCell() throws {
        let (scratch, _) = try written()
        let json = try JSONDecoder().decode(ComparisonResults.self, from: Data(contentsOf: scratch.file("results.json")))
        let table = parseCSV(try scratch.text("results.csv"))
        #expect(table.first == ResultsCSV.columns)
        let rows = table.dropFirst()
        #expect(rows.count == json.cells.count)
        for (row, cell) in zip(rows, json.cells) {
            #expect(row.count == ResultsCSV.columns.count, "row of \(cell.id)")
            let parsed = try cellResult(Dictionary(uniqueKeysWithValues: zip(ResultsCSV.columns, row)))
            #expect(parsed == cell, "CSV row of \(cell.id)")
        }
        let quotedPrompt = "\"a red <circle> & a \"\"square\"\", 'quoted'\""
        #expect(try scratch.text("results.csv").contains(quotedPrompt), "a prompt with a comma is quoted, quotes doubled")
    }

    @Test func htmlHasOneChartPerPanelAndOneEmbeddedPicturePerThumbnail() throws {
        let (scratch, results) = try written()
        let html = try Page(scratch.file("index.html"))
        let (opening, closing) = (String(html.text.prefix(40)), String(html.text.suffix(17)))
        #expect(opening == "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n")
        #expect(closing == "\n</body>\n</html>\n")
        // Convergence and adherence, one panel per modality each.
        #expect(html.count("<svg class=\"chart\"") == 6)
        #expect(html.count("<svg") == 6)
        for modality in ["image", "audio", "video"] {
            #expect(html.has("id=\"convergence-\(modality)\"") && html.has("id=\"adherence-\(modality)\""))
        }
        #expect(html.count("<img ") == results.cells.count)
        #expect(html.count("src=\"data:image/png;base64,") == results.cells.count)
        for cell in results.cells {
            let png = try Data(contentsOf: scratch.file(cell.thumbnail)).base64EncodedString()
            #expect(html.count("src=\"data:image/png;base64,\(png)\"") >= 1, "thumbnail of \(cell.id)")
        }
        #expect(html.count("<audio controls") == 12)
        #expect(html.count("src=\"data:audio/wav;base64,") == 12)
        #expect(html.count("<video controls") == 12)
        #expect(html.count("src=\"data:video/mp4;base64,") == 12)
        // Self-contained: no script, nothing fetched (the SVG namespace is a name, not a fetch).
        #expect(!html.has("<script"))
        #expect(html.count("http") == html.count("xmlns=\"http://www.w3.org/2000/svg\""))
        for line in SummaryTables.runLines(results) {
            #expect(html.has(HTMLText.escape(line)), "run line \(line)")
        }
        #expect(html.has("DIFFERENT from byte 44"))
    }

    @Test func stringsAreEscaped() throws {
        let (scratch, _) = try written()
        let html = try Page(scratch.file("index.html"))
        #expect(!html.has("<circle>"))
        #expect(!html.has("<matrix>"))
        #expect(html.has("a red &lt;circle&gt; &amp; a &quot;square&quot;, &#39;quoted&#39;"))
        #expect(html.has("<h1>fixture &lt;matrix&gt; &amp; &quot;friends&quot;</h1>"))
        #expect(html.has("<title>Diffuse comparison: fixture &lt;matrix&gt; &amp; &quot;friends&quot;</title>"))
        // Every `&` starts a character reference (outside data URIs, which hold none).
        let bare = html.text.components(separatedBy: "&").dropFirst()
            .filter { rest in !["amp;", "lt;", "gt;", "quot;", "#39;"].contains { rest.hasPrefix($0) } }
            .map { String($0.prefix(20)) }
        #expect(bare.isEmpty, "every & starts a character reference")
        #expect(HTMLText.escape("<a href=\"x\">Tom & 'Jerry'</a>\u{7}")
            == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;\u{FFFD}")
        #expect(HTMLText.relativeURL("cells/a b#1?.wav") == "cells/a%20b%231%3F.wav")
    }

    @Test func summaryMarkdownHasATableRowPerSamplerAndTheDeterminism() throws {
        let (scratch, _) = try written()
        let md = try scratch.text("summary.md")
        #expect(md.hasPrefix("# Comparison: fixture <matrix> & \"friends\"\n"))
        for modality in ["image", "audio", "video"] { #expect(md.contains("\n## \(modality)\n")) }
        let rows = md.split(separator: "\n").filter { $0.hasPrefix("| euler ") || $0.hasPrefix("| dpmpp_2m karras ") }
        #expect(rows.count == 6)
        // Table lines of one table have the same width (padded for a terminal).
        let imageTable = md.components(separatedBy: "\n## image\n")[1].components(separatedBy: "\n## ")[0]
            .split(separator: "\n").filter { $0.hasPrefix("|") }
        #expect(imageTable.count == 4 && Set(imageTable.map(\.count)).count == 1)
        #expect(md.contains("1 of 2 re-run cells wrote DIFFERENT bytes."))
        #expect(md.contains("| audio    | audio-m0-p0-euler-s2-g1.0-seed0 | DIFFERENT from byte 44 |"))
        // image euler: 4 steps averages variants 2 and 3 (3 has none), so 0.4/16 + 2e-5.
        #expect(imageTable[2].contains(" 66.7% (4/6) |") && imageTable[2].contains(" 0.025 |"))
    }

    @Test func chartsShareTheirAxes() throws {
        let scratch = try ReportScratch()
        let results = try ReportFixture.results(in: scratch.url)
        let statistics = ReportStatistics(results)
        let charts = ReportCharts(statistics: statistics, styles: SamplerStyle.styles(for: results.cells), referenceSteps: 8)
        let convergence = charts.convergencePanels()
        #expect(convergence.map(\.x.ticks) == Array(repeating: [2, 4, 8], count: 3))
        // Image and video are both pixel RMSE on 0…1 and share a y axis; audio (dB) has its own.
        #expect(convergence[0].y.ticks == convergence[2].y.ticks && convergence[0].y.lower == convergence[2].y.lower)
        #expect(convergence[0].y.title == "pixel RMSE" && convergence[2].y.title == "frame pixel RMSE")
        #expect(convergence[1].y.title == "log-mel RMSE" && convergence[0].y.scale == .linear)
        let adherence = charts.adherencePanels()
        #expect(adherence.map(\.x.ticks) == Array(repeating: [1, 7.5], count: 3))
        #expect(adherence.allSatisfy { $0.y.lower == 0 && $0.y.upper == 1 })
        // Colours follow the sampler, Karras is dashed; the same in every panel.
        let styles = SamplerStyle.styles(for: results.cells)
        #expect(styles["euler"] == SamplerStyle(colour: "#0072B2", karras: false))
        #expect(styles["dpmpp_2m karras"] == SamplerStyle(colour: "#D55E00", karras: true))
        // Video has no judged cell: its adherence panel says so instead of drawing lines.
        #expect(adherence[2].svg(id: "a").contains("no cell judged"))
    }

    @Test func numbersAreFormattedForReading() {
        #expect(ReportFormat.number(0.012345) == "0.0123")
        #expect(ReportFormat.number(45.63) == "45.6")
        #expect(ReportFormat.number(9.9996) == "10")
        #expect(ReportFormat.number(12345.6) == "12346")
        #expect(ReportFormat.number(1.2e-5) == "1.2e-5")
        #expect(ReportFormat.number(-2.5e7) == "-2.5e7")
        #expect(ReportFormat.number(0) == "0")
        #expect(ReportFormat.setting(7.5) == "7.5" && ReportFormat.setting(7) == "7")
        #expect(ReportFormat.seconds(0.0456) == "45.6 ms" && ReportFormat.seconds(12.34) == "12.3 s")
        #expect(ReportFormat.bytes(512 * 1024 * 1024) == "512 MiB" && ReportFormat.bytes(2_500_000_000) == "2.33 GiB")
        #expect(ReportFormat.rate(AdherenceRate(passed: 2, judged: 3)) == "66.7% (2/3)")
        #expect(ReportFormat.rate(AdherenceRate()) == "—")
        let log = ChartAxis.measurement([0.001, 0.02, 0.5], title: "m")
        #expect(log.scale == .log && log.ticks == [0.001, 0.01, 0.1, 1])
        let linear = ChartAxis.measurement([0.1, 0.3], title: "m")
        #expect(linear.scale == .linear && linear.lower == 0 && linear.ticks.count == 4)
        #expect(abs(linear.upper - 0.3) < 1e-12)
    }

    @Test func aMissingFolderIsOneReadableLine() throws {
        let scratch = try ReportScratch()
        let results = try ReportFixture.results(in: scratch.url)
        let missing = scratch.file("no-such-report")
        let error = #expect(throws: ReportError.self) { try ComparisonReport.write(results, to: missing) }
        #expect(error?.description == "cannot write the report to \(missing.path): the folder does not exist")
        #expect(!FileManager.default.fileExists(atPath: missing.path))
        let file = scratch.file("results.csv")
        try Data("x".utf8).write(to: file)
        let notFolder = #expect(throws: ReportError.self) { try ComparisonReport.write(results, to: file) }
        #expect(notFolder?.description.hasSuffix("it is a file, not a folder") == true)
    }

    @Test func aMissingThumbnailNamesTheCellAndWritesNothing() throws {
        let scratch = try ReportScratch()
        let results = try ReportFixture.results(in: scratch.url)
        let cell = results.cells[20]
        try FileManager.default.removeItem(at: scratch.file(cell.thumbnail))
        let error = #expect(throws: ReportError.self) { try ComparisonReport.write(results, to: scratch.url) }
        #expect(error?.description == "cannot write the report to \(scratch.url.path): cell \(cell.id)'s thumbnail "
            + "\(cell.thumbnail) is missing from \(scratch.url.path)")
        for name in ComparisonReport.fileNames { #expect(!FileManager.default.fileExists(atPath: scratch.file(name).path)) }
    }

    @Test func aNumberJSONCannotHoldIsNamed() throws {
        let scratch = try ReportScratch()
        var results = try ReportFixture.results(in: scratch.url)
        results.cells[2].wallSeconds = .nan
        let error = #expect(throws: ReportError.self) { try ComparisonReport.write(results, to: scratch.url) }
        #expect(error?.description.hasSuffix("results.json cannot hold nan at results.cells[2].wallSeconds") == true,
                "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: scratch.file("index.html").path))
    }

    @Test func overBudgetMediaIsLinkedAndThumbnailsShrunk() throws {
        let scratch = try ReportScratch()
        let results = try ReportFixture.results(in: scratch.url)
        try ComparisonReport.write(results, to: scratch.url, thumbnailBudget: 1, pageBudget: 1)
        let html = try Page(scratch.file("index.html"))
        #expect(!html.has("data:audio/") && !html.has("data:video/"))
        for cell in results.cells where cell.modality != .image {
            #expect(html.has("src=\"\(cell.output)\""), "link to \(cell.output)")
        }
        #expect(html.has("The players read the files in cells/ next to this page"))
        // Still one embedded picture per cell, now shrunk 8 times (to 1 pixel high here).
        #expect(html.count("src=\"data:image/png;base64,") == results.cells.count)
        let first = try #require(html.text.components(separatedBy: "src=\"data:image/png;base64,").dropFirst().first)
        let png = try #require(Data(base64Encoded: String(first.prefix { $0 != "\"" })))
        let image = try PNGReader.decode([UInt8](png)).image
        #expect(image.width == 1 && image.height == 1)
    }

    @Test func oversizedThumbnailsAreShrunk() throws {
        // R of pixel (x, y) is (5y + x)·10.
        let image = try RGBImage(width: 5, height: 4, pixels: (0..<20).flatMap { [UInt8($0 * 10), 0, 255] })
        let small = try ReportMedia.shrunk(image, by: 2)
        #expect(small.width == 2 && small.height == 2)
        // Block (0,0) holds pixels (0,0),(1,0),(0,1),(1,1): R values 0, 10, 50, 60 → mean 30.
        #expect(small.pixels[0] == 30)
        // Block (1,1): pixels (2,2),(3,2),(2,3),(3,3): R 120, 130, 170, 180 → 150.
        #expect(small.pixels[(1 * 2 + 1) * 3] == 150)
    }
}
