// The committed needle-retrieval model (models/needle/, trained by tools/needle-model/) in node-llama-cpp: the
// tokenizer is the one training used, the logits match PyTorch's, and it finds needles at the trained length.
// Needs no Python: PyTorch's logits are stored in models/needle/reference-logits.json at export time.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Llama, LlamaContext, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };

const ROOT = join(__dirname, "..");
const MODEL_DIR = join(ROOT, "models", "needle");
const WORKSPACE = join(ROOT, "samples", "workspace");
const BYTE_OFFSET = 3;
const SPACE_ID = 259;
/** PyTorch vs llama.cpp, per logit (compared as log-softmax: node-llama-cpp exposes probabilities, not raw logits). */
const PARITY_TOLERANCE = 1e-3;
const EXACT_MATCH_THRESHOLD = 0.95;
/** Names not in the training name list (tools/needle-model/data.py TRAIN_NAMES). */
const HELDOUT_NAMES = ["Beatrice", "Cedric", "Agatha", "Desmond", "Ottilie", "Percival", "Rosalind", "Leopold", "Marigold", "Winifred"];
/** Held-out seeds: training seeds are < 1e9 (and drive Python's generator; these drive mulberry32 below). */
const SEED_BASE = 3_000_000_000;

interface ReferenceLogits {
    text: string;
    ids: number[];
    greedy: number[];
    logits: number[][];
    model: string;
}

const reference = JSON.parse(readFileSync(join(MODEL_DIR, "reference-logits.json"), "utf8")) as ReferenceLogits;

let llama: Llama;
let model: LlamaModel;

before(async () => {
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
    model = await llama.loadModel({ modelPath: join(MODEL_DIR, reference.model) });
});

after(async () => {
    await model?.dispose();
    await llama?.dispose();
});

/** What tools/needle-model/tokenizer.py does: one token per UTF-8 byte, spaces as "▁" (no BOS here). */
function byteTokens(text: string): number[] {
    return [...Buffer.from(text, "utf8")].map((byte) => (byte === 0x20 ? SPACE_ID : BYTE_OFFSET + byte));
}

function logSoftmax(logits: readonly number[]): number[] {
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((sum, x) => sum + Math.exp(x - max), 0));
    return logits.map((x) => x - lse);
}

describe("needle model tokenizer", () => {
    test("node-llama-cpp tokenizes exactly like the Python training tokenizer", () => {
        assert.ok(model.tokens.bos === 1 && model.tokens.eos === 2, "BOS 1, EOS 2");
        for (const text of ["The secret code of Ottilie is K7Q2ZD.", "Rent is £56 — a year", "  two  spaces\n\nQuestion:", "Wójcik 😀"]) {
            assert.deepEqual([...model.tokenize(text)], byteTokens(text), JSON.stringify(text));
        }
        // ids that Python's tokenizer produced at export time (the text holds "£" and "—").
        assert.deepEqual([model.tokens.bos, ...model.tokenize(reference.text)], reference.ids);
    });
});

