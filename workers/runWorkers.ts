// `fazhi worker`: runs worker roles until SIGTERM/SIGINT, and never lingers. A process that
// cannot go on (writer lock lost, Redis unreachable past a bound, a worker loop that ended)
// says why in one line and exits 1 for its supervisor to restart it, one started with a data or
// model directory it cannot use exits 2 (bad input, which a restart only repeats); a stop request
// drains the running jobs within a deadline shorter than docker-compose's stop grace period.
import type { Redis } from 'ioredis';
import { describeSystemError } from '../cli/systemErrors.ts';
import { InputError } from '../pipeline/errors.ts';
import { answers, connectProbe, DEFAULT_REDIS_DOWN_MS, redisUrlFromEnv } from './connection.ts';
import { DEFAULT_BEAT_MS, removeHeartbeat, workerId, writeHealthFile, writeHeartbeat, type Heartbeat } from './heartbeat.ts';
import { ROLES, type Role } from './queues.ts';
import { startWorkers, type WorkerHandle } from './startWorkers.ts';

export interface RunWorkersOptions {
  roles: string[];
  dataDir?: string;
  modelDir?: string;
  concurrency?: number;
  redisUrl?: string;
  jobLockMs?: number;
  writerLockTtlMs?: number;
  /** On SIGTERM/SIGINT, how long running jobs may take to finish before they are abandoned. */
  drainMs?: number;
  /** How long Redis may stay unreachable before the process gives up and exits non-zero. */
  redisDownMs?: number;
  /** Interval of the self-check that writes the heartbeat. */
  beatMs?: number;
  /** File rewritten after every passed check, for `fazhi health`. */
  healthFile?: string;
  log?: (line: string) => void;
}

/**
 * docker-compose.yml gives workers `stop_grace_period: 60s`; the drain stops 10 s short of it
 * so that closing connections and releasing the writer lock still fit.
 */
export const DEFAULT_DRAIN_MS = 50_000;
/** A failing process only releases what it can: connections to a dead Redis never close. */
const FATAL_CLOSE_MS = 5_000;
const PING_TIMEOUT_MS = 2_000;

export function parseRoles(roles: string[]): Role[] {
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) throw new InputError('--roles', `unknown role ${unknown.join(', ')}; roles are ${ROLES.join(', ')}`);
  if (roles.length === 0) throw new InputError('--roles', `give at least one of ${ROLES.join(', ')}`);
  return [...new Set(roles)] as Role[];
}

type Stop = { kind: 'signal'; signal: string } | { kind: 'fatal' | 'bad input'; reason: string };

/**
 * Runs until stopped and resolves with the exit code: 0 after a signal and a complete drain,
 * 1 when the process could not go on or had to abandon running jobs, 2 when it could not start
 * with the directories it was given (badStart). The caller exits with it
 * (connections to an unreachable Redis would otherwise keep the process alive).
 */
