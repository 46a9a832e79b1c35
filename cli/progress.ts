// A progress bar with counts and ETA on a terminal; plain periodic lines when output is piped.
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number, note?: string): void;
  stop(): void;
}

export function startProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) {
    let lastPrinted = 0;
    return {
      update(done, total) {
        const now = Date.now();
        if (done === total || now - lastPrinted > 2000) {
          stream.write(`${label}: ${done}/${total}\n`);
          lastPrinted = now;
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted} | {note}`, stream, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, note = '') {
      if (!started) {
        bar.start(total, done, { note });
        started = true;
      }
      bar.setTotal(total);
      bar.update(done, { note });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
