// A one-line progress display on stderr, for people watching a terminal. It
// stays silent when stderr is not a TTY or CI is set (logs would fill with
// carriage returns) and when the user says --no-progress; stdout never sees it.

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export function progressEnabled(wanted: boolean, stream: ProgressStream = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  return wanted && stream.isTTY === true && !env.CI;
}

/** Redraws at most every `intervalMs`, except when a job finishes. */
export class ProgressLine {
  private done = 0;
  private readonly running = new Map<number, { label: string; events: number }>();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly total: number,
    private readonly enabled: boolean,
    private readonly stream: ProgressStream = process.stderr,
    private readonly intervalMs = 100,
  ) {}

  start(key: number, label: string): void {
    this.running.set(key, { label, events: 0 });
    this.draw(false);
  }

  progress(key: number, events: number): void {
    const r = this.running.get(key);
    if (r) r.events = events;
    this.draw(false);
  }

  finish(key: number): void {
    this.running.delete(key);
    this.done++;
    this.draw(true);
  }

  /** Erase the line, so the summary that follows starts clean. */
  clear(): void {
    if (this.enabled && this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }

  /** The text of the line as it would be drawn now. */
  text(): string {
    const now = [...this.running.values()].map((r) => (r.events > 0 ? `${r.label} ${formatCount(r.events)} events` : r.label));
    return `heapreplay: ${this.done}/${this.total} runs done${now.length ? ` | ${now.join(' | ')}` : ''}`;
  }

  private draw(force: boolean): void {
    if (!this.enabled) return;
    const t = performance.now();
    if (!force && t - this.lastDraw < this.intervalMs) return;
    this.lastDraw = t;
    const columns = (this.stream as { columns?: number }).columns ?? 100;
    this.stream.write(`\r\x1b[K${this.text().slice(0, Math.max(20, columns - 1))}`);
    this.drawn = true;
  }
}

function formatCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${Math.round(n / 1e3)}K` : String(n);
}
