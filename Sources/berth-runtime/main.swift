import BerthRuntime
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

// A container's init is this binary too, started from a sealed copy of it: it must take over
// before anything starts a thread, so main is synchronous and the command runs as a task.
if InitProcess.isRequested { InitProcess.main() }
Task {
    let status = await RuntimeCLI.main(Array(CommandLine.arguments.dropFirst()))
    exit(status)
}
dispatchMain()
