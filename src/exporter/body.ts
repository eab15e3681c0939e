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

const deflateOptions: zlib.ZlibOptions = {
  level: compressionLevel,
  finishFlush: zlib.constants.Z_SYNC_FLUSH,
};

/** Text buffered per section before it goes to the section's compressor. */
const flushChars = 64 * 1024;
/** Uncompressed bytes queued in one compressor before the writer waits for it. */
const backlogBytes = 256 * 1024;

class Section {
  readonly #deflate = zlib.createDeflateRaw(deflateOptions);
  readonly #output: Buffer[] = [];
  readonly #ended: Promise<unknown>;
  #pending: string;
  crc = 0;
  bytes = 0;

  constructor(head: string) {
    this.#pending = head;
    this.#deflate.on("data", (chunk: Buffer) => this.#output.push(chunk));
    this.#ended = once(this.#deflate, "end");
  }

  add(text: string): Promise<void> | undefined {
    this.#pending += text;
    if (this.#pending.length < flushChars) return undefined;
    this.#flush();
    return this.#deflate.writableLength > backlogBytes
      ? once(this.#deflate, "drain").then(() => {})
      : undefined;
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const buffer = Buffer.from(this.#pending, "utf8");
    this.#pending = "";
    this.crc = zlib.crc32(buffer, this.crc);
    this.bytes += buffer.length;
    this.#deflate.write(buffer);
  }

  async finish(): Promise<Buffer[]> {
    this.#flush();
    this.#deflate.end();
    await this.#ended;
    return this.#output;
  }
}

/**
 * Compresses text that arrives interleaved for several sections (one per metric family, as each
 * account is read) into one deflate stream with the sections in order: every section has its own
 * compressor ending in a sync flush, so the compressed sections can simply be joined, and their
 * CRC-32s combined. Nothing uncompressed is kept beyond a small buffer per section.
 */
export class SectionedCompressor {
  readonly #sections: Section[];

  /** `heads` start the sections (e.g. the HELP and TYPE lines of each family). */
  constructor(heads: readonly string[]) {
    this.#sections = heads.map((head) => new Section(head));
  }

  /** Append `texts[i]` to section i; resolves at once unless a compressor has fallen behind. */
  async add(texts: readonly string[]): Promise<void> {
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i];
      if (!text) continue;
      await (this.#sections[i] as Section).add(text);
    }
  }

  async finish(): Promise<CompressedBody> {
    const outputs = await Promise.all(this.#sections.map((section) => section.finish()));
    let crc = 0;
    let bytes = 0;
    for (const section of this.#sections) {
      crc = crc32Combine(crc, section.crc, section.bytes);
      bytes += section.bytes;
    }
    return { deflated: Buffer.concat(outputs.flat()), crc, bytes };
  }
}

const gf2Times = (matrix: Uint32Array, vector: number): number => {
  let sum = 0;
  for (let i = 0; vector !== 0; i++, vector >>>= 1) if (vector & 1) sum ^= matrix[i] as number;
  return sum >>> 0;
};

const gf2Square = (square: Uint32Array, matrix: Uint32Array): void => {
  for (let n = 0; n < 32; n++) square[n] = gf2Times(matrix, matrix[n] as number);
};

/** CRC-32 of A followed by B from crc(A), crc(B) and B's length (zlib's crc32_combine). */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  odd[0] = 0xedb88320;
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row;
  gf2Square(even, odd);
  gf2Square(odd, even);
  let crc = crcA >>> 0;
  let length = lengthB;
  for (;;) {
    gf2Square(even, odd);
    if (length % 2 === 1) crc = gf2Times(even, crc);
    length = Math.floor(length / 2);
    if (length === 0) break;
    gf2Square(odd, even);
    if (length % 2 === 1) crc = gf2Times(odd, crc);
    length = Math.floor(length / 2);
    if (length === 0) break;
  }
  return (crc ^ crcB) >>> 0;
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
