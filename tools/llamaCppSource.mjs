// The llama.cpp source node-llama-cpp ships (`llama/gitRelease.bundle`), cloned offline with node-llama-cpp's own
// llama.cpp patches applied, as its `source download` does. Shared by build:h2o and build:llama-server so both build
// the very llama.cpp release LlamaHome runs in-process.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export function run(command, argv, options = {}) {
    return new Promise((resolve, reject) => {
        const child = spawn(command, argv, { stdio: options.capture ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"], ...options });
        let out = "";
        if (options.capture) {
            child.stdout.on("data", (d) => (out += d));
            child.stderr.on("data", (d) => (out += d));
        }
        child.on("error", reject);
        child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${argv.join(" ")} exited with ${code}${options.capture ? "\n" + out : ""}`))));
    });
}

/**
 * Clones node-llama-cpp's bundled llama.cpp into `llamaCppDir` unless a clone of the same bundle is already there
 * (a stamp beside it holds the bundle's hash). Returns true when it cloned.
 */
export async function cloneBundledLlamaCpp(nlcLlamaDir, llamaCppDir, log) {
    const bundle = path.join(nlcLlamaDir, "gitRelease.bundle");
    if (!fs.existsSync(bundle)) throw new Error(`${bundle} is missing (run npm ci)`);
    const bundleStamp = path.join(path.dirname(llamaCppDir), "bundle.sha256");
    const bundleHash = createHash("sha256").update(fs.readFileSync(bundle)).digest("hex");
    if (fs.existsSync(path.join(llamaCppDir, ".git")) && fs.existsSync(bundleStamp) && fs.readFileSync(bundleStamp, "utf8") === bundleHash) return false;
    log(`cloning llama.cpp from ${bundle} (offline)`);
    fs.rmSync(llamaCppDir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(llamaCppDir), { recursive: true });
    await run("git", ["-c", "advice.detachedHead=false", "clone", "--quiet", bundle, llamaCppDir]);
    const patchesDir = path.join(nlcLlamaDir, "patches");
    const patches = fs.existsSync(patchesDir) ? fs.readdirSync(patchesDir).sort() : [];
    for (const p of patches) {
        const patchPath = path.join(patchesDir, p);
        try {
            await run("git", ["apply", "--check", patchPath], { cwd: llamaCppDir, capture: true });
            await run("git", ["apply", patchPath], { cwd: llamaCppDir, capture: true });
            log(`applied node-llama-cpp patch ${p}`);
        } catch {
            log(`node-llama-cpp patch ${p} does not apply (already merged upstream?), skipped`);
        }
    }
    fs.writeFileSync(bundleStamp, bundleHash);
    return true;
}

/** PATH and ccache settings that let a second clone of the checkout hit the same compiler cache. */
export function ccacheEnv(root, log) {
    const env = { ...process.env };
    const ccacheDir = "/usr/lib/ccache";
    if (fs.existsSync(ccacheDir)) {
        env.PATH = `${ccacheDir}${path.delimiter}${env.PATH ?? ""}`;
        // Paths under the checkout are hashed relative to it, so another clone (CI's fresh one) hits the same cache.
        env.CCACHE_BASEDIR ??= root;
        env.CCACHE_NOHASHDIR ??= "1";
        log("using ccache");
    } else log("ccache not found (apt-get install ccache makes rebuilds cheap)");
    return env;
}
