// The Lua scripts of queue mode, one file each under workers/lua/. Each file declares its keys
// in a `-- KEYS: a, b` header line (their count is what Redis is told) and the libraries it
// needs in `-- USES: name`; they are registered once per connection with ioredis's
// defineCommand, which runs them by SHA and loads them again only after a Redis restart.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

const LUA_DIR = fileURLToPath(new URL('./lua/', import.meta.url));

export const SCRIPT_NAMES = ['subscribe', 'settle', 'settle-direct', 'forget-failure', 'writer-acquire', 'writer-renew', 'writer-release', 'writer-raise-epoch'] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

export interface LuaScript {
  name: ScriptName;
  keys: string[];
  lua: string;
}

const readLua = (name: string) => readFileSync(`${LUA_DIR}${name}.lua`, 'utf8');

/** Reads a script file with the libraries it declares; throws when its KEYS header is missing. */
export function loadScript(name: ScriptName): LuaScript {
  const body = readLua(name);
  const keysLine = /^-- KEYS:(.*)$/m.exec(body);
  if (!keysLine) throw new Error(`workers/lua/${name}.lua: no "-- KEYS:" header`);
  const keys = keysLine[1]!.split(',').map((k) => k.trim()).filter(Boolean);
  const uses = /^-- USES:(.*)$/m.exec(body)?.[1]!.split(',').map((u) => u.trim()).filter(Boolean) ?? [];
  return { name, keys, lua: [...uses.map(readLua), body].join('\n') };
}

type ScriptArg = string | number;
/** Calls one script: its declared keys first, in order, then its arguments. */
export type ScriptCall = (keys: string[], args: ScriptArg[]) => Promise<unknown>;
export type Scripts = Record<ScriptName, ScriptCall>;

const commandName = (name: ScriptName) => `fazhi_${name.replace(/-/g, '_')}`;
const defined = new WeakMap<Redis, Scripts>();

/** The scripts bound to `redis`, defined on it the first time. */
export function scriptsOn(redis: Redis): Scripts {
  const known = defined.get(redis);
  if (known) return known;
  const scripts = {} as Scripts;
  for (const name of SCRIPT_NAMES) {
    const script = loadScript(name);
    const command = commandName(name);
    redis.defineCommand(command, { numberOfKeys: script.keys.length, lua: script.lua });
    const call = (redis as unknown as Record<string, (...a: ScriptArg[]) => Promise<unknown>>)[command]!.bind(redis);
    scripts[name] = (keys, args) => {
      if (keys.length !== script.keys.length) throw new Error(`${name}.lua takes ${script.keys.length} keys (${script.keys.join(', ')}), got ${keys.length}`);
      return call(...keys, ...args);
    };
  }
  defined.set(redis, scripts);
  return scripts;
}
