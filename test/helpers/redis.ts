// A real, throwaway redis-server per test file (and per bench run), on a free port. By default
// without persistence; with `persistDir`, an append-only file fsynced on every write, as a
// production queue must run (a restart then loses nothing that Redis acknowledged).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const REDIS_MISSING = 'redis-server not found: apt-get install -y redis-server';

function redisServerBinary(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * Whether the queue tests can run. Without redis-server they are skipped with REDIS_MISSING,
 * except under CI=true, where a missing server is a failure rather than a silent skip.
 */
export function redisServerAvailable(): boolean {
  if (redisServerBinary()) return true;
  if (process.env.CI) throw new Error(REDIS_MISSING);
  console.warn(`skipping queue tests: ${REDIS_MISSING}`);
  return false;
}

export interface RedisServer {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
  /**
   * Stops the server (SIGKILL: a crash; SIGTERM: a clean shutdown), stays down `downMs`, then
   * starts it again on the same port and with the same files.
   */
  restart(opts?: { signal?: 'SIGKILL' | 'SIGTERM'; downMs?: number }): Promise<void>;
}

export interface RedisServerOptions {
  /** Directory for the append-only file (appendfsync always); without it nothing persists. */
  persistDir?: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function redisArgs(port: number, opts: RedisServerOptions): string[] {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', ''];
  if (!opts.persistDir) return [...args, '--appendonly', 'no'];
  return [...args, '--dir', opts.persistDir, '--appendonly', 'yes', '--appendfsync', 'always'];
}

/** Starts redis-server on `port`; null if it exited or did not answer within 5 s. */
async function launch(binary: string, port: number, opts: RedisServerOptions): Promise<ChildProcess | null> {
  const child = spawn(binary, redisArgs(port, opts), { stdio: 'ignore' });
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    if (await ping(port)) return child;
    await sleep(50);
  }
  await stopProcess(child);
  return null;
}

export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = redisServerBinary();
  if (!binary) throw new Error(REDIS_MISSING);
  // Another process may grab the free port between probe and bind: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    let child = await launch(binary, port, opts);
    if (!child) continue;
    const server: RedisServer = {
      url: `redis://127.0.0.1:${port}`,
      port,
      pid: child.pid!,
      stop: () => stopProcess(child!),
      restart: async ({ signal = 'SIGKILL', downMs = 0 } = {}) => {
        const exited = new Promise((resolve) => child!.once('exit', resolve));
        child!.kill(signal);
        await exited;
        await sleep(downMs);
        // The port is ours again only once the old socket is gone; retry briefly.
        for (let i = 0; i < 20; i++) {
          const next = await launch(binary, port, opts);
          if (next) {
            child = next;
            server.pid = next.pid!;
            return;
          }
          await sleep(250);
        }
        throw new Error(`redis-server did not restart on port ${port}`);
      },
    };
    return server;
  }
  throw new Error('redis-server did not start');
}
