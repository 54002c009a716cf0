import cliProgress from 'cli-progress';

export type ItemOutcome = 'done' | 'skipped' | 'failed';

/** Off a terminal, a line per item in progress at most this often (and, after some, at its last slice). */
const SLICE_LINE_MS = 10_000;

export interface Progress {
  /** One item finished; `item` names it on the plain lines; `slices` (what it held) adds a slices/s rate. */
  advance(outcome: ItemOutcome, item?: string, slices?: number): void;
  setTotal(total: number): void;
  /** A line for people (a series' result) that does not tear the bar. */
  log(line: string): void;
  /**
   * Slices done of an item still in progress, so a long series is not silent: a bar of its own on
   * a terminal (gone when the item ends), elsewhere a line at most every SLICE_LINE_MS per item.
   */
  slices(item: string, done: number, total: number): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  /** What is counted, plural: 'series'. */
  unit: string;
  /** Where the bar or the lines go; default stderr. */
  stream?: NodeJS.WriteStream;
  /** Off a terminal, a line per item in progress at most this often; default SLICE_LINE_MS. */
  sliceLineMs?: number;
}

/**
 * Progress of a long command: on a terminal a cli-progress bar (done/total, skipped, failed, rate,
 * ETA); elsewhere (a log file, CI) one plain line per finished item with the counts, elapsed time
 * and rate, and for an item in progress a line at most every sliceLineMs.
 */
export function startProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const started = performance.now();
  const counts: Record<ItemOutcome, number> = { done: 0, skipped: 0, failed: 0 };
  let total = options.total;
  const finished = () => counts.done + counts.skipped + counts.failed;
  let slicesDone = 0;
  const seconds = () => (performance.now() - started) / 1000;
  /** Items a minute, and slices a second once items said how many they held. */
  const rate = () => {
    const perMinute = seconds() > 0 ? (finished() * 60) / seconds() : 0;
    return `${perMinute.toFixed(1)} ${options.unit}/min${slicesDone > 0 ? `, ${(slicesDone / seconds()).toFixed(1)} slices/s` : ''}`;
  };
  const count = (outcome: ItemOutcome, slices: number | undefined) => {
    counts[outcome]++;
    slicesDone += slices ?? 0;
  };

  if (!stream.isTTY) {
    const lastLine = new Map<string, number>();
    return {
      advance(outcome, item, slices) {
        count(outcome, slices);
        for (const key of lastLine.keys()) if (item && key.startsWith(item)) lastLine.delete(key);
        const what = item ? `: ${outcome} ${item}${slices ? ` (${slices} slices)` : ''}` : '';
        const left = total - finished();
        const eta = left > 0 ? `, ETA ${Math.round((seconds() / finished()) * left)} s` : '';
        stream.write(`${options.label}: ${finished()}/${total} ${options.unit} (${counts.done} done, ${counts.skipped} skipped, ${counts.failed} failed) ${seconds().toFixed(1)} s${what}; ${rate()}${eta}\n`);
      },
      setTotal: (n) => (total = n),
      log: (line) => console.log(line),
      slices(item, done, slicesTotal) {
        const now = performance.now();
        const last = lastLine.get(item);
        // Its last slice only closes the lines of an item that printed some: a short series prints none.
        if (done < slicesTotal ? now - (last ?? started) < (options.sliceLineMs ?? SLICE_LINE_MS) : last === undefined) return;
        lastLine.set(item, now);
        stream.write(`${options.label}: ${item}: ${done}/${slicesTotal} slices, ${((now - started) / 1000).toFixed(1)} s\n`);
      },
      stop() {},
    };
  }

  const bars = new cliProgress.MultiBar(
    {
      stream,
      format: `${options.label} [{bar}] {value}/{total} ${options.unit} | {skipped} skipped | {failed} failed | {rate} | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(total, 0, { skipped: 0, failed: 0, rate: rate() });
  const itemBars = new Map<string, cliProgress.SingleBar>();
  return {
    advance(outcome, item, slices) {
      count(outcome, slices);
      for (const [key, itemBar] of itemBars) {
        if (!item || !key.startsWith(item)) continue;
        bars.remove(itemBar);
        itemBars.delete(key);
      }
      bar.update(finished(), { skipped: counts.skipped, failed: counts.failed, rate: rate() });
    },
    setTotal(n) {
      total = n;
      bar.setTotal(n);
    },
    log: (line) => bars.log(`${line}\n`),
    slices(item, done, slicesTotal) {
      let itemBar = itemBars.get(item);
      if (!itemBar) {
        itemBar = bars.create(slicesTotal, done, {}, { format: `  ${item.length > 48 ? `…${item.slice(-47)}` : item} [{bar}] {value}/{total} slices` });
        itemBars.set(item, itemBar);
      }
      itemBar.update(done);
    },
    stop: () => bars.stop(),
  };
}
