import BerthAPI
import BerthCore

/// What `docker inspect` and `docker ps` show of a container.
extension Container {
    func inspect(graphDriver: ContainerInspect.GraphDriver) -> ContainerInspect {
        let state = record.State
        var view = ContainerInspect.State()
        view.Status = state.status
        view.Running = state.isRunning
        view.Paused = state.phase == .paused
        view.Restarting = state.phase == .restarting
        view.OOMKilled = state.oomKilled
        view.Dead = state.phase == .dead
        view.Pid = state.isRunning ? state.pid : 0
        view.ExitCode = state.exitCode
        view.Error = state.error
        if let started = state.startedAt { view.StartedAt = Timestamp.rfc3339Nano(nanoseconds: started) }
        if let finished = state.finishedAt, !state.isRunning { view.FinishedAt = Timestamp.rfc3339Nano(nanoseconds: finished) }
        let arguments = (record.Config.Entrypoint ?? []) + (record.Config.Cmd ?? [])
        var network = ContainerInspect.NetworkSettings()
        if ["none", "host"].contains(hostConfig.NetworkMode) { network.Networks = [hostConfig.NetworkMode: .init()] }
        var inspect = ContainerInspect(
            Id: id, Created: Timestamp.rfc3339Nano(nanoseconds: record.CreatedNanoseconds), Path: arguments.first ?? "",
            Args: Array(arguments.dropFirst()), State: view, Image: record.ImageID, LogPath: logsEnabled ? paths.log : "",
            Name: "/" + record.Name, RestartCount: state.restartCount, Driver: record.Driver, HostConfig: hostConfig,
            GraphDriver: graphDriver, Mounts: mountPoints, Config: record.Config, NetworkSettings: network)
        inspect.ExecIDs = execIDs.isEmpty ? nil : execIDs
        inspect.HostnamePath = paths.hostname
        inspect.HostsPath = paths.hosts
        inspect.ResolvConfPath = paths.resolvConf
        return inspect
    }

    func summary() -> ContainerSummary {
        let arguments = (record.Config.Entrypoint ?? []) + (record.Config.Cmd ?? [])
        return ContainerSummary(
            Id: id, Names: ["/" + record.Name], Image: record.Config.Image, ImageID: record.ImageID,
            Command: arguments.map(Self.shellQuoted).joined(separator: " "), Created: record.CreatedNanoseconds / 1_000_000_000,
            Labels: record.Config.Labels ?? [:], State: record.State.status, Status: statusText(now: Timestamp.nowNanoseconds()),
            NetworkMode: hostConfig.NetworkMode, Mounts: mountPoints)
    }

    /// `docker ps`' STATUS: `Up 3 seconds`, `Up 2 minutes (Paused)`, `Exited (0) 5 seconds ago`.
    func statusText(now: Int64) -> String {
        let state = record.State
        switch state.phase {
        case .created, .starting: return "Created"
        case .running: return "Up " + HumanDuration.text(nanoseconds: now - (state.startedAt ?? now))
        case .paused: return "Up " + HumanDuration.text(nanoseconds: now - (state.startedAt ?? now)) + " (Paused)"
        case .restarting:
            return "Restarting (\(state.exitCode)) " + HumanDuration.text(nanoseconds: now - (state.finishedAt ?? now)) + " ago"
        case .removing: return "Removal In Progress"
        case .dead: return "Dead"
        case .exited:
            return "Exited (\(state.exitCode)) " + HumanDuration.text(nanoseconds: now - (state.finishedAt ?? now)) + " ago"
        }
    }

    /// The binds, mounts and tmpfs mounts as `Mounts` lists them.
    var mountPoints: [MountPoint] {
        var points: [MountPoint] = []
        for bind in hostConfig.Binds ?? [] {
            guard case .host(let mount) = try? ContainerSpec.parseBind(bind) else { continue }
            let readOnly = mount.options?.contains("ro") ?? false
            let mode = bind.split(separator: ":").dropFirst(2).first.map(String.init) ?? ""
            points.append(MountPoint(Type: "bind", Source: mount.source ?? "", Destination: mount.destination, Mode: mode,
                                     RW: !readOnly, Propagation: "rprivate"))
        }
        for volume in record.Volumes ?? [] {
            points.append(MountPoint(Type: "volume", Name: volume.name, Source: environment.volumes.path(volume.name),
                                     Destination: volume.destination, Driver: "local", Mode: "", RW: !volume.readOnly,
                                     Propagation: ""))
        }
        for mount in hostConfig.Mounts ?? [] where mount.Type != "volume" {
            points.append(MountPoint(Type: mount.Type, Source: mount.Source ?? "", Destination: mount.Target, Mode: "",
                                     RW: mount.ReadOnly != true, Propagation: mount.Type == "bind" ? "rprivate" : ""))
        }
        return points
    }

    /// An argument as a shell reads it back: bare when safe, else in single quotes.
    static func shellQuoted(_ argument: String) -> String {
        let safe = argument.unicodeScalars.allSatisfy {
            ($0.value >= 48 && $0.value <= 57) || ($0.value >= 65 && $0.value <= 90) || ($0.value >= 97 && $0.value <= 122)
                || "-_./=:,+@%".unicodeScalars.contains($0)
        }
        if safe && !argument.isEmpty { return argument }
        return "'" + argument.split(separator: "'", omittingEmptySubsequences: false).joined(separator: #"'"'"'"#) + "'"
    }
}
