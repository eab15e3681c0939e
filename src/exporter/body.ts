import { once } from "node:events";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";

/**
 * The per-account metrics of one collection, kept only compressed: a raw deflate stream that ends
 * with a sync flush (not final), its CRC-32 and its uncompressed size. A scrape appends the small
 * exporter part as a second, final deflate stream, which yields one valid gzip member without
 * recompressing the large part (as pigz joins its blocks), or inflates it for a plain scrape.
 */
export interface CompressedBody {
  deflated: Buffer;
  crc: number;
  bytes: number;
}

export const emptyBody: CompressedBody = { deflated: Buffer.alloc(0), crc: 0, bytes: 0 };

// The exposition text is so repetitive that level 1 is only 13 % larger than level 6 at a fifth of the time
// (50,000 accounts: 7.3 MB in 0.34 s against 6.5 MB in 1.6 s).
const compressionLevel = 1;

/** Compress rendered chunks as they come, waiting for the compressor so no uncompressed backlog builds up. */
export async function compressBody(
  chunks: Iterable<string> | AsyncIterable<string>,
): Promise<CompressedBody> {
  const deflate = zlib.createDeflateRaw({
    level: compressionLevel,
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  });
  const output: Buffer[] = [];
  deflate.on("data", (chunk: Buffer) => output.push(chunk));
  const finished = once(deflate, "end");
  let crc = 0;
  let bytes = 0;
  for await (const chunk of chunks) {
    const buffer = Buffer.from(chunk, "utf8");
    crc = zlib.crc32(buffer, crc);
    bytes += buffer.length;
    if (!deflate.write(buffer)) await once(deflate, "drain");
  }
  deflate.end();
  await finished;
  return { deflated: Buffer.concat(output), crc, bytes };
}

const gzipHeader = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff]);

/** The gzip member of `body` followed by `tail`, as buffers to write in order. */
export const gzipParts = (body: CompressedBody, tail: string): Buffer[] => {
  const tailBuffer = Buffer.from(tail, "utf8");
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(zlib.crc32(tailBuffer, body.crc) >>> 0, 0);
  trailer.writeUInt32LE((body.bytes + tailBuffer.length) % 2 ** 32, 4);
  return [gzipHeader, body.deflated, zlib.deflateRawSync(tailBuffer, { level: compressionLevel }), trailer];
};

/** Write the uncompressed body and then `tail` to `target`; rejects when the target goes away early. */
export async function writePlain(body: CompressedBody, tail: string, target: Writable): Promise<void> {
  if (body.bytes > 0) {
    // Large chunks: the default 16 KiB would cost thousands of event loop turns per scrape at 50,000 accounts.
    const inflate = zlib.createInflateRaw({
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      chunkSize: 1024 * 1024,
    });
    inflate.end(body.deflated);
    await pipeline(inflate, target, { end: false });
  }
  target.end(tail);
}
