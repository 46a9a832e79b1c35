// The `fazhi` command line: parses flags, opens what a command needs, prints results.
import { Command, CommanderError, Option } from 'commander';
import { InputError } from '../pipeline/errors.ts';
import { checkDataDirUsable, chooseDataDir, extractGlobalOption, requireStore, resolveModelDir, type DataDir } from './config.ts';
import { describeSystemError } from './systemErrors.ts';
import { searchErrorMessage } from './options.ts';
import { SearchParamError } from '../search/errors.ts';
import { StoreSchemaError, WriterBusyError, WriterFencedError } from '../search/store.ts';
import { forTerminal } from './terminal.ts';
import { resolveRoot } from './identity.ts';
import {
  ingestCommand,
  listCommand,
  removeCommand,
  searchCommand,
  similarCommand,
  reindexCommand,
  statusCommand,
  workerCommand,
  healthCommand,
  modelListCommand,
  modelPullCommand,
  modelUseCommand,
  demoCommand,
  QueueWriterHoldsError,
} from './commands.ts';
import { serveCommand } from './serve.ts';

/** The filters a document has: region, year, kind (`search` and `similar` add --section). */
function documentFilterOptions(cmd: Command): Command {
  return cmd
    .option('--province <name>', 'only this province (山东 or 山东省)')
    .option('--city <name>', 'only this city (威海 or 威海市)')
    .option('--county <name>', 'only this county/district (环翠 or 环翠区)')
    .option('--year <y>', 'only reports on this year')
    .option('--from <y>', 'reports on this year or later')
    .option('--to <y>', 'reports on this year or earlier')
    .option('--kind <kind>', 'only documents of this kind: 法治政府建设年度报告 | 政府报告 | 法律法规 | 其他 (or rule-of-law-report | government-report | law | other)');
}

/** `offsetUnit`: what --offset skips (search's --by report pages through reports). */
function filterOptions(cmd: Command, offsetUnit = 'results'): Command {
  return documentFilterOptions(cmd.option('-k, --k <n>', 'number of results (1–100)', '10').option('--offset <n>', `skip the first n ${offsetUnit}: a later page`, '0'))
    .option('--section <s>', 'only this part of the report: 成效 | 不足 | 职责 | 安排 | 其他 (title, preamble, parts naming none of these)')
    .option('--json', 'print JSON');
}

/** Global options given before or after the subcommand (commander only knows a command's own). */
export interface Globals {
  data: DataDir;
  /** `--root` as given; resolved (and checked) only by the commands that name files. */
  root?: string;
}

