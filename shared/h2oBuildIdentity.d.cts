export declare const H2O_CMAKE_OPTION: "LLAMAHOME_H2O";
export declare function listH2oPatches(patchDir: string): string[];
export declare function computeH2oPatchId(patchDir: string, nodeLlamaCppVersion: string): string;
