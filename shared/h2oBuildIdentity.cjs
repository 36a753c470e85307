// What names an H2O accumulator build (native/h2o holds the patches), owned here once for the build script (tools/build-h2o.mjs) and the server
// (server/llm/h2o/h2oBuild.ts, which bundles this file): the CMake option that marks the build, and the id of the
// patches and node-llama-cpp version it was built from. CommonJS so that both the ES-module script and the
// CommonJS server bundle can import it.
"use strict";
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

/** The custom CMake option whose value (the patch id) names the build among node-llama-cpp's local builds. */
const H2O_CMAKE_OPTION = "LLAMAHOME_H2O";

/** The patches in `patchDir`, in the order they apply. */
function listH2oPatches(patchDir) {
    return fs.readdirSync(patchDir).filter((name) => name.endsWith(".patch")).sort();
}

/** node-llama-cpp's version + every patch's name and bytes: a build made from anything else is not this one. */
function computeH2oPatchId(patchDir, nodeLlamaCppVersion) {
    const hash = createHash("sha256");
    hash.update(`node-llama-cpp@${nodeLlamaCppVersion}\n`);
    for (const name of listH2oPatches(patchDir)) {
        hash.update(`${name}\n`);
        hash.update(fs.readFileSync(path.join(patchDir, name)));
        hash.update("\n");
    }
    return hash.digest("hex").slice(0, 16);
}

module.exports = { H2O_CMAKE_OPTION, listH2oPatches, computeH2oPatchId };
