import type { Context } from "hono";

/**
 * The request body as the edge sees it: metered (refused past its size limit while it streams,
 * not only from Content-Length) and readable a little ahead (the first multipart field) without
 * being consumed, so the CSRF check can run before a large upload is read.
 */
export type BodyState = {
  /** The request announced a body (Content-Length above 0, or chunked). */
  present: boolean;
  /** Every byte was read: the connection can carry the next request. */
  finished: boolean;
  /** The body passed its size limit while streaming. */
  tooLarge: boolean;
};

export class PayloadTooLarge extends Error {
  constructor() {
    super("request body exceeds its size limit");
  }
}

export function announcesBody(c: Context): boolean {
  const length = c.req.header("Content-Length");
  return (length !== undefined && length !== "0") || c.req.header("Transfer-Encoding") !== undefined;
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
};

/**
 * Replaces the request body with a metered stream of the same bytes. Returns `peek`, which reads
 * up to `limit` bytes ahead (until `enough` says so) and leaves them for whoever reads the body.
 */
export function meterBody(c: Context, maxBytes: number, state: BodyState) {
  const body = c.req.raw.body;
  if (!body) {
    state.finished = true;
    return { peek: async () => new Uint8Array(0) };
  }
  const source = body.getReader();
  const ahead: Uint8Array[] = [];
  let size = 0;
  const readChunk = async (): Promise<Uint8Array | null> => {
    if (state.tooLarge) throw new PayloadTooLarge();
    const { done, value } = await source.read();
    if (done) {
      state.finished = true;
      return null;
    }
    size += value.byteLength;
    if (size > maxBytes) {
      // Stop reading: the refusal closes the connection instead of swallowing the rest.
      state.tooLarge = true;
      throw new PayloadTooLarge();
    }
    return value;
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = ahead.shift();
        if (next) return controller.enqueue(next);
        try {
          const chunk = await readChunk();
          if (chunk === null) controller.close();
          else controller.enqueue(chunk);
        } catch (err) {
          controller.error(err);
        }
      },
      cancel(reason) {
        return source.cancel(reason);
      },
      // Pulled only when read: a chunk queued up front would slip past `peek`.
    },
    { highWaterMark: 0 },
  );
  c.req.raw = new Request(c.req.raw, { body: stream, duplex: "half" } as RequestInit);
  return {
    async peek(limit: number, enough: (bytes: Uint8Array) => boolean): Promise<Uint8Array> {
      let bytes = concat(ahead.length ? ahead : [new Uint8Array(0)]);
      while (!enough(bytes) && bytes.byteLength < limit) {
        const chunk = await readChunk();
        if (chunk === null) break;
        ahead.push(chunk);
        bytes = concat(ahead);
      }
      return bytes;
    },
  };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The multipart boundary of a Content-Type, or null. */
export function boundaryOf(contentType: string): string | null {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2]!) : null;
}

/**
 * The first field of a multipart body when it is complete within `bytes`: its name and value
 * (null when it is a file, incomplete or malformed). Forms put `_csrf` first, so it is read here.
 */
export function firstMultipartField(bytes: Uint8Array, boundary: string): { name: string; value: string } | null {
  const open = enc.encode(`--${boundary}\r\n`);
  const start = indexOf(bytes, open);
  if (start < 0) return null;
  const headersAt = start + open.length;
  const headersEnd = indexOf(bytes, enc.encode("\r\n\r\n"), headersAt);
  if (headersEnd < 0) return null;
  const headers = dec.decode(bytes.subarray(headersAt, headersEnd));
  const disposition = /^content-disposition:\s*form-data\s*;(.*)$/im.exec(headers)?.[1];
  if (!disposition || /\bfilename\*?=/i.test(disposition)) return null;
  const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
  if (name === undefined) return null;
  const valueAt = headersEnd + 4;
  const valueEnd = indexOf(bytes, enc.encode(`\r\n--${boundary}`), valueAt);
  if (valueEnd < 0) return null;
  return { name, value: dec.decode(bytes.subarray(valueAt, valueEnd)) };
}

/** Enough bytes to judge the first field: its closing boundary arrived. */
export function firstFieldComplete(boundary: string) {
  const close = enc.encode(`\r\n--${boundary}`);
  return (bytes: Uint8Array) => indexOf(bytes, close, 2) >= 0;
}
