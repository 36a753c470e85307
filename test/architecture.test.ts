// The shape of the code, checked: product code (client/, server/, shared/) never reaches into the dev kit (tools/,
// test/), imports only packages it ships as runtime dependencies, and has no import circles (type imports included).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { builtinModules } from "node:module";
import { test } from "node:test";

const repo = path.join(__dirname, "..");
const productFolders = ["client", "server", "shared"];

function tsFiles(folder: string): string[] {
    const found: string[] = [];
    for (const entry of readdirSync(path.join(repo, folder), { withFileTypes: true })) {
        const rel = `${folder}/${entry.name}`;
        if (entry.isDirectory()) found.push(...tsFiles(rel));
        else if (entry.name.endsWith(".ts")) found.push(rel);
    }
    return found;
}

/** Every module specifier a file imports or re-exports, statically or dynamically, types included. */
function specifiers(file: string): string[] {
    const source = readFileSync(path.join(repo, file), "utf8");
    const found: string[] = [];
    for (const match of source.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+"([^"]+)"|^\s*import\s+"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/gm)) {
        found.push(match[1] ?? match[2] ?? match[3]!);
    }
    return found;
}

function resolveRelative(from: string, specifier: string): string | undefined {
    const base = path.posix.join(path.posix.dirname(from), specifier).replace(/\.js$/, "");
    return [`${base}.ts`, `${base}/index.ts`].find((candidate) => existsSync(path.join(repo, candidate)));
}

const product = productFolders.flatMap(tsFiles);
const graph = new Map(product.map((file) => [file, specifiers(file)]));

test("product code imports nothing from the dev kit (tools/, test/)", () => {
    const reaching: string[] = [];
    for (const [file, imports] of graph) {
        for (const specifier of imports.filter((s) => s.startsWith("."))) {
            const target = resolveRelative(file, specifier) ?? path.posix.join(path.posix.dirname(file), specifier);
            if (!productFolders.some((folder) => target.startsWith(`${folder}/`))) reaching.push(`${file} → ${target}`);
        }
    }
    assert.deepEqual(reaching, []);
});

test("product code imports only runtime dependencies (or node: modules, or vscode from the host)", () => {
    const manifest = JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const wrong: string[] = [];
    for (const [file, imports] of graph) {
        for (const specifier of imports.filter((s) => !s.startsWith("."))) {
            const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;
            if (specifier.startsWith("node:") || builtins.has(name) || name === "vscode" || manifest.dependencies[name]) continue;
            wrong.push(`${file} → ${specifier}`);
        }
    }
    assert.deepEqual(wrong, []);
});

test("no import circles in client/, server/ or shared/, type imports included", () => {
    const edges = new Map<string, string[]>();
    for (const [file, imports] of graph) {
        edges.set(file, imports.filter((s) => s.startsWith(".")).map((s) => resolveRelative(file, s)).filter((target): target is string => target !== undefined));
    }
    // Tarjan's strongly connected components: every component of more than one file is a circle.
    let counter = 0;
    const order = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const circles: string[][] = [];
    const visit = (file: string) => {
        order.set(file, counter);
        low.set(file, counter++);
        stack.push(file);
        onStack.add(file);
        for (const next of edges.get(file) ?? []) {
            if (!order.has(next)) {
                visit(next);
                low.set(file, Math.min(low.get(file)!, low.get(next)!));
            } else if (onStack.has(next)) {
                low.set(file, Math.min(low.get(file)!, order.get(next)!));
            }
        }
        if (low.get(file) === order.get(file)) {
            const component: string[] = [];
            let member: string;
            do {
                member = stack.pop()!;
                onStack.delete(member);
                component.push(member);
            } while (member !== file);
            if (component.length > 1) circles.push(component.sort());
        }
    };
    for (const file of edges.keys()) if (!order.has(file)) visit(file);
    assert.deepEqual(circles, []);
    assert.ok(product.length > 50, `the check saw the product files (${product.length})`);
});
