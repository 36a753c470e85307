#!/usr/bin/env node
// Builds node-llama-cpp's native addon with the H2O attention accumulator (native/h2o/*.patch), offline.
//
//   npm run build:h2o [-- --gpu false|cuda|vulkan] [--force] [--clean] [--check] [--optional] [--jobs N] [--quiet]
//
// 1. Source: node-llama-cpp's bundled llama.cpp (`llama/gitRelease.bundle`, cloned locally, no network) plus the
//    addon sources and CMakeLists it ships (`llama/addon`, `llama/CMakeLists.txt`), staged under native/h2o/build/src,
//    node-llama-cpp's own llama.cpp patches applied, then ours (native/h2o/*.patch, paths relative to `llama/`).
//    Files are only rewritten when their content changes, so rebuilds are incremental.
// 2. Build: cmake-js (node-llama-cpp's dependency) with the same CMake options node-llama-cpp's `source build` uses,
//    into native/h2o/build/cmake-<gpu> (kept between runs: an unchanged tree relinks nothing; a patch change recompiles
//    only the addon). ccache is used when /usr/lib/ccache exists (`apt-get install ccache`).
// 3. Install: the result is copied into node-llama-cpp's local-builds folder under the name node-llama-cpp derives from
//    the custom CMake option `LLAMAHOME_H2O=<patch id>`, so `getLlama({ cmakeOptions: { LLAMAHOME_H2O: id },
//    build: "never", usePrebuiltBinaries: false })` loads exactly this build and nothing else does. The patch id hashes
//    node-llama-cpp's version and the patch files: a changed patch or an `npm ci` (which wipes node_modules) makes the
//    installed build "missing", never silently stale.
//
// `--check` only reports (exit 0 when the installed build matches the current patches, 3 when it is missing).
// `--force` rebuilds/reinstalls even when up to date; `--clean` also deletes native/h2o/build first (a cold build, still
// served by ccache). `--optional` turns a failed build into a warning and exit code 0 (for `npm test`: the native tests
// then report themselves skipped with the reason, and H2O falls back to sink-window).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ccacheEnv, cloneBundledLlamaCpp, run } from "./llamaCppSource.mjs";
import { computeH2oPatchId, H2O_CMAKE_OPTION, listH2oPatches } from "../shared/h2oBuildIdentity.cjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const patchDir = path.join(root, "native", "h2o");
const buildRoot = path.join(patchDir, "build");
const nlcDir = path.join(root, "node_modules", "node-llama-cpp");
const nlcLlamaDir = path.join(nlcDir, "llama");
const cmakeJs = path.join(root, "node_modules", "cmake-js", "bin", "cmake-js");
const buildConfigType = "Release";
const metadataFileName = "_nlcBuildMetadata.json";
const stampFileName = "llamahome-h2o.json";

function parseArgs(argv) {
    const args = { gpu: false, force: false, clean: false, optional: false, check: false, jobs: Math.max(1, os.availableParallelism?.() ?? os.cpus().length), quiet: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--force") args.force = true;
        else if (a === "--clean") args.clean = args.force = true;
        else if (a === "--optional") args.optional = true;
        else if (a === "--check") args.check = true;
        else if (a === "--quiet") args.quiet = true;
        else if (a === "--gpu") {
            const v = argv[++i];
            if (!["false", "cuda", "vulkan"].includes(v)) fail(`--gpu must be false, cuda or vulkan (got ${v})`, 2);
            args.gpu = v === "false" ? false : v;
        } else if (a === "--jobs") {
            args.jobs = Number(argv[++i]);
            if (!Number.isInteger(args.jobs) || args.jobs < 1) fail("--jobs must be a positive integer", 2);
        } else fail(`unknown argument ${a}`, 2);
    }
    return args;
}

function fail(message, code = 1) {
    if (code === 1 && args?.optional) {
        process.stderr.write(`build:h2o: warning: the H2O accumulator was not built (H2O will fall back to sink-window): ${message}\n`);
        process.exit(0);
    }
    process.stderr.write(`build:h2o: ${message}\n`);
    process.exit(code);
}

function log(message) {
    if (!args.quiet) process.stderr.write(`build:h2o: ${message}\n`);
}

async function nlcImport(rel) {
    return import(pathToFileURL(path.join(nlcDir, "dist", rel)).href);
}

/** Copies src to dst only if the bytes differ (keeps mtimes, so make/ninja rebuild only what changed). */
function syncTree(src, dst, seen = new Set()) {
    const stat = fs.statSync(src);
    if (stat.isDirectory()) {
        fs.mkdirSync(dst, { recursive: true });
        for (const entry of fs.readdirSync(src)) syncTree(path.join(src, entry), path.join(dst, entry), seen);
        return;
    }
    seen.add(dst);
    const data = fs.readFileSync(src);
    if (fs.existsSync(dst) && fs.readFileSync(dst).equals(data)) return;
    fs.writeFileSync(dst, data);
}

