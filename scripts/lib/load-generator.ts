/**
 * The project's own closed-loop HTTP load generator (bench:pages:load; autocannon is not a
 * dependency): `connections` keep-alive HTTP/1.1 connections over raw sockets, each sending its
 * next request as soon as the previous answer has arrived. Each connection's request is built
 * once as bytes; the answers are parsed just enough (status line, Content-Length or chunked
 * encoding, Content-Encoding, Connection: close) to know where one ends, so the generator costs
 * far less per request than node:http or fetch and stays off the critical path of a fast server.
 *
 * Recorded for the measured window: every answer that arrives in it (also of a request sent during
 * the warm-up: one the server kept waiting is the window's slowest, not one to drop), its latency
 * (from writing the request to the answer's last byte) and status, socket errors and timeouts;
 * after the window no request is sent and those in flight are waited for (at most `timeoutMs`)
 * and counted; how many answers each connection got shows how fairly the server served them.
 * Bodies are kept only when sampled (the first answer of every connection, then every
 * `sampleEvery`th; always for an unexpected status): gunzipped if needed and passed to `check`.
 * A run is `ok` only when every answer had the expected status, no request failed and every
 * sampled body passed its check.
 */
import { type Socket, connect } from "node:net";
import { gunzipSync } from "node:zlib";

export type LoadTarget = {
  port: number;
  host?: string;
  /** What connection `i` asks for, again and again: the path and extra request headers (a cookie). */
  request: (connection: number) => { path: string; headers?: Record<string, string> };
  /** The status every answer must have (default 200). */
  status?: number;
  /** Checks a sampled body (decompressed): what is wrong with it, or undefined when it is right. */
  check?: (body: string, connection: number) => string | undefined;
  /** Every how many answers a body is checked, besides each connection's first (default 100). */
  sampleEvery?: number;
};

export type LoadOptions = {
  connections: number;
  durationMs: number;
  /** Requests before the measured window, on the same connections, not recorded (default 0). */
  warmupMs?: number;
  /** An answer slower than this fails its request and its connection is opened again (default 30 s). */
  timeoutMs?: number;
  /** Send `Accept-Encoding: gzip` as a browser does (default true). */
  gzip?: boolean;
};

export type LoadResult = {
  /** Answers received for requests sent in the measured window. */
  requests: number;
  elapsedMs: number;
  rps: number;
  /** Milliseconds, over every answer of the window (whatever its status). */
  latency: { mean: number; p50: number; p90: number; p99: number; max: number };
  statuses: Record<string, number>;
  /** Failed requests by cause (socket error code, "timeout", "closed before the answer"). */
  errors: Record<string, number>;
  checked: number;
  checkFailures: number;
  /** The first few failures, in words. */
  failures: string[];
  /** Bytes of answer bodies as sent (compressed when the server compressed them), per answer. */
  bodyBytesPerAnswer: number;
  /** Connections opened again after the server closed one or a request failed. */
  reconnects: number;
  /** The fewest and the most answers one connection got in the window (how fairly the server served them). */
  answersPerConnection: { min: number; max: number };
  /** CPU time of this process during the window, in percent of one core. */
  generatorCpuPercent: number;
  ok: boolean;
};

const CRLF = Buffer.from("\r\n");
const HEAD_END = Buffer.from("\r\n\r\n");
const MAX_FAILURE_TEXTS = 8;

type Parse = "head" | "length" | "chunk-size" | "chunk-data" | "chunk-crlf" | "trailer" | "until-close";

type Conn = {
  index: number;
  request: Buffer;
  socket?: Socket;
  /** performance.now() when the request in flight was written; undefined when none is. */
  sentAt?: number;
  parse: Parse;
  pending?: Buffer;
  left: number;
  status: number;
  gzip: boolean;
  close: boolean;
  keep?: Buffer[];
  bodyBytes: number;
  checkedOnce: boolean;
  /** Answers of the window. */
  answers: number;
  /** The socket failed (error or timeout): reopen it after a pause. */
  failed: boolean;
};

