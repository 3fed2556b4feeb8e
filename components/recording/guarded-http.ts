import { DefaultHttpStack, type HttpRequest, type HttpStack } from 'tus-js-client';

/**
 * tus's browser requests, made to fail rather than hang. Its XMLHttpRequest stack settles a
 * request only on `load` or `error`, and a connection that goes silent ends neither way: with the
 * network lost behind a working Wi-Fi, no byte moves and no error comes for many minutes, and
 * when Chromium does give up it reports a `timeout` event, which the stack does not listen to, so
 * the upload waited forever and every chunk after it stayed on the device. Here a request that
 * moves no byte (up or down) for `stallMs`, or ends in `timeout`, fails like a network error: tus
 * retries it, then the queue, which resumes from the offset the server confirmed.
 */
export class GuardedHttpStack implements HttpStack {
  private readonly inner = new DefaultHttpStack({});

  constructor(private readonly stallMs: number) {}

  getName() {
    return 'GuardedXHRHttpStack';
  }

  createRequest(method: string, url: string): HttpRequest {
    const req = this.inner.createRequest(method, url);
    const xhr = req.getUnderlyingObject() as XMLHttpRequest;
    const send = req.send.bind(req);
    req.send = (body) =>
      new Promise((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const settle = (fn: () => void) => {
          clearTimeout(timer);
          xhr.upload?.removeEventListener('progress', arm);
          xhr.removeEventListener('progress', arm);
          xhr.removeEventListener('timeout', timedOut);
          fn();
        };
        const fail = (why: string) => settle(() => reject(new Error(`${method} ${url}: ${why}`)));
        function arm() {
          clearTimeout(timer);
          timer = setTimeout(() => {
            xhr.abort();
            fail(`no progress for ${stallMs} ms`);
          }, stallMs);
        }
        const stallMs = this.stallMs;
        const timedOut = () => fail('timed out');
        xhr.upload?.addEventListener('progress', arm);
        xhr.addEventListener('progress', arm);
        xhr.addEventListener('timeout', timedOut);
        arm();
        send(body).then(
          (res) => settle(() => resolve(res)),
          (err: unknown) => settle(() => reject(err)),
        );
      });
    return req;
  }
}
