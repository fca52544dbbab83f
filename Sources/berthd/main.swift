import BerthDaemon
import BerthRuntime
import Dispatch

// A container's init is this binary too (`berthd init`, started by the daemon from a sealed
// copy). It must take over before anything starts a thread, so main is synchronous: the
// daemon's async main runs as a task on the main queue.
if InitProcess.isRequested { InitProcess.main() }
Task { @MainActor in await Daemon.main(arguments: Array(CommandLine.arguments.dropFirst())) }
dispatchMain()
