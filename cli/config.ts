// Where data and the model come from: flag > environment > data-dir config > default.
import { existsSync, readFileSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../pipeline/errors.ts';
import { STORE_FILE } from '../search/store.ts';
import type { ChosenModel } from '../search/modelCurrent.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where the bundled model ships. */
export const BUNDLED_MODELS_DIR = path.join(REPO_ROOT, 'models');

/** Where pulled models go and are looked up first (env FAZHI_MODELS_DIR, e.g. a volume). */
export function modelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.FAZHI_MODELS_DIR ?? BUNDLED_MODELS_DIR);
}
/** Installed by `npm run models` (models/install); not in the repo. */
export const DEFAULT_MODEL = 'bge-small-zh-v1.5';
/** Ships in the repo: the default while DEFAULT_MODEL is not installed. */
export const FALLBACK_MODEL = 'fazhi-mini-zh';

/**
 * `--data-dir` is global and may stand before or after the subcommand; commander only
 * knows options of the command they follow, so it is taken out of argv first.
 */
export function extractGlobalOption(argv: string[], name: string): { value: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === name) {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new InputError(name, 'needs a directory');
    } else if (a.startsWith(`${name}=`)) value = a.slice(name.length + 1);
    else rest.push(a);
  }
  return { value, rest };
}

export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env.FAZHI_DATA_DIR ?? 'data');
}

/** The data directory and where it was chosen, so errors about it can say how to change it. */
export interface DataDir {
  dir: string;
  /** `--data-dir`, `FAZHI_DATA_DIR`, or the default. */
  origin: '--data-dir' | 'FAZHI_DATA_DIR' | 'default ./data';
}

export function chooseDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): DataDir {
  return { dir: resolveDataDir(flag, env), origin: flag !== undefined ? '--data-dir' : env.FAZHI_DATA_DIR !== undefined ? 'FAZHI_DATA_DIR' : 'default ./data' };
}

function dataDirError(d: DataDir, message: string): InputError {
  return new InputError(d.origin === 'FAZHI_DATA_DIR' ? 'FAZHI_DATA_DIR' : '--data-dir', `${d.dir} ${message}${d.origin === 'default ./data' ? ' (the default ./data; give --data-dir DIR)' : ''}`);
}

/**
 * For every command but `ingest`: the data directory must already hold a store. A mistyped
 * --data-dir, or a run from another folder, would otherwise search a new empty store and print
 * "No results." as if nothing matched.
 */
export function requireStore(d: DataDir): void {
  const st = statSync(d.dir, { throwIfNoEntry: false });
  if (!st) throw dataDirError(d, 'does not exist; `fazhi ingest` creates it');
  if (!st.isDirectory()) throw dataDirError(d, 'is a file, not a directory');
  if (!existsSync(path.join(d.dir, STORE_FILE))) throw dataDirError(d, `holds no store (${STORE_FILE}); \`fazhi ingest\` creates one`);
}

/** For `ingest`: the data directory may be new (it is created), but not a file. */
export function checkDataDirUsable(d: DataDir): void {
  const st = statSync(d.dir, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw dataDirError(d, 'is a file, not a directory');
}

interface DataConfig {
  model?: string;
}

function configPath(dataDir: string): string {
  return path.join(dataDir, 'config.json');
}

export function readDataConfig(dataDir: string): DataConfig {
  const p = configPath(dataDir);
  if (!existsSync(p)) return {};
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as DataConfig;
  } catch {
    throw new InputError(p, 'is not valid JSON');
  }
}

export function writeDataConfig(dataDir: string, config: DataConfig): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(configPath(dataDir), JSON.stringify(config, null, 2) + '\n');
}

function findModelDir(name: string, env: NodeJS.ProcessEnv): { dir: string | undefined; candidates: string[] } {
  const candidates = [...new Set([path.resolve(name), path.join(modelsDir(env), name), path.join(BUNDLED_MODELS_DIR, name)])];
  return { dir: candidates.find((c) => existsSync(path.join(c, 'config.json'))), candidates };
}

/**
 * How a data dir's selection records a model: a name found as a path from the current directory
 * (`model use mymodels/mini`) is recorded absolute, since later commands, a server under a
 * supervisor, run from anywhere and would look for it from theirs; a name under the models
 * directories stays a name.
 */
export function selectionName(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const { dir } = findModelDir(name, env);
  return dir !== undefined && dir === path.resolve(name) && !path.isAbsolute(name) ? dir : name;
}

/**
 * A model named by `subject` (`--model`, `model use nosuch`, …), as a directory. An existing
 * directory that is no model is told apart from a name found nowhere: the fix differs.
 */
export function findModel(name: string, subject: string, env: NodeJS.ProcessEnv = process.env): string {
  const { dir, candidates } = findModelDir(name, env);
  if (dir) return dir;
  const notModel = candidates.find((c) => statSync(c, { throwIfNoEntry: false })?.isDirectory());
  if (notModel) throw new InputError(subject, `${notModel} holds no model (no config.json; a model directory has config.json, a tokenizer and onnx/); run "fazhi model list"`);
  throw new InputError(subject, `${name} not found (looked for config.json in ${candidates.join(' and ')}); run "fazhi model list" or "fazhi model pull <hub-id>"`);
}

export interface ModelChoice extends ChosenModel {
  dir: string;
}

/** The data dir's selection as the subject of a message: the user may never have typed --model. */
export function selectedModelSubject(dataDir: string): string {
  return `${dataDir}'s selected model (fazhi model use)`;
}

/**
 * A model is a directory: a name under models/ (e.g. Xenova/bge-small-zh-v1.5) or a path. With
 * none chosen (flag, FAZHI_MODEL, the data dir's config) it is DEFAULT_MODEL, or FALLBACK_MODEL
 * with a note on stderr while the default is not installed.
 */
export function chooseModel(flag: string | undefined, dataDir: string, env: NodeJS.ProcessEnv = process.env): ModelChoice {
  if (flag !== undefined) return { dir: findModel(flag, '--model', env), name: flag, origin: '--model' };
  if (env.FAZHI_MODEL !== undefined) return { dir: findModel(env.FAZHI_MODEL, 'FAZHI_MODEL', env), name: env.FAZHI_MODEL, origin: 'FAZHI_MODEL' };
  const selected = readDataConfig(dataDir).model;
  if (selected !== undefined) return { dir: findModel(selected, selectedModelSubject(dataDir), env), name: selected, origin: 'selected' };
  const name = defaultModelName(env);
  if (name !== DEFAULT_MODEL) process.stderr.write(`model: using the bundled ${FALLBACK_MODEL}, because the default ${DEFAULT_MODEL} is not installed (run "npm run models")\n`);
  return { dir: findModel(name, 'model', env), name, origin: 'default' };
}

/** What runs where nothing chose a model: DEFAULT_MODEL once installed, else FALLBACK_MODEL. */
export function defaultModelName(env: NodeJS.ProcessEnv = process.env): string {
  return findModelDir(DEFAULT_MODEL, env).dir ? DEFAULT_MODEL : FALLBACK_MODEL;
}

export function resolveModelDir(flag: string | undefined, dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return chooseModel(flag, dataDir, env).dir;
}
