import BerthDaemon

await Daemon.main(arguments: Array(CommandLine.arguments.dropFirst()))