/** Runs the closed loop against one target and answers what it measured. */
export async function runLoad(target: LoadTarget, opts: LoadOptions): Promise<LoadResult> {
  const host = target.host ?? "127.0.0.1";
  const expected = target.status ?? 200;
  const sampleEvery = Math.max(1, target.sampleEvery ?? 100);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const gzip = opts.gzip ?? true;

  let phase: "warmup" | "measure" | "drain" | "done" = opts.warmupMs ? "warmup" : "measure";
  let windowStart = performance.now();
  let lastAnswer = windowStart;
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const failures: string[] = [];
  let checked = 0;
  let checkFailures = 0;
  let bodyBytes = 0;
  let reconnects = 0;
  let inFlight = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => {
    finish = r;
  });

  const fail = (text: string) => {
    if (failures.length < MAX_FAILURE_TEXTS) failures.push(text);
  };
  // Every answer (or failure) that comes after the warm-up counts, also of a request sent during it:
  // a request the server left waiting since the warm-up is the slowest of the window, not one to drop.
  const counts = () => phase !== "warmup";

  const conns: Conn[] = Array.from({ length: opts.connections }, (_, index) => {
    const { path, headers = {} } = target.request(index);
    const lines = [`GET ${path} HTTP/1.1`, `Host: ${host}:${target.port}`, "User-Agent: gxv-load", "Accept: text/html,*/*"];
    if (gzip) lines.push("Accept-Encoding: gzip");
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    return {
      index,
      request: Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"),
      parse: "head",
      left: 0,
      status: 0,
      gzip: false,
      close: false,
      bodyBytes: 0,
      checkedOnce: false,
      answers: 0,
      failed: false,
    };
  });

  const send = (c: Conn) => {
    if (phase !== "warmup" && phase !== "measure") return;
    if (!c.socket || c.socket.destroyed) return open(c);
    c.sentAt = performance.now();
    inFlight++;
    c.socket.write(c.request);
  };

  const settle = () => {
    if (phase === "drain" && inFlight === 0) {
      phase = "done";
      finish();
    }
  };

  const requestFailed = (c: Conn, cause: string) => {
    if (c.sentAt === undefined) return;
    if (counts()) {
      errors[cause] = (errors[cause] ?? 0) + 1;
      fail(`request of connection ${c.index}: ${cause}`);
    }
    c.sentAt = undefined;
    inFlight--;
  };

  const open = (c: Conn) => {
    if (phase !== "warmup" && phase !== "measure") return settle();
    const s = connect({ host, port: target.port });
    c.socket = s;
    c.parse = "head";
    c.pending = undefined;
    s.setNoDelay(true);
    s.on("connect", () => send(c));
    s.on("data", (chunk: Buffer) => onData(c, chunk));
    c.failed = false;
    s.on("error", (err: NodeJS.ErrnoException) => {
      c.failed = true;
      requestFailed(c, err.code ?? err.message);
    });
    s.on("close", () => {
      if (c.socket !== s) return;
      c.socket = undefined;
      let failed = c.sentAt !== undefined;
      if (failed && c.parse === "until-close") {
        c.close = true; // the body ended with the connection: a whole answer
        answered(c);
        failed = false;
      }
      requestFailed(c, "closed before the answer");
      if (phase === "warmup" || phase === "measure") {
        reconnects++;
        // A refused connection fails at once: a short pause keeps a dead server from spinning the loop.
        if (failed || c.failed) setTimeout(() => open(c), 10);
        else open(c);
      } else settle();
    });
  };

  const answered = (c: Conn) => {
    const sentAt = c.sentAt!;
    const now = performance.now();
    c.sentAt = undefined;
    inFlight--;
    if (counts()) {
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = now - sentAt;
      c.answers++;
      lastAnswer = now;
      statuses[c.status] = (statuses[c.status] ?? 0) + 1;
      bodyBytes += c.bodyBytes;
      if (c.status !== expected) fail(`connection ${c.index}: status ${c.status}${c.keep ? ` ${summary(body(c))}` : ""}`);
      else if (c.keep) {
        checked++;
        const wrong = target.check?.(body(c), c.index);
        if (wrong) {
          checkFailures++;
          fail(`connection ${c.index}: ${wrong}`);
        }
      }
    }
    c.keep = undefined;
    c.parse = "head";
    if (c.close) c.socket?.destroy();
    else send(c);
    settle();
  };

  const body = (c: Conn) => {
    const raw = Buffer.concat(c.keep ?? []);
    try {
      return (c.gzip ? gunzipSync(raw) : raw).toString("utf8");
    } catch (err) {
      return `(undecodable body: ${(err as Error).message})`;
    }
  };

  const onHead = (c: Conn, head: string) => {
    c.status = Number(head.slice(9, 12));
    const h = head.toLowerCase();
    c.gzip = /\r\ncontent-encoding:\s*gzip/.test(h);
    c.close = /\r\nconnection:\s*close/.test(h);
    c.bodyBytes = 0;
    const sample = c.status !== expected || !c.checkedOnce || (count + 1) % sampleEvery === 0;
    if (sample && counts()) {
      c.keep = [];
      if (c.status === expected) c.checkedOnce = true;
    }
    const length = /\r\ncontent-length:\s*(\d+)/.exec(h);
    if (c.status === 204 || c.status === 304 || (c.status >= 100 && c.status < 200)) c.parse = "head";
    else if (/\r\ntransfer-encoding:[^\r]*chunked/.test(h)) c.parse = "chunk-size";
    else if (length) {
      c.left = Number(length[1]);
      c.parse = "length";
    } else c.parse = "until-close";
  };

  const take = (c: Conn, buf: Buffer, from: number, n: number) => {
    c.bodyBytes += n;
    if (c.keep) c.keep.push(buf.subarray(from, from + n));
  };

  const onData = (c: Conn, chunk: Buffer) => {
    const buf = c.pending ? Buffer.concat([c.pending, chunk]) : chunk;
    c.pending = undefined;
    let pos = 0;
    while (pos < buf.length) {
      if (c.sentAt === undefined) return; // nothing asked: stray bytes after a failure
      switch (c.parse) {
        case "head": {
          const end = buf.indexOf(HEAD_END, pos);
          if (end < 0) {
            c.pending = buf.subarray(pos);
            return;
          }
          onHead(c, buf.toString("latin1", pos, end + 2));
          pos = end + 4;
          if (c.parse === "head") answered(c);
          else if (c.parse === "length" && c.left === 0) answered(c);
          break;
        }
        case "length": {
          const n = Math.min(c.left, buf.length - pos);
          take(c, buf, pos, n);
          pos += n;
          c.left -= n;
          if (c.left === 0) answered(c);
          break;
        }
        case "chunk-size": {
          const end = buf.indexOf(CRLF, pos);
          if (end < 0) {
            c.pending = buf.subarray(pos);
            return;
          }
          const size = Number.parseInt(buf.toString("latin1", pos, end).split(";")[0]!, 16);
          pos = end + 2;
          if (size === 0) c.parse = "trailer";
          else {
            c.left = size;
            c.parse = "chunk-data";
          }
          break;
        }
        case "chunk-data": {
          const n = Math.min(c.left, buf.length - pos);
          take(c, buf, pos, n);
          pos += n;
          c.left -= n;
          if (c.left === 0) {
            c.parse = "chunk-crlf";
            c.left = 2;
          }
          break;
        }
        case "chunk-crlf": {
          const n = Math.min(c.left, buf.length - pos);
          pos += n;
          c.left -= n;
          if (c.left === 0) c.parse = "chunk-size";
          break;
        }
        case "trailer": {
          const end = buf.indexOf(CRLF, pos);
          if (end < 0) {
            c.pending = buf.subarray(pos);
            return;
          }
          const empty = end === pos;
          pos = end + 2;
          if (empty) answered(c);
          break;
        }
        case "until-close": {
          take(c, buf, pos, buf.length - pos);
          pos = buf.length;
          break;
        }
      }
    }
  };

  const watchdog = setInterval(() => {
    const now = performance.now();
    for (const c of conns) {
      if (c.sentAt !== undefined && now - c.sentAt > timeoutMs) {
        requestFailed(c, "timeout");
        c.failed = true;
        c.socket?.destroy();
      }
    }
  }, 250);

  let cpu = { usage: process.cpuUsage(), at: performance.now() };
  for (const c of conns) open(c);
  try {
    if (phase === "warmup") {
      await new Promise((r) => setTimeout(r, opts.warmupMs));
      windowStart = performance.now();
      lastAnswer = windowStart;
      for (const c of conns) c.checkedOnce = false;
      phase = "measure";
    }
    cpu = { usage: process.cpuUsage(), at: performance.now() };
    await new Promise((r) => setTimeout(r, opts.durationMs));
    phase = "drain";
    settle();
    await finished;
  } finally {
    clearInterval(watchdog);
    phase = "done";
    for (const c of conns) c.socket?.destroy();
  }
  const used = process.cpuUsage(cpu.usage);
  const wall = performance.now() - cpu.at;
  const elapsedMs = Math.max(lastAnswer - windowStart, 1);
  const sorted = latencies.subarray(0, count).sort();
  const q = (p: number) => (count ? sorted[Math.min(count - 1, Math.floor(p * count))]! : Number.NaN);
  let sum = 0;
  for (let i = 0; i < count; i++) sum += sorted[i]!;
  const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
  return {
    requests: count,
    elapsedMs,
    rps: (count / elapsedMs) * 1000,
    latency: { mean: count ? sum / count : Number.NaN, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: count ? sorted[count - 1]! : Number.NaN },
    statuses,
    errors,
    checked,
    checkFailures,
    failures,
    bodyBytesPerAnswer: count ? bodyBytes / count : 0,
    reconnects,
    answersPerConnection: { min: Math.min(...conns.map((c) => c.answers)), max: Math.max(...conns.map((c) => c.answers)) },
    generatorCpuPercent: ((used.user + used.system) / 1000 / wall) * 100,
    ok: count > 0 && errorCount === 0 && checkFailures === 0 && Object.keys(statuses).every((s) => Number(s) === expected),
  };
}

/** A body's page title and first heading, for a failure report. */
function summary(html: string): string {
  const title = /<title>([^<]*)<\/title>/.exec(html)?.[1];
  const h1 = /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html)?.[1]?.replace(/<[^>]+>/g, "");
  return [title, h1].filter(Boolean).join(" | ").slice(0, 200) || html.slice(0, 120);
}
