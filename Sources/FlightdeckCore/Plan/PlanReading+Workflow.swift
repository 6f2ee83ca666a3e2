import Foundation

/// The go/no-go workflow: the checklist, roles, approvers, the poll and built-in holds.
extension PlanReading {
    // MARK: Checklist, roles, approvers, poll, holds

    mutating func checklistItem(_ node: YAMLNode) -> ChecklistItem? {
        guard let map = node.mapping(keys: ["id", "phase", "title", "owner", "severity", "mode", "checks", "runbook"]) else { return nil }
        let id = declare(map.required("id"), in: .checklistItem)
        keepRunbook(map, for: id.map { .checklistItem($0) })
        let phase = map.required("phase")?.word()
        let title = map.required("title")?.word()
        let owner = reference(map.required("owner"), to: .role)
        let severity = severityOrDefault(map)
        let mode = map["mode"].map { $0.choice(ChecklistItem.Mode.self, named: "checklist mode") } ?? .doConfirm
        var checks: [String] = []
        if let checksNode = map["checks"] {
            for element in checksNode.list() ?? [] {
                if let check = reference(element, to: .check) { checks.append(check) }
            }
        }
        guard let id, let phase, let title, let owner, let severity, let mode else { return nil }
        return ChecklistItem(id: id, phase: phase, title: title, owner: owner, severity: severity, mode: mode, checks: checks)
    }

    mutating func role(_ node: YAMLNode) -> Role? {
        guard let map = node.mapping(keys: ["id", "title"]) else { return nil }
        let id = declare(map.required("id"), in: .role)
        let title = map["title"]?.word()
        return id.map { Role(id: $0, title: title ?? $0) }
    }

    mutating func approver(_ node: YAMLNode) -> Approver? {
        guard let map = node.mapping(keys: ["name", "role", "users", "pin_hash", "ssh_keys"]) else { return nil }
        let name = declare(map.required("name"), in: .approver)
        let role = reference(map.required("role"), to: .role)
        if let role { staffedRoles.insert(role) }
        var users: [String] = []
        for userNode in map["users"]?.list() ?? [] {
            guard let user = userNode.word() else { continue }
            guard user.wholeMatch(of: #/[a-z_][a-z0-9_.-]{0,31}\$?/#) != nil else {
                userNode.report("`\(user)` is not a login name", hint: "login names are lower case: ada, ops_1")
                continue
            }
            if let owner = claimedUsers[user], owner != name {
                userNode.report("the login `\(user)` already belongs to approver `\(owner)`", hint: "one person, one vote: a login names one approver")
                continue
            }
            if let name { claimedUsers[user] = name }
            users.append(user)
        }
        let pinHash = map["pin_hash"].flatMap { pinNode in
            pinNode.secretText(environment: environment).flatMap { secret -> PINHash? in
                switch PINHash.parse(secret.value) {
                case .success(let hash): return hash
                case .failure(let error):
                    pinNode.report(error)
                    return nil
                }
            }
        }
        var keys: [SSHPublicKey] = []
        for keyNode in map["ssh_keys"]?.list() ?? [] {
            guard let line = keyNode.string() else { continue }
            switch SSHPublicKey.parse(line) {
            case .success(let key): keys.append(key)
            case .failure(let error): keyNode.report(error)
            }
        }
        if map["users"] == nil, map["pin_hash"] == nil {
            node.report("approver has neither `users` nor `pin_hash`", hint: "without one of them nobody can vote as this approver")
        }
        guard let name, let role else { return nil }
        return Approver(name: name, role: role, users: users, pinHash: pinHash, keys: keys)
    }

    mutating func pollRules(_ node: YAMLNode) -> PollRules? {
        guard let map = node.mapping(keys: Self.sectionKeys["poll"]!) else { return nil }
        var order: [String] = []
        if let orderNode = map.required("order") {
            for element in orderNode.list() ?? [] {
                guard let role = reference(element, to: .role) else { continue }
                if order.contains(role) {
                    element.report("the role `\(role)` is polled twice")
                    continue
                }
                order.append(role)
                reportRoleWithoutApprover(role, at: element)
            }
            if order.isEmpty, orderNode.list() != nil { orderNode.report("the poll needs at least one role") }
        }
        let director = reference(map.required("director"), to: .role)
        if let director, let directorNode = map["director"] {
            reportRoleWithoutApprover(director, at: directorNode)
        }
        let allowSelfApproval = map["allow_self_approval"].map { $0.bool() } ?? false
        var requireSignatures: Set<SignedDecision> = []
        for element in map["require_signatures"]?.list() ?? [] {
            if let decision = element.choice(SignedDecision.self, named: "signed decision") { requireSignatures.insert(decision) }
        }
        guard let director, let allowSelfApproval, !order.isEmpty else { return nil }
        return PollRules(order: order, director: director, allowSelfApproval: allowSelfApproval, requireSignatures: requireSignatures)
    }

    func reportRoleWithoutApprover(_ role: String, at node: YAMLNode) {
        guard declared[.role]?[role] != nil, !staffedRoles.contains(role) else { return }
        node.report("no approver holds the role `\(role)`", hint: "add an approver with role: \(role), or nobody can vote for it")
    }

    func hold(_ node: YAMLNode) -> Hold? {
        guard let map = node.mapping(keys: ["name", "at", "duration"]) else { return nil }
        let name = map.required("name")?.word()
        let beforeT0 = map.required("at").flatMap { atNode -> Duration? in
            guard let text = atNode.string() else { return nil }
            guard text.hasPrefix("T-"), case .success(let duration) = PlanDuration.parse(String(text.dropFirst(2))) else {
                atNode.report("`\(text)` is not a time before T-0", hint: "write it as T-30m or T-2h")
                return nil
            }
            return duration
        }
        let duration = map.required("duration").flatMap(positiveDuration)
        guard let name, let beforeT0, let duration else { return nil }
        return Hold(name: name, beforeT0: beforeT0, duration: duration)
    }
}