describe("needle model parity with PyTorch", () => {
    interface Parity {
        positions: number;
        compared: number;
        maxDiff: number;
        greedy: number[];
    }

    /** Evaluates the reference input, then its greedy continuation one token at a time (the KV-cache path). */
    async function parity(options: Parameters<LlamaModel["createContext"]>[0]): Promise<Parity> {
        const context = await model.createContext({ contextSize: 512, threads: 1, ...options });
        try {
            const sequence = context.getSequence();
            const result: Parity = { positions: 0, compared: 0, maxDiff: 0, greedy: [] };
            for await (const output of sequence.evaluateWithMetadata(reference.ids as Token[], { probabilities: true }, { temperature: 0, yieldEogToken: true })) {
                const expected = logSoftmax(reference.logits[result.positions]!);
                assert.equal(output.probabilities.size, expected.length, "a probability for every token in the vocabulary");
                for (const [token, probability] of output.probabilities) {
                    // float32 probabilities underflow below ~1e-38; above 1e-30 they carry the logits to ~1e-7.
                    if (probability < 1e-30) {
                        assert.ok(expected[token]! < Math.log(1e-28), `token ${token}: PyTorch log-probability ${expected[token]} but p=${probability}`);
                        continue;
                    }
                    result.maxDiff = Math.max(result.maxDiff, Math.abs(Math.log(probability) - expected[token]!));
                    result.compared++;
                }
                result.greedy.push(output.token);
                result.positions++;
                if (result.positions === reference.logits.length || output.token === model.tokens.eos) {
                    break;
                }
            }
            return result;
        } finally {
            await context.dispose();
        }
    }

    // f32 KV cache, no flash attention: llama.cpp computes what PyTorch computes (catches RoPE/layout/norm mistakes).
    test(`next-token log-probabilities match within ${PARITY_TOLERANCE} (f32 KV cache)`, { timeout: 30_000 }, async () => {
        const exact = await parity({ flashAttention: false, experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32" });
        console.log(`parity, f32 KV: ${exact.positions} positions, ${exact.compared} log-probabilities, max |diff| ${exact.maxDiff.toExponential(2)}`);
        assert.deepEqual(exact.greedy, reference.greedy.slice(0, exact.positions), "greedy tokens");
        const eosAt = reference.greedy.indexOf(model.tokens.eos!);
        assert.equal(exact.positions, eosAt >= 0 ? eosAt + 1 : reference.logits.length, "every reference position compared");
        assert.ok(exact.maxDiff <= PARITY_TOLERANCE, `max |log p diff| ${exact.maxDiff} > ${PARITY_TOLERANCE}`);
    });

    // llama.cpp's defaults (f16 KV cache, flash attention "auto") round K/V (and Q on the flash path) to f16: the
    // numbers move by up to ~1e-2, the greedy answer must not.
    test("the default context (f16 KV cache) decodes the same greedy tokens", { timeout: 30_000 }, async () => {
        const fast = await parity({});
        console.log(`parity, default context: ${fast.positions} positions, max |diff| ${fast.maxDiff.toExponential(2)}`);
        assert.deepEqual(fast.greedy, reference.greedy.slice(0, fast.positions), "greedy tokens");
    });
});

// ------------------------------------------------------------------------------------------------ needle prompts

/** Plain sentences of samples/workspace/**\/*.{md,txt}, one array per file (sorted paths), Markdown stripped. */
function workspaceSentences(): string[][] {
    const files: string[] = [];
    const walk = (dir: string): void => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
            const path = join(dir, entry.name);
            if (entry.isDirectory()) {
                walk(path);
            } else if (/\.(md|txt)$/.test(entry.name)) {
                files.push(path);
            }
        }
    };
    walk(WORKSPACE);
    files.sort((a, b) => (relative(WORKSPACE, a) < relative(WORKSPACE, b) ? -1 : 1));
    return files.map((path) => splitSentences(stripMarkdown(readFileSync(path, "utf8")))).filter((s) => s.length > 0);
}

function stripMarkdown(text: string): string[] {
    const paragraphs: string[] = [];
    let current: string[] = [];
    const flush = (): void => {
        if (current.length > 0) {
            paragraphs.push(current.join(" "));
            current = [];
        }
    };
    let inFence = false;
    for (const raw of text.split(/\r?\n/)) {
        let line = raw.trim();
        if (line.startsWith("```")) {
            inFence = !inFence;
            flush();
            continue;
        }
        if (inFence) {
            continue;
        }
        if (line === "" || /^[-*_=|: ]{3,}$/.test(line)) {
            flush();
            continue;
        }
        const block = /^(#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)/.exec(line);
        if (block) {
            flush();
            line = line.slice(block[0].length);
        }
        if (line.startsWith("|")) {
            flush();
            current.push(line.replace(/^\||\|$/g, "").split("|").map((cell) => cell.trim()).filter(Boolean).join("; "));
            flush();
            continue;
        }
        current.push(line);
        if (block?.[0].startsWith("#")) {
            flush();
        }
    }
    flush();
    return paragraphs
        .map((p) => p.replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1/g, "$2").replace(/\s+/g, " ").trim())
        .filter(Boolean);
}

