/// The journal's entries as a launch state keeps them: a list that several states share as
/// they fold further. Every chunk but the last is full and never changes, so a state that
/// appends to a history another state also holds copies at most one chunk (and the list of
/// chunks), not every entry of the day: the journal's appends stay flat however long it gets.
public struct LaunchHistory: RandomAccessCollection, Sendable {
    static let chunkSize = 32

    private var chunks: [[LaunchRecord]] = []
    public private(set) var count = 0

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> LaunchRecord {
        chunks[position / Self.chunkSize][position % Self.chunkSize]
    }

    mutating func append(_ record: LaunchRecord) {
        if count % Self.chunkSize == 0 {
            var chunk: [LaunchRecord] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(record)
        count += 1
    }
}
