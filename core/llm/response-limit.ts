/** A model server's answer grew past what any capped call can need: it is not read on. */
export class ResponseTooLarge extends Error {
  override name = "ResponseTooLarge";
  readonly limitBytes: number;
  constructor(limitBytes: number) {
    super(`response body larger than ${limitBytes} bytes`);
    this.limitBytes = limitBytes;
  }
}

/**
 * A fetch whose response bodies stop at `limitBytes`: the SDK reads a body whole into memory, so a server that
 * streams without end (or declares a huge Content-Length) would otherwise decide how much memory a worker uses.
 */
export function limitResponseBytes(inner: typeof fetch, limitBytes: number): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    const declared = Number(response.headers.get("content-length"));
    if (Number.isFinite(declared) && declared > limitBytes) {
      await response.body?.cancel().catch(() => {});
      throw new ResponseTooLarge(limitBytes);
    }
    if (!response.body) return response;
    let seen = 0;
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > limitBytes) controller.error(new ResponseTooLarge(limitBytes));
          else controller.enqueue(chunk);
        },
      }),
    );
    return new Response(counted, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** The SDK wraps what fetch itself throws (a declared length over the limit) as a connection error. */
export function responseTooLarge(error: unknown): ResponseTooLarge | null {
  if (error instanceof ResponseTooLarge) return error;
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause instanceof ResponseTooLarge ? cause : null;
}
