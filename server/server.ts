// Language server entry. Only wiring lives here: each LSP message goes to one LlamaHomeServer or EvaluationService method.
// The transport (--stdio, --node-ipc, --socket) is chosen from argv by createConnection.
import { createConnection, ErrorCodes, ProposedFeatures, ResponseError } from "vscode-languageserver/node";
import {
    AskDocumentRequest, AskRequest, EndpointApiKeyNotification, IndexStatusRequest, ReindexRequest, ResultsRequest, RunBenchmarkRequest, RunNeedleRequest, SearchRequest, SourceTextRequest, SummarizeRequest,
} from "../shared/protocol";
import { EvaluationService } from "./lsp/EvaluationService";
import { LlamaHomeServer } from "./lsp/LlamaHomeServer";

const connection = createConnection(ProposedFeatures.all);
// A stray rejected promise is a bug to log, not a reason to take every open editor's server down.
process.on("unhandledRejection", (reason) => connection.console.error(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`));
const server = new LlamaHomeServer(connection);
const evaluation = new EvaluationService(connection, server);

// The LSP lifecycle: requests before `initialize` get ServerNotInitialized, after `shutdown` InvalidRequest.
let phase: "uninitialized" | "running" | "shut down" = "uninitialized";
function inLifecycle<A extends unknown[], R>(handler: (...args: A) => R): (...args: A) => R {
    return (...args: A) => {
        if (phase === "uninitialized") throw new ResponseError(ErrorCodes.ServerNotInitialized, "the server is not initialized: send initialize first");
        if (phase === "shut down") throw new ResponseError(ErrorCodes.InvalidRequest, "the server is shut down: only exit is accepted now");
        return handler(...args);
    };
}

connection.onInitialize((params) => {
    if (phase !== "uninitialized") throw new ResponseError(ErrorCodes.InvalidRequest, "initialize was already sent");
    const result = server.initialize(params);
    phase = "running";
    return result;
});
connection.onInitialized(() => void server.initialized());
connection.onRequest(SearchRequest, inLifecycle(server.search.bind(server)));
connection.onRequest(ReindexRequest, inLifecycle((token) => server.reindex(token)));
connection.onRequest(IndexStatusRequest, inLifecycle(server.status.bind(server)));
connection.onRequest(SourceTextRequest, inLifecycle(server.sourceText.bind(server)));
connection.onRequest(SummarizeRequest, inLifecycle(server.summarize.bind(server)));
connection.onRequest(AskRequest, inLifecycle(server.ask.bind(server)));
connection.onRequest(AskDocumentRequest, inLifecycle(server.askDocument.bind(server)));
connection.onRequest(ResultsRequest, inLifecycle(evaluation.results.bind(evaluation)));
connection.onRequest(RunBenchmarkRequest, inLifecycle(evaluation.runBenchmark.bind(evaluation)));
connection.onRequest(RunNeedleRequest, inLifecycle(evaluation.runNeedle.bind(evaluation)));
connection.onHover(inLifecycle(server.hover.bind(server)));
connection.onDidChangeWatchedFiles(() => phase === "running" && server.filesChanged());
connection.onDidChangeConfiguration(() => phase === "running" && server.configurationChanged());
connection.onNotification(EndpointApiKeyNotification, (params) => phase === "running" && typeof params?.apiKey === "string" && server.setEndpointApiKey(params.apiKey));
connection.onShutdown(async () => {
    phase = "shut down";
    await Promise.all([evaluation.shutdown(), server.shutdown()]);
});
server.documents.listen(connection);
connection.listen();
