// Small helpers for driving code-server's VS Code workbench in headless Chromium with playwright-core: the browser
// flags, a page, and the user-level actions (command palette, Quick Open, keyboard hover, webview frames, polling
// for a text). The same steps runTests.ts and ui/uiTest.ts use; kept here so new tests need not copy them.
import * as fs from "node:fs";
import { chromium, type Browser, type Frame, type Locator, type Page } from "playwright-core";

/** Flags for Chromium in a container: no sandbox, no GPU, nothing that phones home. */
export const chromiumArgs = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

export function chromiumPath(): string {
    return process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
}

export async function launchChromium(): Promise<Browser> {
    const executablePath = chromiumPath();
    if (!fs.existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath}: \`apt-get install chromium\` (or set CHROMIUM_PATH).`);
    return chromium.launch({ executablePath, args: chromiumArgs, headless: true });
}

/** A page in its own browser context (fresh storage), page errors printed with `name`. */
export async function newPage(browser: Browser, name: string, viewport = { width: 1600, height: 1000 }): Promise<Page> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.on("pageerror", (error) => console.error(`  [${name} page error] ${error.message}`));
    return page;
}

/** Runs a command from the command palette (F1) by its label, as a user would. */
export async function palette(page: Page, label: string): Promise<void> {
    const input = page.locator(".quick-input-widget input");
    for (let attempt = 1; ; attempt++) {
        // F1 pressed while the previous pick is still closing is swallowed by that widget: wait for it to go first.
        await quickInputClosed(page);
        await page.keyboard.press("F1");
        try {
            await input.waitFor({ state: "visible", timeout: 10_000 });
            await input.fill(`>${label}`, { timeout: 5_000 });
            await page.locator(".quick-input-list .monaco-list-row", { hasText: label }).first().waitFor({ timeout: 10_000 });
            break;
        } catch (error) {
            // The palette closes when it loses focus, and a toast or view handing focus back as it goes (after "Clear
            // All Notifications", in two CI runs) can take it just as the palette opens: open it again.
            if (attempt === 3) throw error;
        }
    }
    await page.keyboard.press("Enter");
}

/** Waits for the quick input to close; one still open after 5 s is dismissed with Escape. */
async function quickInputClosed(page: Page): Promise<void> {
    const widget = page.locator(".quick-input-widget");
    try {
        await widget.waitFor({ state: "hidden", timeout: 5_000 });
    } catch {
        await page.keyboard.press("Escape");
        await widget.waitFor({ state: "hidden" });
    }
}

/** Opens a file with Quick Open (Ctrl+P) and waits for its editor tab. */
export async function quickOpen(page: Page, file: string): Promise<void> {
    const input = page.locator(".quick-input-widget input");
    await quickInputClosed(page);
    await page.keyboard.press("Control+P");
    await input.waitFor({ state: "visible" });
    await input.fill(file);
    await page.locator(".quick-input-list .monaco-list-row", { hasText: file }).first().waitFor();
    await page.keyboard.press("Enter");
    await page.locator(".tab.active", { hasText: file.split("/").pop()! }).waitFor();
    await page.locator(".monaco-editor .view-lines").first().waitFor();
}

/**
 * Shows the editor hover for the token whose whole text is `token` (a Markdown link target is one token) and
 * returns the hover widget that contains `expect`. The cursor is put in the token and the hover asked for with
 * the keyboard (Ctrl+K Ctrl+I), since a mouse hover in a headless browser depends on pointer timing.
 */
export async function keyboardHover(page: Page, token: string, expect: string | RegExp, timeoutMs = 30_000): Promise<Locator> {
    const escaped = token.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const span = page.locator(".monaco-editor .view-line > span > span", { hasText: new RegExp(`^${escaped}$`) }).first();
    await span.waitFor({ timeout: timeoutMs });
    await span.click({ position: { x: 20, y: 5 } });
    await page.keyboard.press("Control+K");
    await page.keyboard.press("Control+I");
    const hover = page.locator(".monaco-hover", { hasText: expect }).first();
    await hover.waitFor({ state: "visible", timeout: timeoutMs });
    return hover;
}

/** The content frame of the webview that contains `selector` (webviews nest: iframe.webview.ready → #active-frame). */
export async function webviewFrame(page: Page, selector: string, timeoutMs = 30_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        for (const outer of await page.locator("iframe.webview.ready").elementHandles()) {
            const frame = await (await (await outer.contentFrame())?.$("#active-frame"))?.contentFrame();
            if (frame && (await frame.$(selector).catch(() => null))) return frame;
        }
        await page.waitForTimeout(100);
    }
    throw new Error(`no webview shows ${selector} within ${timeoutMs / 1000} s`);
}

/** Polls `read` until its text matches `pattern`; on timeout the error says what was last seen. */
export async function waitForText(read: () => Promise<string>, pattern: RegExp, what: string, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
        last = (await read().catch((error: Error) => `(unreadable: ${error.message.split("\n")[0]})`)).replace(/\s+/g, " ").trim();
        if (pattern.test(last)) return last;
        if (Date.now() > deadline) throw new Error(`${what}: expected ${pattern}, last saw "${last}" (after ${timeoutMs / 1000} s)`);
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
