// Reading a call's JSON body with a hard size limit. An oversized body is answered 413 at once
// (by its declared length, or as soon as the streamed bytes pass the limit) and the connection is
// closed after the answer, so the client sees why instead of a cut-off request.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Answers 413 with the error envelope and closes the connection once the answer is out. */
export function sendTooLarge(req: IncomingMessage, res: ServerResponse, limit: number, what = 'Request body'): void {
  if (!res.headersSent) {
    const body = JSON.stringify({ ok: false, error: { code: 'BAD_INPUT', message: `${what} too large (over ${limit} bytes).`, hint: 'Send file paths, not file contents.' } });
    res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', connection: 'close', 'cache-control': 'no-store' });
    res.end(body);
  }
  // Stop reading what is left; the socket closes after the response is flushed.
  req.pause();
  res.on('finish', () => req.destroy());
}

/** The body as text, or undefined after answering 413 (the caller then returns). */
export function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      sendTooLarge(req, res, limit);
      resolve(undefined);
      return;
    }
    let size = 0;
    let done = false;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        sendTooLarge(req, res, limit);
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (e) => {
      if (!done) reject(e);
    });
  });
}
