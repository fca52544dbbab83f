import BerthRuntime
#if canImport(Glibc)
import Glibc
#endif

// A container's init is this binary too, started from a sealed view of it: it must take over
// before anything starts a thread. The command line is synchronous too: a short-lived process
// with one thread, no cooperative pool to keep free, so it simply blocks in its system calls.
if InitProcess.isRequested { InitProcess.main() }
exit(RuntimeCLI.main(Array(CommandLine.arguments.dropFirst())))
