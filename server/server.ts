// Language server entry. Only wiring lives here: each LSP message goes to one LlamaHomeServer or EvaluationService method.
// The transport (--stdio, --node-ipc, --socket) is chosen from argv by createConnection.
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import {
    AskDocumentRequest, AskRequest, IndexStatusRequest, ReindexRequest, ResultsRequest, RunBenchmarkRequest, RunNeedleRequest, SearchRequest, SummarizeRequest,
} from "../shared/protocol";
import { EvaluationService } from "./lsp/EvaluationService";
import { LlamaHomeServer } from "./lsp/LlamaHomeServer";

const connection = createConnection(ProposedFeatures.all);
// A stray rejected promise is a bug to log, not a reason to take every open editor's server down.
process.on("unhandledRejection", (reason) => connection.console.error(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`));
const server = new LlamaHomeServer(connection);
const evaluation = new EvaluationService(connection);

connection.onInitialize((params) => (evaluation.initialize(params), server.initialize(params)));
connection.onInitialized(() => void server.initialized());
connection.onRequest(SearchRequest, server.search.bind(server));
connection.onRequest(ReindexRequest, (token) => server.reindex(token));
connection.onRequest(IndexStatusRequest, server.status.bind(server));
connection.onRequest(SummarizeRequest, server.summarize.bind(server));
connection.onRequest(AskRequest, server.ask.bind(server));
connection.onRequest(AskDocumentRequest, server.askDocument.bind(server));
connection.onRequest(ResultsRequest, evaluation.results.bind(evaluation));
connection.onRequest(RunBenchmarkRequest, evaluation.runBenchmark.bind(evaluation));
connection.onRequest(RunNeedleRequest, evaluation.runNeedle.bind(evaluation));
connection.onHover(server.hover.bind(server));
connection.onDidChangeWatchedFiles(server.filesChanged.bind(server));
connection.onDidChangeConfiguration(server.configurationChanged.bind(server));
connection.onShutdown(async () => void (await Promise.all([evaluation.shutdown(), server.shutdown()])));
server.documents.listen(connection);
connection.listen();
