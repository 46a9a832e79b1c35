// `fazhi worker`: runs worker roles until SIGTERM/SIGINT. Also runnable on its own:
//   npx tsx workers/main.ts --data-dir D [--model-dir M] [--roles parse,embed,write] [--concurrency N]
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { InputError } from '../pipeline/errors.ts';
import { redisUrlFromEnv } from './connection.ts';
import { ROLES, type Role } from './queues.ts';
import { startWorkers } from './startWorkers.ts';

export interface RunWorkersOptions {
  roles: string[];
  dataDir?: string;
  modelDir?: string;
  concurrency?: number;
  redisUrl?: string;
  jobLockMs?: number;
  writerLockTtlMs?: number;
}

export function parseRoles(roles: string[]): Role[] {
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) throw new InputError('--roles', `unknown role ${unknown.join(', ')}; roles are ${ROLES.join(', ')}`);
  if (roles.length === 0) throw new InputError('--roles', `give at least one of ${ROLES.join(', ')}`);
  return [...new Set(roles)] as Role[];
}

/** Resolves after a clean shutdown on SIGTERM/SIGINT; rejects when the workers cannot go on. */
export async function runWorkers(opts: RunWorkersOptions): Promise<void> {
  const roles = parseRoles(opts.roles);
  const redisUrl = opts.redisUrl ?? redisUrlFromEnv();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let fatal: Error | null = null;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const handle = startWorkers({
    redisUrl,
    roles,
    dataDir: opts.dataDir,
    modelDir: opts.modelDir,
    concurrency: opts.concurrency,
    jobLockMs: opts.jobLockMs,
    writerLockTtlMs: opts.writerLockTtlMs,
    log,
    onFatal: (err) => {
      fatal = err;
      stop();
    },
  });
  const onSignal = (signal: string) => {
    log(`worker: ${signal}, finishing running jobs…`);
    stop();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  try {
    await Promise.race([handle.ready.then(() => log(`worker: ${roles.join(',')} ready on ${redisUrl} (pid ${process.pid})`)), stopped]);
    await stopped;
  } finally {
    await handle.close();
  }
  if (fatal) throw fatal;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain) {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      'model-dir': { type: 'string', default: path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'models', 'fazhi-mini-zh') },
      roles: { type: 'string', default: ROLES.join(',') },
      concurrency: { type: 'string', default: '1' },
      'job-lock-ms': { type: 'string' },
      'writer-lock-ms': { type: 'string' },
    },
  });
  const int = (v: string | undefined) => (v === undefined ? undefined : Number.parseInt(v, 10));
  runWorkers({
    roles: values.roles!.split(',').map((r) => r.trim()).filter(Boolean),
    dataDir: values['data-dir'],
    modelDir: values['model-dir'],
    concurrency: int(values.concurrency),
    jobLockMs: int(values['job-lock-ms']),
    writerLockTtlMs: int(values['writer-lock-ms']),
  }).then(
    () => process.exit(0),
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
