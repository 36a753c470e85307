#!/usr/bin/env node
// Builds llama.cpp's `llama-server` and `rpc-server` offline, for the remote-engine tests and for users who want a
// server next to their GPUs, from the same llama.cpp release node-llama-cpp ships (tools/llamaCppSource.mjs).
//
//   npm run build:llama-server [-- --check] [--force] [--jobs N] [--optional] [--quiet]
//
// CPU only, one CPU variant tuned to this machine (GGML_NATIVE; a server is built where it runs), static libraries so
// the two binaries run from anywhere, no HTTPS/curl and no web UI download (LLAMA_USE_PREBUILT_UI fetches from a hub).
// The build tree is kept under native/llama-server/build; ccache serves a second clone. Prints the binaries' paths as
// JSON on stdout: {"llamaServer": "...", "rpcServer": "..."}. `--check` prints the same and exits 3 when they are
// missing or stale; `--optional` turns a failed build into exit 0 with a warning, so callers can skip with the reason.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ccacheEnv, cloneBundledLlamaCpp, run } from "./llamaCppSource.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const buildRoot = path.join(root, "native", "llama-server", "build");
const srcDir = path.join(buildRoot, "src", "llama.cpp");
const cmakeOut = path.join(buildRoot, "cmake-cpu");
const binDir = path.join(buildRoot, "bin");
const nlcLlamaDir = path.join(root, "node_modules", "node-llama-cpp", "llama");
const stampPath = path.join(binDir, "build.json");
const buildSettingsVersion = 1;

const args = { check: false, force: false, optional: false, quiet: false, jobs: Math.max(1, os.availableParallelism?.() ?? os.cpus().length) };
for (let i = 2; i < process.argv.length; i++) {
    const a = process.argv[i];
    if (a === "--check") args.check = true;
    else if (a === "--force") args.force = true;
    else if (a === "--optional") args.optional = true;
    else if (a === "--quiet") args.quiet = true;
    else if (a === "--jobs") args.jobs = Number(process.argv[++i]);
    else fail(`unknown argument ${a}`, 2);
}

function log(message) {
    if (!args.quiet) process.stderr.write(`build:llama-server: ${message}\n`);
}

function fail(message, code = 1) {
    if (code === 1 && args?.optional) {
        process.stderr.write(`build:llama-server: warning: llama-server was not built: ${message}\n`);
        process.stdout.write(JSON.stringify({ error: message }) + "\n");
        process.exit(0);
    }
    process.stderr.write(`build:llama-server: ${message}\n`);
    process.exit(code);
}

const binaries = { llamaServer: path.join(binDir, "llama-server"), rpcServer: path.join(binDir, "rpc-server") };

function expectedStamp() {
    const nlcVersion = JSON.parse(fs.readFileSync(path.join(nlcLlamaDir, "..", "package.json"), "utf8")).version;
    return { nodeLlamaCpp: nlcVersion, settings: buildSettingsVersion };
}

function upToDate() {
    if (!fs.existsSync(binaries.llamaServer) || !fs.existsSync(binaries.rpcServer) || !fs.existsSync(stampPath)) return false;
    try {
        const stamp = JSON.parse(fs.readFileSync(stampPath, "utf8"));
        const want = expectedStamp();
        return stamp.nodeLlamaCpp === want.nodeLlamaCpp && stamp.settings === want.settings;
    } catch {
        return false;
    }
}

async function main() {
    if (!fs.existsSync(nlcLlamaDir)) fail("node-llama-cpp is not installed (run npm ci)");
    if (args.check) {
        const ok = upToDate();
        process.stdout.write(JSON.stringify(ok ? binaries : { missing: true, ...binaries }) + "\n");
        process.exit(ok ? 0 : 3);
    }
    if (upToDate() && !args.force) {
        log("up to date");
        process.stdout.write(JSON.stringify(binaries) + "\n");
        return;
    }
    try {
        await run("cmake", ["--version"], { capture: true });
    } catch {
        fail("cmake is not installed (apt-get install cmake)");
    }
    const started = Date.now();
    await cloneBundledLlamaCpp(nlcLlamaDir, srcDir, log);
    const env = ccacheEnv(root, log);
    const defs = {
        CMAKE_BUILD_TYPE: "Release",
        BUILD_SHARED_LIBS: "OFF",
        GGML_NATIVE: "ON",
        GGML_BACKEND_DL: "OFF",
        GGML_RPC: "ON",
        GGML_METAL: "OFF",
        GGML_CCACHE: "OFF",
        LLAMA_BUILD_TESTS: "OFF",
        LLAMA_BUILD_EXAMPLES: "OFF",
        LLAMA_BUILD_TOOLS: "ON",
        LLAMA_BUILD_SERVER: "ON",
        LLAMA_BUILD_APP: "OFF",
        LLAMA_BUILD_UI: "OFF",
        LLAMA_USE_PREBUILT_UI: "OFF",
        LLAMA_CURL: "OFF",
        LLAMA_OPENSSL: "OFF",
    };
    log(`configuring ${path.relative(root, cmakeOut)}`);
    // The build log goes to stderr: stdout carries only the JSON with the binaries' paths.
    const quiet = args.quiet ? { capture: true } : { stdio: ["ignore", 2, 2] };
    await run("cmake", ["-S", srcDir, "-B", cmakeOut, "-Wno-dev", ...Object.entries(defs).map(([k, v]) => `-D${k}=${v}`)], { env, ...quiet })
        .catch((err) => fail(`cmake configure failed: ${err.message}`));
    log(`compiling llama-server and rpc-server with ${args.jobs} job(s)`);
    await run("cmake", ["--build", cmakeOut, "--target", "llama-server", "ggml-rpc-server", "--parallel", String(args.jobs)], { env, ...quiet })
        .catch((err) => fail(`compile failed: ${err.message}`));
    fs.mkdirSync(binDir, { recursive: true });
    for (const [target, dest] of [["llama-server", binaries.llamaServer], ["ggml-rpc-server", binaries.rpcServer]]) {
        const built = path.join(cmakeOut, "bin", target);
        if (!fs.existsSync(built)) fail(`build finished but ${path.relative(root, built)} is missing`);
        fs.copyFileSync(built, dest);
        fs.chmodSync(dest, 0o755);
    }
    fs.writeFileSync(stampPath, JSON.stringify({ ...expectedStamp(), builtAt: new Date().toISOString(), buildSeconds: Math.round((Date.now() - started) / 1000) }, null, 2));
    log(`built in ${Math.round((Date.now() - started) / 1000)} s`);
    process.stdout.write(JSON.stringify(binaries) + "\n");
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
