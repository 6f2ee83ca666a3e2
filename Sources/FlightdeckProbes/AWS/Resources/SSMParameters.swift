import FlightdeckCore
import Foundation

/// SSM Parameter Store (DescribeParameters): the named parameters exist. Only names and
/// versions are read; no value is ever fetched, so no secret can be shown.
enum SSMParameters {
    static func read(_ client: AWSClient, names: [String]) async -> Result<(findings: AWSFindings, summary: String), AWSProblem> {
        var found: [String: Int] = [:]
        for chunk in stride(from: 0, to: names.count, by: 10).map({ Array(names[$0..<min($0 + 10, names.count)]) }) {
            var next: String?
            repeat {
                var request: [String: Any] = ["ParameterFilters": [["Key": "Name", "Option": "Equals", "Values": chunk]], "MaxResults": 50]
                if let next { request["NextToken"] = next }
                switch await client.json(service: "ssm", target: "AmazonSSM.DescribeParameters", request) {
                case .success(let page):
                    for parameter in page.objects("Parameters") {
                        if let name = parameter.text("Name") { found[name] = Int(parameter.number("Version") ?? 0) }
                    }
                    next = page.text("NextToken")
                case .failure(let problem): return .failure(problem)
                }
            } while next != nil
        }
        return .success(judge(names: names, found: found))
    }

    static func judge(names: [String], found: [String: Int]) -> (findings: AWSFindings, summary: String) {
        var findings = AWSFindings()
        let missing = names.filter { found[$0] == nil }
        findings.observed["parameters"] = .list(names.map { name in found[name].map { "\(name) (version \($0))" } ?? "\(name) (missing)" })
        findings.expect(missing.isEmpty, "\(missing.count) of \(names.count) parameters missing: \(missing.prefix(3).joined(separator: ", "))\(missing.count > 3 ? " and \(missing.count - 3) more" : "")")
        return (findings, names.count == 1 ? "\(names[0]) exists (version \(found[names[0]] ?? 0))" : "all \(names.count) parameters exist")
    }
}