function splitSentences(paragraphs: string[]): string[] {
    return paragraphs.flatMap((p) => p.split(/(?<=[.!?])\s+(?=[A-Z0-9"'(£“])/)).map((s) => s.trim()).filter((s) => s.length >= 3);
}

function mulberry32(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) | 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

interface NeedlePrompt {
    prompt: string;
    code: string;
    tokens: number;
}

/** The `llamahome needle` format: contiguous workspace prose, the needle at the sentence boundary nearest the depth. */
function needlePrompt(documents: string[][], seed: number, tokens: number, depth: number): NeedlePrompt {
    const random = mulberry32(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const name = pick(HELDOUT_NAMES);
    const code = Array.from({ length: 6 }, () => pick([..."ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"])).join("");
    const needle = `The secret code of ${name} is ${code}.`;
    const suffix = `\n\nQuestion: What is the secret code of ${name}?\nAnswer: The secret code of ${name} is`;
    const bytes = (s: string): number => Buffer.byteLength(s, "utf8");
    const budget = tokens - 1 - bytes(suffix) - bytes(needle) - 1; // BOS; one token per byte
    let doc = Math.floor(random() * documents.length);
    let at = Math.floor(random() * documents[doc]!.length);
    const sentences: string[] = [];
    let used = -1;
    for (;;) {
        const sentence = documents[doc]![at]!;
        if (used + 1 + bytes(sentence) > budget) {
            break;
        }
        sentences.push(sentence);
        used += 1 + bytes(sentence);
        if (++at === documents[doc]!.length) {
            doc = (doc + 1) % documents.length;
            at = 0;
        }
    }
    // Boundary k sits after k sentences; pick the one nearest depth × haystack length.
    let best = 0;
    let offset = 0;
    sentences.forEach((sentence, i) => {
        offset += bytes(sentence) + (i > 0 ? 1 : 0);
        const bestOffset = sentences.slice(0, best).reduce((n, s) => n + bytes(s) + 1, -1);
        if (Math.abs(offset - depth * used) < Math.abs(Math.max(bestOffset, 0) - depth * used)) {
            best = i + 1;
        }
    });
    const parts = [...sentences.slice(0, best), needle, ...sentences.slice(best)];
    const prompt = parts.join(" ") + suffix;
    return { prompt, code, tokens: 1 + bytes(prompt) };
}

describe("needle retrieval at the trained length", () => {
    const lengths = [512, 768, 1024];
    const depths = [0.1, 0.5, 0.9];
    const perCell = 4;

    test(`greedy exact match >= ${EXACT_MATCH_THRESHOLD * 100}% over ${lengths.length * depths.length * perCell} held-out prompts`, { timeout: 120_000 }, async () => {
        const documents = workspaceSentences();
        const context: LlamaContext = await model.createContext({ contextSize: 1024 + 32, threads: 2 });
        const rows: string[] = [];
        let hits = 0;
        let total = 0;
        try {
            const sequence = context.getSequence();
            for (const length of lengths) {
                for (const depth of depths) {
                    let cellHits = 0;
                    for (let i = 0; i < perCell; i++) {
                        const seed = SEED_BASE + length * 1000 + Math.round(depth * 100) * 10 + i;
                        const { prompt, code, tokens } = needlePrompt(documents, seed, length, depth);
                        assert.ok(tokens <= length && tokens > length - 300, `prompt of ${tokens} tokens for ${length}`);
                        await sequence.clearHistory();
                        const generated: Token[] = [];
                        for await (const token of sequence.evaluate([model.tokens.bos!, ...model.tokenize(prompt)], { temperature: 0 })) {
                            generated.push(token);
                            if (generated.length >= 10) {
                                break;
                            }
                        }
                        const text = model.detokenize(generated);
                        if (text.includes(code)) {
                            cellHits++;
                        } else {
                            rows.push(`  miss at ${length}@${depth * 100}%: want ${code}, got ${JSON.stringify(text)}`);
                        }
                    }
                    rows.push(`${length} tokens, depth ${depth * 100}%: ${cellHits}/${perCell}`);
                    hits += cellHits;
                    total += perCell;
                }
            }
        } finally {
            await context.dispose();
        }
        console.log(`needle exact match ${hits}/${total}\n${rows.join("\n")}`);
        assert.ok(hits / total >= EXACT_MATCH_THRESHOLD, `exact match ${hits}/${total} < ${EXACT_MATCH_THRESHOLD * 100}%`);
    });
});
