/** A real `tradepipe ui` process for tests: started on a free port, its URL read from what it prints. */
import { execa, type ResultPromise } from 'execa';
import { BIN } from '../helpers/project.ts';

export interface RunningUi {
  /** The URL it printed (with `?token=` when it has one). */
  url: string;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  process: ResultPromise;
  stop(): Promise<void>;
}

export async function startUi(cwd: string, args: string[], env: Record<string, string> = {}): Promise<RunningUi> {
  const child = execa(BIN, ['ui', '--port', '0', ...args], { cwd, reject: false, env: { NO_COLOR: '1', MLFLOW_TRACKING_URI: '', ...env } });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /tradepipe ui: (http\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void child.then((r) => reject(new Error(`tradepipe ui exited ${r.exitCode} before printing its URL:\n${r.stdout}\n${r.stderr}`)));
  });
  return {
    url,
    origin: new URL(url).origin,
    process: child,
    async stop() {
      child.kill('SIGTERM');
      await child;
    },
  };
}

/** Subscribes to server-sent events, calls `opened` once subscribed, then reads until `until` returns true for one (or the time runs out). */
export async function readEvents<T>(url: string, opened: () => unknown, until: (event: T) => boolean, timeoutMs: number): Promise<T[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const seen: T[] = [];
  try {
    const res = await fetch(url, { signal: controller.signal });
    await opened();
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split('\n').find((l) => l.startsWith('data: '));
        if (!data) continue;
        const event = JSON.parse(data.slice(6)) as T;
        seen.push(event);
        if (until(event)) return seen;
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return seen;
}
