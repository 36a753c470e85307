import * as vscode from "vscode";
import { SourceTextRequest, type CitationLocation, type SourceTextParams, type SourceTextResult } from "../shared/protocol";
import type { ServerControl } from "./commandContext";

/** The scheme of the read-only views: `llamahome-source:/report.pdf — page 3?uri=…&page=3&offset=…&length=…`. */
export const sourceScheme = "llamahome-source";

/**
 * Read-only views of the text LlamaHome extracted from a cited document — the page of a PDF, the passage of an EPUB,
 * DOCX or HTML file — opened beside the editor with the cited passage selected. VS Code shows such files as binary or
 * as markup, so without this a source would lead nowhere readable. The text comes from the server's index, never from
 * reading the file here.
 */
export class SourceViews implements vscode.TextDocumentContentProvider, vscode.Disposable {
    private readonly changed = new vscode.EventEmitter<vscode.Uri>();
    readonly onDidChange = this.changed.event;
    /** Texts of the views opened in this window; a view restored after a reload asks the server again. */
    private readonly texts = new Map<string, string>();
    private readonly registration: vscode.Disposable;

    constructor(private readonly server: Pick<ServerControl, "request">) {
        this.registration = vscode.workspace.registerTextDocumentContentProvider(sourceScheme, this);
    }

    /** Opens the cited passage's view; false when the server could not give it (it has said why). */
    async open(citation: CitationLocation): Promise<boolean> {
        const params: SourceTextParams = {
            uri: citation.uri,
            ...(citation.page ? { page: citation.page } : {}),
            ...(citation.offset === undefined ? {} : { offset: citation.offset, length: citation.length ?? 0 }),
        };
        const result = await this.server.request(SourceTextRequest, params);
        if (!result) return false;
        const uri = viewUri(result, params);
        this.texts.set(uri.toString(), result.text);
        this.changed.fire(uri);
        const document = await vscode.workspace.openTextDocument(uri);
        const selection = result.selection && new vscode.Range(result.selection.start.line, result.selection.start.character, result.selection.end.line, result.selection.end.character);
        const editor = await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true, ...(selection ? { selection } : {}) });
        if (selection) editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
        return true;
    }

    async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
        const known = this.texts.get(uri.toString());
        if (known !== undefined) return known;
        const params = paramsOf(uri);
        const result = params && (await this.server.request(SourceTextRequest, params));
        return result ? result.text : "LlamaHome could not show this source: open it again from a search result or an answer.";
    }

    dispose(): void {
        this.registration.dispose();
        this.changed.dispose();
        this.texts.clear();
    }
}

function viewUri(result: SourceTextResult, params: SourceTextParams): vscode.Uri {
    const query = new URLSearchParams({ uri: params.uri });
    if (params.page) query.set("page", String(params.page));
    if (params.offset !== undefined) query.set("offset", String(params.offset));
    if (params.length !== undefined) query.set("length", String(params.length));
    // The title is the tab's name; a slash in it would start a folder.
    return vscode.Uri.from({ scheme: sourceScheme, path: `/${result.title.replace(/[/\\]/g, "∕")}`, query: query.toString() });
}

function paramsOf(uri: vscode.Uri): SourceTextParams | undefined {
    const query = new URLSearchParams(uri.query);
    const source = query.get("uri");
    if (!source) return undefined;
    const number = (name: string) => (query.has(name) ? Number(query.get(name)) : undefined);
    const page = number("page");
    const offset = number("offset");
    const length = number("length");
    return { uri: source, ...(page ? { page } : {}), ...(offset === undefined ? {} : { offset }), ...(length === undefined ? {} : { length }) };
}
