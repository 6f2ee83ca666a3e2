import FlightdeckCore
import FlightdeckStore
import Foundation

// A test helper: appends COUNT checklist notes to a plan's launch journal as fast as it can,
// printing `ack SEQ TOKEN` once each is committed, so a test can run several at once, kill
// one, and check that every acknowledged entry is in the journal exactly once.
// Usage: flightdeck-journal-writer PLAN NAME COUNT APPROVER ITEM
let arguments = CommandLine.arguments
guard arguments.count == 6, let count = Int(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: flightdeck-journal-writer PLAN NAME COUNT APPROVER ITEM\n".utf8))
    exit(2)
}
let planPath = arguments[1], name = arguments[2], approver = arguments[4], item = arguments[5]
do {
    let plan = try PlanLoader.load(path: planPath, environment: ProcessInfo.processInfo.environment).get()
    let journal = try LaunchJournal.open(StateDirectory(planPath: planPath, plan: plan), plan: plan)
    let actor = LaunchActor.current().acting(as: approver, pinUsed: true)
    for index in 1...count {
        let token = "\(name)-\(index)"
        let record = try journal.append(.checklistMarked(item: item, mark: .pending, note: token), by: actor, checks: [:]).get()
        FileHandle.standardOutput.write(Data("ack \(record.seq) \(token)\n".utf8))
    }
} catch {
    FileHandle.standardError.write(Data("flightdeck-journal-writer: \(error)\n".utf8))
    exit(1)
}
