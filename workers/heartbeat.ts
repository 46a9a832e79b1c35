// Liveness of worker processes, seen from two sides: in Redis, every `fazhi worker` keeps a
// heartbeat record that `fazhi status` lists (a process that stopped beating shows how long ago
// it last did); on its own machine, it rewrites a small health file that `fazhi health` reads
// (docker-compose's healthcheck). Both are written only after a check that Redis answers and
// every role is still consuming, so a process that is alive but stuck stops looking healthy.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Role } from './queues.ts';

export const HEARTBEATS_KEY = 'fazhi:workers';
/** Self-check and heartbeat interval of `fazhi worker`. */
export const DEFAULT_BEAT_MS = 5_000;
/** Records of processes silent this long are dropped (by the next process that beats). */
const FORGET_MS = 24 * 3600 * 1000;

export interface Heartbeat {
  id: string;
  host: string;
  pid: number;
  roles: readonly Role[];
  /** Data directory of the write role. */
  dataDir?: string;
  startedAt: string;
  /** When the last check passed (ISO time). */
  at: string;
  state: 'starting' | 'ready' | 'draining';
}

export interface HeartbeatView extends Heartbeat {
  /** Milliseconds since the last beat, by this machine's clock. */
  ageMs: number;
  /** Beat within `staleAfterMs`: the process is alive and working. */
  beating: boolean;
}

export function workerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export async function writeHeartbeat(redis: Redis, beat: Heartbeat): Promise<void> {
  const all = await redis.hgetall(HEARTBEATS_KEY);
  const forgotten = Object.entries(all)
    .filter(([id, v]) => id !== beat.id && Date.now() - Date.parse((JSON.parse(v) as Heartbeat).at) > FORGET_MS)
    .map(([id]) => id);
  const tx = redis.multi().hset(HEARTBEATS_KEY, beat.id, JSON.stringify(beat));
  if (forgotten.length > 0) tx.hdel(HEARTBEATS_KEY, ...forgotten);
  await tx.exec();
}

export async function removeHeartbeat(redis: Redis, id: string): Promise<void> {
  await redis.hdel(HEARTBEATS_KEY, id);
}

/** Every worker process that beat in the last day, newest beat first. */
export async function readHeartbeats(redis: Redis, staleAfterMs: number, now = Date.now()): Promise<HeartbeatView[]> {
  const all = Object.values(await redis.hgetall(HEARTBEATS_KEY)).map((v) => JSON.parse(v) as Heartbeat);
  return all
    .map((b) => ({ ...b, ageMs: now - Date.parse(b.at), beating: now - Date.parse(b.at) <= staleAfterMs }))
    .filter((b) => b.ageMs <= FORGET_MS)
    .sort((a, b) => a.ageMs - b.ageMs);
}

export interface HealthRecord {
  pid: number;
  roles: readonly Role[];
  state: Heartbeat['state'];
  /** Last passed check, ms since the epoch. */
  at: number;
}

/** Atomic replace, so `fazhi health` never reads half a file. */
export function writeHealthFile(file: string, record: HealthRecord): void {
  const tmp = `${file}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(record));
  renameSync(tmp, file);
}

/** Why the worker that writes `file` is not healthy, or null when it is. */
export function healthProblem(file: string, maxAgeMs: number, now = Date.now()): string | null {
  let record: HealthRecord;
  try {
    record = JSON.parse(readFileSync(file, 'utf8')) as HealthRecord;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${file} does not exist: no worker has passed a check yet` : `${file}: ${(err as Error).message}`;
  }
  try {
    process.kill(record.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return `worker pid ${record.pid} is not running`;
  }
  const age = now - record.at;
  if (age > maxAgeMs) return `worker pid ${record.pid} last passed its check ${(age / 1000).toFixed(0)} s ago (limit ${maxAgeMs / 1000} s)`;
  return null;
}
