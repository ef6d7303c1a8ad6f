@testable import CellHost
import XCTest

/// Which processes the clean-up after a worker ends: its session, its descendants (also those that left
/// the session), never the worker itself, a spared process or a zombie.
final class ProcessTreeTests: XCTestCase {
    private func entry(_ pid: Int32, parent: Int32, session: Int32, zombie: Bool = false) -> ProcessTree.Entry {
        ProcessTree.Entry(pid: pid, parent: parent, session: session, zombie: zombie)
    }

    func testTheSessionAndEveryDescendantAreTargetedButNotTheWorkerOrOthers() {
        let entries = [
            entry(100, parent: 1, session: 100),        // the kernel
            entry(200, parent: 100, session: 200),      // the worker, a session leader
            entry(201, parent: 200, session: 200),      // Process child (own process group, same session)
            entry(202, parent: 100, session: 200),      // a grandchild re-parented to the kernel
            entry(203, parent: 201, session: 203),      // a daemon that called setsid under 201
            entry(204, parent: 203, session: 203),      // … and its child
            entry(205, parent: 200, session: 200, zombie: true),
            entry(300, parent: 100, session: 100),      // the kernel's own swiftc
            entry(400, parent: 1, session: 400),        // unrelated
        ]
        let found = ProcessTree.targets(in: entries, session: 200, roots: [200], spare: [200, 100])
        XCTAssertEqual(Set(found.map(\.pid)), [201, 202, 203, 204])
    }

    func testReadingThisProcessGivesItsParentAndSession() throws {
        let me = try XCTUnwrap(ProcessTree.read(getpid()))
        XCTAssertEqual(me.parent, getppid())
        XCTAssertEqual(me.session, getsid(0))
        XCTAssertFalse(me.zombie)
    }
}
