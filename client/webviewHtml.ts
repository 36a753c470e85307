import { randomBytes } from "node:crypto";
import * as vscode from "vscode";

export interface WebviewHtmlOptions {
    title: string;
    /** Script file names under media/, loaded in this order. */
    scripts: string[];
    /** Stylesheet file names under media/. */
    styles: string[];
    /** The page's markup inside <body> (static skeleton; the scripts fill it in). */
    body: string;
}

/** The options every LlamaHome webview uses: scripts on, and nothing loadable but media/. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
        enableScripts: true,
        enableCommandUris: false,
        localResourceRoots: [vscode.Uri.joinPath(extensionUri, "media")],
    };
}

/**
 * A page under a strict Content-Security-Policy: nothing by default, scripts only with this page's nonce
 * (from crypto.randomBytes), styles and images only from media/.
 */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, options: WebviewHtmlOptions): string {
    const nonce = randomBytes(18).toString("base64");
    const media = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "media", file)).toString();
    const csp = [
        "default-src 'none'",
        `img-src ${webview.cspSource} data:`,
        `style-src ${webview.cspSource}`,
        `font-src ${webview.cspSource}`,
        `script-src 'nonce-${nonce}'`,
    ].join("; ");
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${options.styles.map((file) => `<link rel="stylesheet" href="${media(file)}">`).join("\n")}
<title>${escapeHtml(options.title)}</title>
</head>
<body>
${options.body}
${options.scripts.map((file) => `<script nonce="${nonce}" src="${media(file)}"></script>`).join("\n")}
</body>
</html>`;
}

function escapeHtml(text: string): string {
    return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
