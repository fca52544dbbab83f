@testable import BerthDaemon
import BerthCore
import BerthTesting
import Foundation
import Testing

/// `docker run -it` and `docker exec -it` in a real terminal: the docker CLI runs inside tmux,
/// the test types into a busybox shell and reads the screen.
@Suite(.enabled(if: ContainerDaemon.usable && ProcessRunner.find("tmux") != nil,
                "needs root, /bin/busybox, the docker CLI, tmux and berthd built next to the tests"))
struct TerminalCLITests {
    /// A tmux session of its own (its own server socket), killed at the end.
    private struct Session {
        let tmux: String
        let socket: String
        let name = "berth"

        /// Runs tmux through python's subprocess, which closes the descriptors Foundation's
        /// Process watches the child by: the tmux server a client forks would keep one open,
        /// and the client would never be seen to exit.
        func run(_ arguments: String...) async throws -> ProcessRunner.Outcome {
            try await run(arguments: arguments)
        }

        func run(arguments: [String]) async throws -> ProcessRunner.Outcome {
            let python = try #require(ProcessRunner.find("python3"))
            return try await ProcessRunner.run(python, ["-c", "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)",
                                                        tmux, "-S", socket] + arguments, limit: .seconds(30))
        }

        func type(_ keys: String...) async throws { _ = try await run(arguments: ["send-keys", "-t", name] + keys) }

        var screen: String {
            get async throws { try await run("capture-pane", "-p", "-t", name).stdout }
        }

        /// Whether `text` shows on the screen within a while.
        func shows(_ text: String) async throws -> Bool {
            try await eventually(timeout: .seconds(20)) { try await screen.contains(text) }
        }
    }

    @Test func anInteractiveShellTypesResizesInterruptsAndDetaches() async throws {
        let daemon = try await ContainerDaemon.start()
        let tmux = try #require(ProcessRunner.find("tmux"))
        let session = Session(tmux: tmux, socket: TestDirectory.path("tmux") + ".sock")
        let command = "DOCKER_HOST=unix://\(daemon.child.socketPath) DOCKER_CONFIG=\(TestDirectory.root)/docker-config "
            + "\(daemon.docker) run -it --name shell bb sh"
        defer { Task { _ = try? await session.run("kill-server") } }
        _ = try await session.run("new-session", "-d", "-s", session.name, "-x", "80", "-y", "24", command)
        #expect(try await session.shows("/ #"), "the shell's prompt")
        try await session.type("echo hel''lo", "Enter")
        #expect(try await session.shows("hello"))
        try await session.type("stty size", "Enter")
        #expect(try await session.shows("24 80"))
        _ = try await session.run("resize-window", "-t", session.name, "-x", "100", "-y", "30")
        // The CLI sends the new size on SIGWINCH, in a request of its own that may arrive after
        // the next keystrokes on a loaded machine: ask again until the new size shows.
        let resized = try await eventually(timeout: .seconds(20)) {
            try await session.type("clear; stty size", "Enter")
            return try await eventually(timeout: .seconds(2)) { try await session.screen.contains("30 100") }
        }
        let afterResize = try await session.screen
        #expect(resized, "the new size reached the container: \(afterResize)")
        try await session.type("sleep 100", "Enter")
        // Ctrl-c typed before the shell has handed the terminal to sleep is read by the shell as
        // input (its line editor keeps the terminal raw): press it once sleep runs, as a person does.
        #expect(try await eventually(timeout: .seconds(20)) {
            try await daemon.run("top", "shell").stdout.contains("sleep 100")
        }, "sleep runs in the container")
        try await Task.sleep(for: .milliseconds(100))
        try await session.type("C-c")
        try await session.type("echo still here", "Enter")
        let interrupted = try await session.shows("still here")
        let afterInterrupt = try await session.screen
        #expect(interrupted, "ctrl-c stopped sleep, not the shell: \(afterInterrupt)")
        try await session.type("C-p", "C-q")
        #expect(try await eventually(timeout: .seconds(20)) {
            try await session.run("list-panes", "-t", session.name).status != 0
        }, "the CLI detached and exited, which ended the tmux session")
        #expect(try await daemon.inspect("shell", "{{.State.Running}}") == "true", "the container keeps running")
        // docker exec -it into it.
        let exec = "DOCKER_HOST=unix://\(daemon.child.socketPath) DOCKER_CONFIG=\(TestDirectory.root)/docker-config "
            + "\(daemon.docker) exec -it shell sh"
        _ = try await session.run("new-session", "-d", "-s", session.name, "-x", "90", "-y", "20", exec)
        #expect(try await session.shows("/ #"))
        let sized = try await eventually(timeout: .seconds(20)) {
            try await session.type("clear; tty; stty size", "Enter")
            return try await eventually(timeout: .seconds(2)) { try await session.screen.contains("20 90") }
        }
        let afterExec = try await session.screen
        #expect(sized, "\(afterExec)")
        try await session.type("exit", "Enter")
        #expect(try await daemon.finish().isEmpty)
    }
}
