import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { GgufFormatError } from "./ggufErrors";
import { type GgufHeader, checkTensorBounds, parseGgufHeader } from "./ggufParser";
import { GgufFile } from "./ggufTypes";

/**
 * Reads only as much of a (possibly multi-GB) file as its header needs: metadata and tensor infos, plus a check that
 * every tensor of a known type lies inside the file. Tensor data is not available from the result.
 */
export async function readGgufFileHeader(path: string): Promise<GgufFile> {
    // O_NONBLOCK: a FIFO (or device) named as a model opens at once and is refused below, instead of hanging the open
    const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
        const stat = await handle.stat();
        if (stat.isDirectory()) throw Object.assign(new Error("it is a directory, not a GGUF file"), { code: "EISDIR" });
        if (!stat.isFile()) throw new Error("not a regular file (a FIFO, device or socket cannot be a model)");
        const fileSize = stat.size;
        // Real models carry vocabularies of a few MB in the header, so start at 1 MiB and double.
        let length = Math.min(fileSize, 1 << 20);
        for (;;) {
            const bytes = Buffer.alloc(length);
            const { bytesRead } = await handle.read(bytes, 0, length, 0);
            const held = bytes.subarray(0, bytesRead);
            let header: GgufHeader;
            try {
                header = parseGgufHeader(held, path);
            } catch (error) {
                if (error instanceof GgufFormatError && error.code === "truncated" && bytesRead < fileSize) {
                    length = Math.min(fileSize, length * 2);
                    continue;
                }
                throw error;
            }
            checkTensorBounds(header, fileSize, path);
            return new GgufFile(
                header.version,
                header.alignment,
                header.metadata,
                header.tensorInfos,
                header.dataOffset,
                fileSize,
                // Keep only the header, so tensorF32 reports header-only reads consistently however much was read.
                held.subarray(0, header.dataOffset),
                path,
            );
        }
    } finally {
        await handle.close();
    }
}