function removeUnseen(dir, seen) {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir)) {
        const p = path.join(dir, entry);
        if (fs.statSync(p).isDirectory()) removeUnseen(p, seen);
        else if (!seen.has(p)) fs.rmSync(p);
    }
}

async function prepareSources(srcDir) {
    await cloneBundledLlamaCpp(nlcLlamaDir, path.join(srcDir, "llama.cpp"), log);

    // Stage node-llama-cpp's addon project + our patches in a scratch copy, then sync into srcDir.
    const staging = path.join(buildRoot, "staging");
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging, { recursive: true });
    for (const entry of ["CMakeLists.txt", "package.json", "addon", "cmake", "profiles", "toolchains"]) {
        const from = path.join(nlcLlamaDir, entry);
        if (fs.existsSync(from)) fs.cpSync(from, path.join(staging, entry), { recursive: true });
    }
    for (const name of listH2oPatches(patchDir)) {
        log(`applying ${name}`);
        await run("patch", ["-p1", "--forward", "--batch", "--no-backup-if-mismatch", "-d", staging, "-i", path.join(patchDir, name)], { capture: true })
            .catch((err) => fail(`patch ${name} does not apply to node-llama-cpp's addon sources:\n${err.message}`));
    }
    const seen = new Set();
    for (const entry of fs.readdirSync(staging)) syncTree(path.join(staging, entry), path.join(srcDir, entry), seen);
    removeUnseen(path.join(srcDir, "addon"), seen);
    fs.rmSync(staging, { recursive: true, force: true });
}

/** Drops earlier H2O installs (other patch ids) for the same GPU type; node-llama-cpp's own builds are left alone. */
function removeStaleInstalls(localBuildsDir, keepDir) {
    for (const name of fs.readdirSync(localBuildsDir)) {
        const dir = path.join(localBuildsDir, name);
        const stampPath = path.join(dir, buildConfigType, stampFileName);
        if (dir === keepDir || !fs.existsSync(stampPath)) continue;
        try {
            const stamp = JSON.parse(fs.readFileSync(stampPath, "utf8"));
            if (stamp.gpu !== args.gpu) continue;
        } catch {
            // unreadable stamp: ours but broken, remove it too
        }
        fs.rmSync(dir, { recursive: true, force: true });
        log(`removed stale H2O build ${path.relative(root, dir)}`);
    }
}

