/**
 * The CLI's only way to the terminal: results on stdout, progress and errors on stderr (so
 * `status --format json` and `run` results can be piped while progress still shows).
 */
export interface Output {
  /** A line of results (stdout). */
  line(text?: string): void;
  /** Raw results text (stdout), as is. */
  write(text: string): void;
  /** A line of progress or a note (stderr). */
  note(text: string): void;
  /** An error line (stderr), as Juju prints them. */
  error(text: string): void;
  readonly isTTY: boolean;
}

export const consoleOutput: Output = {
  line: (text = '') => void process.stdout.write(`${text}\n`),
  write: (text) => void process.stdout.write(text),
  note: (text) => void process.stderr.write(`${text}\n`),
  error: (text) => void process.stderr.write(`ERROR ${text}\n`),
  isTTY: process.stdout.isTTY === true,
};
