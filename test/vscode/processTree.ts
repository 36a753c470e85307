import * as fs from "node:fs";

/** Process ids below `pid` (children, grandchildren, …), read from /proc. Empty where there is no /proc. */
export function descendants(pid: number): number[] {
    const parentOf = new Map<number, number>();
    let entries: string[];
    try {
        entries = fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name));
    } catch {
        return [];
    }
    for (const entry of entries) {
        try {
            // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces and parentheses.
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            parentOf.set(Number(entry), ppid);
        } catch {
            // Gone meanwhile.
        }
    }
    const found: number[] = [];
    const queue = [pid];
    while (queue.length) {
        const parent = queue.shift()!;
        for (const [child, ppid] of parentOf) {
            if (ppid === parent && !found.includes(child)) {
                found.push(child);
                queue.push(child);
            }
        }
    }
    return found;
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/**
 * Ends a process and everything it started: SIGTERM to each by PID (the tree is listed first, since children of
 * a dead parent are re-parented and could no longer be found), then SIGKILL to any still alive after `graceMs`.
 */
export async function killTree(pid: number | undefined, graceMs = 5_000): Promise<void> {
    if (pid === undefined) return;
    const pids = [pid, ...descendants(pid)];
    for (const target of pids) {
        try {
            process.kill(target, "SIGTERM");
        } catch {
            // Already gone.
        }
    }
    const deadline = Date.now() + graceMs;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    for (const target of pids.filter(alive)) {
        try {
            process.kill(target, "SIGKILL");
        } catch {
            // Gone between the check and the kill.
        }
    }
}
