import * as fs from "node:fs";
import * as vscode from "vscode";
import type { CitationLocation, PassageLocation } from "../shared/protocol";

/**
 * Quoted passages that each have a `uri`, so that they open like citations: a passage the server gave a path only is
 * resolved against the citation of the same document, else the workspace folder that has it. One that cannot be
 * resolved is left without a `uri` (shown without a link). Used by the result panel and the chat view.
 */
export function withPassageUris(passages: PassageLocation[], citations: CitationLocation[]): PassageLocation[] {
    if (!passages.some((passage) => passage.uri === undefined)) return passages;
    return passages.map((passage): PassageLocation => {
        if (passage.uri !== undefined) return passage;
        const uri = uriOf(passage.path, citations);
        return uri === undefined ? passage : { ...passage, uri };
    });
}

function uriOf(relative: string, citations: CitationLocation[]): string | undefined {
    const cited = citations.find((citation) => citation.path === relative);
    if (cited) return cited.uri;
    const candidates = (vscode.workspace.workspaceFolders ?? []).map((folder) => vscode.Uri.joinPath(folder.uri, ...relative.split("/")));
    if (candidates.length === 1) return candidates[0]!.toString();
    return candidates.find((uri) => uri.scheme === "file" && fs.existsSync(uri.fsPath))?.toString();
}