async function main() {
    if (!fs.existsSync(nlcDir)) fail("node-llama-cpp is not installed (run npm ci)");
    const nlcVersion = JSON.parse(fs.readFileSync(path.join(nlcDir, "package.json"), "utf8")).version;
    const patchId = computeH2oPatchId(patchDir, nlcVersion);

    const { getBuildFolderNameForBuildOptions } = await nlcImport("bindings/utils/getBuildFolderNameForBuildOptions.js");
    const { getPlatformInfo } = await nlcImport("bindings/utils/getPlatformInfo.js");
    const { getPlatform } = await nlcImport("bindings/utils/getPlatform.js");
    const { builtinLlamaCppRelease } = await nlcImport("bindings/utils/binariesGithubRelease.js");
    const { builtinLlamaCppGitHubRepo, llamaLocalBuildBinsDirectory } = await nlcImport("config.js");
    const { resolveCustomCmakeOptions } = await nlcImport("bindings/utils/resolveCustomCmakeOptions.js");

    const platform = getPlatform();
    const customCmakeOptions = resolveCustomCmakeOptions({ [H2O_CMAKE_OPTION]: patchId });
    const buildOptions = {
        customCmakeOptions,
        progressLogs: !args.quiet,
        platform,
        platformInfo: await getPlatformInfo(),
        arch: process.arch,
        gpu: args.gpu,
        llamaCpp: { repo: builtinLlamaCppGitHubRepo, release: builtinLlamaCppRelease },
    };
    const folder = await getBuildFolderNameForBuildOptions(buildOptions);
    const installDir = path.join(llamaLocalBuildBinsDirectory, folder.withCustomCmakeOptions);
    const installedStamp = path.join(installDir, buildConfigType, stampFileName);
    const installed = fs.existsSync(path.join(installDir, "buildDone.status")) && fs.existsSync(installedStamp)
        && JSON.parse(fs.readFileSync(installedStamp, "utf8")).patchId === patchId;

    if (args.check) {
        process.stdout.write(JSON.stringify({ installed, patchId, installDir }) + "\n");
        process.exit(installed ? 0 : 3);
    }
    if (installed && !args.force) {
        log(`up to date (${path.relative(root, installDir)}, patch id ${patchId})`);
        return;
    }

    const started = Date.now();
    const gpuName = args.gpu === false ? "cpu" : args.gpu;
    if (args.clean) {
        log(`deleting ${path.relative(root, buildRoot)}`);
        fs.rmSync(buildRoot, { recursive: true, force: true });
    }
    const srcDir = path.join(buildRoot, "src");
    const cmakeOut = path.join(buildRoot, `cmake-${gpuName}`);
    await prepareSources(srcDir);

    const cmakeOptions = new Map(customCmakeOptions);
    cmakeOptions.set("GGML_BUILD_NUMBER", "1");
    cmakeOptions.set("CMAKE_CONFIGURATION_TYPES", buildConfigType);
    cmakeOptions.set("NLC_CURRENT_PLATFORM", `${platform}-${process.arch}`);
    cmakeOptions.set("NLC_TARGET_PLATFORM", `${platform}-${process.arch}`);
    cmakeOptions.set("NLC_VARIANT", folder.binVariant);
    log(`library variant ${folder.binVariant}`);
    if (!cmakeOptions.has("GGML_METAL")) cmakeOptions.set("GGML_METAL", "OFF");
    if (args.gpu === "cuda") cmakeOptions.set("GGML_CUDA", "1");
    if (args.gpu === "vulkan") cmakeOptions.set("GGML_VULKAN", "1");
    cmakeOptions.set("GGML_CCACHE", "OFF"); // ccache comes from PATH below, for the addon's own files too
    cmakeOptions.set("LLAMA_CURL", "OFF");
    cmakeOptions.set("LLAMA_HTTPLIB", "OFF");
    cmakeOptions.set("LLAMA_BUILD_BORINGSSL", "OFF");
    cmakeOptions.set("LLAMA_OPENSSL", "OFF");
    if (process.arch === "x64") {
        // As node-llama-cpp's prebuilt binaries: a CPU backend per x86 generation, the best one loaded at run time.
        // Measured with npm run bench:binary: as fast as the prebuilt binary at 1 thread; -march=native was 0.73x.
        cmakeOptions.set("GGML_NATIVE", "OFF");
        cmakeOptions.set("GGML_BACKEND_DL", "ON");
        cmakeOptions.set("GGML_CPU_ALL_VARIANTS", "ON");
    } else if (!cmakeOptions.has("GGML_NATIVE")) cmakeOptions.set("GGML_NATIVE", "ON");

    const env = ccacheEnv(root, log);

    const common = ["--log-level", "warn", "-d", srcDir, "-O", cmakeOut, "--config", buildConfigType, "--arch", process.arch,
        "--runtime-version", process.version.slice(1)];
    const defs = [...cmakeOptions].map(([k, v]) => `--CD${k}=${v}`);
    log(`configuring (${path.relative(root, cmakeOut)})`);
    await run(process.execPath, [cmakeJs, "configure", ...common, ...defs], { env, cwd: srcDir });
    log(`compiling with ${args.jobs} job(s)`);
    await run(process.execPath, [cmakeJs, "build", ...common, "--parallel", String(args.jobs), ...defs], { env, cwd: srcDir });

    // Collect the addon and its shared libraries the way node-llama-cpp's compileLlamaCpp does.
    const resultDir = path.join(cmakeOut, buildConfigType);
    if (!fs.existsSync(path.join(resultDir, "llama-addon.node"))) fail(`build finished but ${path.relative(root, resultDir)}/llama-addon.node is missing`);
    fs.rmSync(installDir, { recursive: true, force: true });
    const installRelease = path.join(installDir, buildConfigType);
    fs.mkdirSync(installRelease, { recursive: true });
    for (const dir of [resultDir, path.join(cmakeOut, "bin"), path.join(cmakeOut, "llama.cpp", "bin")]) {
        if (!fs.existsSync(dir)) continue;
        for (const name of fs.readdirSync(dir)) {
            const from = path.join(dir, name);
            // libllama/libggml of earlier patch ids stay in the kept build tree under their own variant suffix
            const variant = /^(?:lib)?(?:llama|ggml)\.(.+)\.(?:so|dylib|dll)$/.exec(name)?.[1];
            if (variant !== undefined && variant !== folder.binVariant) continue;
            if (fs.statSync(from).isFile() && !fs.existsSync(path.join(installRelease, name))) fs.copyFileSync(from, path.join(installRelease, name));
        }
    }
    const { convertBuildOptionsToBuildOptionsJSON } = await nlcImport("bindings/types.js");
    fs.writeFileSync(path.join(installRelease, metadataFileName), JSON.stringify({ buildOptions: convertBuildOptionsToBuildOptionsJSON(buildOptions) }));
    const stamp = { patchId, nodeLlamaCpp: nlcVersion, gpu: args.gpu, patches: listH2oPatches(patchDir), builtAt: new Date().toISOString(), buildSeconds: Math.round((Date.now() - started) / 1000) };
    fs.writeFileSync(path.join(installRelease, stampFileName), JSON.stringify(stamp, null, 2));
    fs.writeFileSync(path.join(installDir, "buildDone.status"), "");
    removeStaleInstalls(llamaLocalBuildBinsDirectory, installDir);
    log(`installed ${path.relative(root, installDir)} in ${stamp.buildSeconds} s (patch id ${patchId})`);
}

const args = parseArgs(process.argv.slice(2));
main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