export function buildProgram({ data, root: rootFlag }: Globals): Command {
  const dataDir = data.dir;
  const program = new Command('fazhi')
    .description('Semantic search over 法治政府建设年度报告 (annual rule-of-law government reports)')
    .option('--data-dir <dir>', 'data directory (env FAZHI_DATA_DIR, default ./data); may stand before or after the subcommand')
    .option('--root <dir>', 'source root: reports are identified by their real path relative to it (env FAZHI_ROOT, default the folder holding the data directory)')
    .option('--model <name|dir>', 'encoder: a directory under models/ or a path (env FAZHI_MODEL)')
    // Unknown flags and commands are bad input: exit 2 as documented, not commander's 1.
    .exitOverride()
    .showHelpAfterError();
  const model = (): string | undefined => program.opts().model;
  const root = (): string => resolveRoot(rootFlag, dataDir);
  /** Commands that read or change stored reports need an existing store and never create one. */
  const store = (): void => requireStore(data);
  /** A bad --model is named before the data dir: flags first, then where they point. */
  const storeAndModel = (): void => {
    resolveModelDir(model(), dataDir);
    store();
  };

  program
    .command('ingest')
    .description('index report files or directories (recursively); unchanged files are skipped, changed ones replaced; creates the data directory')
    .argument('<paths...>')
    .option('--queue', 'go through Redis (REDIS_URL) and BullMQ workers')
    .option('--redis-down-ms <ms>', 'with --queue: give up (exit 2) after Redis has not answered this long', '60000')
    .option('--json', 'also print the outcome as JSON on stdout: counts and every failed file with its stage and reason')
    .action((paths: string[], o) => {
      checkDataDirUsable(data);
      return ingestCommand({ dataDir, root: root(), model: model(), paths, queue: !!o.queue, redisDownMs: o.redisDownMs, json: !!o.json });
    });

  program
    .command('remove')
    .description('delete a report from the store and index, by any spelling of its path (as `fazhi list` shows it, relative or absolute)')
    .argument('<source>')
    .action((source: string) => {
      store();
      return removeCommand({ dataDir, root: root(), model: model(), source });
    });

  documentFilterOptions(
    program
      .command('list')
      .description('stored reports: source, title, jurisdiction, year, passages, aliases')
      .option('--json', 'print JSON'),
  ).action((o) => {
    store();
    return listCommand({ dataDir, root: root(), flags: o });
  });

  filterOptions(
    program
      .command('search')
      .description('search passages by meaning and words')
      .argument('<query>')
      .addOption(new Option('--mode <mode>', 'hybrid | dense | lexical').default('hybrid'))
      .addOption(new Option('--by <unit>', 'passage | report (one row per report with its best passages)').default('passage'))
      .option('--no-expand', "search only the query's own words, not also the reports' words for them (打官司 → 诉讼)"),
    'results (passages, or reports with --by report)',
  ).action((query: string, o) => {
    return searchCommand({ dataDir, model: model(), query, flags: o, checkStore: storeAndModel });
  });

  filterOptions(
    program
      .command('similar')
      .description('who else does what we do: passages similar to a stored passage or to a text')
      .argument('[passage-id]')
      .option('--text <text>', 'find passages similar to this text (up to 5,000 characters) instead')
      .addOption(new Option('--mode <mode>', 'hybrid (its words and its meaning) | dense | lexical').default('hybrid'))
      .option('--other-regions', "exclude the source's own jurisdiction; with --text, home is the region --province/--city/--county name"),
  ).action((id: string | undefined, o) => {
    return similarCommand({ dataDir, model: model(), id, flags: o, checkStore: storeAndModel });
  });

  program
    .command('reindex')
    .description('re-embed every stored report not embedded with the selected model (after a model change); resumable')
    .option('--queue', 'go through Redis (REDIS_URL) and BullMQ workers')
    .option('--redis-down-ms <ms>', 'with --queue: give up (exit 2) after Redis has not answered this long', '60000')
    .action((o) => {
      storeAndModel();
      return reindexCommand({ dataDir, root: root(), model: model(), queue: !!o.queue, redisDownMs: o.redisDownMs });
    });

  program
    .command('status')
    .description('counts, model, index health, queue failures')
    .option('--json', 'print JSON')
    .action((o) => {
      storeAndModel();
      return statusCommand({ dataDir, model: model(), json: !!o.json });
    });

  program
    .command('worker')
    .description('start BullMQ workers (REDIS_URL); start more processes to scale out. Exits 1 when it cannot go on (writer lock lost, Redis gone too long), for a supervisor to restart it')
    .option('--roles <list>', 'comma-separated: parse,embed,write', 'parse,embed,write')
    .option('--concurrency <n>', 'jobs at once per role', '1')
    .option('--job-lock-ms <ms>', 'a job whose worker went silent this long is taken over by another', '30000')
    .option('--writer-lock-ms <ms>', 'the writer lock outlives a writer that died this long', '15000')
    .option('--drain-ms <ms>', 'on SIGTERM/SIGINT, how long running jobs may take to finish', '50000')
    .option('--redis-down-ms <ms>', 'exit 1 after Redis has not answered this long', '60000')
    .option('--health-file <file>', 'rewritten after every passed self-check, for `fazhi health` (env FAZHI_HEALTH_FILE)')
    .action((o) => workerCommand({ dataDir, model: model(), ...o }));

  program
    .command('health')
    .description("exit 0 when this machine's `fazhi worker` passed its self-check recently (docker-compose healthcheck)")
    .option('--health-file <file>', 'the file `fazhi worker --health-file` writes (env FAZHI_HEALTH_FILE)')
    .option('--max-age-ms <ms>', 'how recent the last passed check must be', '20000')
    .action((o) => healthCommand(o));

  const modelCmd = program.command('model').description('list, download or select encoder models');
  modelCmd.command('list').description('models available under models/').action(() => modelListCommand({ dataDir }));
  modelCmd
    .command('pull')
    .description('download a hub model (e.g. Xenova/bge-small-zh-v1.5) into models/, honouring HF_ENDPOINT')
    .argument('<hub-id>')
    .action((id: string) => modelPullCommand({ dataDir, hubId: id }));
  modelCmd
    .command('use')
    .description('select the model for this data directory and reindex with it')
    .argument('<name|dir>')
    .action((name: string) => {
      // May come before the first ingest, so it creates the data dir like ingest does.
      checkDataDirUsable(data);
      return modelUseCommand({ dataDir, name });
    });

  program
    .command('serve')
    .description('the HTTP API and the Chinese web app over this data dir (read-only); prints the URL')
    .option('--host <host>', 'address to bind (another host exposes the server beyond this machine)', '127.0.0.1')
    .option('--port <n>', 'port (0: any free one)', '8080')
    .option('--rate-limit <n>', 'requests per minute per client address (0: no limit)', '1200')
    .option('--seed <dir>', 'index this directory first when the data dir holds no reports')
    .option('--workers <n>', 'server processes sharing the port, each with its own model and index (≈ one per core)', '1')
    .option('--allow-writes', 'enable upload/remove endpoints (needs FAZHI_TOKEN; requests send it as a bearer token)')
    .action((o) => serveCommand({ data, dataDir, root: root(), model: model(), flags: o }));

  program
    .command('demo')
    .description('index corpus/ into the data directory and print two sample searches (by passage, then by report)')
    .action(() => {
      checkDataDirUsable(data);
      return demoCommand({ dataDir, root: root(), model: model() });
    });

  return program;
}

async function main(): Promise<void> {
  let data: DataDir | undefined;
  try {
    const dataDirOption = extractGlobalOption(process.argv.slice(2), '--data-dir');
    const rootOption = extractGlobalOption(dataDirOption.rest, '--root');
    data = chooseDataDir(dataDirOption.value);
    const program = buildProgram({ data, root: rootOption.value });
    await program.parseAsync(rootOption.rest, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message (or the help asked for).
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof WriterBusyError || err instanceof QueueWriterHoldsError || err instanceof WriterFencedError || err instanceof StoreSchemaError) {
      // Not bad input: another writer has this data directory now, or another version wrote it.
      process.stderr.write(`fazhi: ${forTerminal(err.message)}\n`);
      process.exitCode = 1;
      return;
    }
    const message =
      err instanceof InputError ? err.message : err instanceof SearchParamError ? searchErrorMessage(err) : describeSystemError(err, data?.dir);
    if (message === null) throw err;
    process.stderr.write(`fazhi: ${forTerminal(message)}\n`);
    process.exitCode = 2;
  }
}

await main();
