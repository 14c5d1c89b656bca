/**
 * Runs a command-line tool's `main`: the number it returns is the exit code; an error it throws (configuration,
 * a missing file) is told as a sentence, never a stack trace, and exits 2.
 */
export function runCli(
  main: () => Promise<number>,
  describe: (err: unknown) => string = (err) => (err as Error).message ?? String(err),
): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(describe(err));
      process.exit(2);
    },
  );
}