export async function runWorkers(opts: RunWorkersOptions): Promise<number> {
  const roles = parseRoles(opts.roles);
  const redisUrl = opts.redisUrl ?? redisUrlFromEnv();
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const drainMs = opts.drainMs ?? DEFAULT_DRAIN_MS;

  let stopWith!: (stop: Stop) => void;
  const stopped = new Promise<Stop>((resolve) => (stopWith = resolve));
  const handle = startWorkers({
    redisUrl,
    roles,
    dataDir: opts.dataDir,
    modelDir: opts.modelDir,
    concurrency: opts.concurrency,
    jobLockMs: opts.jobLockMs,
    writerLockTtlMs: opts.writerLockTtlMs,
    log,
    onFatal: (err) => stopWith({ kind: 'fatal', reason: err.message }),
  });
  handle.ready.then(
    () => log(`worker: ${roles.join(',')} ready on ${redisUrl} (pid ${process.pid})`),
    (err: Error) => {
      const bad = badStart(err, opts.dataDir);
      stopWith(bad ? { kind: 'bad input', reason: bad } : { kind: 'fatal', reason: err.message });
    },
  );

  let signals = 0;
  const onSignal = (signal: string) => {
    if (++signals > 1) {
      log(`worker: second ${signal}, exiting without waiting for running jobs`);
      process.exit(1);
    }
    stopWith({ kind: 'signal', signal });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const watchdog = startWatchdog({ ...opts, redisUrl, roles, handle, log, onFatal: (reason) => stopWith({ kind: 'fatal', reason }) });
  const stop = await stopped;
  let code: number;
  if (stop.kind !== 'signal') {
    log(`worker: ${stop.reason}; ${stop.kind === 'fatal' ? 'exiting so that the supervisor restarts this worker' : 'fix that and start the worker again (restarting it as it is fails the same way)'}`);
    watchdog.state('draining');
    await within(FATAL_CLOSE_MS, handle.close({ force: true }));
    code = stop.kind === 'fatal' ? 1 : 2;
  } else {
    const running = handle.activeJobs();
    log(`worker: ${stop.signal}, ${running > 0 ? `finishing ${running} running job(s) (at most ${drainMs / 1000} s)…` : 'stopping…'}`);
    watchdog.state('draining');
    if (await within(drainMs, handle.close())) {
      code = 0;
    } else {
      log(`worker: running jobs did not finish within ${drainMs / 1000} s; they are retried once their job locks expire`);
      await within(FATAL_CLOSE_MS, handle.close({ force: true }));
      code = 1;
    }
  }
  await watchdog.stop();
  return code;
}

/**
 * Why the worker cannot start with the directories it was given (the data directory a file,
 * not writable, a read-only store; a model directory that is none), naming the path; null for
 * a failure a restart may get past (Redis, the writer lock, a full disk).
 */
function badStart(err: Error, dataDir: string | undefined): string | null {
  if (err instanceof InputError) return err.message;
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'SQLITE_FULL' ? null : describeSystemError(err, dataDir);
}

/** Whether `work` settled within `ms` (the timer holds the process open until then). */
async function within(ms: number, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface WatchdogOptions extends RunWorkersOptions {
  redisUrl: string;
  roles: Role[];
  handle: WorkerHandle;
  log: (line: string) => void;
  onFatal: (reason: string) => void;
}

/**
 * Every beatMs: Redis answers a PING (on a connection of its own that fails fast instead of
 * queueing while Redis is away) and every role is still consuming; then the heartbeat and the
 * health file are written. Redis silent past redisDownMs, or a role no longer consuming, is fatal.
 */
function startWatchdog(opts: WatchdogOptions) {
  const beatMs = opts.beatMs ?? DEFAULT_BEAT_MS;
  const redisDownMs = opts.redisDownMs ?? DEFAULT_REDIS_DOWN_MS;
  const redis: Redis = connectProbe(opts.redisUrl);
  const beat: Heartbeat = {
    id: workerId(),
    host: '',
    pid: process.pid,
    roles: opts.roles,
    ...(opts.roles.includes('write') && opts.dataDir ? { dataDir: opts.dataDir } : {}),
    startedAt: new Date().toISOString(),
    at: '',
    state: 'starting',
  };
  beat.host = beat.id.split(':')[0]!;
  let downSince: number | null = null;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  // Two checks at least within redisDownMs, and once Redis is silent the next one when that bound
  // is up: checked only every beat, a 3 s bound gave up after 5 s.
  const everyMs = Math.min(beatMs, Math.floor(redisDownMs / 2));
  const nextCheckMs = () => (downSince === null ? everyMs : Math.min(everyMs, Math.max(0, downSince + redisDownMs - Date.now())));

  const check = async () => {
    if (stopping) return;
    const problems = opts.handle.problems();
    if (problems.length > 0) return opts.onFatal(problems.join('; '));
    if (!(await answers(redis, PING_TIMEOUT_MS))) {
      downSince ??= Date.now();
      if (Date.now() - downSince >= redisDownMs) opts.onFatal(`Redis at ${opts.redisUrl} has not answered for ${Math.round((Date.now() - downSince) / 1000)} s`);
      return;
    }
    downSince = null;
    // Stopped meanwhile: the heartbeat is being removed, and must not come back.
    if (stopping) return;
    beat.at = new Date().toISOString();
    await writeHeartbeat(redis, beat).catch(() => undefined);
    if (opts.healthFile) {
      try {
        writeHealthFile(opts.healthFile, { pid: process.pid, roles: opts.roles, state: beat.state, at: Date.now() });
      } catch (err) {
        opts.log(`worker: cannot write the health file: ${(err as Error).message}`);
      }
    }
  };
  let running: Promise<void> = Promise.resolve();
  /** Checks now (once the previous check is over), then every everyMs. */
  const checkNow = () => {
    if (stopping) return;
    clearTimeout(timer);
    running = running
      .then(check)
      .catch((err: Error) => opts.log(`worker: self-check failed: ${err.message}`))
      .finally(() => {
        if (!stopping) timer = setTimeout(checkNow, nextCheckMs()).unref();
      });
  };
  // First beat as soon as Redis and the roles are up, and again right after every reconnect.
  redis.on('ready', checkNow);
  opts.handle.ready.then(() => {
    if (beat.state === 'starting') beat.state = 'ready';
    checkNow();
  }, () => undefined);
  checkNow();
  return {
    state: (state: Heartbeat['state']) => {
      beat.state = state;
    },
    stop: async () => {
      stopping = true;
      clearTimeout(timer);
      // A check in flight wrote the heartbeat after it was removed: a worker that failed at startup
      // left a record in state draining, which `fazhi status` listed for a day.
      await within(2 * PING_TIMEOUT_MS, running);
      await within(PING_TIMEOUT_MS, removeHeartbeat(redis, beat.id));
      redis.disconnect();
    },
  };
}
