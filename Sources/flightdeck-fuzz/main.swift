import FlightdeckFuzzing
import Foundation

// `flightdeck-fuzz TARGET [libFuzzer options] [CORPUS...]`. Built by `make fuzz` with
// `-sanitize=fuzzer,address -DFUZZING`, it hands the target to libFuzzer. Built plainly, it
// runs the target once over each file named, to reproduce a finding without the sanitizers.

let arguments = CommandLine.arguments
guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
    FileHandle.standardError.write(Data("usage: flightdeck-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) [libFuzzer options] [corpus...]\n".utf8))
    exit(2)
}
let selected = target

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    selected.run(Array(UnsafeBufferPointer(start: start, count: count)))
    return 0
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

// libFuzzer reads its own options and corpus directories; the target's name is ours.
var driverArguments = [arguments[0]] + arguments.dropFirst(2)
var cArguments = driverArguments.map { strdup($0) } + [nil]
var argc = CInt(driverArguments.count)
exit(cArguments.withUnsafeMutableBufferPointer { buffer in
    var argv = buffer.baseAddress!
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput)
})
#else
for path in arguments.dropFirst(2) {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("flightdeck-fuzz: cannot read \(path)\n".utf8))
        exit(2)
    }
    target.run(Array(data))
    print("\(path): ok")
}
#endif
