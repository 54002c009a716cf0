import cliProgress from 'cli-progress';

export type ItemOutcome = 'done' | 'skipped' | 'failed';

export interface Progress {
  /** One item finished; `item` names it on the plain lines. */
  advance(outcome: ItemOutcome, item?: string): void;
  setTotal(total: number): void;
  /** A line for people (a series' result) that does not tear the bar. */
  log(line: string): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  /** What is counted, plural: 'series'. */
  unit: string;
  /** Where the bar or the lines go; default stderr. */
  stream?: NodeJS.WriteStream;
}

/**
 * Progress of a long command: on a terminal a cli-progress bar (done/total, failed, rate, ETA);
 * elsewhere (a log file, CI) one plain line per finished item with the counts and elapsed time.
 */
export function startProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const started = performance.now();
  const counts: Record<ItemOutcome, number> = { done: 0, skipped: 0, failed: 0 };
  let total = options.total;
  const finished = () => counts.done + counts.skipped + counts.failed;

  if (!stream.isTTY) {
    return {
      advance(outcome, item) {
        counts[outcome]++;
        const elapsed = ((performance.now() - started) / 1000).toFixed(1);
        stream.write(`${options.label}: ${finished()}/${total} ${options.unit} (${counts.done} done, ${counts.skipped} skipped, ${counts.failed} failed) ${elapsed} s${item ? `: ${outcome} ${item}` : ''}\n`);
      },
      setTotal: (n) => (total = n),
      log: (line) => console.log(line),
      stop() {},
    };
  }

  const bars = new cliProgress.MultiBar(
    {
      stream,
      format: `${options.label} [{bar}] {value}/{total} ${options.unit} | {failed} failed | {rate}/min | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  const rate = () => {
    const minutes = (performance.now() - started) / 60_000;
    return minutes > 0 ? (finished() / minutes).toFixed(1) : '0';
  };
  const bar = bars.create(total, 0, { failed: 0, rate: '0' });
  return {
    advance(outcome) {
      counts[outcome]++;
      bar.update(finished(), { failed: counts.failed, rate: rate() });
    },
    setTotal(n) {
      total = n;
      bar.setTotal(n);
    },
    log: (line) => bars.log(`${line}\n`),
    stop: () => bars.stop(),
  };
}
