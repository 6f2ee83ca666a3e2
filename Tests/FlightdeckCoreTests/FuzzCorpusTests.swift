import FlightdeckFuzzing
import Foundation
import Testing

/// The committed fuzz corpus (seeds, and every input a fuzzer found and we fixed), replayed
/// through each target on every test run: a reader that crashes on any of them fails here.
@Suite("Fuzz corpus")
struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FuzzCorpus")

    @Test("every input in the corpus goes through its target", arguments: FuzzTarget.allCases)
    func replay(target: FuzzTarget) throws {
        let directory = Self.corpus.appendingPathComponent(target.rawValue)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(files.count >= 2, "each target keeps seeds in Tests/FuzzCorpus/\(target.rawValue)")
        for file in files {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            target.run(Array(data))
        }
    }
}
