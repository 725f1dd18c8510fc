import ArgumentParser
import Feedforward
import FeedforwardExperiments
import Foundation

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Run one of the chapter's experiments and write its Markdown report and SVG figures.",
        discussion: """
            Examples:
              feedforward experiment --list
              feedforward experiment xor
              feedforward experiment hidden-units --quick --output /tmp/units
            """)

    @Argument(help: "The experiment's name (see --list).")
    var name: String?

    @Flag(help: "List the experiments.")
    var list = false

    @Flag(help: "A reduced size that runs in well under a minute in a release build.")
    var quick = false

    @Option(help: "The output folder (default: experiments-output/NAME).")
    var output: String?

    @Option(help: "The random seed.")
    var seed: UInt64 = 0

    func validate() throws {
        if !list && name == nil { throw ValidationError("Name an experiment, or pass --list.") }
        if let name, ExperimentRegistry.experiment(named: name) == nil {
            throw ValidationError("Unknown experiment '\(name)'; known: \(ExperimentRegistry.all.map(\.name).joined(separator: ", ")).")
        }
    }

    func run() throws {
        if list {
            for experiment in ExperimentRegistry.all {
                print("\(experiment.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(experiment.section.padding(toLength: 18, withPad: " ", startingAt: 0)) \(experiment.summary)")
            }
            return
        }
        guard let name, let experiment = ExperimentRegistry.experiment(named: name) else { return }
        try reportingErrors {
            let directory = URL(fileURLWithPath: output ?? "experiments-output/\(experiment.name)")
            try PathChecks.checkWritableFolder(directory.path, option: "--output")
            let start = Date()
            let report = try experiment.run(ExperimentOptions(quick: quick, seed: seed))
            try report.write(to: directory)
            for (key, value) in report.keyNumbers { print("\(key): \(value)") }
            print(String(format: "wrote %@/report.md and %d figure(s) in %.1f s", directory.path, report.figures.count, Date().timeIntervalSince(start)))
        }
    }
}
