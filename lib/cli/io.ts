/** What a CLI command writes to, and its progress line on a terminal: shared by every command, loading none. */

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when stderr is a terminal: progress overwrites one line. */
  interactive: boolean;
  /** The clock (tests); the system's when absent. */
  now?: () => Date;
}

export interface ProgressLineOptions {
  /** Nothing is shown before the operation has taken this long. */
  delayMs?: number;
  /** The line is rewritten at most this often. */
  intervalMs?: number;
}

/** Longest line drawn: wider than the terminal, `\r` would no longer go back to its start. */
const PROGRESS_WIDTH = 79;

/**
 * One progress line on a terminal's stderr, rewritten in place (`\r`, then erase to the end of the line): shown
 * once the operation has taken `delayMs`, redrawn at most every `intervalMs` with the latest text, erased by
 * `done`. Does nothing when not `enabled` (stderr is not a terminal, or --quiet).
 */
export class ProgressLine {
  private text: string | undefined;
  private shown = false;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();
  private readonly delayMs: number;
  private readonly intervalMs: number;

  constructor(
    private readonly write: (text: string) => void,
    private readonly enabled: boolean,
    options: ProgressLineOptions = {},
  ) {
    this.delayMs = options.delayMs ?? 1000;
    this.intervalMs = options.intervalMs ?? 250;
  }

  update(text: string): void {
    if (!this.enabled) return;
    this.text = text.length > PROGRESS_WIDTH ? `…${text.slice(-(PROGRESS_WIDTH - 1))}` : text;
    if (this.timer) return;
    const wait = Math.max(this.started + this.delayMs, this.lastDraw + this.intervalMs) - Date.now();
    if (wait <= 0) {
      this.draw();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, wait);
    this.timer.unref();
  }

  /** Writes `line` (ending in a newline) where the progress line was; the next update draws it again. */
  note(line: string): void {
    this.erase();
    this.write(line);
  }

  done(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.text = undefined;
    this.erase();
  }

  private draw(): void {
    if (this.text === undefined) return;
    this.write(`\r${this.text}\x1b[K`);
    this.shown = true;
    this.lastDraw = Date.now();
  }

  private erase(): void {
    if (this.shown) this.write('\r\x1b[K');
    this.shown = false;
  }
}
