// Language server entry. Only wiring lives here: each LSP message goes to one LlamaHomeServer method.
// The transport (--stdio, --node-ipc, --socket) is chosen from argv by createConnection.
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { AskRequest, IndexStatusRequest, ReindexRequest, SearchRequest, SummarizeRequest } from "../shared/protocol";
import { LlamaHomeServer } from "./lsp/LlamaHomeServer";

const connection = createConnection(ProposedFeatures.all);
// A stray rejected promise is a bug to log, not a reason to take every open editor's server down.
process.on("unhandledRejection", (reason) => connection.console.error(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`));
const server = new LlamaHomeServer(connection);

connection.onInitialize(server.initialize.bind(server));
connection.onInitialized(() => void server.initialized());
connection.onRequest(SearchRequest, server.search.bind(server));
connection.onRequest(ReindexRequest, (token) => server.reindex(token));
connection.onRequest(IndexStatusRequest, server.status.bind(server));
connection.onRequest(SummarizeRequest, server.summarize.bind(server));
connection.onRequest(AskRequest, server.ask.bind(server));
connection.onHover(server.hover.bind(server));
connection.onDidChangeWatchedFiles(server.filesChanged.bind(server));
connection.onDidChangeConfiguration(server.configurationChanged.bind(server));
connection.onShutdown(server.shutdown.bind(server));
server.documents.listen(connection);
connection.listen();
