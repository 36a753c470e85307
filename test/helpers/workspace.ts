import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";

/** A fresh folder with `files` under ws/ and a cache folder beside it (not created); removed after the test. */
export async function tempWorkspace(t: { after: (fn: () => Promise<void>) => void }, files: Record<string, string | Buffer>): Promise<{ base: string; root: string; cache: string }> {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-cli-"));
    t.after(() => fs.rm(base, { recursive: true, force: true }));
    const root = path.join(base, "ws");
    await fs.mkdir(root, { recursive: true });
    for (const [rel, content] of Object.entries(files)) {
        await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
        await fs.writeFile(path.join(root, rel), content);
    }
    return { base, root, cache: path.join(base, "cache") };
}
