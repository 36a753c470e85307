import type * as vscode from "vscode";
import { errorMessage } from "../shared/errorMessage";
import type { EndpointKeyControl } from "./commandContext";
import { endpointApiKeySecret } from "./config";

const readTimeoutMs = 5_000;

/** What the key needs of the server connection: where to hand it ("" = none). */
export interface EndpointKeyServer {
    setEndpointApiKey(apiKey: string): void;
}

/**
 * The API key for llamahome.endpoints: kept in VS Code's SecretStorage (the OS keychain; never in settings, never
 * logged) and handed to the server before it starts, and again whenever it changes, in this window or another.
 */
export class EndpointKey implements EndpointKeyControl, vscode.Disposable {
    private stored = "";
    private readonly subscription: vscode.Disposable;

    constructor(
        private readonly secrets: vscode.SecretStorage,
        private readonly server: EndpointKeyServer,
        private readonly log: { line(message: string): void },
    ) {
        // SecretStorage is shared by the windows of this editor: a key set in another one applies here too.
        this.subscription = secrets.onDidChange((event) => {
            if (event.key === endpointApiKeySecret) void this.load();
        });
    }

    get isSet(): boolean {
        return this.stored !== "";
    }

    /**
     * Reads the stored key and hands it to the server (call it before the server starts, so that its initialize
     * carries the key). A secret storage that cannot be read leaves the key as it was, and says so in the log; one
     * that has not answered in 5 s (a locked keychain) is not waited for: the key follows once it is read.
     */
    async load(): Promise<void> {
        const read = Promise.resolve(this.secrets.get(endpointApiKeySecret)).then(
            (value) => {
                this.stored = value ?? "";
                this.server.setEndpointApiKey(this.stored);
            },
            (error: unknown) => this.log.line(`The endpoint API key could not be read from the secret storage: ${errorMessage(error)}`),
        );
        let timer: NodeJS.Timeout | undefined;
        const slow = new Promise<void>((resolve) => {
            timer = setTimeout(() => {
                this.log.line(`The secret storage did not answer in ${readTimeoutMs / 1000} s: the endpoint API key follows when it does.`);
                resolve();
            }, readTimeoutMs);
        });
        await Promise.race([read, slow]);
        clearTimeout(timer);
    }

    /** Stores the key ("" deletes it) and hands it to the server; rejects when the secret storage refuses it. */
    async set(apiKey: string): Promise<void> {
        if (apiKey) await this.secrets.store(endpointApiKeySecret, apiKey);
        else await this.secrets.delete(endpointApiKeySecret);
        this.stored = apiKey;
        this.server.setEndpointApiKey(apiKey);
    }

    dispose(): void {
        this.subscription.dispose();
    }
}
