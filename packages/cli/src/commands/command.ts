/** What a command returns; `bin.ts` prints it and exits with `code`, tests read it directly. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}
